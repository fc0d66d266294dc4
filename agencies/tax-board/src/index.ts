export { createTaxBoardService, type TaxBoardServiceOptions, taxBoardOpenApi } from "./api/server.ts";
export {
  DECLARATIONS_SERVICE_CODE,
  RETURNS_SERVICE_CODE,
  TAX_BOARD_SERVE,
  type TaxBoardServeConfig,
  taxBoardDescriptor,
} from "./descriptor.ts";
export { TAX_BOARD_ERRORS, TaxBoardError, type TaxBoardErrorCode } from "./errors.ts";
export { payerCode, senderIsPayer } from "./model/payer.ts";
export {
  PAYROLL_PURPOSE,
  type PopulationSource,
  RETURN_PURPOSE,
  type Resident,
  XRoadPopulationSource,
} from "./population/population-source.ts";
export {
  CORRECTABLE,
  computeReturn,
  computeReturns,
  type DeclaredAmount,
  type LineKind,
  type LineSource,
  type PayrollIncome,
  type ReturnInput,
  type ReturnLine,
  type ReturnsSummary,
  type TaxReturn,
  totals,
} from "./rules/income-tax-return.ts";
export { basicExemption, rulesFor, TAX_YEARS, type TaxYearRules } from "./rules/tax-years.ts";
export { type SeedTaxYearOptions, type SeedTaxYearResult, seedTaxYear } from "./seed/seed.ts";
export {
  defaultEmployers,
  SYNTHETIC_BANKS,
  SYNTHETIC_FUNDS,
  type SyntheticOptions,
  type SyntheticPerson,
  syntheticPerson,
  syntheticReturnInputs,
  syntheticYear,
} from "./seed/synthetic-year.ts";
export { checkPersons, startTaxBoard, type TaxBoardExchange, type TaxBoardServer } from "./serve.ts";
export {
  assertOpen,
  openTaxBoard,
  type PayrollDeclaration,
  type PayrollEntry,
  type Receipt,
  type ReturnView,
  returnsOpen,
  TaxBoard,
  type YearDeclaration,
} from "./storage/board.ts";

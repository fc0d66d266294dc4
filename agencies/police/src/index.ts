export {
  type BackgroundCheck,
  type BackgroundCheckRequest,
  backgroundCheck,
  type Finding,
} from "./checks/background-check.ts";
export { type PoliceConfig, parsePoliceConfig, readPoliceConfig } from "./config.ts";
export { POLICE_ERRORS, PoliceError, type PoliceErrorCode } from "./errors.ts";
export { BACKGROUND_CHECK_REQUEST } from "./provider.ts";
export { assertPersonQuery, PERSON_QUERY, type PersonQuery } from "./query.ts";
export { type PersonSought, PoliceRecords, type PoliceRecordsLocation } from "./records/police-records.ts";
export { parseRecordsFile, RECORDS_FILE, type RecordsFile, readRecordsFile } from "./records/records-file.ts";
export { POLICE_COMPONENT, type PoliceDb, policeMigrations } from "./records/schema.ts";
export {
  parseSanctionsList,
  parseSemicolonCsv,
  SANCTIONS_LIST_COLUMNS,
  type SanctionedPerson,
  SanctionsList,
} from "./sanctions/eu-sanctions-list.ts";
export { namesMatch, nameTokens } from "./sanctions/names.ts";
export {
  createPoliceApp,
  openPoliceApp,
  type PoliceApp,
  policeOpenApi,
  SAMPLE_RECORDS,
  SAMPLE_SANCTIONS_LIST,
} from "./server.ts";

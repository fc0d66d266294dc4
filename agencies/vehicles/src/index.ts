export { createVehicleRegisterService } from "./api/server.ts";
export { VEHICLE_ERRORS, VehicleError, type VehicleErrorCode } from "./errors.ts";
export {
  CATEGORIES,
  type Category,
  categoriesEntitling,
  entitledBy,
  parseCategory,
} from "./model/licence-categories.ts";
export { parsePlate } from "./model/plate.ts";
export { checkDigitApplies, parseVin, type Vin, vinCheckDigit } from "./model/vin.ts";
export {
  type DrivingRight,
  type Licence,
  openVehicleRegister,
  type Vehicle,
  VehicleRegister,
} from "./storage/register.ts";

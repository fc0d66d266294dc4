export { createVehicleRegisterService, vehicleRegisterOpenApi } from "./api/server.ts";
export {
  DRIVING_LICENCES_SERVICE_CODE,
  OWNERSHIP_TRANSFERS_SERVICE_CODE,
  VEHICLES_SERVE,
  VEHICLES_SERVICE_CODE,
  type VehiclesServeConfig,
  vehiclesDescriptor,
} from "./descriptor.ts";
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
export { demoPlate, demoVin, seedDemoVehicles } from "./seed/demo.ts";
export { startVehicles, type VehiclesServer, type VehiclesServerOptions } from "./serve.ts";
export {
  type DrivingRight,
  type Licence,
  type OwnershipTransfer,
  openVehicleRegister,
  type Vehicle,
  VehicleRegister,
} from "./storage/register.ts";
export { TRANSFER_FILE, transferDocument } from "./transfer/ownership-transfer.ts";

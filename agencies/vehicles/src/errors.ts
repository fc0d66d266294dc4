import { type ErrorCatalogue, RiikError } from "@riik/core";

export type VehicleErrorCode =
  /** Not 17 characters of the VIN alphabet, or a wrong check digit where one applies. */
  | "VIN_INVALID"
  | "PLATE_INVALID"
  | "LICENCE_CATEGORY_INVALID"
  | "PERSONAL_CODE_INVALID"
  | "VEHICLE_INVALID"
  | "VEHICLE_EXISTS"
  | "PLATE_TAKEN"
  | "VEHICLE_NOT_FOUND"
  | "LICENCE_INVALID"
  | "LICENCE_NOT_FOUND";

export class VehicleError extends RiikError<VehicleErrorCode> {}

export const VEHICLE_ERRORS: ErrorCatalogue<VehicleErrorCode> = {
  VIN_INVALID: { status: 400 },
  PLATE_INVALID: { status: 400 },
  LICENCE_CATEGORY_INVALID: { status: 400 },
  PERSONAL_CODE_INVALID: { status: 400 },
  VEHICLE_INVALID: { status: 400 },
  VEHICLE_EXISTS: { status: 409 },
  PLATE_TAKEN: { status: 409 },
  VEHICLE_NOT_FOUND: { status: 404 },
  LICENCE_INVALID: { status: 400 },
  LICENCE_NOT_FOUND: { status: 404 },
};

import { type ErrorCatalogue, RiikError } from "@riik/core";

export type VehicleErrorCode =
  /** Not 17 characters of the VIN alphabet, or a wrong check digit where one applies. */
  "VIN_INVALID" | "PLATE_INVALID" | "LICENCE_CATEGORY_INVALID";

export class VehicleError extends RiikError<VehicleErrorCode> {}

export const VEHICLE_ERRORS: ErrorCatalogue<VehicleErrorCode> = {
  VIN_INVALID: { status: 400 },
  PLATE_INVALID: { status: 400 },
  LICENCE_CATEGORY_INVALID: { status: 400 },
};

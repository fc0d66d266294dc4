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
  | "LICENCE_NOT_FOUND"
  /** A transfer of ownership is started by the vehicle's owner only. */
  | "SELLER_NOT_OWNER"
  | "TRANSFER_INVALID"
  | "TRANSFER_NOT_FOUND"
  /** The transfer is completed, or the vehicle changed owner since it was started. */
  | "TRANSFER_CLOSED"
  /** Not an ASiC-E container, or a signature that does not validate against the trust anchors. */
  | "SIGNATURE_INVALID"
  /** The container's document is not byte-equal to the transfer's document. */
  | "SIGNED_OTHER_DOCUMENT"
  /** Someone other than the seller or the buyer signed. */
  | "SIGNER_NOT_PARTY";

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
  SELLER_NOT_OWNER: { status: 403 },
  TRANSFER_INVALID: { status: 400 },
  TRANSFER_NOT_FOUND: { status: 404 },
  TRANSFER_CLOSED: { status: 409 },
  SIGNATURE_INVALID: { status: 422 },
  SIGNED_OTHER_DOCUMENT: { status: 422 },
  SIGNER_NOT_PARTY: { status: 403 },
};

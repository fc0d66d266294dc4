// The application form's rules beyond its schema: age, the travel document's validity, the
// photo's format, the pick-up point; and the numbers and keys the agency hands out.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { EResidencyError } from "../errors.ts";

/** The service points where a digital ID is handed over (a fixed list, as on the real application page). */
export const PICKUP_LOCATIONS = [
  { id: "tallinn", name: "Tallinn service office (PPA)", country: "EE" },
  { id: "tartu", name: "Tartu service office (PPA)", country: "EE" },
  { id: "berlin", name: "Embassy of Estonia in Berlin", country: "DE" },
  { id: "helsinki", name: "Embassy of Estonia in Helsinki", country: "FI" },
  { id: "tokyo", name: "Embassy of Estonia in Tokyo", country: "JP" },
  { id: "san-francisco", name: "e-Residency pick-up point San Francisco (VFS Global)", country: "US" },
] as const;

/** A photo is at most 2 MB decoded. */
export const PHOTO_MAX_BYTES = 2 * 1024 * 1024;

const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface ApplicationForm {
  givenName: string;
  surname: string;
  dateOfBirth: string;
  sex: "male" | "female";
  citizenship: string;
  documentNumber: string;
  documentExpires: string;
  email: string;
  photo: string;
  reason: string;
  pickupLocation: string;
}

const isRealDate = (day: string) => {
  const at = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === day;
};

/** The photo's bytes: base64 of a JPEG or PNG by its signature (the extension or media type is not asked). */
export function photoBytes(base64: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
    throw new EResidencyError("PHOTO_INVALID", "the photo must be base64 of a JPEG or PNG file");
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length > PHOTO_MAX_BYTES)
    throw new EResidencyError("PHOTO_INVALID", `the photo is ${bytes.length} bytes, at most ${PHOTO_MAX_BYTES}`);
  const starts = (magic: Buffer) => bytes.length > magic.length && bytes.subarray(0, magic.length).equals(magic);
  if (!starts(JPEG) && !starts(PNG))
    throw new EResidencyError("PHOTO_INVALID", "the photo is neither a JPEG nor a PNG");
  return bytes;
}

/** Whole years from `birth` to `on` (both YYYY-MM-DD): a birthday counts from its day. */
export function ageOn(birth: string, on: string): number {
  const years = Number(on.slice(0, 4)) - Number(birth.slice(0, 4));
  return on.slice(5) >= birth.slice(5) ? years : years - 1;
}

/** Everything the schema cannot say: real dates, an adult, a valid document, a known pick-up point, a photo. */
export function checkForm(form: ApplicationForm, today: string): void {
  for (const [field, day] of [
    ["dateOfBirth", form.dateOfBirth],
    ["documentExpires", form.documentExpires],
  ] as const)
    if (!isRealDate(day)) throw new EResidencyError("APPLICATION_INVALID", `${field} ${day} is not a real date`);
  if (form.dateOfBirth > today || Number(form.dateOfBirth.slice(0, 4)) < 1900)
    throw new EResidencyError(
      "APPLICATION_INVALID",
      "dateOfBirth must be a date of birth in 1900 or later, not in the future",
    );
  if (ageOn(form.dateOfBirth, today) < 18)
    throw new EResidencyError("APPLICANT_UNDER_18", "e-Residency is granted to persons aged 18 or over");
  if (form.documentExpires < today)
    throw new EResidencyError("DOCUMENT_EXPIRED", `the travel document expired on ${form.documentExpires}`);
  if (!PICKUP_LOCATIONS.some((place) => place.id === form.pickupLocation))
    throw new EResidencyError("PICKUP_LOCATION_UNKNOWN", `no pick-up location ${form.pickupLocation}`, {
      details: { known: PICKUP_LOCATIONS.map((place) => place.id) },
    });
  photoBytes(form.photo);
}

/** ER-YYYY-NNNNNN: the year of submission and its sequence number. */
export const applicationNumber = (year: number, sequence: number): string =>
  `ER-${year}-${String(sequence).padStart(6, "0")}`;

/** A new access key (256 bits) and the hash the agency keeps instead of it. */
export function newAccessKey(): { key: string; hash: string } {
  const key = randomBytes(32).toString("base64url");
  return { key, hash: accessKeyHash(key) };
}

export const accessKeyHash = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

/** Constant time over the hashes, so the comparison says nothing about how much of a key was right. */
export function accessKeyOpens(key: string, hash: string): boolean {
  const given = Buffer.from(accessKeyHash(key), "hex");
  const kept = Buffer.from(hash, "hex");
  return given.length === kept.length && timingSafeEqual(given, kept);
}

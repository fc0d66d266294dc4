// Identifier systems riik's health information system uses, after the Estonian FHIR base
// implementation guide (fhir.ee, EEBase: NamingSystem "Estonian personal identification code").

/** Estonian personal identification code (EVS 585). */
export const PERSONAL_CODE_SYSTEM = "https://fhir.ee/sid/pid/est/ni";
/** Company registry code in the business register (8 digits). */
export const REGISTRY_CODE_SYSTEM = "https://fhir.ee/sid/org/est/br";
/** A health care professional's registration (licence) number in the Health Board's register. */
export const LICENCE_SYSTEM = "https://fhir.ee/sid/pro/est/pho";
/** A pharmacy's activity licence (Medicinal Products Act § 29); its period is the licence's validity. */
export const PHARMACY_LICENCE_SYSTEM = "https://fhir.ee/sid/org/est/pharmacy-licence";
/** The kind of role: doctor or pharmacist (PractitionerRole.code). */
export const ROLE_SYSTEM = "https://riik.ee/fhir/CodeSystem/professional-role";
/** riik's error codes in OperationOutcome.issue.details. */
export const ERROR_SYSTEM = "https://riik.ee/fhir/CodeSystem/health-error";
/** HL7 v3 ActReason: TREAT (treatment), ETREAT (emergency treatment, "break the glass"). */
export const PURPOSE_OF_USE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/** Extensions on MedicationDispense: the amounts the prescription centre computed. */
export const EXTENSION = {
  patientShare: "https://riik.ee/fhir/StructureDefinition/patient-share",
  fundShare: "https://riik.ee/fhir/StructureDefinition/fund-reimbursement",
  remaining: "https://riik.ee/fhir/StructureDefinition/remaining-quantity",
  price: "https://riik.ee/fhir/StructureDefinition/price",
  /** On a MedicationDispense: whether the fund insured the patient that day (false: the patient paid the price). */
  insured: "https://riik.ee/fhir/StructureDefinition/insured",
  reimbursementRate: "https://riik.ee/fhir/StructureDefinition/reimbursement-rate",
  narcotic: "https://riik.ee/fhir/StructureDefinition/narcotic",
  /** On a MedicationRequest: who may collect it (valueCode, PRESCRIPTION_TYPES). */
  prescriptionType: "https://riik.ee/fhir/StructureDefinition/prescription-type",
  /** On a named-representative MedicationRequest: the person who may collect (valueIdentifier, a personal code). */
  namedRepresentative: "https://riik.ee/fhir/StructureDefinition/named-representative",
  /**
   * On a MedicationDispense: the person who bought it, identified by the pharmacist (valueIdentifier).
   * R4's MedicationDispense.receiver cannot name a RelatedPerson (R5 can), hence an extension.
   */
  buyer: "https://riik.ee/fhir/StructureDefinition/buyer",
} as const;

/**
 * Who may collect a prescription (the Minister of Social Affairs' regulation on prescriptions):
 * public, the default, anyone who gives the patient's personal code; named-representative, only
 * the patient or the person the doctor named, and that person only while they hold the
 * patient's mandate (a RelatedPerson).
 */
export const PRESCRIPTION_TYPES = ["public", "named-representative"] as const;
export type PrescriptionType = (typeof PRESCRIPTION_TYPES)[number];

/** A representative's relationship: HL7 v3 RoleCode HPOWATT, healthcare power of attorney. */
export const REPRESENTATIVE_RELATIONSHIP = {
  system: "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
  code: "HPOWATT",
  display: "healthcare power of attorney",
} as const;

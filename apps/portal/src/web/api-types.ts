// The JSON the portal's API answers; shared by the server and the browser bundle (types only).
import type { BenefitLine, BenefitOffer, BenefitPayment } from "../benefits/family-benefits.ts";
import type { UsageReport } from "../datatracker/usage.ts";
import type { EResidencyCreated, EResidencyReceipt, EResidencyStatus } from "../eresidency/applications.ts";
import type { FeeReceipt, FounderSignature } from "../founding/founding.ts";
import type {
  DeclarationChoice,
  DeclarationKind,
  HealthDeclaration,
  HealthDispense,
  HealthDocument,
  HealthInsurance,
  HealthPrescription,
  HealthRead,
  HealthRecord,
  HealthRepresentative,
  HealthVisit,
} from "../health/my-health.ts";
import type { InboxMessage, InboxPage, MessageSummary } from "../inbox/state-inbox.ts";
import type { OperatorOverview } from "../operator/overview.ts";
import type { DrivingLicence, OwnedPart, OwnedVehicle, PropertyResponse } from "../property/my-property.ts";
import type {
  ApplicationState,
  ApplicationSummary,
  CompanyPerson,
  CompanyRecord,
  FoundingApplication,
  MyCompany,
} from "../registry/business.ts";
import type { AddressRecord, Exchange, FamilyRecord, PersonRecord } from "../registry/population.ts";
import type { SessionPerson } from "../session/session-store.ts";
import type { FinishResponse, PrepareResponse } from "../signing/signing-service.ts";
import type { TaxLine, TaxLineSource, TaxReturnView } from "../tax/income-tax-return.ts";

export type {
  ApplicationState,
  ApplicationSummary,
  BenefitLine,
  BenefitOffer,
  BenefitPayment,
  CompanyPerson,
  CompanyRecord,
  DeclarationChoice,
  DeclarationKind,
  DrivingLicence,
  EResidencyCreated,
  EResidencyReceipt,
  EResidencyStatus,
  Exchange,
  FeeReceipt,
  FinishResponse,
  FounderSignature,
  FoundingApplication,
  HealthDeclaration,
  HealthDispense,
  HealthDocument,
  HealthInsurance,
  HealthPrescription,
  HealthRead,
  HealthRecord,
  HealthRepresentative,
  HealthVisit,
  InboxMessage,
  InboxPage,
  MessageSummary,
  MyCompany,
  OperatorOverview,
  OwnedPart,
  OwnedVehicle,
  PrepareResponse,
  PropertyResponse,
  TaxLine,
  TaxLineSource,
  TaxReturnView,
  UsageReport,
};

/** GET /api/companies: the companies whose registry card names the person. */
export interface CompaniesResponse {
  companies: MyCompany[];
}

/** GET /api/companies/{code}: the registry card. */
export interface CompanyResponse {
  company: CompanyRecord;
  persons: CompanyPerson[];
}

/** GET /api/founding/applications: those awaiting the person (founder or board member), not registered yet. */
export interface ApplicationsResponse {
  applications: ApplicationSummary[];
}

/** GET /api/founding/applications/{id}: the application and the document the founders sign. */
export type ApplicationResponse = ApplicationState & { document: string };

/** POST /api/founding/applications/{id}/registration. */
export interface RegistrationResponse {
  registryCode: string;
  name: string;
  receipt: FeeReceipt;
}

export interface PickupLocation {
  id: string;
  name: string;
}

/** One login at the authentication service (its `authentications` service over X-Road). */
export interface LoginEntry {
  /** The e-service (relying party) logged in to. */
  clientId: string;
  /** `idcard` or `app`. */
  method: string;
  /** `high` or `substantial`. */
  acr: string;
  /** ISO 8601. */
  at: string;
  /** Whom the person chose to act for, if anyone. */
  representee?: string;
}

export interface LoginsResponse {
  logins: LoginEntry[];
  exchange: Exchange;
}

/** One party the person may act for, from the provider's `representee_list` claim. */
export interface RepresenteeEntry {
  type: "NATURAL_PERSON" | "LEGAL_PERSON";
  /** Country prefix and personal or registry code, e.g. EE51207150011. */
  sub: string;
  name: string;
}

/**
 * Whom the person may act for, as the authentication service tells it with scope
 * `representee_list` (GovSSO Representee 4.1): the current list, or that its mandates
 * service could not answer.
 */
export type Representees = { status: "current"; list: RepresenteeEntry[] } | { status: "unavailable" };

export interface SessionInfo {
  authenticated: boolean;
  person?: SessionPerson;
  /** Present when the login asked scope representee_list. */
  representees?: Representees;
  /** Whom the person acts for now: "My data" shows that person's entry; a company's page shows while acting for it. */
  actingFor?: { sub: string; personalCode: string; name: string; type: "NATURAL_PERSON" | "LEGAL_PERSON" };
  /** The purpose the portal states for its register queries. */
  purpose: string;
  /** Present when the portal reads the authentication service's login record ("My logins"). */
  loginRecord?: true;
  /** Whether the operator view needs a token from this client. */
  operatorTokenRequired: boolean;
  /** Present when the portal signs and checks containers. */
  signing?: { maxUploadBytes: number };
  /** Present when the portal reads the e-Business Register: "My companies", founding an OÜ (fee in cents). */
  business?: { stateFeeCents: number };
  /** Present when the portal takes e-Residency applications. */
  eResidency?: true;
  /** Present when the portal reads the state inbox. */
  inbox?: true;
  /** Present when the portal reaches the Social Insurance Board's family benefits. */
  benefits?: true;
  /** Present when the portal reaches the Tax and Customs Board: the year whose returns were opened last. */
  taxReturn?: { year: number };
  /** Present when the portal reaches the health information system and the health insurance fund. */
  health?: true;
  /** Present when the portal reaches the land register and the vehicle register: "My property". */
  property?: true;
  /** Present when the portal reaches the certificate directory: encrypted documents. */
  encryption?: true;
}

/** One ID card key of a person, to encrypt a CDOC2 container for. */
export interface EncryptionRecipient {
  /** The certificate's CN: SURNAME,GIVEN NAME,CODE. */
  name: string;
  /** The key label the container carries (TYPE=cert, as the reference labels certificates). */
  keyLabel: string;
  /** The P-384 public key as a TLS 1.3 point (0x04 | X | Y), base64. */
  publicKey: string;
  validUntil: string;
}

/** POST /api/encryption/messages: the message each recipient received. */
export interface EncryptedMessagesResponse {
  messages: Array<{ recipient: string; id: string }>;
}

/** GET /api/encryption/recipients?code=…: the person's valid ID card keys. */
export interface EncryptionRecipientsResponse {
  personalCode: string;
  recipients: EncryptionRecipient[];
}

/** GET /api/benefits/offers: the family benefit offers made to the parent logged in. */
export interface OffersResponse {
  offers: BenefitOffer[];
}

/** GET /api/benefits/payments: the payments scheduled to the person, newest month first. */
export interface PaymentsResponse {
  payments: BenefitPayment[];
}

/** GET /api/health/prescriptions: the person's prescriptions, newest first, each with its dispensings. */
export interface HealthPrescriptionsResponse {
  prescriptions: HealthPrescription[];
}

/** GET and PUT /api/inbox/forwarding: where notices of new messages are e-mailed (null: nowhere). */
export interface InboxForwarding {
  email: string | null;
}

/** GET /api/health/reads: who read the person's health data, newest first. */
export interface HealthReadsResponse {
  reads: HealthRead[];
}

/** POST /api/logout: where the browser goes to end the authentication service's session too. */
export interface LogoutResponse {
  ok: true;
  logoutUrl?: string;
}

export interface MeResponse {
  person: PersonRecord;
  exchange: Exchange;
}

export interface FamilyResponse {
  family: FamilyRecord;
  exchange: Exchange;
}

export interface AddressResponse {
  address: AddressRecord | null;
  exchange: Exchange;
}

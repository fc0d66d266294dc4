// The member information system kit (see ARCHITECTURE.md): service, storage with its change
// journal, registry definition, Data Tracker contract, X-Road REST client, event outbox and
// per-client bounds.
export {
  type Change,
  type ChangeJournalDb,
  type ClientAdmission,
  type ClientBound,
  ClientBounds,
  type ClientBoundTable,
  type ClientId,
  type ComponentMigration,
  changeJournalMigration,
  clientBoundMigration,
  DATA_SUBJECTS_HEADER,
  type ErrorCatalogue,
  formatClientId,
  formatServiceId,
  HIDDEN_REASON_HEADER,
  HIDDEN_UNTIL_HEADER,
  isValidPersonalCode,
  type JournalEntry,
  PersonalCodeError,
  parseClientId,
  parsePersonalCode,
  parseServiceId,
  type RegistryDefinition,
  type RegistryTables,
  RiikError,
  type RiikFastify,
  recordChanges,
  type ServiceId,
  type StorageOptions,
  xroadUserId,
} from "@riik/core";
export {
  DATA_SUBJECTS_RESPONSE_HEADER,
  declareDataSubjects,
  personalAnswer,
} from "./data-subjects.ts";
export { ERROR_ANSWER, errorAnswers, NO_QUERY } from "./error-answer.ts";
export {
  appendEvents,
  type DeliveredEvent,
  type EventOutboxDb,
  EventOutboxError,
  eventOutboxMigration,
  type OutboxDispatcher,
  type OutboxDispatcherOptions,
  type OutboxEvent,
  startOutboxDispatcher,
} from "./event-outbox.ts";
export {
  createMemberService,
  describedOpenApi,
  listenOrRelease,
  type MemberService,
  type MemberServiceOptions,
} from "./member-service.ts";
export { MemberStorage, type MemberWrite, openMemberStorage } from "./member-storage.ts";
export * from "./pubsub/index.ts";
export { type JournalledTables, type RowJournal, rowJournal } from "./row-journal.ts";
export {
  type RepresentedParty,
  type XRoadAnswer,
  type XRoadCall,
  XRoadClientError,
  type XRoadClientErrorCode,
  XRoadRestClient,
  type XRoadRestClientOptions,
} from "./xroad-rest-client.ts";

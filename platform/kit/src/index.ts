// The member information system kit (see ARCHITECTURE.md): service, storage with its change
// journal, registry definition, Data Tracker contract, X-Road REST client and event outbox.
export {};

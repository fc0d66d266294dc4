// @riik/embassy: the data embassy. Encrypted, chained and ledger-anchored replicas of
// registries in another jurisdiction, the shipper that makes them, and restore. This is what
// runners (the CLI, riik up) use; the segment format, stores and keys stay inside.

export { type MasterKey, readMasterKeyFile, writeMasterKeyFile } from "./crypto/master-key.ts";
export { issueTlsIdentity, readTlsMaterial, type TlsFiles, tlsFiles } from "./crypto/tls-identity.ts";
export { type DrillCheck, type DrillOptions, type DrillReport, runDrill } from "./drill/drill.ts";
export { EMBASSY_ERRORS, EmbassyError, type EmbassyErrorCode, isEmbassyError } from "./errors.ts";
// The segment's parser, for the benchmark's measure of plaintext bytes.
export { decodeSegment } from "./format/segment.ts";
export {
  readShipperConfig,
  resolveShipperConfig,
  SHIPPER_CONFIG_FORMAT,
  type ShipperConfig,
  type ShipperConfigFile,
} from "./home/config.ts";
export type { ShipperEvents } from "./home/context.ts";
export { rotateShipperKey } from "./home/data-keys.ts";
export type { DeliveryStatus } from "./home/delivery-status.ts";
export { EmbassyClient } from "./home/embassy-client.ts";
export { Shipper, type ShipperOptions } from "./home/shipper.ts";
export { initShipperHome, type ShipperHome, type ShipperHomeOptions } from "./home/shipper-home.ts";
export { type EmbassyServer, type EmbassyServerOptions, startEmbassyServer, type TlsMaterial } from "./node/server.ts";
export { resolveRegistry } from "./registry/registry.ts";
export {
  type RestoreOptions,
  type RestoreReport,
  restoreRegistry,
  type SegmentSource,
} from "./restore/restore.ts";

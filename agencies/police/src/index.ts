export { type PoliceConfig, parsePoliceConfig, readPoliceConfig } from "./config.ts";
export { POLICE_ERRORS, PoliceError, type PoliceErrorCode } from "./errors.ts";
export { assertPersonQuery, PERSON_QUERY, type PersonQuery } from "./query.ts";
export { createPoliceApp, HIDDEN_REASON_HEADER, HIDDEN_UNTIL_HEADER, type PoliceApp } from "./server.ts";

export { type PoliceConfig, parsePoliceConfig, readPoliceConfig } from "./config.ts";
export { POLICE_ERRORS, PoliceError, type PoliceErrorCode } from "./errors.ts";
export { assertPersonQuery, PERSON_QUERY, type PersonQuery } from "./query.ts";
export { createPoliceApp, type PoliceApp } from "./server.ts";

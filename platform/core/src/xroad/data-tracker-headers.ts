/**
 * The Data Tracker's headers between an information system and its security server (riik's
 * extension of X-Road; the security servers record them with each use, see platform/xroad).
 */

/** A provider names the persons its answer is about (X-Road user ids, comma-separated). */
export const DATA_SUBJECTS_HEADER = "x-riik-data-subjects";
/** A consumer asks for a use to be hidden from the person until this ISO 8601 time… */
export const HIDDEN_UNTIL_HEADER = "x-riik-hidden-until";
/** …for this legal reason (percent-encoded UTF-8). */
export const HIDDEN_REASON_HEADER = "x-riik-hidden-reason";

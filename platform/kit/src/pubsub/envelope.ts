import { isValidPersonalCode } from "@riik/core";
import { type Static, Type } from "typebox";

/**
 * An event as it travels (GovStack IM PubSub `EventItem`, riik's fields): the publisher's
 * subsystem and the outbox sequence number together are the idempotency key, `id`.
 */
export const EVENT_ITEM = Type.Object(
  {
    /** `{publisher}/{sequence}`: unique in the instance, the subscriber's idempotency key. */
    id: Type.String({ minLength: 1, maxLength: 400 }),
    /** The publisher's outbox sequence number: the cursor of pull and replay. */
    sequence: Type.Integer({ minimum: 1 }),
    /** The publishing subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM (GovStack: `publisher`). */
    publisher: Type.String({ minLength: 1, maxLength: 300 }),
    /** A dotted event type, e.g. person.born (GovStack: srcServiceCode + srcOperationId). */
    type: Type.String({ pattern: "^[a-z][a-z0-9_.-]{0,99}$" }),
    /** ISO-8601 time of the change the event reports. */
    at: Type.String({ minLength: 1, maxLength: 40 }),
    /** What the event is about (personal codes, registry codes): ordering is per subject. */
    subjects: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 }),
    /** The event's content (GovStack: payload). */
    data: Type.Unknown(),
  },
  { additionalProperties: false },
);
export type EventItem = Static<typeof EVENT_ITEM>;

/** The idempotency key of an event: publisher and sequence number. */
export const eventId = (publisher: string, sequence: number): string => `${publisher}/${sequence}`;

/** The default subjects of an event: its data's `subjects` array of strings (the life-events convention), else none. */
export function defaultSubjects(data: unknown): string[] {
  const subjects = (data as { subjects?: unknown } | null)?.subjects;
  return Array.isArray(subjects) ? subjects.filter((s): s is string => typeof s === "string" && s !== "") : [];
}

/** The persons among an event's subjects (valid personal codes, EVS 585): the Data Tracker's data subjects. */
export const personsAmong = (subjects: readonly string[]): string[] => subjects.filter(isValidPersonalCode);

/** Whether two subject lists share a subject. */
export const sharesSubject = (held: ReadonlySet<string>, subjects: readonly string[]): boolean =>
  subjects.some((s) => held.has(s));

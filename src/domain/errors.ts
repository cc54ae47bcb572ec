import { Schema } from "effect"

/**
 * Why a whole event cannot be processed, ever (§5 permanent failures). The code travels to the
 * dead-letter queue in the message headers; the message is meant for a person.
 */
export const EVENT_REJECTION_CODES = [
  "NOT_JSON",
  "SCHEMA_INVALID",
  "MISSING_PATH",
  "INVALID_PATH",
  "FOREIGN_BUCKET",
  "INVALID_PROJECT_ID",
  "OBJECT_MISSING",
  "NOT_A_BATCH",
  "OVER_LIMIT",
  "CORRUPT_COMPRESSION"
] as const
export type EventRejectionCode = (typeof EVENT_REJECTION_CODES)[number]

export class EventRejected extends Schema.TaggedError<EventRejected>()("EventRejected", {
  code: Schema.Literals(EVENT_REJECTION_CODES),
  message: Schema.String
}) {}

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

export class EventRejected extends Schema.TaggedError<EventRejected>()("EventRejected", {
  code: Schema.Literals(EVENT_REJECTION_CODES),
  message: Schema.String
}) {}

/** Codes for failures of the delivery step itself rather than of the event or its object. */
export const STEP_FAILURE_CODES = [
  "DATABASE_ERROR",
  "STORAGE_ERROR",
  "STORAGE_UNAVAILABLE",
  "PUBLISH_ERROR",
  "INTERNAL_ERROR"
] as const

/**
 * Every code a message can be dead-lettered with: it travels in `x-smap-error-code`, labels
 * `analytics_dead_letters_total`, and starts `failure_reason` in the ledger.
 */
export const DEAD_LETTER_CODES = [...EVENT_REJECTION_CODES, ...STEP_FAILURE_CODES] as const

/** Where in the step a delivery failed (also the `stage` label of `analytics_errors_total`). */
export const STAGES = ["decode", "fetch", "pipeline", "write", "ack", "publish"] as const
export type Stage = (typeof STAGES)[number]

/**
 * Why a whole delivery failed (§5): `permanent` is dead-lettered at once, `unknown` is retried
 * up to `MAX_DELIVERY_ATTEMPTS`, then dead-lettered. (Transient failures never get here: they
 * are retried in place while the dependency is down.)
 */
export class DeliveryFailed extends Schema.TaggedError<DeliveryFailed>()("DeliveryFailed", {
  kind: Schema.Literals(["permanent", "unknown"]),
  code: Schema.Literals(DEAD_LETTER_CODES),
  message: Schema.String,
  stage: Schema.Literals(STAGES)
}) {}

import { Context, type Effect, Schema } from "effect"
import type { FailureKind } from "../domain/failure.ts"
import type { AnalyticsRecord, BatchLedgerEntry, ErrorRecord } from "../domain/records.ts"

/** Everything one batch writes, committed together or not at all (§5). */
export interface BatchWrite {
  readonly ledger: BatchLedgerEntry
  readonly analytics: ReadonlyArray<AnalyticsRecord>
  readonly errors: ReadonlyArray<ErrorRecord>
}

/** Identity of a `post_analytics` row: (project_id, platform, id), nulls not distinct. */
export interface PostKey {
  readonly project_id: string | null
  readonly platform: string
  readonly id: string
}

/** A ledger row as stored: the entry plus what the repository tracks across attempts. */
export interface StoredLedgerEntry extends BatchLedgerEntry {
  readonly first_attempt_at: string
  readonly last_attempt_at: string
  readonly attempts: number
}

export interface RowCounts {
  readonly analytics: number
  readonly errors: number
  readonly batches: number
}

/**
 * - `Unavailable`: connection refused or lost, timeout, admin shutdown: transient, the same
 *   write may be retried as a whole, and the database is reported down meanwhile;
 * - `Conflict`: a deadlock or serialization failure against another writer: transient too,
 *   retried as a whole, but the database is up and is not reported down;
 * - `Constraint`, `InvalidData`: the batch itself is wrong (permanent);
 * - `Unknown`.
 */
export const REPOSITORY_ERROR_REASONS = ["Unavailable", "Conflict", "Constraint", "InvalidData", "Unknown"] as const

export class RepositoryError extends Schema.TaggedError<RepositoryError>()("RepositoryError", {
  reason: Schema.Literals(REPOSITORY_ERROR_REASONS),
  message: Schema.String
}) {}

export const repositoryFailureKind = (error: RepositoryError): FailureKind =>
  error.reason === "Unavailable" || error.reason === "Conflict"
    ? "transient"
    : error.reason === "Unknown"
    ? "unknown"
    : "permanent"

/**
 * Where analytics rows live (§4). Semantics every adapter keeps:
 *
 * - `writeBatch` writes the analytics rows, the error rows and the ledger row in ONE
 *   transaction: on any failure nothing of the batch is visible.
 * - Analytics rows upsert by (project_id, platform, id); a row whose `crawled_at` is older
 *   than the stored row's never overwrites it (a null `crawled_at` counts as oldest).
 * - Error rows are identified by (content_id, project_id, platform, job_id), nulls not
 *   distinct: writing the same batch again never duplicates one.
 * - The ledger row is keyed by `object_path`: a rewrite updates counts, status and
 *   `last_attempt_at`, and increments `attempts`; `first_attempt_at` stays.
 * So writing the same batch twice leaves the same rows: redelivery is harmless.
 *
 * - `recordFailedBatch` writes only the ledger row (status `failed`, with the reason) for a
 *   batch rejected before any row could be produced.
 * - `findPost`, `ledger`, `counts` read back what was written (tests, CLI, validation).
 * - `check` proves the database is reachable (readiness).
 */
export class AnalyticsRepository extends Context.Service<
  AnalyticsRepository,
  {
    readonly writeBatch: (batch: BatchWrite) => Effect.Effect<void, RepositoryError>
    readonly recordFailedBatch: (entry: BatchLedgerEntry) => Effect.Effect<void, RepositoryError>
    readonly findPost: (key: PostKey) => Effect.Effect<AnalyticsRecord | null, RepositoryError>
    readonly ledger: (objectPath: string) => Effect.Effect<StoredLedgerEntry | null, RepositoryError>
    readonly counts: (projectId?: string | null) => Effect.Effect<RowCounts, RepositoryError>
    readonly check: Effect.Effect<void, RepositoryError>
  }
>()("smap/ports/AnalyticsRepository") {}

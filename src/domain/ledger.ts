import type { CollectedEvent } from "./event.ts"
import type { AnalyticsRecord, BatchLedgerEntry, ErrorRecord } from "./records.ts"

/**
 * What a batch's items come to once repeats inside the batch are set aside: one analytics row
 * per post identity (project_id, platform, id), one error row per error identity (content_id,
 * project_id, platform, job_id), and how many items repeated an identity already taken.
 *
 * For a repeated post the newest crawl wins (a null `crawled_at` is the oldest; on a tie the
 * later item wins), which is what the upsert would keep. The rows come out ordered by identity
 * so that two consumers writing overlapping batches lock rows in the same order and cannot
 * deadlock each other.
 */
export interface DedupedBatch {
  readonly analytics: ReadonlyArray<AnalyticsRecord>
  readonly errors: ReadonlyArray<ErrorRecord>
  readonly duplicates: number
}

const isOlder = (incoming: string | null, kept: string | null) =>
  kept !== null && (incoming === null || Date.parse(incoming) < Date.parse(kept))

const compareKeys = (a: ReadonlyArray<string | null>, b: ReadonlyArray<string | null>): number => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? ""
    const y = b[i] ?? ""
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

export const postIdentity = (r: AnalyticsRecord): ReadonlyArray<string | null> => [r.project_id, r.platform, r.id]
export const errorIdentity = (r: ErrorRecord): ReadonlyArray<string | null> => [r.content_id, r.project_id, r.platform, r.job_id]

export const dedupeBatch = (
  analytics: ReadonlyArray<AnalyticsRecord>,
  errors: ReadonlyArray<ErrorRecord>
): DedupedBatch => {
  const posts = new Map<string, AnalyticsRecord>()
  for (const record of analytics) {
    // JSON keeps the parts distinct without a separator that ids could contain.
    const key = JSON.stringify(postIdentity(record))
    const kept = posts.get(key)
    if (kept === undefined || !isOlder(record.crawled_at, kept.crawled_at)) posts.set(key, record)
  }
  const errorRows = new Map<string, ErrorRecord>()
  for (const record of errors) errorRows.set(JSON.stringify(errorIdentity(record)), record)
  return {
    analytics: [...posts.values()].sort((a, b) => compareKeys(postIdentity(a), postIdentity(b))),
    errors: [...errorRows.values()].sort((a, b) => compareKeys(errorIdentity(a), errorIdentity(b))),
    duplicates: analytics.length - posts.size + errors.length - errorRows.size
  }
}

/** Where a batch is and what it belongs to: the part of a ledger row known before its items. */
export type LedgerSubject = Pick<
  BatchLedgerEntry,
  "object_path" | "event_id" | "project_id" | "job_id" | "platform" | "batch_index" | "expected_size"
>

/** The subject of a decoded event's batch on `platform`, expected to hold `expectedSize` items (null: any). */
export const ledgerSubject = (event: CollectedEvent, platform: string, expectedSize: number | null): LedgerSubject => ({
  object_path: event.objectPath,
  event_id: event.eventId,
  project_id: event.context.project_id,
  job_id: event.context.job_id,
  platform,
  batch_index: event.context.batch_index,
  expected_size: expectedSize
})

/**
 * The ledger row of a stored batch. Its counts add up to the items it had:
 * `actual_size = stored_count + skipped_count + error_count + duplicate_count`, and
 * `stored_count + skipped_count` is the number of analytics rows the batch wrote.
 */
export const completedLedger = (
  subject: LedgerSubject,
  actualSize: number,
  batch: DedupedBatch,
  attemptedAt: string
): BatchLedgerEntry => {
  const skipped = batch.analytics.filter((r) => r.is_skipped).length
  return {
    ...subject,
    actual_size: actualSize,
    stored_count: batch.analytics.length - skipped,
    skipped_count: skipped,
    error_count: batch.errors.length,
    duplicate_count: batch.duplicates,
    status: "completed",
    attempted_at: attemptedAt,
    failure_reason: null
  }
}

/**
 * The ledger row of a batch that was dead-lettered: nothing of it was written. `actualSize` is
 * the number of items when they were read before the failure, else 0. The reason is
 * `<CODE>: <message>`, cut to a bounded length.
 */
export const failedLedger = (
  subject: LedgerSubject,
  actualSize: number,
  code: string,
  message: string,
  attemptedAt: string
): BatchLedgerEntry => ({
  ...subject,
  actual_size: actualSize,
  stored_count: 0,
  skipped_count: 0,
  error_count: 0,
  duplicate_count: 0,
  status: "failed",
  attempted_at: attemptedAt,
  failure_reason: boundText(`${code}: ${message}`, 2000)
})

/** Cuts a text for storage or logs, saying how long it was. */
export const boundText = (value: string, max: number): string =>
  value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`

import { Duration, Effect } from "effect"
import { type BatchEntry, checkItemLimit, decodeEntries, readBatchArray, sizeMismatch, unreadableRecord } from "../domain/batch.ts"
import { DeliveryFailed, type EventRejected, type Stage } from "../domain/errors.ts"
import { type CollectedEvent, decodeEvent } from "../domain/event.ts"
import type { BatchContext } from "../domain/item.ts"
import { boundText, completedLedger, dedupeBatch, type DedupedBatch, failedLedger, ledgerSubject, type LedgerSubject } from "../domain/ledger.ts"
import { batchPlatform } from "../domain/platform.ts"
import { poisonReason } from "../domain/poison.ts"
import type { AnalyticsRecord, ErrorRecord } from "../domain/records.ts"
import { AnalyticsPipeline } from "../ports/AnalyticsPipeline.ts"
import { AnalyticsRepository, repositoryFailureKind, type RepositoryError } from "../ports/AnalyticsRepository.ts"
import { BatchStorage, type StorageError, storageFailureKind } from "../ports/BatchStorage.ts"
import { nowIso, preciseMillis } from "../ports/Clock.ts"
import { AppConfig } from "../ports/Config.ts"
import { type Delivery, EventQueue, type QueueError, queueFailureKind } from "../ports/EventQueue.ts"
import { Metrics } from "../ports/Metrics.ts"
import { Readiness } from "../ports/Readiness.ts"
import { ResultPublisher } from "../ports/ResultPublisher.ts"
import { retryWhileTransient } from "./failures.ts"

/** Delay before an unknown failure's next attempt: 1 s, 2 s, 4 s, … capped at 30 s. */
export const unknownRetryDelay = (attempt: number): Duration.Duration =>
  Duration.millis(Math.min(1000 * 2 ** Math.max(0, attempt - 1), 30_000))

/** Longest run of pipeline work (ms) before the event loop gets a turn. */
export const PIPELINE_SLICE_MS = 20

/** How one delivery ended. */
export type Outcome =
  | { readonly _tag: "Acked"; readonly stored: number; readonly skipped: number; readonly errors: number }
  | { readonly _tag: "DeadLettered"; readonly code: string; readonly message: string }
  | { readonly _tag: "Retried"; readonly attempt: number; readonly message: string }
  /** Settling failed (the channel closed): the broker redelivers; the upsert makes that harmless. */
  | { readonly _tag: "Abandoned"; readonly message: string }

const rejected = (e: EventRejected, stage: Stage) => new DeliveryFailed({ kind: "permanent", code: e.code, message: e.message, stage })

const STORAGE_CODES = {
  NotFound: "OBJECT_MISSING",
  Forbidden: "FOREIGN_BUCKET",
  TooLarge: "OVER_LIMIT",
  Corrupt: "CORRUPT_COMPRESSION",
  Unavailable: "STORAGE_UNAVAILABLE",
  Unknown: "STORAGE_ERROR"
} as const satisfies Record<StorageError["reason"], DeliveryFailed["code"]>

const kindOf = (permanent: boolean) => (permanent ? "permanent" : "unknown") as DeliveryFailed["kind"]
const storageFailed = (e: StorageError) =>
  new DeliveryFailed({ kind: kindOf(storageFailureKind(e) === "permanent"), code: STORAGE_CODES[e.reason], message: e.message, stage: "fetch" })
const repositoryFailed = (e: RepositoryError) =>
  new DeliveryFailed({ kind: kindOf(repositoryFailureKind(e) === "permanent"), code: "DATABASE_ERROR", message: e.message, stage: "write" })
const publishFailed = (e: QueueError) => new DeliveryFailed({ kind: "unknown", code: "PUBLISH_ERROR", message: e.message, stage: "publish" })
const defectFailed = (defect: unknown) =>
  new DeliveryFailed({ kind: "unknown", code: "INTERNAL_ERROR", message: defect instanceof Error ? defect.message : String(defect), stage: "pipeline" })

/** What is known of a delivery's batch so far: for its ledger row and its log lines. */
interface Known {
  subject: LedgerSubject | null
  actualSize: number
}

/** Log annotations naming the batch, each value bounded so hostile input cannot flood the logs. */
const batchAnnotations = (known: Known) => ({
  event_id: boundText(known.subject?.event_id ?? "", 200),
  job_id: boundText(known.subject?.job_id ?? "", 200),
  platform: known.subject?.platform ?? "",
  batch_path: boundText(known.subject?.object_path ?? "", 300)
})

/**
 * Builds the single step of the consumer (§5): take one delivery through decode → fetch →
 * pipeline → one-transaction write → (publish) → ack, or dead-letter it with its reason, or
 * put it back for another attempt. It never fails: every path ends in an `Outcome`, and a
 * defect anywhere is handled like an unknown failure (retried, then dead-lettered).
 */
export const makeDeliveryHandler = Effect.gen(function*() {
  const config = yield* AppConfig
  const storage = yield* BatchStorage
  const queue = yield* EventQueue
  const repository = yield* AnalyticsRepository
  const metrics = yield* Metrics
  const publisher = yield* ResultPublisher
  const pipeline = yield* AnalyticsPipeline
  const readiness = yield* Readiness

  const timedStage = <A, E>(stage: Stage, effect: Effect.Effect<A, E>) =>
    Effect.gen(function*() {
      const start = yield* preciseMillis
      const result = yield* effect
      yield* metrics.stageDuration(stage, ((yield* preciseMillis) - start) / 1000)
      return result
    })

  /** Each dependency's calls, retried in place while its failures are transient (§5). */
  const database = <A>(effect: Effect.Effect<A, RepositoryError>) =>
    retryWhileTransient(effect, {
      classify: repositoryFailureKind,
      dependency: "database",
      readiness,
      isContention: (e) => e.reason === "Conflict"
    }).pipe(Effect.mapError(repositoryFailed))
  const fromStorage = <A>(effect: Effect.Effect<A, StorageError>) =>
    retryWhileTransient(effect, { classify: storageFailureKind, dependency: "storage", readiness }).pipe(
      Effect.mapError(storageFailed)
    )
  const toBroker = <A>(effect: Effect.Effect<A, QueueError>) =>
    retryWhileTransient(effect, { classify: queueFailureKind, dependency: "broker", readiness }).pipe(
      Effect.mapError(publishFailed)
    )

  const subjectOf = (event: CollectedEvent, platform: string): LedgerSubject =>
    ledgerSubject(event, platform, config.expectedBatchSize[platform] ?? null)

  /** The event, or why it cannot be processed; once known, it names the batch for the ledger. */
  const decode = (delivery: Delivery, known: Known) =>
    Effect.gen(function*() {
      const event = yield* timedStage("decode", decodeEvent(delivery.body, config.buckets)).pipe(
        Effect.mapError((e) => rejected(e, "decode"))
      )
      known.subject = subjectOf(event, batchPlatform(event.platform))
      if (event.projectIdProblem !== null) {
        return yield* new DeliveryFailed({ kind: "permanent", code: "INVALID_PROJECT_ID", message: event.projectIdProblem, stage: "decode" })
      }
      return event
    })

  /** The batch's items and platform; size mismatches are reported, an over-limit batch refused. */
  const fetchItems = (event: CollectedEvent, known: Known) =>
    Effect.gen(function*() {
      const object = yield* timedStage("fetch", fromStorage(storage.get({ bucket: event.bucket, key: event.key }, config.maxBatchBytes)))
      const raw = yield* readBatchArray(object.bytes).pipe(Effect.mapError((e) => rejected(e, "decode")))
      known.actualSize = raw.length
      const entries = decodeEntries(raw, event.objectPath)
      // The stored platform and the metric label: always one of PLATFORM_LABELS (platform.ts).
      const platform = batchPlatform(event.platform, entries.map((e) => e._tag === "Item" ? e.item.meta.platform : null))
      known.subject = subjectOf(event, platform)
      yield* Effect.annotateCurrentSpan({ platform })
      const mismatch = sizeMismatch(platform, raw.length, config.expectedBatchSize, config.maxBatchItems)
      if (mismatch !== null) {
        yield* Effect.logWarning(
          `batch size mismatch: platform=${platform} expected=${mismatch.expected} actual=${mismatch.actual} job_id=${boundText(event.context.job_id ?? "", 200)}`
        )
        yield* metrics.batchSizeMismatch(mismatch.labels.platform, mismatch.labels.expected_size, mismatch.labels.actual_size)
      }
      const overLimit = checkItemLimit(raw.length, config.maxBatchItems)
      if (overLimit !== null) return yield* rejected(overLimit, "decode")
      return { entries, platform, actualSize: raw.length }
    })

  /**
   * Runs the pipeline on every item: a record per item, an error record for an unreadable one.
   * The work is CPU-bound, so the event loop gets a turn (broker heartbeats, /healthz, signals)
   * every 8 items and as soon as a slice has run PIPELINE_SLICE_MS; one item's work is bounded
   * by PREPROCESSOR_MAX_ANALYZED_CHARS.
   */
  const analyzeItems = (entries: ReadonlyArray<BatchEntry>, context: BatchContext, platform: string, now: string) =>
    Effect.gen(function*() {
      const analytics: Array<AnalyticsRecord> = []
      const errors: Array<ErrorRecord> = []
      let sliceStart = yield* preciseMillis
      for (const [i, entry] of entries.entries()) {
        let start = yield* preciseMillis
        if (i > 0 && (i % 8 === 0 || start - sliceStart >= PIPELINE_SLICE_MS)) {
          yield* Effect.yieldNow
          start = yield* preciseMillis
          sliceStart = start
        }
        if (entry._tag === "Unreadable") {
          errors.push(unreadableRecord(context, platform, entry.contentId, entry.reason, now, entry.code))
          continue
        }
        const record = pipeline.analyze(entry.item, context, now)
        const end = yield* preciseMillis
        if (record.record === "analytics") analytics.push({ ...record, processing_time_ms: end - start })
        else errors.push(record)
      }
      return dedupeBatch(analytics, errors)
    })

  /**
   * The result event, after the commit (§5). Whether it goes anywhere (`PUBLISH_ENABLED`) is
   * the composition root's choice of ResultPublisher, not this step's.
   */
  const publishResult = (context: BatchContext, actualSize: number, batch: DedupedBatch) =>
    timedStage(
      "publish",
      toBroker(publisher.publish({
        project_id: context.project_id,
        job_id: context.job_id,
        task_type: "analyze_result",
        batch_size: actualSize,
        success_count: batch.analytics.length,
        error_count: batch.errors.length
      }))
    )

  const settle = (effect: Effect.Effect<void, QueueError>, outcome: Outcome): Effect.Effect<Outcome> =>
    effect.pipe(
      Effect.as(outcome),
      Effect.catch((e) =>
        Effect.logWarning(`could not settle the delivery (${e.reason}): ${e.message}; the broker will redeliver it`).pipe(
          Effect.as<Outcome>({ _tag: "Abandoned", message: e.message })
        )
      )
    )

  /** decode → fetch → pipeline → write → publish → ack; any failure is a `DeliveryFailed`. */
  const process = (delivery: Delivery, known: Known) =>
    Effect.gen(function*() {
      const batchStart = yield* preciseMillis
      const event = yield* decode(delivery, known)
      // Earlier deliveries died unsettled too often: dead-letter instead of processing again.
      const poison = poisonReason(delivery.attempt, config.maxDeliveryAttempts)
      if (poison !== null) return yield* new DeliveryFailed({ kind: "permanent", code: "POISON", message: poison, stage: "decode" })
      return yield* Effect.gen(function*() {
        const { entries, platform, actualSize } = yield* fetchItems(event, known)
        const now = yield* nowIso
        const context = { ...event.context, platform }
        const batch = yield* timedStage("pipeline", analyzeItems(entries, context, platform, now))
        if (batch.duplicates > 0) {
          yield* Effect.logWarning(`${batch.duplicates} items repeat a post already in the batch; the newest crawl of each is stored`)
        }
        const ledger = completedLedger(known.subject ?? subjectOf(event, platform), actualSize, batch, now)
        yield* timedStage("write", database(repository.writeBatch({ ledger, analytics: batch.analytics, errors: batch.errors })))
        yield* publishResult(context, actualSize, batch)
        const counts = { stored: ledger.stored_count, skipped: ledger.skipped_count, errors: ledger.error_count }
        const outcome = yield* timedStage("ack", settle(queue.ack(delivery), { _tag: "Acked", ...counts }))
        if (outcome._tag === "Acked") yield* recordAcked(platform, batch, counts, ((yield* preciseMillis) - batchStart) / 1000)
        return outcome
      }).pipe(Effect.annotateLogs(batchAnnotations(known)))
    })

  const recordAcked = (
    platform: string,
    batch: DedupedBatch,
    counts: { readonly stored: number; readonly skipped: number; readonly errors: number },
    seconds: number
  ) =>
    Effect.gen(function*() {
      yield* metrics.message("acked")
      yield* metrics.items(platform, "stored", counts.stored)
      yield* metrics.items(platform, "skipped", counts.skipped)
      yield* metrics.items(platform, "error", counts.errors)
      yield* Effect.forEach(batch.errors, (e) => metrics.error("pipeline", e.error_category), { discard: true })
      yield* metrics.batchDuration(platform, seconds)
      yield* Effect.logInfo(`batch stored: ${counts.stored} analytics, ${counts.skipped} skipped, ${counts.errors} errors`)
    })

  /**
   * A batch dead-lettered after its event was read leaves a `failed` ledger row with the reason.
   * Best effort: a database that refuses it must not keep the message from the dead-letter queue.
   */
  const recordFailure = (known: Known, failure: DeliveryFailed) => {
    const subject = known.subject
    if (subject === null) return Effect.void
    return Effect.gen(function*() {
      const entry = failedLedger(subject, known.actualSize, failure.code, failure.message, yield* nowIso)
      yield* database(repository.recordFailedBatch(entry)).pipe(
        Effect.catch((e) => Effect.logWarning(`could not record the failed batch in the ledger: ${e.message}`))
      )
    })
  }

  const deadLetter = (delivery: Delivery, failure: DeliveryFailed, known: Known) =>
    Effect.gen(function*() {
      yield* Effect.logError(`dead-lettering: ${failure.code}: ${boundText(failure.message, 1000)}`)
      yield* recordFailure(known, failure)
      yield* metrics.error(failure.stage, failure.code)
      const reason = { code: failure.code, message: failure.message, eventId: known.subject?.event_id ?? null }
      const outcome = yield* settle(
        queue.deadLetter(delivery, reason),
        { _tag: "DeadLettered", code: failure.code, message: failure.message }
      )
      if (outcome._tag === "DeadLettered") yield* metrics.message("dead_lettered")
      return outcome
    })

  /** Unknown failures get `maxDeliveryAttempts` tries in all, then the dead-letter queue. */
  const retryOrDeadLetter = (delivery: Delivery, failure: DeliveryFailed, known: Known) =>
    Effect.gen(function*() {
      if (delivery.attempt >= config.maxDeliveryAttempts) {
        const message = `${failure.message} (gave up after ${delivery.attempt} attempts)`
        return yield* deadLetter(delivery, new DeliveryFailed({ ...failure, kind: "permanent", message }), known)
      }
      yield* Effect.logWarning(`attempt ${delivery.attempt} failed, retrying later: ${failure.code}: ${boundText(failure.message, 1000)}`)
      yield* metrics.error(failure.stage, failure.code)
      // Wait before handing the message back, so a failing batch is not retried in a tight loop.
      yield* Effect.sleep(unknownRetryDelay(delivery.attempt))
      const outcome = yield* settle(queue.retry(delivery), { _tag: "Retried", attempt: delivery.attempt, message: failure.message })
      if (outcome._tag === "Retried") yield* metrics.message("requeued")
      return outcome
    })

  return (delivery: Delivery): Effect.Effect<Outcome> => {
    const known: Known = { subject: null, actualSize: 0 }
    const failed = (failure: DeliveryFailed) =>
      (failure.kind === "permanent" ? deadLetter(delivery, failure, known) : retryOrDeadLetter(delivery, failure, known)).pipe(
        Effect.annotateLogs(batchAnnotations(known))
      )
    return process(delivery, known).pipe(
      Effect.catch(failed),
      Effect.catchDefect((defect) => failed(defectFailed(defect))),
      Effect.ensuring(metrics.inflight(-1)),
      (effect) => Effect.andThen(metrics.inflight(1), effect),
      Effect.annotateLogs({ delivery_id: delivery.deliveryId, attempt: delivery.attempt }),
      Effect.withSpan("Consumer.handle", { attributes: { delivery_id: delivery.deliveryId } })
    )
  }
})

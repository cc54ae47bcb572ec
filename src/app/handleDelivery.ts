import { Duration, Effect } from "effect"
import { checkItemLimit, decodeEntries, readBatchArray, sizeMismatch, unreadableRecord } from "../domain/batch.ts"
import type { EventRejected } from "../domain/errors.ts"
import { type CollectedEvent, decodeEvent } from "../domain/event.ts"
import type { AnalyticsRecord, BatchLedgerEntry, ErrorRecord } from "../domain/records.ts"
import { AnalyticsPipeline } from "../ports/AnalyticsPipeline.ts"
import { AnalyticsRepository, repositoryFailureKind, type RepositoryError } from "../ports/AnalyticsRepository.ts"
import { BatchStorage, type StorageError, storageFailureKind } from "../ports/BatchStorage.ts"
import { nowIso, preciseMillis } from "../ports/Clock.ts"
import { AppConfig } from "../ports/Config.ts"
import { type Delivery, EventQueue, type QueueError, queueFailureKind } from "../ports/EventQueue.ts"
import { Metrics, type Stage } from "../ports/Metrics.ts"
import { ResultPublisher } from "../ports/ResultPublisher.ts"
import { retryWhileTransient } from "./failures.ts"

/** Longest run of pipeline work (ms) before the event loop gets a turn; see handleDelivery. */
export const PIPELINE_SLICE_MS = 20
import { Readiness } from "../ports/Readiness.ts"

/** Delay before an unknown failure's next attempt: 1 s, 2 s, 4 s, … capped at 30 s. */
export const unknownRetryDelay = (attempt: number): Duration.Duration =>
  Duration.millis(Math.min(1000 * 2 ** Math.max(0, attempt - 1), 30_000))

/** How one delivery ended. */
export type Outcome =
  | { readonly _tag: "Acked"; readonly stored: number; readonly skipped: number; readonly errors: number }
  | { readonly _tag: "DeadLettered"; readonly code: string; readonly message: string }
  | { readonly _tag: "Retried"; readonly attempt: number; readonly message: string }
  /** Settling failed (the channel closed): the broker redelivers; the upsert makes that harmless. */
  | { readonly _tag: "Abandoned"; readonly message: string }

/** A failure of the whole delivery, classified for §5. */
class Stop {
  readonly kind: "permanent" | "unknown"
  readonly code: string
  readonly message: string
  readonly stage: Stage
  constructor(kind: "permanent" | "unknown", code: string, message: string, stage: Stage) {
    this.kind = kind
    this.code = code
    this.message = message
    this.stage = stage
  }
}

const rejected = (e: EventRejected, stage: Stage) => new Stop("permanent", e.code, e.message, stage)

const STORAGE_CODES: Record<StorageError["reason"], string> = {
  NotFound: "OBJECT_MISSING",
  Forbidden: "FOREIGN_BUCKET",
  TooLarge: "OVER_LIMIT",
  Corrupt: "CORRUPT_COMPRESSION",
  Unavailable: "STORAGE_UNAVAILABLE",
  Unknown: "STORAGE_ERROR"
}

const storageStop = (e: StorageError) =>
  new Stop(storageFailureKind(e) === "permanent" ? "permanent" : "unknown", STORAGE_CODES[e.reason], e.message, "fetch")
const repositoryStop = (e: RepositoryError) =>
  new Stop(repositoryFailureKind(e) === "permanent" ? "permanent" : "unknown", "DATABASE_ERROR", e.message, "write")
const publishStop = (e: QueueError) => new Stop("unknown", "PUBLISH_ERROR", e.message, "publish")

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
      const end = yield* preciseMillis
      yield* metrics.stageDuration(stage, (end - start) / 1000)
      return result
    })

  const settle = (effect: Effect.Effect<void, QueueError>, outcome: Outcome): Effect.Effect<Outcome> =>
    effect.pipe(
      Effect.as(outcome),
      Effect.catch((e) =>
        Effect.logWarning(`could not settle the delivery (${e.reason}): ${e.message}; the broker will redeliver it`).pipe(
          Effect.as<Outcome>({ _tag: "Abandoned", message: e.message })
        )
      )
    )

  const deadLetter = (delivery: Delivery, stop: Stop) =>
    Effect.gen(function*() {
      yield* Effect.logError(`dead-lettering: ${stop.code}: ${stop.message}`)
      yield* metrics.error(stop.stage, stop.code)
      const outcome = yield* settle(
        queue.deadLetter(delivery, { code: stop.code, message: stop.message }),
        { _tag: "DeadLettered", code: stop.code, message: stop.message }
      )
      if (outcome._tag === "DeadLettered") yield* metrics.message("dead_lettered")
      return outcome
    })

  /** Unknown failures get `maxDeliveryAttempts` tries in all, then the dead-letter queue. */
  const retryOrDeadLetter = (delivery: Delivery, stop: Stop) =>
    Effect.gen(function*() {
      if (delivery.attempt >= config.maxDeliveryAttempts) {
        return yield* deadLetter(
          delivery,
          new Stop("permanent", stop.code, `${stop.message} (gave up after ${delivery.attempt} attempts)`, stop.stage)
        )
      }
      yield* Effect.logWarning(`attempt ${delivery.attempt} failed, retrying later: ${stop.code}: ${stop.message}`)
      yield* metrics.error(stop.stage, stop.code)
      // Wait before handing the message back, so a failing batch is not retried in a tight loop.
      yield* Effect.sleep(unknownRetryDelay(delivery.attempt))
      const outcome = yield* settle(queue.retry(delivery), { _tag: "Retried", attempt: delivery.attempt, message: stop.message })
      if (outcome._tag === "Retried") yield* metrics.message("requeued")
      return outcome
    })

  /** Each dependency's calls, retried while its failures are transient (§5). */
  const database = <A>(effect: Effect.Effect<A, RepositoryError>) =>
    retryWhileTransient(effect, { classify: repositoryFailureKind, dependency: "database", readiness }).pipe(
      Effect.mapError(repositoryStop)
    )
  const fromStorage = <A>(effect: Effect.Effect<A, StorageError>) =>
    retryWhileTransient(effect, { classify: storageFailureKind, dependency: "storage", readiness }).pipe(
      Effect.mapError(storageStop)
    )
  const toBroker = <A>(effect: Effect.Effect<A, QueueError>) =>
    retryWhileTransient(effect, { classify: queueFailureKind, dependency: "broker", readiness }).pipe(
      Effect.mapError(publishStop)
    )

  const failedLedger = (event: CollectedEvent, platform: string, reason: string, now: string): BatchLedgerEntry => ({
    object_path: event.objectPath,
    event_id: event.eventId,
    project_id: event.context.project_id,
    job_id: event.context.job_id,
    platform,
    batch_index: event.context.batch_index,
    expected_size: config.expectedBatchSize[platform] ?? null,
    actual_size: 0,
    stored_count: 0,
    skipped_count: 0,
    error_count: 0,
    status: "failed",
    attempted_at: now,
    failure_reason: reason
  })

  const process = (delivery: Delivery) =>
    Effect.gen(function*() {
      const batchStart = yield* preciseMillis
      const event = yield* timedStage("decode", decodeEvent(delivery.body, config.buckets)).pipe(
        Effect.mapError((e) => rejected(e, "decode"))
      )
      return yield* Effect.gen(function*() {
        if (event.projectIdProblem !== null) {
          const now = yield* nowIso
          yield* database(
            repository.recordFailedBatch(failedLedger(event, event.platform ?? "UNKNOWN", event.projectIdProblem, now))
          )
          return yield* Effect.fail(new Stop("permanent", "INVALID_PROJECT_ID", event.projectIdProblem, "decode"))
        }
        const object = yield* timedStage(
          "fetch",
          fromStorage(storage.get({ bucket: event.bucket, key: event.key }, config.maxBatchBytes))
        )
        const raw = yield* readBatchArray(object.bytes).pipe(Effect.mapError((e) => rejected(e, "decode")))
        const entries = decodeEntries(raw, event.objectPath)
        const firstPlatform = entries.find((e) => e._tag === "Item" && e.item.meta.platform !== null)
        const platform = event.platform ??
          (firstPlatform?._tag === "Item" ? firstPlatform.item.meta.platform : null) ?? "UNKNOWN"
        yield* Effect.annotateCurrentSpan({ platform })

        const mismatch = sizeMismatch(platform, raw.length, config.expectedBatchSize, config.maxBatchItems)
        if (mismatch !== null) {
          yield* Effect.logWarning(
            `batch size mismatch: platform=${platform} expected=${mismatch.expected} actual=${mismatch.actual} job_id=${event.context.job_id ?? ""}`
          )
          yield* metrics.batchSizeMismatch(mismatch.labels.platform, mismatch.labels.expected_size, mismatch.labels.actual_size)
        }
        const overLimit = checkItemLimit(raw.length, config.maxBatchItems)
        if (overLimit !== null) return yield* Effect.fail(rejected(overLimit, "decode"))

        const now = yield* nowIso
        const context = { ...event.context, platform }
        const analytics: Array<AnalyticsRecord> = []
        const errors: Array<ErrorRecord> = []
        let sliceStart = yield* preciseMillis
        yield* timedStage(
          "pipeline",
          Effect.forEach(entries, (entry, i) =>
            Effect.gen(function*() {
              // Pipeline work is CPU-bound: give the event loop a turn (broker heartbeats,
              // /healthz, signals) every 8 items, and sooner once a slice has run
              // PIPELINE_SLICE_MS. One item is bounded by PREPROCESSOR_MAX_ANALYZED_CHARS.
              let start = yield* preciseMillis
              if (i > 0 && (i % 8 === 0 || start - sliceStart >= PIPELINE_SLICE_MS)) {
                yield* Effect.yieldNow
                start = yield* preciseMillis
                sliceStart = start
              }
              if (entry._tag === "Unreadable") {
                errors.push(unreadableRecord(context, platform, entry.contentId, entry.reason, now))
                return
              }
              const record = pipeline.analyze(entry.item, context, now)
              const end = yield* preciseMillis
              if (record.record === "analytics") analytics.push({ ...record, processing_time_ms: end - start })
              else errors.push(record)
            }), { discard: true })
        )
        const skipped = analytics.filter((r) => r.is_skipped).length
        const ledger: BatchLedgerEntry = {
          object_path: event.objectPath,
          event_id: event.eventId,
          project_id: context.project_id,
          job_id: context.job_id,
          platform,
          batch_index: context.batch_index,
          expected_size: config.expectedBatchSize[platform] ?? null,
          actual_size: raw.length,
          stored_count: analytics.length - skipped,
          skipped_count: skipped,
          error_count: errors.length,
          status: "completed",
          attempted_at: now,
          failure_reason: null
        }
        yield* timedStage("write", database(repository.writeBatch({ ledger, analytics, errors })))

        if (config.publishEnabled) {
          yield* timedStage(
            "publish",
            toBroker(publisher.publish({
              project_id: context.project_id,
              job_id: context.job_id,
              task_type: "analyze_result",
              batch_size: raw.length,
              success_count: analytics.length,
              error_count: errors.length
            }))
          )
        }

        const outcome = yield* timedStage(
          "ack",
          settle(queue.ack(delivery), { _tag: "Acked", stored: analytics.length - skipped, skipped, errors: errors.length })
        )
        if (outcome._tag === "Acked") {
          const batchEnd = yield* preciseMillis
          yield* metrics.message("acked")
          yield* metrics.items(platform, "stored", outcome.stored)
          yield* metrics.items(platform, "skipped", outcome.skipped)
          yield* metrics.items(platform, "error", outcome.errors)
          yield* Effect.forEach(errors, (e) => metrics.error("pipeline", e.error_category), { discard: true })
          yield* metrics.batchDuration(platform, (batchEnd - batchStart) / 1000)
          yield* Effect.logInfo(
            `batch stored: ${outcome.stored} analytics, ${outcome.skipped} skipped, ${outcome.errors} errors`
          )
        }
        return outcome
      }).pipe(
        Effect.annotateLogs({
          event_id: event.eventId ?? "",
          job_id: event.context.job_id ?? "",
          platform: event.platform ?? "",
          batch_path: event.objectPath
        })
      )
    })

  return (delivery: Delivery): Effect.Effect<Outcome> =>
    process(delivery).pipe(
      Effect.catch((stop) => stop.kind === "permanent" ? deadLetter(delivery, stop) : retryOrDeadLetter(delivery, stop)),
      Effect.catchDefect((defect) =>
        retryOrDeadLetter(
          delivery,
          new Stop("unknown", "INTERNAL_ERROR", defect instanceof Error ? defect.message : String(defect), "pipeline")
        )
      ),
      Effect.ensuring(metrics.inflight(-1)),
      (effect) => Effect.andThen(metrics.inflight(1), effect),
      Effect.annotateLogs({ delivery_id: delivery.deliveryId, attempt: delivery.attempt }),
      Effect.withSpan("Consumer.handle", { attributes: { delivery_id: delivery.deliveryId } })
    )
})

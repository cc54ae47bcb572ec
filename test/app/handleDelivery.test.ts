import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { MetricsMemoryState } from "../../src/adapters/memory/Metrics.ts"
import { MemoryPublisherControl } from "../../src/adapters/memory/ResultPublisher.ts"
import { MemoryQueueControl } from "../../src/adapters/memory/EventQueue.ts"
import { MemoryRepositoryControl } from "../../src/adapters/memory/AnalyticsRepository.ts"
import { MemoryStorageControl } from "../../src/adapters/memory/BatchStorage.ts"
import { makeDeliveryHandler } from "../../src/app/handleDelivery.ts"
import { Readiness } from "../../src/ports/Readiness.ts"
import { builtinLexicons, defaultPipelineSettings, makeLexiconSentimentAnalyzer, makePipeline } from "../../src/domain/pipeline/index.ts"
import { AnalyticsPipeline } from "../../src/ports/AnalyticsPipeline.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { BatchStorage } from "../../src/ports/BatchStorage.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"
import { eventFor, PROJECT_ID, rawBatch, rawItem } from "../support/crawlerBatch.ts"
import { memoryApp } from "../support/memoryApp.ts"

const BUCKET = "crawl-results"
const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value))
let n = 0
const newKey = () => `tiktok/${PROJECT_ID}/brand/batch_${String(++n).padStart(3, "0")}.json`

/** Uploads a batch and publishes its event; returns the object path. */
const seed = (batch: unknown, payload: Record<string, unknown> = {}, options: { compress?: boolean } = {}) =>
  Effect.gen(function*() {
    const storage = yield* BatchStorage
    const control = yield* MemoryQueueControl
    const key = newKey()
    yield* storage.put({ bucket: BUCKET, key }, encode(batch), options)
    yield* control.publish(encode(eventFor(`${BUCKET}/${key}`, payload)))
    return `${BUCKET}/${key}`
  }).pipe(Effect.orDie)

/** Takes the next delivery from the queue and runs the single step on it. */
const step = Effect.gen(function*() {
  const queue = yield* EventQueue
  const handle = yield* makeDeliveryHandler
  const delivery = yield* queue.deliveries.pipe(Stream.take(1), Stream.runHead)
  if (delivery._tag === "None") return yield* Effect.die("no delivery")
  return yield* handle(delivery.value)
})

/** Runs the step while moving the TestClock on, for steps that wait before a retry. */
const stepWithClock = Effect.gen(function*() {
  const fiber = yield* Effect.forkChild(step)
  for (let i = 0; i < 10; i++) yield* TestClock.adjust("30 seconds")
  return yield* Fiber.join(fiber)
})

const counts = Effect.flatMap(AnalyticsRepository, (r) => r.counts())

describe("handling one delivery", () => {
  it.effect("a 50-post TikTok batch is stored and acked, and size = analytics rows + error rows", () =>
    Effect.gen(function*() {
      const path = yield* seed(rawBatch(50, { errorEvery: 10 }))
      const outcome = yield* step
      assert.strictEqual(outcome._tag, "Acked")
      assert.deepStrictEqual(yield* counts, { analytics: 45, errors: 5, batches: 1 })
      const ledger = yield* (yield* AnalyticsRepository).ledger(path)
      assert.strictEqual(ledger?.status, "completed")
      assert.strictEqual(ledger?.actual_size, 50)
      assert.strictEqual((ledger?.stored_count ?? 0) + (ledger?.skipped_count ?? 0) + (ledger?.error_count ?? 0), 50)
      assert.strictEqual((yield* (yield* MemoryQueueControl).acked).length, 1)
      const metrics = yield* MetricsMemoryState
      assert.strictEqual(metrics.counter("analytics_messages_total", { outcome: "acked" }), 1)
      assert.strictEqual(metrics.counter("analytics_items_total", { platform: "TIKTOK", outcome: "error" }), 5)
      assert.strictEqual(metrics.counter("analytics_batch_size_mismatch_total"), 0)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("a throwing item becomes an error row and the rest of its batch is stored", () => {
    const base = makeLexiconSentimentAnalyzer(builtinLexicons)
    const throwing = makePipeline(defaultPipelineSettings, builtinLexicons, {
      modelVersion: base.modelVersion,
      analyze: (text, keywords, cues) => {
        if (text.includes("lừa đảo")) throw new Error("analyzer exploded")
        return base.analyze(text, keywords, cues)
      }
    })
    const pipeline = Layer.succeed(AnalyticsPipeline, AnalyticsPipeline.of({
      modelVersion: throwing.modelVersion,
      analyze: (item, context, now) => throwing.analyze(item, context, now)
    }))
    return Effect.gen(function*() {
      yield* seed(rawBatch(50))
      const outcome = yield* step
      assert.strictEqual(outcome._tag, "Acked")
      const tables = yield* (yield* MemoryRepositoryControl).tables
      const failed = [...tables.errors.values()]
      assert.strictEqual(failed.length, 5) // caption 6 of 10 ("Tẩy chay … lừa đảo") appears 5 times in 50
      assert.isTrue(failed.every((e) => e.error_code === "ANALYTICS_ERROR" && e.error_category === "processing"))
      assert.strictEqual(tables.posts.size, 45)
    }).pipe(Effect.provide(memoryApp({ pipeline })))
  })

  it.effect("a repository failure mid-batch leaves nothing written and the message unacked and retried", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(50))
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Unknown", whenPostId: String(rawItem(17).meta.id), times: 1 })
      const outcome = yield* stepWithClock
      assert.strictEqual(outcome._tag, "Retried")
      assert.deepStrictEqual(yield* counts, { analytics: 0, errors: 0, batches: 0 })
      const queue = yield* MemoryQueueControl
      assert.strictEqual((yield* queue.acked).length, 0)
      assert.strictEqual((yield* queue.retried).length, 1)
      const again = yield* step
      assert.strictEqual(again._tag, "Acked")
      assert.strictEqual((yield* counts).analytics, 50)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("an unknown failure is handed back only after a delay, not in a tight loop", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(5))
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Unknown", times: 1 })
      const fiber = yield* Effect.forkChild(step)
      yield* TestClock.adjust("900 millis")
      assert.strictEqual((yield* (yield* MemoryQueueControl).retried).length, 0)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "Retried")
      assert.strictEqual((yield* (yield* MemoryQueueControl).retried).length, 1)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("items repeating a post inside the batch are counted as duplicates: the ledger adds up to the batch and to the rows", () =>
    Effect.gen(function*() {
      const items = rawBatch(10)
      const repeated = [...items, items[3], items[3], items[7]]
      yield* seed(repeated)
      const outcome = yield* step
      assert.strictEqual(outcome._tag, "Acked")
      const tables = yield* (yield* MemoryRepositoryControl).tables
      const [entry] = [...tables.ledger.values()]
      assert.strictEqual(entry?.actual_size, 13)
      assert.strictEqual(entry?.duplicate_count, 3)
      assert.strictEqual((entry?.stored_count ?? 0) + (entry?.skipped_count ?? 0), tables.posts.size)
      assert.strictEqual(entry?.error_count, tables.errors.size)
      assert.strictEqual(
        (entry?.stored_count ?? 0) + (entry?.skipped_count ?? 0) + (entry?.error_count ?? 0) + (entry?.duplicate_count ?? 0),
        entry?.actual_size
      )
    }).pipe(Effect.provide(memoryApp())))

  it.effect("an unknown failure that runs out of attempts leaves a failed ledger row with its reason", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(5))
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Unknown", times: 2 })
      const outcomes = [yield* stepWithClock, yield* stepWithClock]
      assert.deepStrictEqual(outcomes.map((o) => o._tag), ["Retried", "DeadLettered"])
      const [entry] = [...(yield* (yield* MemoryRepositoryControl).tables).ledger.values()]
      assert.strictEqual(entry?.status, "failed")
      assert.strictEqual(entry?.actual_size, 5)
      assert.match(entry?.failure_reason ?? "", /^DATABASE_ERROR: .*gave up after 2 attempts/)
    }).pipe(Effect.provide(memoryApp({ env: { MAX_DELIVERY_ATTEMPTS: "2" } }))))

  it.effect("a write conflict (deadlock with another consumer) is retried without reporting the database down", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(5))
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Conflict", times: 2 })
      yield* (yield* Readiness).setDependency("database", true)
      const fiber = yield* Effect.forkChild(step)
      yield* TestClock.adjust("100 millis")
      assert.isTrue((yield* (yield* Readiness).ready).dependencies.database)
      assert.strictEqual((yield* (yield* MemoryRepositoryControl).writeCount), 0, "the first write conflicted")
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("5 seconds")
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome._tag, "Acked")
      assert.isTrue((yield* (yield* Readiness).ready).dependencies.database)
      assert.strictEqual((yield* (yield* MemoryRepositoryControl).writeCount), 1)
      assert.strictEqual((yield* (yield* MemoryQueueControl).deadLettered).length, 0)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("an unknown failure is retried up to MAX_DELIVERY_ATTEMPTS, then dead-lettered", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(5))
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Unknown" })
      const outcomes = [yield* stepWithClock, yield* stepWithClock, yield* stepWithClock]
      assert.deepStrictEqual(outcomes.map((o) => o._tag), ["Retried", "Retried", "DeadLettered"])
      const dead = yield* (yield* MemoryQueueControl).deadLettered
      assert.strictEqual(dead[0]?.reason.code, "DATABASE_ERROR")
      assert.include(dead[0]?.reason.message ?? "", "after 3 attempts")
    }).pipe(Effect.provide(memoryApp({ env: { MAX_DELIVERY_ATTEMPTS: "3" } }))))

  it.effect("a delivery past MAX_DELIVERY_ATTEMPTS (earlier ones died unsettled) is dead-lettered POISON without fetching its batch", () =>
    Effect.gen(function*() {
      const storage = yield* BatchStorage
      const key = newKey()
      yield* storage.put({ bucket: BUCKET, key }, encode(rawBatch(5)), {}).pipe(Effect.orDie)
      // Attempt 4 with a limit of 3: what the RabbitMQ adapter computes from x-smap-attempts and
      // the quorum queue's x-delivery-count when the process died during the earlier deliveries.
      yield* (yield* MemoryQueueControl).publish(encode(eventFor(`${BUCKET}/${key}`)), { "x-smap-attempts": 3 })
      const outcome = yield* step
      assert.strictEqual(outcome._tag, "DeadLettered")
      const dead = yield* (yield* MemoryQueueControl).deadLettered
      assert.strictEqual(dead[0]?.reason.code, "POISON")
      assert.include(dead[0]?.reason.message ?? "", "delivered 4 times")
      assert.deepStrictEqual(yield* counts, { analytics: 0, errors: 0, batches: 1 })
      const [entry] = [...(yield* (yield* MemoryRepositoryControl).tables).ledger.values()]
      assert.match(entry?.failure_reason ?? "", /^POISON: /)
    }).pipe(Effect.provide(memoryApp({ env: { MAX_DELIVERY_ATTEMPTS: "3" } }))))

  it.effect("a delivery at MAX_DELIVERY_ATTEMPTS is still processed", () =>
    Effect.gen(function*() {
      const key = newKey()
      yield* (yield* BatchStorage).put({ bucket: BUCKET, key }, encode(rawBatch(5)), {}).pipe(Effect.orDie)
      yield* (yield* MemoryQueueControl).publish(encode(eventFor(`${BUCKET}/${key}`)), { "x-smap-attempts": 2 })
      assert.strictEqual((yield* step)._tag, "Acked")
    }).pipe(Effect.provide(memoryApp({ env: { MAX_DELIVERY_ATTEMPTS: "3" } }))))

  const permanent: ReadonlyArray<readonly [string, string, Effect.Effect<void, never, MemoryQueueControl | BatchStorage | MemoryStorageControl>]> = [
    ["not JSON", "NOT_JSON", Effect.asVoid(Effect.flatMap(MemoryQueueControl, (q) => q.publish("{{{")))],
    ["schema-invalid", "SCHEMA_INVALID", Effect.asVoid(Effect.flatMap(MemoryQueueControl, (q) => q.publish(encode({ event_type: "data.collected" }))))],
    ["no path", "MISSING_PATH", Effect.asVoid(Effect.flatMap(MemoryQueueControl, (q) => q.publish(encode(eventFor("", {}))))),],
    ["foreign bucket", "FOREIGN_BUCKET", Effect.asVoid(Effect.flatMap(MemoryQueueControl, (q) => q.publish(encode(eventFor("other-bucket/a.json")))))],
    ["missing object", "OBJECT_MISSING", Effect.asVoid(Effect.flatMap(MemoryQueueControl, (q) => q.publish(encode(eventFor(`${BUCKET}/nope.json`)))))],
    ["not a batch", "NOT_A_BATCH", Effect.asVoid(seed({ posts: [] }))],
    ["over the size limit", "OVER_LIMIT", Effect.asVoid(seed(rawBatch(50)))],
    ["over the item limit", "OVER_LIMIT", Effect.asVoid(seed(Array.from({ length: 30 }, (_, i) => ({ meta: { id: String(i) } }))))],
    ["corrupt zstd", "CORRUPT_COMPRESSION", Effect.gen(function*() {
      const storage = yield* MemoryStorageControl
      yield* storage.putRaw({ bucket: BUCKET, key: "corrupt.json" }, encode("not zstd"), { "x-amz-meta-compressed": "true" })
      yield* Effect.asVoid(Effect.flatMap(MemoryQueueControl, (q) => q.publish(encode(eventFor(`${BUCKET}/corrupt.json`)))))
    })],
    ["a project id without a UUID", "INVALID_PROJECT_ID", Effect.asVoid(seed(rawBatch(3), { project_id: "nope", job_id: "nope" }))]
  ]
  for (const [name, code, arrange] of permanent) {
    it.effect(`a permanent failure (${name}) is dead-lettered at once with ${code} and nothing is written`, () =>
      Effect.gen(function*() {
        yield* arrange
        const outcome = yield* step
        assert.strictEqual(outcome._tag, "DeadLettered")
        if (outcome._tag === "DeadLettered") assert.strictEqual(outcome.code, code)
        const dead = yield* (yield* MemoryQueueControl).deadLettered
        assert.strictEqual(dead.length, 1)
        assert.strictEqual(dead[0]?.reason.code, code)
        assert.isAbove(dead[0]?.reason.message.length ?? 0, 10)
        const written = yield* counts
        assert.strictEqual(written.analytics + written.errors, 0)
        // Once the event names its batch, the batch's end is in the ledger: failed, with the reason.
        const eventRead = !["NOT_JSON", "SCHEMA_INVALID", "MISSING_PATH", "FOREIGN_BUCKET"].includes(code)
        assert.strictEqual(written.batches, eventRead ? 1 : 0)
        if (eventRead) {
          const [entry] = [...(yield* (yield* MemoryRepositoryControl).tables).ledger.values()]
          assert.strictEqual(entry?.status, "failed")
          assert.isTrue(entry?.failure_reason?.startsWith(`${code}: `), entry?.failure_reason ?? "")
          assert.strictEqual(entry?.stored_count, 0)
          if (name === "over the item limit") assert.strictEqual(entry?.actual_size, 30)
        }
        assert.strictEqual((yield* MetricsMemoryState).counter("analytics_messages_total", { outcome: "dead_lettered" }), 1)
      }).pipe(Effect.provide(memoryApp({ env: { MAX_BATCH_BYTES: name === "over the size limit" ? "2000" : "1000000", MAX_BATCH_ITEMS: "25" } }))))
  }

  it.effect("a transient storage failure is retried with backoff, never dead-lettered, and readiness goes false meanwhile", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(20, { platform: "YOUTUBE" }), { platform: "youtube" })
      yield* (yield* MemoryStorageControl).inject({ reason: "Unavailable", times: 4 })
      const fiber = yield* Effect.forkChild(step)
      yield* TestClock.adjust("1 second")
      assert.isFalse((yield* (yield* Readiness).ready).dependencies.storage)
      for (let i = 0; i < 10; i++) yield* TestClock.adjust("30 seconds")
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome._tag, "Acked")
      assert.strictEqual((yield* (yield* MemoryStorageControl).gets), 5)
      assert.isTrue((yield* (yield* Readiness).ready).dependencies.storage)
      assert.strictEqual((yield* (yield* MemoryQueueControl).deadLettered).length, 0)
      assert.strictEqual((yield* counts).analytics, 20)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("a transient database failure is retried with backoff and the batch is then stored once", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(50))
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Unavailable", times: 3 })
      const fiber = yield* Effect.forkChild(step)
      for (let i = 0; i < 10; i++) yield* TestClock.adjust("30 seconds")
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome._tag, "Acked")
      assert.strictEqual((yield* (yield* MemoryRepositoryControl).writeCount), 1)
      assert.strictEqual((yield* (yield* MemoryQueueControl).retried).length, 0)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("a redelivered batch leaves row counts unchanged", () =>
    Effect.gen(function*() {
      const batch = rawBatch(50, { errorEvery: 7 })
      const path = yield* seed(batch)
      yield* step
      const first = yield* counts
      yield* (yield* MemoryQueueControl).publish(encode(eventFor(path)))
      assert.strictEqual((yield* step)._tag, "Acked")
      assert.deepStrictEqual(yield* counts, first)
      assert.strictEqual((yield* (yield* AnalyticsRepository).ledger(path))?.attempts, 2)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("an older crawl never overwrites a newer row", () =>
    Effect.gen(function*() {
      yield* seed([rawItem(1, { crawledAt: "2025-12-06T12:00:00Z" })])
      yield* step
      yield* seed([{ ...rawItem(1, { crawledAt: "2025-12-01T12:00:00Z" }), interaction: { views: 1, likes: 1 } }])
      yield* step
      const stored = yield* (yield* AnalyticsRepository).findPost({ project_id: PROJECT_ID, platform: "TIKTOK", id: String(rawItem(1).meta.id) })
      assert.strictEqual(stored?.crawled_at, "2025-12-06T12:00:00.000Z")
      assert.strictEqual(stored?.view_count, rawItem(1).interaction?.views)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("the batch-size mismatch counter gets bounded labels, an oversized batch counting as overflow", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(7))
      yield* step
      yield* seed(rawBatch(30))
      yield* step
      const metrics = yield* MetricsMemoryState
      assert.strictEqual(metrics.counter("analytics_batch_size_mismatch_total", { platform: "TIKTOK", expected_size: "50", actual_size: "7" }), 1)
      assert.strictEqual(metrics.counter("analytics_batch_size_mismatch_total", { platform: "TIKTOK", expected_size: "50", actual_size: "overflow" }), 1)
    }).pipe(Effect.provide(memoryApp({ env: { MAX_BATCH_ITEMS: "25" } }))))

  it.effect("ack happens only after the write commits", () => {
    const observed: Array<number> = []
    return Effect.gen(function*() {
      yield* seed(rawBatch(10))
      const queue = yield* EventQueue
      const repository = yield* AnalyticsRepository
      const handle = yield* makeDeliveryHandler.pipe(
        Effect.provideService(EventQueue, EventQueue.of({
          ...queue,
          ack: (d) =>
            Effect.flatMap(repository.counts(), (c) => Effect.sync(() => observed.push(c.analytics))).pipe(
              Effect.orDie,
              Effect.andThen(queue.ack(d))
            )
        }))
      )
          const delivery = yield* queue.deliveries.pipe(Stream.take(1), Stream.runHead)
      if (delivery._tag === "None") return assert.fail("no delivery")
      assert.strictEqual((yield* handle(delivery.value))._tag, "Acked")
      assert.deepStrictEqual(observed, [10])
    }).pipe(Effect.provide(memoryApp()))
  })

  it.effect("with publishing enabled, the result event follows the commit", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(50, { errorEvery: 25 }))
      yield* step
      const published = yield* (yield* MemoryPublisherControl).published
      assert.deepStrictEqual(published, [{
        project_id: PROJECT_ID,
        job_id: `${PROJECT_ID}-brand-0`,
        task_type: "analyze_result",
        batch_size: 50,
        success_count: 48,
        error_count: 2
      }])
    }).pipe(Effect.provide(memoryApp({ env: { PUBLISH_ENABLED: "true" } }))))

  it.effect("a zstd-compressed batch is read like a plain one", () =>
    Effect.gen(function*() {
      yield* seed(rawBatch(20, { platform: "YOUTUBE" }), { platform: "youtube" }, { compress: true })
      assert.strictEqual((yield* step)._tag, "Acked")
      assert.strictEqual((yield* counts).analytics, 20)
    }).pipe(Effect.provide(memoryApp())))
})

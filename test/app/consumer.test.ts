import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { MemoryStorageControl } from "../../src/adapters/memory/BatchStorage.ts"
import { MemoryQueueControl } from "../../src/adapters/memory/EventQueue.ts"
import { probeDependencies, runConsumer } from "../../src/app/consumer.ts"
import { MemoryRepositoryControl } from "../../src/adapters/memory/AnalyticsRepository.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { BatchStorage } from "../../src/ports/BatchStorage.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"
import { Readiness } from "../../src/ports/Readiness.ts"
import { MetricsMemoryState } from "../../src/adapters/memory/Metrics.ts"
import { eventFor, PROJECT_ID, rawBatch, rawItem } from "../support/crawlerBatch.ts"
import { memoryApp } from "../support/memoryApp.ts"

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

const publishBatches = (count: number) =>
  Effect.gen(function*() {
    const storage = yield* BatchStorage
    const queue = yield* MemoryQueueControl
    for (let i = 0; i < count; i++) {
      const key = `tiktok/${PROJECT_ID}/brand/loop_${i}.json`
      yield* storage.put({ bucket: "crawl-results", key }, encode(rawBatch(50, { offset: i * 50 })))
      yield* queue.publish(encode(eventFor(`crawl-results/${key}`)))
    }
  }).pipe(Effect.orDie)

const FIRST_POST = String(rawItem(0).meta.id)

/**
 * Moves the TestClock forward in 10 ms steps (letting every woken fiber run between steps)
 * until `condition` holds; fails the test if it does not within `limitMs` of clock time.
 * Answers how much clock time it took.
 */
const advanceUntil = <E, R>(condition: Effect.Effect<boolean, E, R>, limitMs: number, what: string) =>
  Effect.gen(function*() {
    for (let elapsed = 0; elapsed <= limitMs; elapsed += 10) {
      if (yield* condition) return elapsed
      yield* TestClock.adjust("10 millis")
    }
    return yield* Effect.die(new Error(`not within ${limitMs} ms of clock time: ${what}`))
  })

/** Moves the TestClock forward by `ms` in 10 ms steps. */
const advance = (ms: number) =>
  Effect.gen(function*() {
    for (let elapsed = 0; elapsed < ms; elapsed += 10) yield* TestClock.adjust("10 millis")
  })

const readiness = Effect.flatMap(Readiness, (r) => r.ready)
const acked = Effect.flatMap(MemoryQueueControl, (q) => Effect.map(q.acked, (a) => a.length))
const failedWrites = Effect.flatMap(MemoryRepositoryControl, (r) => r.injectedFailures)
const queueIs = (expected: { readonly acked: number; readonly deadLettered: number; readonly retried: number; readonly unsettled: number }) =>
  Effect.gen(function*() {
    const queue = yield* MemoryQueueControl
    assert.deepStrictEqual({
      acked: (yield* queue.acked).length,
      deadLettered: (yield* queue.deadLettered).length,
      retried: (yield* queue.retried).length,
      unsettled: yield* queue.unsettled
    }, expected)
  })

/** Every dependency was seen up, then a failing write reported the database down: a batch is in flight, retrying. */
const databaseDown = Effect.gen(function*() {
  yield* advanceUntil(Effect.map(readiness, (r) => r.ready), 1_000, "ready")
  yield* advanceUntil(Effect.map(readiness, (r) => !r.dependencies.database), 1_000, "database reported down")
})

describe("dependency probes", () => {
  it.effect("a dependency that is not up at the first probe is probed again within half a second, not one 5 s period later", () =>
    Effect.gen(function*() {
      yield* (yield* MemoryStorageControl).inject({ reason: "Unavailable", times: 1 })
      const probes = yield* Effect.forkChild(probeDependencies)
      yield* TestClock.adjust("10 millis")
      assert.isFalse((yield* readiness).dependencies.storage)
      yield* TestClock.adjust("600 millis")
      assert.isTrue((yield* readiness).ready)
      yield* Fiber.interrupt(probes)
    }).pipe(Effect.provide(memoryApp())))
})

describe("the consumer loop", () => {
  it.effect("the background probe publishes the queue's depth as analytics_queue_messages_ready", () =>
    Effect.gen(function*() {
      const state = yield* MetricsMemoryState
      const depth = Effect.sync(() => state.gauge("analytics_queue_messages_ready"))
      yield* publishBatches(3)
      const fiber = yield* Effect.forkChild(probeDependencies)
      yield* advance(10)
      assert.strictEqual(yield* depth, 3)
      yield* Fiber.interrupt(fiber)
      const consumer = yield* Effect.forkChild(runConsumer)
      yield* advanceUntil(Effect.map(acked, (n) => n === 3), 1_000, "3 acked")
      // The consumer's own probe, every 5 s, sees the queue empty.
      yield* advanceUntil(Effect.map(depth, (n) => n === 0), 5_010, "depth 0")
      yield* Fiber.interrupt(consumer)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("takes every delivery through the step until the queue is empty", () =>
    Effect.gen(function*() {
      yield* publishBatches(6)
      const fiber = yield* Effect.forkChild(runConsumer)
      yield* advanceUntil(Effect.map(acked, (n) => n === 6), 1_000, "6 acked")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual((yield* (yield* AnalyticsRepository).counts()).analytics, 300)
      assert.isTrue((yield* readiness).draining)
      yield* queueIs({ acked: 6, deadLettered: 0, retried: 0, unsettled: 0 })
    }).pipe(Effect.provide(memoryApp({ env: { MAX_CONCURRENT_BATCHES: "2" } }))))

  it.effect("never holds more unsettled deliveries than RABBITMQ_PREFETCH_COUNT, even with more batch slots free", () =>
    Effect.gen(function*() {
      yield* publishBatches(5)
      // Every write conflicts for now (transient, readiness untouched): batches stay in flight, retrying.
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Conflict" })
      const fiber = yield* Effect.forkChild(runConsumer)
      yield* advance(3_000)
      // Four slots, but the prefetch (2) stops the queue handing out more than two.
      yield* queueIs({ acked: 0, deadLettered: 0, retried: 0, unsettled: 2 })
      assert.strictEqual((yield* (yield* EventQueue).check).messagesReady, 3)
      // Shutting down: the grace period (1 s) runs out, the held deliveries stay unsettled.
      const stopping = yield* Effect.forkChild(Fiber.interrupt(fiber))
      yield* advanceUntil(Effect.sync(() => stopping.pollUnsafe() !== undefined), 1_010, "stopped")
      yield* queueIs({ acked: 0, deadLettered: 0, retried: 0, unsettled: 2 })
    }).pipe(Effect.provide(memoryApp({ env: { MAX_CONCURRENT_BATCHES: "4", RABBITMQ_PREFETCH_COUNT: "2", SHUTDOWN_GRACE_SECONDS: "1" } }))))

  it.effect("a transient database failure is retried at 250 ms, 500 ms, 1 s, then every 2 s (±20 %) while the message is held; acked once it clears", () =>
    Effect.gen(function*() {
      yield* publishBatches(1)
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Unavailable", whenPostId: FIRST_POST })
      const consumer = yield* Effect.forkChild(runConsumer)
      yield* advanceUntil(Effect.map(failedWrites, (n) => n === 1), 1_000, "first write failed")
      // Each wait is 250·2^k ms jittered by ±20 %, capped at 2 s: the n-th retry falls in a
      // window that does not overlap the next one's, so the count at each instant is exact.
      const expected: ReadonlyArray<readonly [atMs: number, failures: number]> = [
        [190, 1], // first retry not before 200 ms
        [310, 2], // …and not after 300 ms
        [590, 2], // second: 200+400 … 300+600
        [910, 3],
        [1_390, 3], // third: 600+800 … 900+1200
        [2_110, 4],
        [2_990, 4], // fourth: 1400+1600 … 2100+2000 (capped)
        [4_110, 5]
      ]
      let now = 0
      for (const [atMs, failures] of expected) {
        yield* advance(atMs - now)
        now = atMs
        assert.strictEqual(yield* failedWrites, failures, `failed writes at ${atMs} ms`)
        // Held all along: not acked, not retried through the broker, not dead-lettered.
        yield* queueIs({ acked: 0, deadLettered: 0, retried: 0, unsettled: 1 })
        assert.isFalse((yield* readiness).dependencies.database)
      }
      yield* (yield* MemoryRepositoryControl).inject(null)
      // The next retry, at most 2 s later, succeeds; nothing more than that wait.
      yield* advanceUntil(Effect.map(acked, (n) => n === 1), 2_010, "acked after the fault cleared")
      assert.strictEqual(yield* failedWrites, 5)
      yield* queueIs({ acked: 1, deadLettered: 0, retried: 0, unsettled: 0 })
      assert.strictEqual((yield* (yield* AnalyticsRepository).counts()).analytics, 50)
      assert.isTrue((yield* readiness).dependencies.database)
      yield* Fiber.interrupt(consumer)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("pauses taking messages while a dependency is down and resumes when its probe sees it back", () =>
    Effect.gen(function*() {
      const consumer = yield* Effect.forkChild(runConsumer)
      yield* advanceUntil(Effect.map(readiness, (r) => r.ready), 1_000, "ready")
      // The next probe (5 s period) finds storage down; the one after (500 ms later) finds it up.
      yield* (yield* MemoryStorageControl).inject({ reason: "Unavailable", times: 1 })
      yield* advanceUntil(Effect.map(readiness, (r) => !r.dependencies.storage), 5_100, "storage reported down")
      yield* publishBatches(1)
      yield* advance(400)
      // Taken from the queue (prefetch) but not handed to the step: nothing fetched, nothing acked.
      yield* queueIs({ acked: 0, deadLettered: 0, retried: 0, unsettled: 1 })
      assert.isFalse((yield* readiness).dependencies.storage)
      // The probe 500 ms after the failed one sees storage up; the loop resumes within 100 ms.
      yield* advanceUntil(Effect.map(acked, (n) => n === 1), 300, "resumed and acked")
      assert.isTrue((yield* readiness).ready)
      yield* Fiber.interrupt(consumer)
    }).pipe(Effect.provide(memoryApp())))

  it.effect("on interruption it stops taking messages and lets the in-flight batch finish within the grace period", () =>
    Effect.gen(function*() {
      yield* publishBatches(3)
      const repository = yield* MemoryRepositoryControl
      // Writing the first batch keeps failing transiently, so it stays in flight, backing off.
      yield* repository.inject({ reason: "Unavailable", whenPostId: FIRST_POST })
      const consumer = yield* Effect.forkChild(runConsumer)
      yield* databaseDown
      const stopping = yield* Effect.forkChild(Fiber.interrupt(consumer))
      yield* advance(3_000)
      assert.isTrue((yield* readiness).draining)
      assert.isUndefined(stopping.pollUnsafe())
      yield* repository.inject(null)
      yield* advanceUntil(Effect.sync(() => stopping.pollUnsafe() !== undefined), 2_010, "stopped")
      yield* Fiber.join(stopping)
      // The in-flight batch was acked; the one taken while waiting for the slot was never
      // handed to the step (it stays unsettled: the broker redelivers it), the third stays queued.
      yield* queueIs({ acked: 1, deadLettered: 0, retried: 0, unsettled: 1 })
      assert.strictEqual((yield* (yield* EventQueue).check).messagesReady, 1)
      assert.strictEqual((yield* (yield* AnalyticsRepository).counts()).analytics, 50)
    }).pipe(Effect.provide(memoryApp({ env: { MAX_CONCURRENT_BATCHES: "1", SHUTDOWN_GRACE_SECONDS: "10" } }))))

  it.effect("what is still unfinished when the grace period ends is left unacked for redelivery, exactly at the end of the grace period", () =>
    Effect.gen(function*() {
      yield* publishBatches(1)
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Unavailable", whenPostId: FIRST_POST })
      const consumer = yield* Effect.forkChild(runConsumer)
      yield* databaseDown
      const stopping = yield* Effect.forkChild(Fiber.interrupt(consumer))
      yield* advance(990)
      assert.isUndefined(stopping.pollUnsafe())
      yield* advance(20)
      assert.isDefined(stopping.pollUnsafe())
      yield* queueIs({ acked: 0, deadLettered: 0, retried: 0, unsettled: 1 })
    }).pipe(Effect.provide(memoryApp({ env: { SHUTDOWN_GRACE_SECONDS: "1" } }))))
})

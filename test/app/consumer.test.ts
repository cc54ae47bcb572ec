import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { MemoryStorageControl } from "../../src/adapters/memory/storage.ts"
import { MemoryQueueControl } from "../../src/adapters/memory/queue.ts"
import { probeDependencies, runConsumer } from "../../src/app/consumer.ts"
import { MemoryRepositoryControl } from "../../src/adapters/memory/repository.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { BatchStorage } from "../../src/ports/BatchStorage.ts"
import { Readiness } from "../../src/ports/Readiness.ts"
import { MetricsMemoryState } from "../../src/adapters/memory/metrics.ts"
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
 * Waits until the dependencies were seen up (every one starts down) and then a failing write
 * reported the database down: a batch is in flight, retrying.
 */
const databaseDown = Effect.gen(function*() {
  const readiness = yield* Readiness
  yield* readiness.ready.pipe(Effect.repeat({ until: (r) => r.ready, schedule: Schedule.spaced("5 millis") }))
  yield* readiness.ready.pipe(Effect.repeat({ until: (r) => !r.dependencies.database, schedule: Schedule.spaced("5 millis") }))
})

const acked = Effect.flatMap(MemoryQueueControl, (q) => Effect.map(q.acked, (a) => a.length))

describe("dependency probes", () => {
  it.effect("a dependency that is not up at the first probe is probed again within half a second, not one 5 s period later", () =>
    Effect.gen(function*() {
      yield* (yield* MemoryStorageControl).inject({ reason: "Unavailable", times: 1 })
      const probes = yield* Effect.forkChild(probeDependencies)
      yield* TestClock.adjust("10 millis")
      assert.isFalse((yield* (yield* Readiness).ready).dependencies.storage)
      yield* TestClock.adjust("600 millis")
      assert.isTrue((yield* (yield* Readiness).ready).ready)
      yield* Fiber.interrupt(probes)
    }).pipe(Effect.provide(memoryApp())))
})

describe("the consumer loop", () => {
  it.live("the background probe publishes the queue's depth as analytics_queue_messages_ready", () =>
    Effect.gen(function*() {
      const state = yield* MetricsMemoryState
      const depth = Effect.sync(() => state.gauge("analytics_queue_messages_ready"))
      yield* publishBatches(3)
      const fiber = yield* Effect.forkChild(probeDependencies)
      assert.strictEqual(yield* depth.pipe(Effect.repeat({ until: (n) => n === 3, schedule: Schedule.spaced("10 millis") })), 3)
      yield* Fiber.interrupt(fiber)
      const consumer = yield* Effect.forkChild(runConsumer)
      yield* acked.pipe(Effect.repeat({ until: (n) => n === 3, schedule: Schedule.spaced("10 millis") }))
      // The consumer's own probe runs every 5 s; its first one may have seen the queue full.
      assert.strictEqual(yield* depth.pipe(Effect.repeat({ until: (n) => n === 0, schedule: Schedule.spaced("50 millis") }), Effect.timeout("8 seconds")), 0)
      yield* Fiber.interrupt(consumer)
    }).pipe(Effect.provide(memoryApp())), 15_000)

  it.live("takes every delivery through the step until the queue is empty", () =>
    Effect.gen(function*() {
      yield* publishBatches(6)
      const fiber = yield* Effect.forkChild(runConsumer)
      yield* acked.pipe(Effect.repeat({ until: (n) => n === 6, schedule: Schedule.spaced("10 millis") }))
      yield* Fiber.interrupt(fiber)
      assert.strictEqual((yield* (yield* AnalyticsRepository).counts()).analytics, 300)
      assert.isTrue((yield* (yield* Readiness).ready).draining)
    }).pipe(Effect.provide(memoryApp({ env: { MAX_CONCURRENT_BATCHES: "2" } }))))

  it.live("on interruption it stops taking messages and lets the in-flight batch finish within the grace period", () =>
    Effect.gen(function*() {
      yield* publishBatches(3)
      const repository = yield* MemoryRepositoryControl
      // Writing the first batch keeps failing transiently, so it stays in flight, backing off.
      yield* repository.inject({ reason: "Unavailable", whenPostId: FIRST_POST })
      const consumer = yield* Effect.forkChild(runConsumer)
      yield* databaseDown
      const stopping = yield* Effect.forkChild(Fiber.interrupt(consumer))
      yield* Effect.sleep("300 millis")
      assert.isTrue((yield* (yield* Readiness).ready).draining)
      yield* repository.inject(null)
      yield* Fiber.join(stopping)
      const queue = yield* MemoryQueueControl
      assert.strictEqual((yield* queue.acked).length, 1)
      assert.strictEqual((yield* queue.deadLettered).length, 0)
      assert.strictEqual((yield* (yield* AnalyticsRepository).counts()).analytics, 50)
    }).pipe(Effect.provide(memoryApp({ env: { MAX_CONCURRENT_BATCHES: "1", SHUTDOWN_GRACE_SECONDS: "10" } }))))

  it.live("what is still unfinished when the grace period ends is left unacked for redelivery", () =>
    Effect.gen(function*() {
      yield* publishBatches(1)
      yield* (yield* MemoryRepositoryControl).inject({ reason: "Unavailable", whenPostId: FIRST_POST })
      const consumer = yield* Effect.forkChild(runConsumer)
      yield* databaseDown
      yield* Fiber.interrupt(consumer)
      const queue = yield* MemoryQueueControl
      assert.strictEqual((yield* queue.acked).length, 0)
      assert.strictEqual((yield* queue.deadLettered).length, 0)
      assert.strictEqual((yield* queue.retried).length, 0)
    }).pipe(Effect.provide(memoryApp({ env: { SHUTDOWN_GRACE_SECONDS: "1" } }))))
})

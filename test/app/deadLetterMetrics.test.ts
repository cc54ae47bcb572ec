import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Layer, Stream } from "effect"
import { MetricsMemory, MetricsMemoryState } from "../../src/adapters/memory/Metrics.ts"
import { EventQueueMemory, MemoryQueueControl } from "../../src/adapters/memory/EventQueue.ts"
import { countDeadLetters } from "../../src/app/deadLetterMetrics.ts"
import { EVENT_REJECTION_CODES } from "../../src/domain/errors.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"
import { DEAD_LETTER_CODES } from "../../src/ports/Metrics.ts"

const wired = countDeadLetters.pipe(Layer.provideMerge(Layer.merge(EventQueueMemory({ prefetchCount: 16 }), MetricsMemory)))

const nextDeliveries = (n: number) =>
  Effect.flatMap(EventQueue, (q) => q.deliveries.pipe(Stream.take(n), Stream.runCollect)).pipe(
    Effect.map((chunk) => [...chunk])
  )
const deadLetters = (code?: string) =>
  Effect.map(MetricsMemoryState, (m) => m.counter("analytics_dead_letters_total", code === undefined ? {} : { code }))

describe("countDeadLetters", () => {
  it.effect("counts a settled dead letter by its code, and nothing for an ack", () =>
    Effect.gen(function*() {
      const control = yield* MemoryQueueControl
      const queue = yield* EventQueue
      yield* control.publish("not json")
      yield* control.publish("{}")
      const [first, second] = yield* nextDeliveries(2)
      yield* queue.deadLetter(first!, { code: "NOT_JSON", message: "body is not JSON", eventId: null })
      yield* queue.ack(second!)
      assert.strictEqual(yield* deadLetters("NOT_JSON"), 1)
      assert.strictEqual(yield* deadLetters(), 1)
      assert.strictEqual((yield* control.deadLettered).length, 1)
    }).pipe(Effect.provide(wired)))

  it.effect("a dead letter the broker did not take is not counted", () =>
    Effect.gen(function*() {
      const control = yield* MemoryQueueControl
      const queue = yield* EventQueue
      yield* control.publish("not json")
      const [delivery] = yield* nextDeliveries(1)
      yield* control.failNextSettlement("ChannelClosed")
      const failed = yield* Effect.flip(queue.deadLetter(delivery!, { code: "NOT_JSON", message: "x", eventId: null }))
      assert.strictEqual(failed.reason, "ChannelClosed")
      assert.strictEqual(yield* deadLetters(), 0)
    }).pipe(Effect.provide(wired)))

  it("the pre-created codes cover every code the delivery step dead-letters with", () => {
    const source = readFileSync(new URL("../../src/app/handleDelivery.ts", import.meta.url), "utf8")
    const literals = [...source.matchAll(/"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"/g)].map((m) => m[1]!)
    assert.isAbove(literals.length, 5)
    for (const code of [...EVENT_REJECTION_CODES, ...literals]) assert.include(DEAD_LETTER_CODES, code)
  })
})

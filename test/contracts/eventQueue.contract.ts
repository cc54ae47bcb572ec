import { assert, layer } from "@effect/vitest"
import { Context, Duration, Effect, type Layer, Option, Stream } from "effect"
import { EventQueue } from "../../src/ports/EventQueue.ts"

/** What the contract needs besides the port: a way to publish, and a look at the dead letters. */
export class QueueHarness extends Context.Service<QueueHarness, {
  /** Publishes a message to the main queue as a crawler would. */
  readonly publish: (body: string, headers?: Record<string, unknown>) => Effect.Effect<void>
  /** Dead-lettered messages so far, with their headers (code, message, attempts). */
  readonly deadLetters: Effect.Effect<ReadonlyArray<{ readonly body: string; readonly headers: Readonly<Record<string, unknown>> }>>
}>()("test/QueueHarness") {}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** Takes the next delivery, or None if none arrives within `wait`. */
const next = (wait: Duration.Input = "3 seconds") =>
  Effect.gen(function*() {
    const queue = yield* EventQueue
    return yield* queue.deliveries.pipe(Stream.take(1), Stream.runHead, Effect.timeoutOption(wait), Effect.map(Option.flatten))
  })

/**
 * The EventQueue contract (§5). The layer must give each run its own empty queue: a message
 * published by one test is never seen by another, so tests run in order within one layer.
 */
export const eventQueueContract = <E>(name: string, queueLayer: Layer.Layer<EventQueue | QueueHarness, E>) =>
  layer(queueLayer, { timeout: 60_000, excludeTestServices: true })(`EventQueue contract: ${name}`, (it) => {
    it.effect("a published message is delivered once, intact, as attempt 1; ack removes it", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        yield* harness.publish('{"n":1}')
        const delivery = yield* next()
        assert.isTrue(Option.isSome(delivery))
        if (Option.isNone(delivery)) return
        assert.strictEqual(decode(delivery.value.body), '{"n":1}')
        assert.strictEqual(delivery.value.attempt, 1)
        yield* queue.ack(delivery.value)
        assert.isTrue(Option.isNone(yield* next("500 millis")))
      }))

    it.effect("dead-lettering moves the message with its reason and removes it from the queue", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        yield* harness.publish('{"n":2}')
        const delivery = yield* next()
        if (Option.isNone(delivery)) return assert.fail("no delivery")
        yield* queue.deadLetter(delivery.value, { code: "NOT_A_BATCH", message: "batch object is not JSON", eventId: null })
        assert.isTrue(Option.isNone(yield* next("500 millis")))
        const dead = (yield* harness.deadLetters).filter((d) => d.body === '{"n":2}')
        assert.strictEqual(dead.length, 1)
        assert.strictEqual(dead[0]?.headers["x-smap-error-code"], "NOT_A_BATCH")
        assert.strictEqual(dead[0]?.headers["x-smap-error-message"], "batch object is not JSON")
      }))

    it.effect("a retried message comes back with its attempt count incremented", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        yield* harness.publish('{"n":3}')
        const first = yield* next()
        if (Option.isNone(first)) return assert.fail("no delivery")
        yield* queue.retry(first.value)
        const second = yield* next()
        if (Option.isNone(second)) return assert.fail("no redelivery")
        assert.strictEqual(decode(second.value.body), '{"n":3}')
        assert.strictEqual(second.value.attempt, 2)
        yield* queue.retry(second.value)
        const third = yield* next()
        if (Option.isNone(third)) return assert.fail("no second redelivery")
        assert.strictEqual(third.value.attempt, 3)
        yield* queue.ack(third.value)
      }))

    it.effect("check succeeds while the broker is reachable", () =>
      Effect.gen(function*() {
        yield* (yield* EventQueue).check
      }))
  })

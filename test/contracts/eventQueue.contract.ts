import { assert, layer } from "@effect/vitest"
import { Context, Duration, Effect, Fiber, type Layer, Option, Queue, Schedule, Stream } from "effect"
import { type Delivery, EventQueue } from "../../src/ports/EventQueue.ts"

/** What the contract needs besides the port: a way to publish, a look at the dead letters, a lost channel. */
export class QueueHarness extends Context.Service<QueueHarness, {
  /** Publishes a message to the main queue as a crawler would. */
  readonly publish: (body: string, headers?: Record<string, unknown>) => Effect.Effect<void>
  /** Dead-lettered messages so far, with their headers (code, message, attempts). */
  readonly deadLetters: Effect.Effect<ReadonlyArray<{ readonly body: string; readonly headers: Readonly<Record<string, unknown>> }>>
  /**
   * Loses the channel the deliveries came on (a cut connection), and returns once the adapter
   * has noticed: the broker then holds every unsettled message for redelivery.
   */
  readonly closeChannel: Effect.Effect<void>
}>()("test/QueueHarness") {}

export interface EventQueueContractOptions {
  /** The prefetch the adapter under test was built with. */
  readonly prefetchCount: number
  /**
   * Whether a redelivery after a lost channel counts as another attempt (a RabbitMQ quorum
   * queue counts deliveries; a classic queue and memory do not: see `Delivery.attempt`).
   */
  readonly countsRedeliveries: boolean
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** Takes the next delivery, or None if none arrives within `wait`. */
const next = (wait: Duration.Input = "3 seconds") =>
  Effect.gen(function*() {
    const queue = yield* EventQueue
    return yield* queue.deliveries.pipe(Stream.take(1), Stream.runHead, Effect.timeoutOption(wait), Effect.map(Option.flatten))
  })

const nextOrFail = (what: string) =>
  Effect.flatMap(next(), (delivery) => Option.isSome(delivery) ? Effect.succeed(delivery.value) : Effect.die(new Error(`no ${what}`)))

/** The queue is empty: nothing arrives within half a second. */
const assertEmpty = Effect.gen(function*() {
  const extra = yield* next("500 millis")
  assert.isTrue(Option.isNone(extra), Option.isSome(extra) ? `unexpected delivery ${decode(extra.value.body)}` : "")
})

/**
 * The EventQueue contract (§5). The layer must give each run its own empty queue: a message
 * published by one test is never seen by another, so tests run in order within one layer, and
 * each leaves the queue empty.
 */
export const eventQueueContract = <E>(
  name: string,
  queueLayer: Layer.Layer<EventQueue | QueueHarness, E>,
  options: EventQueueContractOptions
) =>
  layer(queueLayer, { timeout: 60_000, excludeTestServices: true })(`EventQueue contract: ${name}`, (it) => {
    it.effect("a published message is delivered once, intact, as attempt 1, not redelivered; ack removes it", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        yield* harness.publish('{"n":1}', { "x-crawler": "tiktok" })
        const delivery = yield* nextOrFail("delivery")
        assert.strictEqual(decode(delivery.body), '{"n":1}')
        assert.strictEqual(delivery.headers["x-crawler"], "tiktok")
        assert.strictEqual(delivery.attempt, 1)
        assert.strictEqual(delivery.redelivered, false)
        yield* queue.ack(delivery)
        yield* assertEmpty
      }))

    it.effect("dead-lettering moves the message with its reason and removes it from the queue", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        yield* harness.publish('{"n":2}')
        const delivery = yield* nextOrFail("delivery")
        yield* queue.deadLetter(delivery, { code: "NOT_A_BATCH", message: "batch object is not JSON", eventId: null })
        yield* assertEmpty
        const dead = (yield* harness.deadLetters).filter((d) => d.body === '{"n":2}')
        assert.strictEqual(dead.length, 1)
        assert.strictEqual(dead[0]?.headers["x-smap-error-code"], "NOT_A_BATCH")
        assert.strictEqual(dead[0]?.headers["x-smap-error-message"], "batch object is not JSON")
      }))

    it.effect("a retried message comes back (not as a redelivery) with its attempt count incremented", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        yield* harness.publish('{"n":3}')
        const first = yield* nextOrFail("delivery")
        yield* queue.retry(first)
        const second = yield* nextOrFail("redelivery")
        assert.strictEqual(decode(second.body), '{"n":3}')
        assert.strictEqual(second.attempt, 2)
        assert.strictEqual(second.redelivered, false)
        yield* queue.retry(second)
        const third = yield* nextOrFail("second redelivery")
        assert.strictEqual(third.attempt, 3)
        yield* queue.ack(third)
        yield* assertEmpty
      }))

    it.effect("settling twice fails and settles nothing more: no second copy, no dead letter", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        yield* harness.publish('{"n":4}')
        const delivery = yield* nextOrFail("delivery")
        yield* queue.ack(delivery)
        assert.strictEqual((yield* Effect.flip(queue.ack(delivery))).reason, "Unknown")
        assert.strictEqual((yield* Effect.flip(queue.retry(delivery))).reason, "Unknown")
        const deadLetter = queue.deadLetter(delivery, { code: "TWICE", message: "settled twice", eventId: null })
        assert.strictEqual((yield* Effect.flip(deadLetter)).reason, "Unknown")
        yield* assertEmpty
        // Still so once its channel is gone: it is not mistaken for a delivery the broker holds.
        yield* harness.closeChannel
        assert.strictEqual((yield* Effect.flip(queue.ack(delivery))).reason, "Unknown")
        yield* assertEmpty
        assert.deepStrictEqual((yield* harness.deadLetters).filter((d) => d.body === '{"n":4}'), [])
      }))

    it.effect("settling on a closed channel fails ChannelClosed and settles nothing; the message comes again, redelivered", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        yield* harness.publish('{"n":5}')
        const delivery = yield* nextOrFail("delivery")
        assert.strictEqual(delivery.attempt, 1)
        yield* harness.closeChannel
        assert.strictEqual((yield* Effect.flip(queue.ack(delivery))).reason, "ChannelClosed")
        assert.strictEqual((yield* Effect.flip(queue.retry(delivery))).reason, "ChannelClosed")
        const deadLetter = queue.deadLetter(delivery, { code: "CLOSED", message: "channel closed", eventId: null })
        assert.strictEqual((yield* Effect.flip(deadLetter)).reason, "ChannelClosed")
        const again = yield* nextOrFail("redelivery")
        assert.strictEqual(decode(again.body), '{"n":5}')
        assert.strictEqual(again.redelivered, true)
        assert.notStrictEqual(again.deliveryId, delivery.deliveryId)
        assert.strictEqual(again.attempt, options.countsRedeliveries ? 2 : 1)
        yield* queue.ack(again)
        yield* assertEmpty
        assert.deepStrictEqual((yield* harness.deadLetters).filter((d) => d.body === '{"n":5}'), [])
      }))

    it.effect("redelivery counting: retries and lost channels add up to the attempt the dead letter reports", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        const step = options.countsRedeliveries ? 1 : 0
        yield* harness.publish('{"n":6}')
        const first = yield* nextOrFail("delivery")
        yield* harness.closeChannel
        const second = yield* nextOrFail("redelivery")
        assert.deepStrictEqual([second.redelivered, second.attempt], [true, 1 + step])
        yield* queue.retry(second)
        const third = yield* nextOrFail("retried delivery")
        assert.deepStrictEqual([third.redelivered, third.attempt], [false, 2 + step])
        yield* harness.closeChannel
        const fourth = yield* nextOrFail("redelivery after the retry")
        assert.deepStrictEqual([fourth.redelivered, fourth.attempt], [true, 2 + 2 * step])
        yield* queue.deadLetter(fourth, { code: "GAVE_UP", message: "too many attempts", eventId: "e-6" })
        yield* assertEmpty
        const dead = (yield* harness.deadLetters).filter((d) => d.body === '{"n":6}')
        assert.strictEqual(dead.length, 1)
        assert.strictEqual(dead[0]?.headers["x-smap-error-code"], "GAVE_UP")
        assert.strictEqual(dead[0]?.headers["x-smap-attempts"], 2 + 2 * step)
        assert.strictEqual(first.attempt, 1)
      }))

    it.effect("never more unsettled deliveries than the prefetch; each settlement lets exactly one more in", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        const total = options.prefetchCount + 2
        for (let i = 0; i < total; i++) yield* harness.publish(`{"p":${i}}`)
        const received = yield* Queue.unbounded<Delivery>()
        const consumer = yield* queue.deliveries.pipe(Stream.runForEach((d) => Queue.offer(received, d)), Effect.forkChild)
        const settle = (delivery: Delivery, i: number) => i % 2 === 0 ? queue.ack(delivery) : queue.retry(delivery)
        const takeExactly = (n: number) =>
          Effect.gen(function*() {
            const taken: Array<Delivery> = []
            for (let i = 0; i < n; i++) taken.push(yield* Queue.take(received).pipe(Effect.timeout("5 seconds")))
            // Give the adapter time to hand out more than it may.
            yield* Effect.sleep("500 millis")
            assert.strictEqual(yield* Queue.size(received), 0)
            return taken
          })
        const firstWindow = yield* takeExactly(options.prefetchCount)
        // Ack one, retry (hand back) another: two slots free, two more come, no more.
        yield* settle(firstWindow[0]!, 0)
        yield* settle(firstWindow[1]!, 1)
        const secondWindow = yield* takeExactly(2)
        // Everything settles: what is left (the rest and the retried one) comes through.
        const outstanding = [...firstWindow.slice(2), ...secondWindow]
        for (const delivery of outstanding) yield* queue.ack(delivery)
        const rest = yield* takeExactly(1)
        for (const delivery of rest) yield* queue.ack(delivery)
        yield* Fiber.interrupt(consumer)
        const bodies = [...firstWindow, ...secondWindow, ...rest].map((d) => decode(d.body)).sort()
        // Every message once, plus the retried one a second time.
        assert.strictEqual(bodies.length, total + 1)
        assert.deepStrictEqual([...new Set(bodies)].length, total)
        yield* assertEmpty
      }))

    it.effect("check answers the number of ready messages", () =>
      Effect.gen(function*() {
        const queue = yield* EventQueue
        const harness = yield* QueueHarness
        assert.strictEqual((yield* queue.check).messagesReady, 0)
        yield* harness.publish('{"n":7}')
        yield* harness.publish('{"n":8}')
        const ready = yield* queue.check.pipe(
          Effect.repeat({ until: (status) => status.messagesReady === 2, times: 50, schedule: Schedule.spaced("50 millis") })
        )
        assert.strictEqual(ready.messagesReady, 2)
        // One consumer takes both (a consumer stopped with deliveries not yet handed out keeps
        // them until its channel closes).
        const both = yield* queue.deliveries.pipe(Stream.take(2), Stream.runCollect, Effect.timeout("5 seconds"))
        assert.deepStrictEqual(both.map((d) => decode(d.body)), ['{"n":7}', '{"n":8}'])
        for (const delivery of both) yield* queue.ack(delivery)
        yield* assertEmpty
      }))
  })

import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { makeRabbitConnection } from "../../src/adapters/rabbitmq/connection.ts"
import { makeEventQueueRabbit } from "../../src/adapters/rabbitmq/EventQueue.ts"
import { ResultPublisherNone } from "../../src/adapters/memory/ResultPublisher.ts"
import { makeResultPublisherRabbit } from "../../src/adapters/rabbitmq/ResultPublisher.ts"
import { listDeadLetters, publishEvent, replayDeadLetters } from "../../src/adapters/rabbitmq/tools.ts"
import { ResultPublisher } from "../../src/ports/ResultPublisher.ts"
import { adminConnection, drain, publishJson, queueDepth, rabbitUrlRedacted, testTopology, withChannel } from "../support/rabbit.ts"

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

/** A topology with the adapter's declarations in place and a connection for the tools. */
const setup = Effect.gen(function*() {
  const admin = yield* adminConnection
  const topology = yield* testTopology(admin)
  const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted, connectionName: "tools-test" })
  const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount: 8 })
  yield* connection.current
  yield* queue.check
  return { admin, topology, connection, queue }
})

/** Dead-letters `count` events through the adapter, as the consumer would. */
const deadLetterEvents = (count: number) =>
  Effect.gen(function*() {
    const context = yield* setup
    const { admin, topology, queue } = context
    for (let i = 1; i <= count; i++) {
      yield* publishJson(admin, topology.exchange, topology.routingKey, { event_id: `evt_${i}`, event_type: "data.collected" })
    }
    const deliveries = yield* queue.deliveries.pipe(Stream.take(count), Stream.runCollect, Effect.timeout("5 seconds"))
    for (const delivery of deliveries) {
      yield* queue.deadLetter(delivery, { code: "OBJECT_MISSING", message: "no such object", eventId: null })
    }
    return context
  })

describe("RabbitMQ command-line operations", () => {
  it.live("publishEvent publishes like a crawler: persistent JSON, confirmed, routed to the queue", () =>
    Effect.gen(function*() {
      const { admin, topology, connection } = yield* setup
      yield* publishEvent(connection, {
        exchange: topology.exchange,
        routingKey: topology.routingKey,
        body: encode({ event_id: "evt_pub" }),
        messageId: "evt_pub"
      })
      const [message] = yield* drain(admin, topology.queue)
      assert.strictEqual(message?.properties.contentType, "application/json")
      assert.strictEqual(message?.properties.deliveryMode, 2)
      assert.strictEqual(message?.properties.messageId, "evt_pub")
      assert.deepStrictEqual(JSON.parse(message?.content.toString() ?? "null"), { event_id: "evt_pub" })
    }))

  it.live("publishEvent fails when no queue is bound for the routing key instead of losing the event", () =>
    Effect.gen(function*() {
      const { topology, connection } = yield* setup
      const error = yield* Effect.flip(
        publishEvent(connection, { exchange: topology.exchange, routingKey: "nobody.listens", body: encode({}) })
      )
      assert.include(error.message, "unroutable")
    }))

  it.live("listing dead letters shows reasons, oldest first, and leaves the queue as it was", () =>
    Effect.gen(function*() {
      const { admin, topology, connection } = yield* deadLetterEvents(3)
      const first = yield* listDeadLetters(connection, topology, 10)
      assert.deepStrictEqual(first.map((d) => d.id), ["evt_1", "evt_2", "evt_3"])
      assert.strictEqual(first[0]?.errorCode, "OBJECT_MISSING")
      assert.strictEqual(first[0]?.errorMessage, "no such object")
      assert.strictEqual(first[0]?.attempts, 1)
      assert.strictEqual(first[0]?.originalRoutingKey, topology.routingKey)
      const limited = yield* listDeadLetters(connection, topology, 2)
      assert.deepStrictEqual(limited.map((d) => d.id), ["evt_1", "evt_2"])
      const again = yield* listDeadLetters(connection, topology, 10)
      assert.deepStrictEqual(again.map((d) => d.id), ["evt_1", "evt_2", "evt_3"])
      assert.strictEqual(yield* queueDepth(admin, topology.deadLetterQueue), 3)
    }))

  it.live("replaying by id moves just that dead letter back to the main queue, reset to attempt 1", () =>
    Effect.gen(function*() {
      const { admin, topology, connection, queue } = yield* deadLetterEvents(3)
      const report = yield* replayDeadLetters(connection, topology, { ids: ["evt_2", "evt_missing"] })
      assert.deepStrictEqual(report.replayed, ["evt_2"])
      assert.deepStrictEqual(report.notFound, ["evt_missing"])
      const left = yield* listDeadLetters(connection, topology, 10)
      assert.deepStrictEqual(left.map((d) => d.id), ["evt_1", "evt_3"])
      const [back] = yield* queue.deliveries.pipe(Stream.take(1), Stream.runCollect, Effect.timeout("5 seconds"))
      if (back === undefined) return assert.fail("the replayed event was not delivered")
      assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(back.body)), { event_id: "evt_2", event_type: "data.collected" })
      assert.strictEqual(back.attempt, 1)
      assert.strictEqual(back.headers["x-smap-error-code"], undefined)
      yield* queue.ack(back)
      assert.strictEqual(yield* queueDepth(admin, topology.queue), 0)
    }))

  it.live("replaying all empties the dead-letter queue into the main queue in order", () =>
    Effect.gen(function*() {
      const { admin, topology, connection } = yield* deadLetterEvents(3)
      const report = yield* replayDeadLetters(connection, topology, { all: true })
      assert.deepStrictEqual(report.replayed, ["evt_1", "evt_2", "evt_3"])
      assert.strictEqual(yield* queueDepth(admin, topology.deadLetterQueue), 0)
      const main = yield* drain(admin, topology.queue)
      assert.deepStrictEqual(main.map((m) => JSON.parse(m.content.toString()).event_id), ["evt_1", "evt_2", "evt_3"])
    }))

  it.live("the result publisher sends confirmed JSON results to the configured exchange", () =>
    Effect.gen(function*() {
      const { admin, topology, connection } = yield* setup
      const exchange = `${topology.exchange}.results`
      const resultsQueue = `${topology.queue}.results`
      const publisher = yield* makeResultPublisherRabbit(connection, { exchange, routingKey: "analyze.result" })
      const result = {
        project_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c",
        job_id: "job-1",
        task_type: "analyze_result" as const,
        batch_size: 50,
        success_count: 49,
        error_count: 1
      }
      yield* publisher.publish(result) // declares the exchange
      yield* withChannel(admin, async (channel) => {
        await channel.assertQueue(resultsQueue, { durable: false, autoDelete: false })
        await channel.bindQueue(resultsQueue, exchange, "analyze.result")
      })
      yield* Effect.addFinalizer(() =>
        withChannel(admin, async (channel) => {
          await channel.deleteQueue(resultsQueue)
          await channel.deleteExchange(exchange)
        }).pipe(Effect.ignore)
      )
      yield* publisher.publish(result)
      const [message] = yield* drain(admin, resultsQueue)
      assert.deepStrictEqual(JSON.parse(message?.content.toString() ?? "null"), result)
      assert.strictEqual(message?.properties.contentType, "application/json")
    }))

  it.effect("with publishing disabled the result publisher does nothing and succeeds", () =>
    Effect.gen(function*() {
      const publisher = yield* ResultPublisher
      yield* publisher.publish({ project_id: null, job_id: null, task_type: "analyze_result", batch_size: 0, success_count: 0, error_count: 0 })
    }).pipe(Effect.provide(ResultPublisherNone)))
})

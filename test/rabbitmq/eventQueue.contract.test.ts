import { Effect, Layer, Predicate } from "effect"
import { makeRabbitConnection, type RabbitConnectionShape } from "../../src/adapters/rabbitmq/connection.ts"
import { makeEventQueueRabbit } from "../../src/adapters/rabbitmq/EventQueue.ts"
import { mainQueueArguments, type Topology } from "../../src/adapters/rabbitmq/topology.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"
import { eventQueueContract, QueueHarness } from "../contracts/eventQueue.contract.ts"
import { adminConnection, eventually, rabbitUrlRedacted, testTopology, withChannel } from "../support/rabbit.ts"

const PREFETCH = 4
const fastBackoff = { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 }

/**
 * Cuts the adapter's TCP connection (ECONNRESET, as a network failure does), which closes its
 * channels, and waits for the reconnection: by then the adapter knows the old channel is gone.
 */
const cutConnection = (connection: RabbitConnectionShape) =>
  Effect.gen(function*() {
    const model = yield* connection.current
    const inner: unknown = model.connection
    if (!Predicate.hasProperty(inner, "stream") || !Predicate.hasProperty(inner.stream, "destroy")) {
      return yield* Effect.die(new Error("amqplib connection has no socket to cut"))
    }
    const stream = inner.stream
    if (typeof stream.destroy !== "function") return yield* Effect.die(new Error("socket has no destroy()"))
    stream.destroy(Object.assign(new Error("read ECONNRESET (simulated)"), { code: "ECONNRESET" }))
    yield* eventually(connection.current.pipe(Effect.filterOrFail((current) => current !== model)))
  }).pipe(Effect.orDie)

/** The real adapter on a topology of its own (classic or quorum main queue), with a harness that publishes and reads the DLQ. */
const rabbitLayer = (queueType: Topology["queueType"]) => Layer.unwrap(
  Effect.gen(function*() {
    const admin = yield* adminConnection
    const topology = yield* testTopology(admin, { queueType })
    const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted, connectionName: "contract-test", backoff: fastBackoff })
    const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount: PREFETCH, backoff: fastBackoff })
    const harness = QueueHarness.of({
      publish: (body, headers) =>
        withChannel(admin, async (channel) => {
          // The adapter declares the topology when it subscribes; declare it here too so a
          // message published before the first subscription is not unroutable.
          await channel.assertExchange(topology.exchange, "topic", { durable: true })
          await channel.assertQueue(topology.queue, { durable: true, arguments: mainQueueArguments(topology) })
          await channel.bindQueue(topology.queue, topology.exchange, topology.routingKey)
          channel.publish(topology.exchange, topology.routingKey, Buffer.from(body), {
            persistent: true,
            contentType: "application/json",
            ...(headers === undefined ? {} : { headers })
          })
        }).pipe(Effect.orDie),
      deadLetters: withChannel(admin, async (channel) => {
        // Look without taking: get everything unacked, then hand it all back in order.
        const seen: Array<{ body: string; headers: Record<string, unknown> }> = []
        for (;;) {
          const message = await channel.get(topology.deadLetterQueue, { noAck: false })
          if (message === false) break
          seen.push({ body: message.content.toString("utf8"), headers: message.properties.headers ?? {} })
        }
        channel.nackAll(true)
        return seen
      }).pipe(Effect.orDie),
      closeChannel: cutConnection(connection)
    })
    return Layer.merge(Layer.succeed(EventQueue, queue), Layer.succeed(QueueHarness, harness))
  })
)

eventQueueContract("RabbitMQ (classic queue)", rabbitLayer("classic"), { prefetchCount: PREFETCH, countsRedeliveries: false })
eventQueueContract("RabbitMQ (quorum queue)", rabbitLayer("quorum"), { prefetchCount: PREFETCH, countsRedeliveries: true })

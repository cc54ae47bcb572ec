import { Effect, Layer } from "effect"
import { layerRabbitConnection, RabbitConnection } from "../../src/adapters/rabbitmq/connection.ts"
import { makeEventQueueRabbit } from "../../src/adapters/rabbitmq/EventQueueRabbit.ts"
import { mainQueueArguments, type Topology } from "../../src/adapters/rabbitmq/topology.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"
import { eventQueueContract, QueueHarness } from "../contracts/eventQueue.contract.ts"
import { adminConnection, rabbitUrlRedacted, testTopology, withChannel } from "../support/rabbit.ts"

/** The real adapter on a topology of its own (classic or quorum main queue), with a harness that publishes and reads the DLQ. */
const rabbitLayer = (queueType: Topology["queueType"]) => Layer.unwrap(
  Effect.gen(function*() {
    const admin = yield* adminConnection
    const topology = yield* testTopology(admin, { queueType })
    const connection = Layer.fresh(layerRabbitConnection({ url: rabbitUrlRedacted, connectionName: "contract-test" }))
    const queue = Layer.effect(
      EventQueue,
      Effect.gen(function*() {
        return yield* makeEventQueueRabbit(yield* RabbitConnection, { topology, prefetchCount: 4 })
      })
    ).pipe(Layer.provide(connection))
    const harness = Layer.succeed(QueueHarness, {
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
      }).pipe(Effect.orDie)
    })
    return Layer.merge(queue, harness)
  })
)

eventQueueContract("RabbitMQ (classic queue)", rabbitLayer("classic"))
eventQueueContract("RabbitMQ (quorum queue)", rabbitLayer("quorum"))

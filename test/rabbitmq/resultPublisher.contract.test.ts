import { randomUUID } from "node:crypto"
import { Effect, Layer } from "effect"
import { makeRabbitConnection } from "../../src/adapters/rabbitmq/connection.ts"
import { makeResultPublisherRabbit } from "../../src/adapters/rabbitmq/ResultPublisher.ts"
import { ResultPublisher } from "../../src/ports/ResultPublisher.ts"
import { PublisherHarness, resultPublisherContract } from "../contracts/resultPublisher.contract.ts"
import { adminConnection, rabbitUrlRedacted, withChannel } from "../support/rabbit.ts"

/**
 * The real publisher on an exchange of its own; the listener is a queue bound to it with the
 * result routing key, read with basic.get (a confirmed publish is already routed).
 */
const rabbitLayer = Layer.unwrap(
  Effect.gen(function*() {
    const admin = yield* adminConnection
    const id = randomUUID().slice(0, 8)
    const exchange = `test.${id}.results`
    const queue = `test.${id}.results.listener`
    const routingKey = "analyze.result"
    yield* Effect.acquireRelease(
      withChannel(admin, async (channel) => {
        await channel.assertExchange(exchange, "topic", { durable: true })
        await channel.assertQueue(queue, { durable: false })
        await channel.bindQueue(queue, exchange, routingKey)
      }).pipe(Effect.orDie),
      () =>
        withChannel(admin, async (channel) => {
          await channel.deleteQueue(queue)
          await channel.deleteExchange(exchange)
        }).pipe(Effect.orDie)
    )
    const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted, connectionName: "result-publisher-contract" })
    yield* connection.current
    const publisher = yield* makeResultPublisherRabbit(connection, { exchange, routingKey })
    const received: Array<unknown> = []
    const harness = PublisherHarness.of({
      received: withChannel(admin, async (channel) => {
        for (;;) {
          const message = await channel.get(queue, { noAck: true })
          if (message === false) break
          // Persistent JSON, as the port promises consumers of results.
          if (message.properties.contentType !== "application/json" || message.properties.deliveryMode !== 2) {
            throw new Error(`result published as ${message.properties.contentType}, delivery mode ${message.properties.deliveryMode}`)
          }
          received.push(JSON.parse(message.content.toString("utf8")))
        }
        return [...received]
      }).pipe(Effect.orDie)
    })
    return Layer.merge(Layer.succeed(ResultPublisher, publisher), Layer.succeed(PublisherHarness, harness))
  })
)

resultPublisherContract("RabbitMQ", rabbitLayer)

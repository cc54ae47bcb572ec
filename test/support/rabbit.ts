import { randomUUID } from "node:crypto"
import * as amqp from "amqplib"
import { Effect, Redacted, Schedule } from "effect"
import { redactUrl } from "../../src/adapters/rabbitmq/errors.ts"
import type { Topology } from "../../src/adapters/rabbitmq/topology.ts"
import { testSettings } from "./testServices.ts"

/** The broker the tests use (`SMAP_TEST_RABBITMQ_URL`); a test fails (never skips) when it cannot be reached. */
export const rabbitUrl = testSettings.rabbitmq.value
export const rabbitUrlRedacted = Redacted.make(rabbitUrl)

/**
 * A connection for the test itself (publishing, inspecting, cleaning up), closed with the
 * scope. Connecting fails the test at once when RabbitMQ is unreachable.
 */
export const adminConnection = Effect.acquireRelease(
  Effect.tryPromise({
    try: () => amqp.connect(rabbitUrl, { timeout: 5_000 }),
    catch: (error) => new Error(`RabbitMQ is required for this test and is unreachable at ${redactUrl(rabbitUrl)}: ${String(error)}`)
  }).pipe(Effect.orDie),
  (model) => Effect.promise(() => model.close().catch(() => undefined)).pipe(Effect.timeoutOption(5_000))
)

/** Runs `use` on a fresh channel that is closed afterwards (a failed command closes it anyway). */
export const withChannel = <A>(model: amqp.ChannelModel, use: (channel: amqp.Channel) => Promise<A>) =>
  Effect.tryPromise(async () => {
    const channel = await model.createChannel()
    channel.on("error", () => undefined)
    try {
      return await use(channel)
    } finally {
      await channel.close().catch(() => undefined)
    }
  })

/**
 * Names unique to one test (a classic main queue unless `queueType` says otherwise), so tests run in parallel with each other and with other users of
 * the broker; everything they name is deleted when the scope closes.
 */
export const testTopology = (
  model: amqp.ChannelModel,
  options: { readonly queueType?: Topology["queueType"]; readonly deliveryLimit?: number } = {}
) =>
  Effect.acquireRelease(
    Effect.sync((): Topology => {
      const id = randomUUID().slice(0, 8)
      return {
        exchange: `test.${id}.events`,
        routingKey: "data.collected",
        queue: `test.${id}.analytics`,
        deadLetterExchange: `test.${id}.dlx`,
        deadLetterQueue: `test.${id}.dlq`,
        queueType: options.queueType ?? "classic",
        deliveryLimit: options.deliveryLimit ?? 5
      }
    }),
    (topology) =>
      withChannel(model, async (channel) => {
        await channel.deleteQueue(topology.queue)
        await channel.deleteQueue(topology.deadLetterQueue)
        await channel.deleteExchange(topology.exchange)
        await channel.deleteExchange(topology.deadLetterExchange)
      }).pipe(Effect.orDie)
  )

/** Messages in a queue right now (passive declare). */
export const queueDepth = (model: amqp.ChannelModel, queue: string) =>
  withChannel(model, async (channel) => (await channel.checkQueue(queue)).messageCount)

/** Takes every message out of a queue for good (ack), in order. */
export const drain = (model: amqp.ChannelModel, queue: string) =>
  withChannel(model, async (channel) => {
    const messages: Array<amqp.GetMessage> = []
    for (;;) {
      const message = await channel.get(queue, { noAck: true })
      if (message === false) return messages
      messages.push(message)
    }
  })

/** Publishes like a crawler: persistent JSON, confirmed. */
export const publishJson = (
  model: amqp.ChannelModel,
  exchange: string,
  routingKey: string,
  body: unknown,
  options: amqp.Options.Publish = {}
) =>
  Effect.promise(async () => {
    const channel = await model.createConfirmChannel()
    channel.on("error", () => undefined)
    try {
      channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), {
        persistent: true,
        contentType: "application/json",
        ...options
      })
      await channel.waitForConfirms()
    } finally {
      await channel.close().catch(() => undefined)
    }
  })

/** Polls `check` until it holds or `timeoutMs` passes; the last failure is the test's failure. */
export const eventually = <A, E, R>(check: Effect.Effect<A, E, R>, timeoutMs = 5_000) =>
  check.pipe(
    Effect.retry({ schedule: Schedule.spaced(50), times: Math.ceil(timeoutMs / 50) })
  )

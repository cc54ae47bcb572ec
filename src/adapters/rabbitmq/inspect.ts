import type * as amqp from "amqplib"
import { Effect } from "effect"
import { awaitConnection, type RabbitConnectionShape } from "./connection.ts"
import { errorMessage } from "./errors.ts"
import { mainQueueArguments, type QueueArguments, type Topology } from "./topology.ts"

export interface TopologyFinding {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/**
 * Checks the §5 topology without creating anything: each exchange and queue must exist
 * (passive check), and then, being there, is declared again with the arguments this service
 * uses, which the broker accepts as a no-op when they match and refuses (406) when they
 * differ. A refused check closes its channel, so every check gets a channel of its own.
 */
export const inspectTopology = (
  connection: RabbitConnectionShape,
  topology: Topology
): Effect.Effect<ReadonlyArray<TopologyFinding>> =>
  Effect.gen(function*() {
    const model = yield* awaitConnection(connection, 10_000)
    const passive = (name: string, check: (channel: amqp.Channel) => Promise<string>) =>
      Effect.promise(async (): Promise<TopologyFinding> => {
        const channel = await model.createChannel()
        channel.on("error", () => undefined)
        try {
          return { name, ok: true, detail: await check(channel) }
        } catch (error) {
          return { name, ok: false, detail: errorMessage(error) }
        } finally {
          await channel.close().catch(() => undefined)
        }
      })
    const queue = (name: string, args: QueueArguments) => async (channel: amqp.Channel) => {
      const q = await channel.checkQueue(name)
      await channel.assertQueue(name, { durable: true, arguments: args })
      return `queue '${name}' exists as declared: ${q.messageCount} messages, ${q.consumerCount} consumers`
    }
    const exchange = (name: string) => async (channel: amqp.Channel) => {
      await channel.checkExchange(name)
      await channel.assertExchange(name, "topic", { durable: true })
      return `exchange '${name}' exists as declared`
    }
    return yield* Effect.all([
      passive("event exchange", exchange(topology.exchange)),
      passive("event queue", queue(topology.queue, mainQueueArguments(topology))),
      passive("dead-letter exchange", exchange(topology.deadLetterExchange)),
      passive("dead-letter queue", queue(topology.deadLetterQueue, {}))
    ])
  }).pipe(
    Effect.catch((error) => Effect.succeed([{ name: "broker", ok: false, detail: error.message }]))
  )

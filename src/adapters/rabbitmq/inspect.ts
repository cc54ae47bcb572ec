import type * as amqp from "amqplib"
import { Effect } from "effect"
import { awaitConnection, type RabbitConnectionShape } from "./connection.ts"
import { errorMessage } from "./errors.ts"
import type { Topology } from "./topology.ts"

export interface TopologyFinding {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/**
 * Checks the §5 topology passively (declares nothing): each exchange and queue exists. A
 * passive check that fails closes its channel, so every check gets a channel of its own.
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
    const queue = (name: string) => async (channel: amqp.Channel) => {
      const q = await channel.checkQueue(name)
      return `queue '${name}' exists: ${q.messageCount} messages, ${q.consumerCount} consumers`
    }
    const exchange = (name: string) => async (channel: amqp.Channel) => {
      await channel.checkExchange(name)
      return `exchange '${name}' exists`
    }
    return yield* Effect.all([
      passive("event exchange", exchange(topology.exchange)),
      passive("event queue", queue(topology.queue)),
      passive("dead-letter exchange", exchange(topology.deadLetterExchange)),
      passive("dead-letter queue", queue(topology.deadLetterQueue))
    ])
  }).pipe(
    Effect.catch((error) => Effect.succeed([{ name: "broker", ok: false, detail: error.message }]))
  )

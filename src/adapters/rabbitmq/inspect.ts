import type * as amqp from "amqplib"
import { Effect } from "effect"
import { awaitConnection, type RabbitConnectionShape } from "./connection.ts"
import { errorMessage } from "./errors.ts"
import { adoptedClassicWarning, mainQueueArguments, type QueueArguments, type Topology } from "./topology.ts"

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
    // A classic queue where a quorum one is asked for is adopted by `consume` (topology.ts), so
    // it passes here too, with the warning `consume` logs.
    const eventQueue = passive("event queue", queue(topology.queue, mainQueueArguments(topology))).pipe(
      Effect.flatMap((finding) =>
        finding.ok || topology.queueType !== "quorum" || !/inequivalent arg 'x-queue-type'/.test(finding.detail)
          ? Effect.succeed(finding)
          : passive("event queue", queue(topology.queue, mainQueueArguments({ ...topology, queueType: "classic" }))).pipe(
            Effect.map((classic) => classic.ok ? { ...classic, detail: `${classic.detail}; WARNING: ${adoptedClassicWarning(topology)}` } : finding)
          )
      )
    )
    return yield* Effect.all([
      passive("event exchange", exchange(topology.exchange)),
      eventQueue,
      passive("dead-letter exchange", exchange(topology.deadLetterExchange)),
      passive("dead-letter queue", queue(topology.deadLetterQueue, {}))
    ])
  }).pipe(
    Effect.catch((error) => Effect.succeed([{ name: "broker", ok: false, detail: error.message }]))
  )

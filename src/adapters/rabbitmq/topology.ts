import type * as amqp from "amqplib"
import { Effect } from "effect"
import { QueueError, type QueueStatus } from "../../ports/EventQueue.ts"
import type { AppConfigShape } from "../../ports/Config.ts"
import { errorMessage, replyCode, toQueueError } from "./errors.ts"

/** Names of everything this service declares (§5, §6). */
export interface Topology {
  readonly exchange: string
  readonly routingKey: string
  readonly queue: string
  readonly deadLetterExchange: string
  readonly deadLetterQueue: string
  /** `classic` (the default) or `quorum` (the broker counts deliveries and enforces the limit). */
  readonly queueType: "classic" | "quorum"
  /**
   * Quorum only: the main queue's `x-delivery-limit`. A message returned to the queue more
   * often than this without being settled (its consumer's channel or process died) is
   * dead-lettered by the broker itself (`x-first-death-reason: delivery_limit`).
   */
  readonly deliveryLimit: number
}

export const topologyFromConfig = (config: AppConfigShape): Topology => ({
  exchange: config.eventExchange,
  routingKey: config.eventRoutingKey,
  queue: config.eventQueueName,
  deadLetterExchange: config.deadLetterExchange,
  deadLetterQueue: config.deadLetterQueue,
  queueType: config.eventQueueType,
  deliveryLimit: config.maxDeliveryAttempts
})

/** Queue arguments as declared; the broker compares them on every re-declaration. */
export type QueueArguments = Readonly<Record<string, string | number>>

/**
 * The main queue names the dead-letter exchange, so that even a message the broker itself
 * rejects or expires lands in the dead-letter queue instead of being dropped. The adapter
 * dead-letters explicitly either way.
 *
 * A classic queue has exactly that argument (unchanged, so existing queues keep matching). A
 * quorum queue adds its type and `x-delivery-limit`: it counts deliveries itself, so a message
 * whose processing kills the process is dead-lettered after the limit instead of looping.
 * `x-dead-letter-strategy` is left out: the default, at-most-once, is what this service wants
 * (at-least-once would require `x-overflow: reject-publish`), and a queue declared with the
 * strategy spelled out would not match a re-declaration without it, and vice versa.
 */
export const mainQueueArguments = (topology: Topology): QueueArguments =>
  topology.queueType === "quorum"
    ? {
      "x-queue-type": "quorum",
      "x-delivery-limit": topology.deliveryLimit,
      "x-dead-letter-exchange": topology.deadLetterExchange
    }
    : { "x-dead-letter-exchange": topology.deadLetterExchange }

/** What each declaration asks for, as said in a mismatch message. */
const wanted = {
  exchange: (type: string) => `type=${type} durable=true`,
  queue: (args: QueueArguments) => `durable=true arguments=${JSON.stringify(args)}`
}

const PRECONDITION_FAILED = 406

/**
 * Declares the topology on a channel of its own (a refused declaration closes the channel).
 * Idempotent: safe on every (re)connection. An existing queue or exchange declared with other
 * arguments fails `TopologyMismatch`, naming the object, what this service wanted and what
 * the broker said differs; the passive check that follows confirms the object exists.
 */
export const declareTopology = (model: amqp.ChannelModel, topology: Topology): Effect.Effect<QueueStatus, QueueError> =>
  Effect.gen(function*() {
    const channel = yield* Effect.tryPromise({
      try: () => model.createChannel(),
      catch: (error) => toQueueError(error, "open a channel to declare the topology")
    })
    channel.on("error", () => undefined)

    const step = <A>(kind: "exchange" | "queue", name: string, want: string, run: () => Promise<A>) =>
      Effect.tryPromise({ try: run, catch: (error) => ({ error }) }).pipe(
        Effect.catch(({ error }) =>
          replyCode(error) === PRECONDITION_FAILED
            ? mismatch(model, kind, name, want, error)
            : Effect.fail(toQueueError(error, `declare ${kind} '${name}'`))
        )
      )

    const queueArgs = mainQueueArguments(topology)
    yield* step("exchange", topology.exchange, wanted.exchange("topic"), () =>
      channel.assertExchange(topology.exchange, "topic", { durable: true }))
    yield* step("exchange", topology.deadLetterExchange, wanted.exchange("topic"), () =>
      channel.assertExchange(topology.deadLetterExchange, "topic", { durable: true }))
    yield* step("queue", topology.deadLetterQueue, wanted.queue({}), () =>
      channel.assertQueue(topology.deadLetterQueue, { durable: true }))
    // "#": every dead letter, whatever its original routing key, lands in the one queue.
    yield* step("queue", topology.deadLetterQueue, "binding", () =>
      channel.bindQueue(topology.deadLetterQueue, topology.deadLetterExchange, "#"))
    const declared = yield* step("queue", topology.queue, wanted.queue(queueArgs), () =>
      channel.assertQueue(topology.queue, { durable: true, arguments: queueArgs }))
    yield* step("queue", topology.queue, "binding", () =>
      channel.bindQueue(topology.queue, topology.exchange, topology.routingKey))
    yield* Effect.promise(() => channel.close().catch(() => undefined))
    // The declare-ok carries the queue's ready count (unacked deliveries are not in it).
    return { messagesReady: declared.messageCount }
  })

const mismatch = (
  model: amqp.ChannelModel,
  kind: "exchange" | "queue",
  name: string,
  want: string,
  error: unknown
): Effect.Effect<never, QueueError> =>
  Effect.gen(function*() {
    // The broker does not tell a client an object's current arguments over AMQP; a passive
    // declaration confirms it exists and, for a queue, what it holds, which an operator needs
    // before deleting and re-creating it.
    const existing = yield* Effect.tryPromise(async () => {
      const probe = await model.createChannel()
      probe.on("error", () => undefined)
      try {
        if (kind === "queue") {
          const ok = await probe.checkQueue(name)
          return `it exists with ${ok.messageCount} message(s) and ${ok.consumerCount} consumer(s)`
        }
        await probe.checkExchange(name)
        return "it exists"
      } finally {
        await probe.close().catch(() => undefined)
      }
    }).pipe(Effect.orElseSucceed(() => "its current state could not be read"))
    const said = errorMessage(error).replace(/^.*PRECONDITION_FAILED - /, "")
    return yield* new QueueError({
      reason: "TopologyMismatch",
      message: `${kind} '${name}' was declared with other arguments than this service uses (${existing}). ` +
        `Wanted: ${want}. Broker: ${said}. Reconcile by re-creating the ${kind} with these arguments ` +
        `(after draining it) or by configuring other names.`
    })
  })

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
  /**
   * `quorum` (the default: the broker counts deliveries and enforces the limit) or `classic`.
   * Asking for `quorum` where a classic queue of that name exists adopts the classic queue
   * (see `declareTopology`).
   */
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

/** What `declareTopology` found: the queue's depth and the type the main queue really has. */
export interface DeclaredTopology extends QueueStatus {
  readonly queueType: Topology["queueType"]
  /** A quorum queue was asked for and an existing classic queue of that name was adopted instead. */
  readonly adoptedClassic: boolean
}

/**
 * A refused quorum declaration of a queue that exists as a classic queue: the broker names
 * `x-queue-type` as the inequivalent argument (RabbitMQ 3.8 to 4.x).
 */
const refusedForQueueType = (error: unknown): boolean =>
  replyCode(error) === PRECONDITION_FAILED && /inequivalent arg 'x-queue-type'/.test(errorMessage(error))

/** The warning logged when a classic queue is adopted in place of the quorum queue asked for. */
export const adoptedClassicWarning = (topology: Topology): string =>
  `queue '${topology.queue}' exists as a classic queue and is used as it is: a batch that kills the process ` +
  `is redelivered without the broker counting it (no x-delivery-limit). To get the delivery limit, re-create ` +
  `it as a quorum queue (docs/operations.md, section 6, "Migrating a classic queue to quorum"), ` +
  `or set EVENT_QUEUE_TYPE=classic to silence this warning.`

/**
 * Declares the topology on a channel of its own (a refused declaration closes the channel).
 * Idempotent: safe on every (re)connection. An existing queue or exchange declared with other
 * arguments fails `TopologyMismatch`, naming the object, what this service wanted and what
 * the broker said differs; the passive check that follows confirms the object exists.
 *
 * One exception: a quorum main queue asked for where a classic one already exists (a deployment
 * from before quorum became the default). The queue's type cannot be changed in place and
 * refusing to start would stop consumption on upgrade, so the classic queue is adopted as it is,
 * provided its classic arguments match; the result says so and the caller warns.
 */
export const declareTopology = (model: amqp.ChannelModel, topology: Topology): Effect.Effect<DeclaredTopology, QueueError> =>
  Effect.gen(function*() {
    const open = Effect.tryPromise({
      try: async () => {
        const opened = await model.createChannel()
        opened.on("error", () => undefined)
        return opened
      },
      catch: (error) => toQueueError(error, "open a channel to declare the topology")
    })
    let channel = yield* open

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
    const mainQueue = Effect.tryPromise({
      try: () => channel.assertQueue(topology.queue, { durable: true, arguments: queueArgs }),
      catch: (error) => ({ error })
    }).pipe(
      Effect.map((ok) => ({ ok, queueType: topology.queueType, adoptedClassic: false })),
      Effect.catch(({ error }) => {
        if (topology.queueType !== "quorum" || !refusedForQueueType(error)) {
          return replyCode(error) === PRECONDITION_FAILED
            ? mismatch(model, "queue", topology.queue, wanted.queue(queueArgs), error)
            : Effect.fail(toQueueError(error, `declare queue '${topology.queue}'`))
        }
        // The refusal closed the channel; the classic declaration gets a new one.
        const classicArgs = mainQueueArguments({ ...topology, queueType: "classic" })
        return Effect.gen(function*() {
          channel = yield* open
          const ok = yield* step("queue", topology.queue, wanted.queue(classicArgs), () =>
            channel.assertQueue(topology.queue, { durable: true, arguments: classicArgs }))
          return { ok, queueType: "classic" as const, adoptedClassic: true }
        })
      })
    )
    const declared = yield* mainQueue
    yield* step("queue", topology.queue, "binding", () =>
      channel.bindQueue(topology.queue, topology.exchange, topology.routingKey))
    yield* Effect.promise(() => channel.close().catch(() => undefined))
    // The declare-ok carries the queue's ready count (unacked deliveries are not in it).
    return { messagesReady: declared.ok.messageCount, queueType: declared.queueType, adoptedClassic: declared.adoptedClassic }
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

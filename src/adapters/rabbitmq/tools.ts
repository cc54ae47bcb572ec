import { Buffer } from "node:buffer"
import type * as amqp from "amqplib"
import { Effect } from "effect"
import type { QueueError } from "../../ports/EventQueue.ts"
import { makeConfirmPublisher } from "./confirmPublisher.ts"
import { awaitConnection, type RabbitConnectionShape } from "./connection.ts"
import { toQueueError } from "./errors.ts"
import { BROKER_DELIVERY_COUNT, eventIdOf, republishProperties, SMAP_HEADERS } from "./messages.ts"
import type { Topology } from "./topology.ts"

/**
 * Broker operations for the command line (`publish`, `dead-letters`). Each opens what it needs
 * on the given connection and closes it; none waits more than `CONNECT_TIMEOUT_MS` for the
 * broker, so a tool fails with a clear `Unavailable` instead of hanging.
 */
const CONNECT_TIMEOUT_MS = 10_000

export interface PublishEventOptions {
  readonly exchange: string
  readonly routingKey: string
  readonly body: Uint8Array
  readonly messageId?: string
}

/** Publishes an event as a crawler does: persistent JSON, confirmed, and refused if unroutable. */
export const publishEvent = (connection: RabbitConnectionShape, options: PublishEventOptions): Effect.Effect<void, QueueError> =>
  Effect.scoped(
    Effect.gen(function*() {
      yield* awaitConnection(connection, CONNECT_TIMEOUT_MS)
      const publisher = yield* makeConfirmPublisher(connection)
      yield* publisher.publish({
        exchange: options.exchange,
        routingKey: options.routingKey,
        body: options.body,
        options: {
          persistent: true,
          contentType: "application/json",
          ...(options.messageId === undefined ? {} : { messageId: options.messageId })
        },
        mandatory: true
      })
    })
  )

/** A dead letter as an operator sees it. */
export interface DeadLetter {
  /** The event id when the body has one, else the message id, else its position in the queue. */
  readonly id: string
  readonly eventId: string | null
  readonly messageId: string | null
  readonly errorCode: string | null
  readonly errorMessage: string | null
  readonly attempts: number | null
  readonly originalRoutingKey: string | null
  readonly body: string
}

const stringHeader = (headers: Record<string, unknown>, name: string): string | null => {
  const value = headers[name]
  return typeof value === "string" ? value : Buffer.isBuffer(value) ? value.toString("utf8") : null
}

/** `x-first-death-reason` of a message the broker dead-lettered (`delivery_limit`, `rejected`, `expired`, …). */
const brokerReason = (headers: Record<string, unknown>): string | null => stringHeader(headers, "x-first-death-reason")

const describeDeadLetter = (message: amqp.GetMessage, position: number): DeadLetter => {
  const headers: Record<string, unknown> = message.properties.headers ?? {}
  const body = new Uint8Array(message.content.buffer, message.content.byteOffset, message.content.byteLength)
  const eventId = stringHeader(headers, SMAP_HEADERS.eventId) || eventIdOf(body)
  const messageId = typeof message.properties.messageId === "string" ? message.properties.messageId : null
  const attempts = headers[SMAP_HEADERS.attempts]
  return {
    id: eventId ?? messageId ?? `#${position}`,
    eventId: eventId ?? null,
    messageId,
    // A message the broker dead-lettered itself (a quorum queue's delivery limit: the consumer
    // died while processing it, every time) carries no reason of ours, only the broker's.
    errorCode: stringHeader(headers, SMAP_HEADERS.errorCode) ?? brokerReason(headers),
    errorMessage: stringHeader(headers, SMAP_HEADERS.errorMessage) ??
      (brokerReason(headers) === "delivery_limit"
        ? "dead-lettered by the broker: delivered more often than the queue's x-delivery-limit without being settled (the consumer likely crashed processing it)"
        : brokerReason(headers) === null ? null : "dead-lettered by the broker"),
    attempts: typeof attempts === "number" ? attempts : null,
    originalRoutingKey: stringHeader(headers, SMAP_HEADERS.originalRoutingKey) ?? message.fields.routingKey,
    body: message.content.toString("utf8")
  }
}

/**
 * A channel for reading the dead-letter queue. Messages taken with `get` stay unacked until
 * settled; whatever is still unacked when the channel closes (normally or not) goes back to the
 * queue in its original order, so browsing loses nothing.
 */
const browsingChannel = (connection: RabbitConnectionShape) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const model = yield* awaitConnection(connection, CONNECT_TIMEOUT_MS)
      const channel = yield* Effect.tryPromise({
        try: () => model.createChannel(),
        catch: (error) => toQueueError(error, "open a channel")
      })
      channel.on("error", () => undefined)
      return channel
    }),
    (channel) =>
      Effect.promise(async () => {
        try {
          channel.nackAll(true)
        } catch {
          // Already closed: the broker requeued everything unacked itself.
        }
        await channel.close().catch(() => undefined)
      })
  )

const getNext = (channel: amqp.Channel, queue: string) =>
  Effect.tryPromise({
    try: () => channel.get(queue, { noAck: false }),
    catch: (error) => toQueueError(error, `read queue '${queue}'`)
  })

/** Up to `limit` dead letters, oldest first, without removing any. */
export const listDeadLetters = (
  connection: RabbitConnectionShape,
  topology: Pick<Topology, "deadLetterQueue">,
  limit: number
): Effect.Effect<ReadonlyArray<DeadLetter>, QueueError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const channel = yield* browsingChannel(connection)
      const seen: Array<DeadLetter> = []
      while (seen.length < limit) {
        const message = yield* getNext(channel, topology.deadLetterQueue)
        if (message === false) break
        seen.push(describeDeadLetter(message, seen.length + 1))
      }
      return seen
    })
  )

export type ReplaySelection = { readonly all: true } | { readonly ids: ReadonlyArray<string> }

export interface ReplayReport {
  readonly replayed: ReadonlyArray<string>
  /** Requested ids that are not in the dead-letter queue. */
  readonly notFound: ReadonlyArray<string>
}

/** Headers of a replayed copy: the failure is history, and it starts over at attempt 1. */
const replayHeaders = (headers: Record<string, unknown>): Record<string, unknown> => {
  const {
    [SMAP_HEADERS.errorCode]: _code,
    [SMAP_HEADERS.errorMessage]: _message,
    [SMAP_HEADERS.attempts]: _attempts,
    [BROKER_DELIVERY_COUNT]: _deliveryCount,
    ...rest
  } = headers
  return rest
}

/**
 * Moves dead letters (all, or those whose event or message id is listed) back to the main
 * queue: each copy is confirmed by the broker before its dead letter is acked, so a failure
 * half-way duplicates at most one message and loses none. The copy goes to the queue through
 * the default exchange, not to the topic exchange, so other services bound to it do not get
 * the event twice. Only the messages present when the replay starts are considered: a replayed
 * message that fails again is not replayed a second time in the same run.
 */
export const replayDeadLetters = (
  connection: RabbitConnectionShape,
  topology: Pick<Topology, "queue" | "deadLetterQueue">,
  selection: ReplaySelection,
  /** Called after each dead letter looked at: how many so far, of how many present, and replayed. */
  onProgress: (seen: number, present: number, replayed: number) => void = () => undefined
): Effect.Effect<ReplayReport, QueueError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const channel = yield* browsingChannel(connection)
      const publisher = yield* makeConfirmPublisher(connection)
      const present = yield* Effect.tryPromise({
        try: () => channel.checkQueue(topology.deadLetterQueue),
        catch: (error) => toQueueError(error, `inspect queue '${topology.deadLetterQueue}'`)
      })
      const wanted = "ids" in selection ? new Set(selection.ids) : undefined
      const replayed: Array<string> = []
      for (let position = 1; position <= present.messageCount; position++) {
        const message = yield* getNext(channel, topology.deadLetterQueue)
        if (message === false) break
        const letter = describeDeadLetter(message, position)
        const matches = wanted === undefined ||
          [letter.eventId, letter.messageId, letter.id].some((id) => id !== null && wanted.has(id))
        if (!matches) {
          onProgress(position, present.messageCount, replayed.length)
          continue
        }
        const headers = replayHeaders(message.properties.headers ?? {})
        yield* publisher.publish({
          exchange: "",
          routingKey: topology.queue,
          body: new Uint8Array(message.content.buffer, message.content.byteOffset, message.content.byteLength),
          options: republishProperties(message, headers),
          mandatory: true
        })
        yield* Effect.try({
          try: () => channel.ack(message),
          catch: (error) => toQueueError(error, `ack dead letter ${letter.id}`)
        })
        replayed.push(letter.id)
        onProgress(position, present.messageCount, replayed.length)
      }
      const notFound = wanted === undefined ? [] : [...wanted].filter((id) => !replayed.includes(id))
      return { replayed, notFound }
    })
  )

import type * as amqp from "amqplib"
import { type Cause, Deferred, Effect, Exit, Layer, Queue, type Scope, Stream } from "effect"
import { AppConfig } from "../../ports/Config.ts"
import { type DeadLetterReason, type Delivery, EventQueue, QueueError } from "../../ports/EventQueue.ts"
import { backoffDelay, type Backoff, CLOSE_TIMEOUT_MS, RabbitConnection, type RabbitConnectionShape } from "./connection.ts"
import { makeConfirmPublisher } from "./confirmPublisher.ts"
import { toQueueError } from "./errors.ts"
import { BROKER_DELIVERY_COUNT, deadLetterMessageId, messageHeaders, republishProperties, SMAP_HEADERS } from "./messages.ts"
import { adoptedClassicWarning, declareTopology, type Topology, topologyFromConfig } from "./topology.ts"

export interface EventQueueRabbitOptions {
  readonly topology: Topology
  readonly prefetchCount: number
  /** Delay between resubscription attempts after a failure (broker down, queue gone). */
  readonly backoff?: Backoff
}

/**
 * A consumer channel and the deliveries it handed out that are not settled yet. A tag is only
 * meaningful on its own channel, so a delivery carries its channel's id and is settled only
 * while that very channel is open.
 */
interface ConsumerChannel {
  readonly id: number
  readonly channel: amqp.Channel
  open: boolean
  /** The consumer is gone (cancelled by us or the broker); close once nothing is pending. */
  retiring: boolean
  readonly pending: Map<number, amqp.ConsumeMessage>
}

const resubscribeBackoff: Backoff = { initialMs: 100, maxMs: 2_000, factor: 2, jitter: 0.2 }

/** A header as a non-negative integer; absent or garbage counts as 0. */
const countHeader = (raw: unknown): number => {
  const value = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : typeof raw === "bigint" ? Number(raw) : 0
  return Number.isInteger(value) && value > 0 ? value : 0
}

/**
 * This delivery's attempt (≥ 1): what `retry` counted before republishing this copy
 * (`x-smap-attempts`, attempts of the earlier copies) plus what a quorum queue counted for this
 * very copy (`x-delivery-count`, its previous deliveries, set by the broker on redelivery; a
 * republished copy starts at 0, the header is dropped on republish), plus this one. The
 * broker's count is what makes a redelivery after a crash (the process died before settling, so
 * nothing of ours was written) count as another attempt; a classic queue has no such count.
 */
export const attemptOf = (headers: Readonly<Record<string, unknown>>): number =>
  countHeader(headers[SMAP_HEADERS.attempts]) + countHeader(headers[BROKER_DELIVERY_COUNT]) + 1

/** The EventQueue port on RabbitMQ (§5): one consumer per `deliveries` run. */
export const makeEventQueueRabbit = (
  connection: RabbitConnectionShape,
  options: EventQueueRabbitOptions
): Effect.Effect<EventQueue["Service"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const { topology } = options
    const publisher = yield* makeConfirmPublisher(connection)
    const channels = new Map<number, ConsumerChannel>()
    /**
     * Per lost channel, the tags it still held unsettled when it closed: those answer
     * `ChannelClosed` (the broker redelivers them); any other tag of a closed channel was
     * settled already and answers `Unknown`. Channels closed with nothing pending add nothing.
     */
    const lost = new Map<number, ReadonlySet<number>>()
    let nextChannelId = 1

    /**
     * Declares the topology; the first time a classic queue is adopted in place of the quorum
     * queue asked for, says so once (the readiness probe re-declares every few seconds).
     */
    let warnedAdoption = false
    const declare = (model: amqp.ChannelModel) =>
      Effect.tap(declareTopology(model, topology), (declared) => {
        if (!declared.adoptedClassic || warnedAdoption) return Effect.void
        warnedAdoption = true
        return Effect.logWarning(adoptedClassicWarning(topology))
      })

    const closeChannel = (consumer: ConsumerChannel) => {
      if (!consumer.open) return
      consumer.open = false
      channels.delete(consumer.id)
      consumer.channel.close().catch(() => undefined)
    }

    // Closing a channel hands its unsettled messages back to the broker for redelivery. The
    // close is awaited: amqplib writes a connection close ahead of frames still queued on a
    // channel, so closing the connection right away could lose acks just sent.
    yield* Effect.addFinalizer(() =>
      Effect.promise(() =>
        Promise.all([...channels.values()].map((consumer) => {
          consumer.open = false
          channels.delete(consumer.id)
          return consumer.channel.close().catch(() => undefined)
        }))
      ).pipe(Effect.timeoutOption(CLOSE_TIMEOUT_MS), Effect.asVoid)
    )

    /** One subscription: open a channel, consume until the channel closes or the consumer is cancelled. */
    const subscribe = (queue: Queue.Queue<Delivery, QueueError | Cause.Done>) =>
      Effect.gen(function*() {
        const model = yield* connection.current
        yield* declare(model)
        const channel = yield* Effect.tryPromise({
          try: () => model.createChannel(),
          catch: (error) => toQueueError(error, "open the consumer channel")
        })
        const consumer: ConsumerChannel = { id: nextChannelId++, channel, open: true, retiring: false, pending: new Map() }
        channels.set(consumer.id, consumer)
        const ended = Deferred.makeUnsafe<string>()
        channel.on("error", () => undefined)
        channel.on("close", () => {
          consumer.open = false
          if (consumer.pending.size > 0) lost.set(consumer.id, new Set(consumer.pending.keys()))
          consumer.pending.clear()
          channels.delete(consumer.id)
          Deferred.doneUnsafe(ended, Exit.succeed("channel closed"))
        })

        const onMessage = (message: amqp.ConsumeMessage | null) => {
          if (message === null) {
            // The broker cancelled the consumer (queue deleted, failover): in-flight deliveries
            // may still be settled on this channel; a new subscription takes over.
            consumer.retiring = true
            if (consumer.pending.size === 0) closeChannel(consumer)
            Deferred.doneUnsafe(ended, Exit.succeed("consumer cancelled by the broker"))
            return
          }
          consumer.pending.set(message.fields.deliveryTag, message)
          const headers: Record<string, unknown> = message.properties.headers ?? {}
          Queue.offerUnsafe(queue, {
            deliveryId: `${consumer.id}:${message.fields.deliveryTag}`,
            messageId: typeof message.properties.messageId === "string" ? message.properties.messageId : null,
            body: new Uint8Array(message.content.buffer, message.content.byteOffset, message.content.byteLength),
            headers,
            attempt: attemptOf(headers),
            redelivered: message.fields.redelivered
          })
        }

        const started = yield* Effect.tryPromise({
          try: async () => {
            // Per-consumer prefetch: never more unsettled deliveries than configured.
            await channel.prefetch(options.prefetchCount, false)
            return channel.consume(topology.queue, onMessage, { noAck: false })
          },
          catch: (error) => toQueueError(error, `consume from queue '${topology.queue}'`)
        }).pipe(Effect.onError(() => Effect.sync(() => closeChannel(consumer))))

        // The stream stopping (shutdown) stops the consumer but keeps the channel, so deliveries
        // already handed out can still be acked within the grace period.
        return yield* Deferred.await(ended).pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              consumer.retiring = true
              if (consumer.pending.size === 0) closeChannel(consumer)
              else if (consumer.open) consumer.channel.cancel(started.consumerTag).catch(() => undefined)
            })
          )
        )
      })

    const deliveries = Stream.callback<Delivery, QueueError>((queue) =>
      Effect.gen(function*() {
        let failures = 0
        while (true) {
          const outcome = yield* Effect.exit(subscribe(queue))
          if (Exit.isSuccess(outcome)) {
            failures = 0
            yield* Effect.logWarning(`consumer on '${topology.queue}' stopped (${outcome.value}); resubscribing`)
            continue
          }
          const error = outcome.cause.reasons.find((reason) => reason._tag === "Fail")
          if (error !== undefined && error._tag === "Fail" && error.error.reason === "TopologyMismatch") {
            return yield* Effect.fail(error.error)
          }
          failures += 1
          const delay = yield* backoffDelay(options.backoff ?? resubscribeBackoff, failures)
          yield* Effect.logWarning(`cannot consume from '${topology.queue}', retrying in ${delay} ms`).pipe(
            Effect.annotateLogs({ error: String(outcome.cause) })
          )
          yield* Effect.sleep(delay)
        }
      })
    )

    /** The consumer channel and message behind a delivery, if it can still be settled. */
    const locate = (delivery: Delivery, action: string) =>
      Effect.suspend(() => {
        const [channelPart, tagPart] = delivery.deliveryId.split(":")
        const consumer = channels.get(Number(channelPart))
        const wasPending = lost.get(Number(channelPart))?.has(Number(tagPart)) ?? false
        if ((consumer === undefined || !consumer.open) && !wasPending) {
          return Effect.fail(
            new QueueError({ reason: "Unknown", message: `cannot ${action} delivery ${delivery.deliveryId}: already settled or unknown` })
          )
        }
        if (consumer === undefined || !consumer.open) {
          return Effect.fail(
            new QueueError({
              reason: "ChannelClosed",
              message: `cannot ${action} delivery ${delivery.deliveryId}: its channel is closed; the broker redelivers the message`
            })
          )
        }
        const message = consumer.pending.get(Number(tagPart))
        if (message === undefined) {
          return Effect.fail(
            new QueueError({ reason: "Unknown", message: `cannot ${action} delivery ${delivery.deliveryId}: already settled or unknown` })
          )
        }
        return Effect.succeed({ consumer, message })
      })

    const settle = (delivery: Delivery, action: string) =>
      Effect.flatMap(locate(delivery, action), ({ consumer, message }) =>
        Effect.suspend(() => {
          try {
            consumer.channel.ack(message)
          } catch (error) {
            return Effect.fail(new QueueError({ reason: "ChannelClosed", message: `cannot ${action} delivery ${delivery.deliveryId}: ${String(error)}` }))
          }
          consumer.pending.delete(message.fields.deliveryTag)
          if (consumer.retiring && consumer.pending.size === 0) closeChannel(consumer)
          return Effect.void
        }))

    /**
     * A copy could not be confirmed, so the original cannot be settled: close its channel, which
     * hands it back to the broker at once, instead of holding it unacked until a restart and
     * dead-lettering it again then. (Other deliveries of that channel come back too; their
     * writes are idempotent.) A new subscription takes over.
     */
    const handBack = (consumer: ConsumerChannel) =>
      Effect.suspend(() => {
        if (!consumer.open) return Effect.void
        return Effect.logWarning(
          `closing consumer channel ${consumer.id}: a copy was not confirmed, so its ${consumer.pending.size} unsettled deliveries go back to the broker`
        ).pipe(Effect.andThen(Effect.sync(() => closeChannel(consumer))))
      })

    const ack = (delivery: Delivery) => settle(delivery, "ack").pipe(Effect.withSpan("EventQueue.ack"))

    const deadLetter = (delivery: Delivery, reason: DeadLetterReason) =>
      Effect.gen(function*() {
        // Checked first so a delivery from a lost channel is not copied to the DLQ needlessly.
        const { consumer, message } = yield* locate(delivery, "dead-letter")
        yield* publisher.publish({
          exchange: topology.deadLetterExchange,
          routingKey: message.fields.routingKey,
          body: delivery.body,
          options: { ...republishProperties(message, messageHeaders(message, delivery, { reason })), messageId: deadLetterMessageId(message) },
          mandatory: true
        }).pipe(Effect.tapError(() => handBack(consumer)))
        yield* settle(delivery, "dead-letter")
      }).pipe(Effect.withSpan("EventQueue.deadLetter", { attributes: { code: reason.code } }))

    const retry = (delivery: Delivery) =>
      Effect.gen(function*() {
        const { consumer, message } = yield* locate(delivery, "retry")
        // Straight to our queue through the default exchange: republishing to the topic
        // exchange would hand the event again to every other service bound to it.
        yield* publisher.publish({
          exchange: "",
          routingKey: topology.queue,
          body: delivery.body,
          options: republishProperties(message, messageHeaders(message, delivery, {})),
          mandatory: true
        }).pipe(Effect.tapError(() => handBack(consumer)))
        yield* settle(delivery, "retry")
      }).pipe(Effect.withSpan("EventQueue.retry"))

    const check = Effect.gen(function*() {
      const model = yield* connection.connected
      const { messagesReady } = yield* declare(model)
      return { messagesReady }
    })

    return EventQueue.of({ deliveries, ack, deadLetter, retry, check })
  })

export const layerEventQueueRabbit = (options: EventQueueRabbitOptions): Layer.Layer<EventQueue, never, RabbitConnection> =>
  Layer.effect(
    EventQueue,
    Effect.gen(function*() {
      return yield* makeEventQueueRabbit(yield* RabbitConnection, options)
    })
  )

/** The EventQueue from AppConfig on the shared RabbitMQ connection. */
export const EventQueueLive: Layer.Layer<EventQueue, never, RabbitConnection | AppConfig> = Layer.effect(
  EventQueue,
  Effect.gen(function*() {
    const config = yield* AppConfig
    return yield* makeEventQueueRabbit(yield* RabbitConnection, {
      topology: topologyFromConfig(config),
      prefetchCount: config.prefetchCount
    })
  })
)

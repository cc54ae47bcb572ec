import { Context, Effect, Layer, Queue, Ref, Semaphore, Stream } from "effect"
import { type DeadLetterReason, type Delivery, EventQueue, QueueError } from "../../ports/EventQueue.ts"

/** Header carrying the attempt count across retries (the RabbitMQ adapter uses the same). */
export const ATTEMPTS_HEADER = "x-smap-attempts"

export interface DeadLetter {
  readonly delivery: Delivery
  readonly reason: DeadLetterReason
}

/** Test handle on the in-memory queue: publish, inspect settlements, inject faults. */
export class MemoryQueueControl extends Context.Service<MemoryQueueControl, {
  readonly publish: (body: Uint8Array | string, headers?: Record<string, unknown>) => Effect.Effect<string>
  readonly acked: Effect.Effect<ReadonlyArray<Delivery>>
  readonly deadLettered: Effect.Effect<ReadonlyArray<DeadLetter>>
  readonly retried: Effect.Effect<ReadonlyArray<Delivery>>
  /** Delivered and not yet settled. */
  readonly unsettled: Effect.Effect<number>
  /**
   * Closes the channel, as when the connection is lost: every unsettled delivery goes back to
   * the queue (redelivered, same attempt: like a classic queue, memory does not count
   * redeliveries) and can no longer be settled (`ChannelClosed`).
   */
  readonly closeChannel: Effect.Effect<void>
  /**
   * Make the next settlement (ack, dead-letter or retry) fail with `reason`. `ChannelClosed`
   * closes the channel first (the delivery comes back); other reasons settle nothing.
   */
  readonly failNextSettlement: (reason: QueueError["reason"]) => Effect.Effect<void>
}>()("smap/adapters/memory/MemoryQueueControl") {}

interface Message {
  readonly messageId: string
  readonly body: Uint8Array
  readonly headers: Readonly<Record<string, unknown>>
  readonly redelivered: boolean
}

interface Settlements {
  readonly acked: ReadonlyArray<Delivery>
  readonly deadLettered: ReadonlyArray<DeadLetter>
  readonly retried: ReadonlyArray<Delivery>
  /** Unsettled deliveries of the current channel, by delivery id. */
  readonly open: ReadonlyMap<string, Message>
  /** The current channel: a delivery id is `${channel}:${n}`. */
  readonly channel: number
  /** Deliveries unsettled when their channel closed: settling them is `ChannelClosed`. */
  readonly lost: ReadonlySet<string>
}

const attemptsOf = (headers: Readonly<Record<string, unknown>>) => {
  const n = Number(headers[ATTEMPTS_HEADER] ?? 0)
  return Number.isInteger(n) && n > 0 ? n : 0
}

const channelOf = (delivery: Delivery) => Number(delivery.deliveryId.split(":")[0])

export interface EventQueueMemoryOptions {
  /** Never more unsettled deliveries handed out at once (`RABBITMQ_PREFETCH_COUNT`). */
  readonly prefetchCount: number
}

/**
 * The EventQueue port in memory. Each delivery must be settled exactly once, on the channel it
 * came on; at most `prefetchCount` are unsettled at once; `retry` re-enqueues the message with
 * its attempt count incremented, like the broker adapter.
 */
export const EventQueueMemory = (options: EventQueueMemoryOptions) => Layer.effectContext(Effect.gen(function*() {
  const queue = yield* Queue.unbounded<Message>()
  const counter = yield* Ref.make(0)
  const permits = yield* Semaphore.make(options.prefetchCount)
  const settlements = yield* Ref.make<Settlements>({ acked: [], deadLettered: [], retried: [], open: new Map(), channel: 1, lost: new Set() })
  const fault = yield* Ref.make<QueueError["reason"] | null>(null)
  const nextId = (prefix: string) => Effect.map(Ref.updateAndGet(counter, (n) => n + 1), (n) => `${prefix}-${n}`)

  /** One delivery: a prefetch permit, then a message; an interrupted wait gives the permit back. */
  const take = Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      yield* restore(Semaphore.take(permits, 1))
      const message = yield* restore(Queue.take(queue)).pipe(Effect.onInterrupt(() => Semaphore.release(permits, 1)))
      const n = yield* Ref.updateAndGet(counter, (k) => k + 1)
      const state = yield* Ref.get(settlements)
      const deliveryId = `${state.channel}:${n}`
      yield* Ref.update(settlements, (s) => ({ ...s, open: new Map([...s.open, [deliveryId, message]]) }))
      const delivery: Delivery = {
        deliveryId,
        messageId: message.messageId,
        body: message.body,
        headers: message.headers,
        attempt: attemptsOf(message.headers) + 1,
        redelivered: message.redelivered
      }
      return delivery
    })
  )

  const deliveries: Stream.Stream<Delivery, QueueError> = Stream.fromEffectRepeat(take)

  /** Every unsettled delivery goes back to the queue as a redelivery; their ids go stale. */
  const closeChannel = Effect.gen(function*() {
    const { open } = yield* Ref.getAndUpdate(settlements, (s) => ({
      ...s,
      open: new Map(),
      channel: s.channel + 1,
      lost: new Set([...s.lost, ...s.open.keys()])
    }))
    for (const message of open.values()) {
      yield* Queue.offer(queue, { ...message, redelivered: true })
    }
    if (open.size > 0) yield* Semaphore.release(permits, open.size)
  })

  const settle = (delivery: Delivery, action: string, record: (s: Settlements) => Settlements) =>
    Effect.gen(function*() {
      const injected = yield* Ref.getAndSet(fault, null)
      if (injected === "ChannelClosed") yield* closeChannel
      else if (injected !== null) {
        return yield* new QueueError({ reason: injected, message: `injected ${injected} on ${action}` })
      }
      const state = yield* Ref.get(settlements)
      if (channelOf(delivery) !== state.channel && state.lost.has(delivery.deliveryId)) {
        return yield* new QueueError({
          reason: "ChannelClosed",
          message: `cannot ${action} delivery ${delivery.deliveryId}: its channel is closed; the message is redelivered`
        })
      }
      if (!state.open.has(delivery.deliveryId)) {
        return yield* new QueueError({ reason: "Unknown", message: `cannot ${action} delivery ${delivery.deliveryId}: already settled or unknown` })
      }
      yield* Ref.update(settlements, (s) => {
        const open = new Map(s.open)
        open.delete(delivery.deliveryId)
        return record({ ...s, open })
      })
      yield* Semaphore.release(permits, 1)
    }).pipe(Effect.uninterruptible)

  const eventQueue = EventQueue.of({
    deliveries,
    ack: (delivery) => settle(delivery, "ack", (s) => ({ ...s, acked: [...s.acked, delivery] })),
    deadLetter: (delivery, reason) =>
      settle(delivery, "dead-letter", (s) => ({ ...s, deadLettered: [...s.deadLettered, { delivery, reason }] })),
    retry: (delivery) =>
      settle(delivery, "retry", (s) => ({ ...s, retried: [...s.retried, delivery] })).pipe(
        Effect.andThen(Queue.offer(queue, {
          messageId: delivery.messageId ?? delivery.deliveryId,
          body: delivery.body,
          headers: { ...delivery.headers, [ATTEMPTS_HEADER]: delivery.attempt },
          redelivered: false
        })),
        Effect.asVoid
      ),
    check: Effect.map(Queue.size(queue), (messagesReady) => ({ messagesReady }))
  })

  const control = MemoryQueueControl.of({
    publish: (body, headers = {}) =>
      Effect.gen(function*() {
        const messageId = yield* nextId("message")
        yield* Queue.offer(queue, {
          messageId,
          body: typeof body === "string" ? new TextEncoder().encode(body) : body,
          headers,
          redelivered: false
        })
        return messageId
      }),
    acked: Effect.map(Ref.get(settlements), (s) => s.acked),
    deadLettered: Effect.map(Ref.get(settlements), (s) => s.deadLettered),
    retried: Effect.map(Ref.get(settlements), (s) => s.retried),
    unsettled: Effect.map(Ref.get(settlements), (s) => s.open.size),
    closeChannel,
    failNextSettlement: (reason) => Ref.set(fault, reason)
  })
  return Context.make(EventQueue, eventQueue).pipe(Context.add(MemoryQueueControl, control))
}))

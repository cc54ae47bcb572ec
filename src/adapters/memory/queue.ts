import { Context, Effect, Layer, Queue, Ref, Stream } from "effect"
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
  /** Make the next settlement (ack, dead-letter or retry) fail, as when the channel closed. */
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
  readonly open: ReadonlySet<string>
}

const attemptsOf = (headers: Readonly<Record<string, unknown>>) => {
  const n = Number(headers[ATTEMPTS_HEADER] ?? 0)
  return Number.isInteger(n) && n > 0 ? n : 0
}

/**
 * The EventQueue port in memory. Each delivery must be settled exactly once; `retry`
 * re-enqueues the message with its attempt count incremented, like the broker adapter.
 */
export const EventQueueMemory = Layer.effectContext(Effect.gen(function*() {
  const queue = yield* Queue.unbounded<Message>()
  const counter = yield* Ref.make(0)
  const settlements = yield* Ref.make<Settlements>({ acked: [], deadLettered: [], retried: [], open: new Set() })
  const fault = yield* Ref.make<QueueError["reason"] | null>(null)
  const nextId = (prefix: string) => Effect.map(Ref.updateAndGet(counter, (n) => n + 1), (n) => `${prefix}-${n}`)

  const deliveries: Stream.Stream<Delivery, QueueError> = Stream.fromQueue(queue).pipe(
    Stream.mapEffect((message) =>
      Effect.gen(function*() {
        const deliveryId = yield* nextId("delivery")
        yield* Ref.update(settlements, (s) => ({ ...s, open: new Set([...s.open, deliveryId]) }))
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
  )

  const settle = (delivery: Delivery, record: (s: Settlements) => Settlements) =>
    Effect.gen(function*() {
      const injected = yield* Ref.getAndSet(fault, null)
      if (injected !== null) {
        yield* Ref.update(settlements, (s) => {
          const open = new Set(s.open)
          open.delete(delivery.deliveryId)
          return { ...s, open }
        })
        // A lost channel gives the message back to the broker, which delivers it again.
        yield* Queue.offer(queue, { messageId: delivery.messageId ?? delivery.deliveryId, body: delivery.body, headers: delivery.headers, redelivered: true })
        return yield* new QueueError({ reason: injected, message: `injected ${injected} on settlement` })
      }
      const open = (yield* Ref.get(settlements)).open
      if (!open.has(delivery.deliveryId)) {
        return yield* new QueueError({ reason: "Unknown", message: `delivery ${delivery.deliveryId} is not open (settled twice?)` })
      }
      yield* Ref.update(settlements, (s) => {
        const next = new Set(s.open)
        next.delete(delivery.deliveryId)
        return record({ ...s, open: next })
      })
    })

  const eventQueue = EventQueue.of({
    deliveries,
    ack: (delivery) => settle(delivery, (s) => ({ ...s, acked: [...s.acked, delivery] })),
    deadLetter: (delivery, reason) =>
      settle(delivery, (s) => ({ ...s, deadLettered: [...s.deadLettered, { delivery, reason }] })),
    retry: (delivery) =>
      settle(delivery, (s) => ({ ...s, retried: [...s.retried, delivery] })).pipe(
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
    failNextSettlement: (reason) => Ref.set(fault, reason)
  })
  return Context.make(EventQueue, eventQueue).pipe(Context.add(MemoryQueueControl, control))
}))

import { Context, type Effect, Schema, type Stream } from "effect"
import type { FailureKind } from "../domain/failure.ts"

/** One message as delivered by the broker. */
export interface Delivery {
  /** Unique per delivery (not per message): the adapter's handle for ack/dead-letter/retry. */
  readonly deliveryId: string
  /** AMQP message id when the publisher set one. */
  readonly messageId: string | null
  readonly body: Uint8Array
  readonly headers: Readonly<Record<string, unknown>>
  /**
   * How many times this message has been handed to a consumer, this delivery included (≥ 1).
   * Redeliveries after a consumer died without settling count only where the broker counts
   * deliveries (a RabbitMQ quorum queue, the default); elsewhere only `retry` advances it. The
   * delivery step dead-letters a delivery whose attempt exceeds `MAX_DELIVERY_ATTEMPTS` as
   * `POISON` without processing it (domain/poison.ts).
   */
  readonly attempt: number
  readonly redelivered: boolean
}

/** Why a message was dead-lettered; travels in the headers `x-smap-error-code` / `-message`. */
export interface DeadLetterReason {
  readonly code: string
  readonly message: string
  /** The event's `event_id` when the body could be read, so the adapter need not parse it again. */
  readonly eventId: string | null
}

/**
 * - `ChannelClosed`: the channel a delivery came on is gone; its tag cannot be settled any
 *   more and the broker will redeliver the message (transient, nothing to do);
 * - `Unavailable`: the broker cannot be reached (transient);
 * - `TopologyMismatch`: an existing queue or exchange was declared with other arguments
 *   (permanent: an operator must reconcile it);
 * - `Unknown`.
 */
export const QUEUE_ERROR_REASONS = ["ChannelClosed", "Unavailable", "TopologyMismatch", "Unknown"] as const

export class QueueError extends Schema.TaggedError<QueueError>()("QueueError", {
  reason: Schema.Literals(QUEUE_ERROR_REASONS),
  message: Schema.String
}) {}

export const queueFailureKind = (error: QueueError): FailureKind =>
  error.reason === "TopologyMismatch" ? "permanent" : error.reason === "Unknown" ? "unknown" : "transient"

/**
 * The `data.collected` queue (§5). Semantics every adapter keeps:
 *
 * - `deliveries` emits messages as the broker hands them out, never more unsettled at once
 *   than the prefetch; it survives reconnects (deliveries from a lost channel are simply
 *   never settled: the broker redelivers them).
 * - `ack` removes the message for good. Call it only after the batch's rows committed.
 * - `deadLetter` moves the message to the dead-letter queue with the reason (code, message,
 *   attempt) in its headers, then removes it from the main queue. Nothing is dropped.
 * - `retry` puts the message back for a later attempt with its attempt count incremented,
 *   so `attempt` grows across redeliveries even where the broker does not count them.
 * Settling a delivery whose channel is gone fails with `ChannelClosed` and settles nothing:
 * a tag is never settled on a channel other than the one it came on.
 */
/** The main event queue as the broker reports it: messages ready for delivery (not the unacked ones). */
export interface QueueStatus {
  readonly messagesReady: number
}

export class EventQueue extends Context.Service<
  EventQueue,
  {
    readonly deliveries: Stream.Stream<Delivery, QueueError>
    readonly ack: (delivery: Delivery) => Effect.Effect<void, QueueError>
    readonly deadLetter: (delivery: Delivery, reason: DeadLetterReason) => Effect.Effect<void, QueueError>
    readonly retry: (delivery: Delivery) => Effect.Effect<void, QueueError>
    /** Declares (or confirms) the topology; answers the main queue's depth at that moment. */
    readonly check: Effect.Effect<QueueStatus, QueueError>
  }
>()("smap/ports/EventQueue") {}

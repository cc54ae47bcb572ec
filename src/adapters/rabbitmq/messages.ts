import { createHash } from "node:crypto"
import type * as amqp from "amqplib"
import type { DeadLetterReason, Delivery } from "../../ports/EventQueue.ts"

/** Headers this service writes on messages it moves (dead-letter, retry, replay). */
export const SMAP_HEADERS = {
  attempts: "x-smap-attempts",
  errorCode: "x-smap-error-code",
  errorMessage: "x-smap-error-message",
  eventId: "x-smap-event-id",
  originalExchange: "x-smap-original-exchange",
  originalRoutingKey: "x-smap-original-routing-key"
} as const

/**
 * Set by a quorum queue on a redelivered message: how often it was delivered before. It
 * describes one message in one queue, so a moved copy (a new message) does not carry it on.
 */
export const BROKER_DELIVERY_COUNT = "x-delivery-count"

/** AMQP header tables are limited to 64 KiB in amqplib; reasons are for people, keep them short. */
const MAX_REASON_CHARS = 2_000
/** Events are small; a larger body is not parsed just to label a listed dead letter. */
const MAX_BODY_FOR_ID = 64 * 1024

/**
 * `event_id` of a `data.collected` body, when it is JSON and has one: for listing dead letters
 * that carry no `x-smap-event-id` (those the broker moved itself, past a quorum delivery limit).
 */
export const eventIdOf = (body: Uint8Array): string | null => {
  if (body.byteLength > MAX_BODY_FOR_ID) return null
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body))
    if (typeof parsed === "object" && parsed !== null && "event_id" in parsed && typeof parsed.event_id === "string") {
      return parsed.event_id
    }
  } catch {
    // Not JSON: listed by its message id instead.
  }
  return null
}

/**
 * The headers of a moved copy: the original ones (less the broker's delivery count, which the
 * attempt count already includes), the attempt count so far and, the first time
 * the message is moved, where it was originally published (a retried copy travels through the
 * default exchange, which would otherwise hide the original routing key).
 */
export const messageHeaders = (
  message: amqp.Message,
  delivery: Delivery,
  extra: { readonly reason?: DeadLetterReason }
): Record<string, unknown> => {
  const { [BROKER_DELIVERY_COUNT]: _deliveryCount, ...original }: Record<string, unknown> = message.properties.headers ?? {}
  const headers: Record<string, unknown> = {
    ...original,
    [SMAP_HEADERS.attempts]: delivery.attempt,
    [SMAP_HEADERS.originalExchange]: original[SMAP_HEADERS.originalExchange] ?? message.fields.exchange,
    [SMAP_HEADERS.originalRoutingKey]: original[SMAP_HEADERS.originalRoutingKey] ?? message.fields.routingKey
  }
  if (extra.reason !== undefined) {
    headers[SMAP_HEADERS.errorCode] = extra.reason.code
    headers[SMAP_HEADERS.errorMessage] = extra.reason.message.slice(0, MAX_REASON_CHARS)
    headers[SMAP_HEADERS.eventId] = extra.reason.eventId ?? delivery.messageId ?? ""
  }
  return headers
}

/** The original message's properties for a copy: persistent, with the given headers. */
export const republishProperties = (message: amqp.Message, headers: Record<string, unknown>): amqp.Options.Publish => {
  const p = message.properties
  const options: amqp.Options.Publish = { persistent: true, headers }
  if (typeof p.contentType === "string") options.contentType = p.contentType
  if (typeof p.contentEncoding === "string") options.contentEncoding = p.contentEncoding
  if (typeof p.messageId === "string") options.messageId = p.messageId
  if (typeof p.correlationId === "string") options.correlationId = p.correlationId
  if (typeof p.type === "string") options.type = p.type
  if (typeof p.appId === "string") options.appId = p.appId
  if (typeof p.timestamp === "number") options.timestamp = p.timestamp
  return options
}

/**
 * The `message-id` of a dead-letter copy: its identity in the dead-letter queue (§5). The
 * original's `message-id` when it has one, else `sha256:<hex of the body>`, so a copy is named
 * the same however often it is made. Dead-lettering is at least once: a process killed after the
 * copy is confirmed and before the original is acked gets the original back and copies it again;
 * both copies carry this id, and readers of the dead-letter queue count one dead letter per id.
 */
export const deadLetterMessageId = (message: amqp.Message): string =>
  typeof message.properties.messageId === "string" && message.properties.messageId !== ""
    ? message.properties.messageId
    : `sha256:${createHash("sha256").update(message.content).digest("hex")}`

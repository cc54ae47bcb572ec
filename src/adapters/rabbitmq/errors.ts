import { Predicate } from "effect"
import { QueueError } from "../../ports/EventQueue.ts"

/** `amqp://user:secret@host/vhost` → `amqp://host/vhost`: URLs in messages never carry credentials. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.username = ""
    parsed.password = ""
    return parsed.toString()
  } catch {
    return stripCredentials(url)
  }
}

/** Removes any `//user:password@` that found its way into a message (amqplib echoes URLs). */
export const stripCredentials = (text: string): string => text.replace(/\/\/[^/@\s]*@/g, "//")

export const errorMessage = (error: unknown): string =>
  stripCredentials(error instanceof Error ? error.message : String(error))

/** AMQP reply code carried by amqplib errors (406 PRECONDITION_FAILED, 404 NOT_FOUND, …). */
export const replyCode = (error: unknown): number | undefined =>
  Predicate.hasProperty(error, "code") && Predicate.isNumber(error.code) ? error.code : undefined

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"])

/** Whether the failure says the connection or channel is gone (rather than a refusal). */
export const isConnectionLoss = (error: unknown): boolean => {
  if (Predicate.hasProperty(error, "code") && Predicate.isString(error.code) && NETWORK_CODES.has(error.code)) return true
  const code = replyCode(error)
  // 320 CONNECTION_FORCED, 501/504/505/506 framing and channel errors, 541 INTERNAL_ERROR.
  if (code !== undefined && [320, 501, 504, 505, 506, 541].includes(code)) return true
  const message = errorMessage(error)
  return /channel closed|connection closed|channel ended|socket closed|ECONNRESET/i.test(message) ||
    (Predicate.hasProperty(error, "name") && error.name === "IllegalOperationError")
}

/**
 * Whether the broker refused the login itself (wrong user or password: 403 ACCESS_REFUSED; a
 * vhost the user may not open: 530 NOT_ALLOWED) when the connection was opened. amqplib reports
 * these as a plain Error, "Handshake terminated by server: 403 (ACCESS-REFUSED) …", or with the
 * reply code for a refused vhost. Retrying cannot help: the configuration has to change.
 */
export const isLoginRefused = (error: unknown): boolean => {
  const code = replyCode(error)
  if (code === 403 || code === 530) return true
  return /\b(403 \(ACCESS[-_]REFUSED\)|ACCESS_REFUSED|530 \(NOT[-_]ALLOWED\))/.test(errorMessage(error))
}

/** Maps an amqplib failure of `what` to the port's error. */
export const toQueueError = (error: unknown, what: string): QueueError => {
  if (error instanceof QueueError) return error
  const message = `${what}: ${errorMessage(error)}`
  if (isConnectionLoss(error)) return new QueueError({ reason: "Unavailable", message })
  return new QueueError({ reason: "Unknown", message })
}

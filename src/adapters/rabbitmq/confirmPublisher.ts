import { Buffer } from "node:buffer"
import type * as amqp from "amqplib"
import { Effect, Semaphore, type Scope } from "effect"
import { QueueError } from "../../ports/EventQueue.ts"
import { toQueueError } from "./errors.ts"
import { CLOSE_TIMEOUT_MS, type RabbitConnectionShape } from "./connection.ts"

export interface PublishRequest {
  readonly exchange: string
  readonly routingKey: string
  readonly body: Uint8Array
  readonly options: amqp.Options.Publish
  /** Fail when no queue is bound for the message (it would otherwise vanish silently). */
  readonly mandatory: boolean
}

/** Publishes with publisher confirms: success means the broker has taken responsibility. */
export interface ConfirmPublisher {
  readonly publish: (request: PublishRequest) => Effect.Effect<void, QueueError>
}

const CONFIRM_TIMEOUT_MS = 30_000

/**
 * Resolves after pending I/O has been read. After the event loop was blocked, timers run before
 * sockets are read, so a confirm that arrived during the block would lose a plain race with
 * its timeout; waiting two `setImmediate` turns (past the poll phase) lets it be seen first.
 */
const afterPendingIo = Effect.callback<void>((resume) => {
  setImmediate(() => setImmediate(() => resume(Effect.void)))
})

/**
 * A confirm channel on the shared connection, opened on first use and again after it closes.
 * Publishes go one at a time: a `basic.return` (unroutable mandatory message) arrives before
 * its confirm, and with one message in flight it can only belong to that message. The callers
 * (dead-lettering, retries, result events, tools) publish rarely, so this costs nothing.
 */
export const makeConfirmPublisher = (
  connection: RabbitConnectionShape,
  options: { readonly confirmTimeoutMs?: number } = {}
): Effect.Effect<ConfirmPublisher, never, Scope.Scope> =>
  Effect.gen(function*() {
    const lock = yield* Semaphore.make(1)
    const timeoutMs = options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS
    let channel: amqp.ConfirmChannel | undefined
    let returned = false

    const acquireChannel = Effect.gen(function*() {
      if (channel !== undefined) return channel
      const model = yield* connection.connected
      const opened = yield* Effect.tryPromise({
        try: () => model.createConfirmChannel(),
        catch: (error) => toQueueError(error, "open a confirm channel")
      })
      opened.on("error", () => undefined)
      opened.on("close", () => {
        if (channel === opened) channel = undefined
      })
      opened.on("return", () => {
        returned = true
      })
      channel = opened
      return opened
    })

    yield* Effect.addFinalizer(() =>
      Effect.promise(() => (channel === undefined ? Promise.resolve() : channel.close().catch(() => undefined))).pipe(
        Effect.timeoutOption(CLOSE_TIMEOUT_MS),
        Effect.asVoid
      )
    )

    const publish = (request: PublishRequest) =>
      Effect.gen(function*() {
        const target = yield* acquireChannel
        const what = `publish to exchange '${request.exchange}' with routing key '${request.routingKey}'`
        returned = false
        yield* Effect.callback<void, QueueError>((resume) => {
          try {
            target.publish(
              request.exchange,
              request.routingKey,
              Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength),
              { ...request.options, mandatory: request.mandatory },
              (error: unknown) => {
                if (error !== null && error !== undefined) {
                  resume(Effect.fail(toQueueError(error, `${what}: not confirmed`)))
                } else if (returned) {
                  resume(Effect.fail(new QueueError({ reason: "Unknown", message: `${what}: unroutable, no queue is bound for it` })))
                } else {
                  resume(Effect.void)
                }
              }
            )
          } catch (error) {
            resume(Effect.fail(toQueueError(error, what)))
          }
        }).pipe(
          Effect.raceFirst(
            Effect.sleep(timeoutMs).pipe(
              Effect.andThen(afterPendingIo),
              Effect.andThen(Effect.sync(() => {
                // The outcome is unknown: close the channel, so that no late confirm or return
                // on it can be mistaken for the next message's.
                if (channel === target) channel = undefined
                target.close().catch(() => undefined)
              })),
              Effect.andThen(
                Effect.fail(new QueueError({ reason: "Unavailable", message: `${what}: no confirm within ${timeoutMs} ms` }))
              )
            )
          )
        )
      }).pipe(lock.withPermits(1))

    return { publish }
  })

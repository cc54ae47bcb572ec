import * as amqp from "amqplib"
import { Cause, Context, Deferred, Effect, Exit, Layer, Option, Random, Redacted, Schedule, type Scope } from "effect"
import { QueueError } from "../../ports/EventQueue.ts"
import { AppConfig } from "../../ports/Config.ts"
import { errorMessage, isLoginRefused, redactUrl } from "./errors.ts"

/** Reconnect delays: exponential from `initialMs`, capped at `maxMs`, each spread by ±`jitter`. */
export interface Backoff {
  readonly initialMs: number
  readonly maxMs: number
  readonly factor: number
  readonly jitter: number
}

/** How long shutdown waits for the broker to acknowledge a close. */
export const CLOSE_TIMEOUT_MS = 5_000

/** Capped at 2 s so a reconnect follows the broker's return within about 2 s, however long it was away. */
export const defaultBackoff: Backoff = { initialMs: 200, maxMs: 2_000, factor: 2, jitter: 0.2 }

/** The delay before reconnect attempt `attempt` (1-based). */
export const backoffDelay = (backoff: Backoff, attempt: number): Effect.Effect<number> =>
  Effect.map(
    Random.nextBetween(1 - backoff.jitter, 1 + backoff.jitter),
    (spread) => Math.round(Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (attempt - 1)) * spread)
  )

export interface RabbitConnectionOptions {
  readonly url: Redacted.Redacted<string>
  /** Shown in the broker's connection list (`connection_name`). */
  readonly connectionName?: string
  readonly backoff?: Backoff
  /** Heartbeat in seconds; a dead peer is noticed after about two of them. */
  readonly heartbeatSeconds?: number
}

/**
 * One AMQP connection kept open in the background: it connects with exponential backoff and
 * jitter, notices loss (socket error, heartbeat timeout, broker closing it), and reconnects by
 * itself. Users open their own channels on `current` and come back to it when theirs close.
 */
export interface RabbitConnectionShape {
  /** Whether a connection is open right now (readiness, `analytics_dependency_up`). */
  readonly isUp: Effect.Effect<boolean>
  /** The open connection; while the broker is down, waits for the next one. */
  readonly current: Effect.Effect<amqp.ChannelModel>
  /** The open connection, or `Unavailable` at once when there is none. */
  readonly connected: Effect.Effect<amqp.ChannelModel, QueueError>
  /** The broker address without credentials, for messages. */
  readonly describe: string
  /** While not connected: the last attempt's error when the broker refused the login, else null. */
  readonly refusal: Effect.Effect<QueueError | null>
}

export class RabbitConnection extends Context.Service<RabbitConnection, RabbitConnectionShape>()(
  "smap/adapters/rabbitmq/RabbitConnection"
) {}

interface Opened {
  readonly model: amqp.ChannelModel
  /** Completes when this connection is gone, whatever the cause. */
  readonly closed: Deferred.Deferred<string>
}

/** How long building the connection waits for the first attempt, to fail at once on a refused login. */
const FIRST_ATTEMPT_WAIT_MS = 5_000

const LOGIN_REFUSED = "RabbitMQ login refused"

/** The broker refused the user, password or vhost: a configuration problem, not an outage. */
const loginRefused = (where: string, detail: string) =>
  new QueueError({
    reason: "Unavailable",
    message: `${LOGIN_REFUSED} at ${where} (check the user, password and vhost in RABBITMQ_URL): ${detail}`
  })

const isRefusal = (error: QueueError) => error.message.startsWith(LOGIN_REFUSED)

/** One connection attempt; an attempt abandoned by interruption closes what it opened late. */
const connectOnce = (options: RabbitConnectionOptions, where: string) =>
  Effect.callback<Opened, QueueError>((resume) => {
    let abandoned = false
    amqp
      .connect(Redacted.value(options.url), {
        timeout: 10_000,
        clientProperties: { connection_name: options.connectionName ?? "smap-analytics" },
        ...(options.heartbeatSeconds === undefined ? {} : { heartbeat: options.heartbeatSeconds })
      })
      .then(
        (model) => {
          if (abandoned) {
            model.close().catch(() => undefined)
            return
          }
          const closed = Deferred.makeUnsafe<string>()
          // Without an 'error' listener an EventEmitter error would crash the process; the
          // error is always followed by 'close', which is where loss is handled.
          model.on("error", (error: Error) => Deferred.doneUnsafe(closed, Exit.succeed(errorMessage(error))))
          model.on("close", (error?: Error) =>
            Deferred.doneUnsafe(closed, Exit.succeed(error === undefined ? "closed" : errorMessage(error))))
          model.on("blocked", (reason: string) => Effect.runFork(Effect.logWarning(`broker ${where} blocked publishing: ${reason}`)))
          resume(Effect.succeed({ model, closed }))
        },
        (error: unknown) =>
          resume(Effect.fail(
            isLoginRefused(error)
              ? loginRefused(where, errorMessage(error))
              : new QueueError({ reason: "Unavailable", message: `connect to ${where}: ${errorMessage(error)}` })
          ))
      )
    return Effect.sync(() => {
      abandoned = true
    })
  })

/**
 * Starts the background connection; it is closed when the scope closes. Fails (`Unavailable`,
 * "RabbitMQ login refused …") when the broker refuses the first login within 5 s.
 */
export const makeRabbitConnection = (
  options: RabbitConnectionOptions
): Effect.Effect<RabbitConnectionShape, QueueError, Scope.Scope> =>
  Effect.gen(function*() {
    const where = redactUrl(Redacted.value(options.url))
    const backoff = options.backoff ?? defaultBackoff
    let open: amqp.ChannelModel | undefined
    let next = Deferred.makeUnsafe<amqp.ChannelModel>()
    let refusal: QueueError | null = null
    /** The first attempt's refusal, or null when it connected or failed otherwise (unreachable). */
    const firstAttempt = Deferred.makeUnsafe<QueueError | null>()

    const keepConnected = Effect.gen(function*() {
      let attempt = 0
      while (true) {
        const result = yield* Effect.exit(connectOnce(options, where))
        const refused = Exit.isFailure(result) ? Cause.findErrorOption(result.cause).pipe(Option.filter(isRefusal)) : Option.none()
        Deferred.doneUnsafe(firstAttempt, Exit.succeed(Option.getOrNull(refused)))
        refusal = Option.getOrNull(refused)
        if (Exit.isFailure(result)) {
          attempt += 1
          const delay = yield* backoffDelay(backoff, attempt)
          yield* Effect.logWarning(`${Option.isSome(refused) ? LOGIN_REFUSED : "RabbitMQ unreachable"}, retrying in ${delay} ms`).pipe(
            Effect.annotateLogs({ broker: where, attempt, error: Option.isSome(refused) ? refused.value.message : String(result.cause) })
          )
          yield* Effect.sleep(delay)
          continue
        }
        attempt = 0
        const { model, closed } = result.value
        open = model
        Deferred.doneUnsafe(next, Exit.succeed(model))
        yield* Effect.logInfo("RabbitMQ connected").pipe(Effect.annotateLogs({ broker: where }))
        const reason = yield* Deferred.await(closed)
        open = undefined
        next = Deferred.makeUnsafe<amqp.ChannelModel>()
        yield* Effect.logWarning(`RabbitMQ connection lost: ${reason}`).pipe(Effect.annotateLogs({ broker: where }))
      }
    })

    // Finalizers run in reverse: the loop stops first, then the open connection is closed.
    // A close handshake on a dead socket never completes; shutdown must not wait for it.
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => (open === undefined ? Promise.resolve() : open.close().catch(() => undefined))).pipe(
        Effect.timeoutOption(CLOSE_TIMEOUT_MS),
        Effect.asVoid
      )
    )
    yield* Effect.forkScoped(keepConnected)

    // A login the broker refuses is reported at once rather than retried in the background
    // forever; a broker that is down (or slow to answer) is left to the reconnect loop.
    const first = yield* Deferred.await(firstAttempt).pipe(Effect.timeoutOption(FIRST_ATTEMPT_WAIT_MS))
    if (Option.isSome(first) && first.value !== null) return yield* Effect.fail(first.value)

    return {
      isUp: Effect.sync(() => open !== undefined),
      current: Effect.suspend(() => (open === undefined ? Deferred.await(next) : Effect.succeed(open))),
      connected: Effect.suspend(() =>
        open === undefined
          ? Effect.fail(new QueueError({ reason: "Unavailable", message: `RabbitMQ at ${where} is not connected` }))
          : Effect.succeed(open)
      ),
      describe: where,
      refusal: Effect.sync(() => (open === undefined ? refusal : null))
    }
  })

export const layerRabbitConnection = (options: RabbitConnectionOptions): Layer.Layer<RabbitConnection, QueueError> =>
  Layer.effect(RabbitConnection, Effect.map(makeRabbitConnection(options), RabbitConnection.of))

/** The connection from `RABBITMQ_URL`. */
export const RabbitConnectionLive: Layer.Layer<RabbitConnection, QueueError, AppConfig> = Layer.effect(
  RabbitConnection,
  Effect.gen(function*() {
    const config = yield* AppConfig
    return RabbitConnection.of(yield* makeRabbitConnection({ url: config.rabbitmqUrl }))
  })
)

/**
 * Waits at most `timeoutMs` for a connection (command-line tools fail fast instead of hanging);
 * a login the broker refuses ends the wait at once with that error.
 */
export const awaitConnection = (connection: RabbitConnectionShape, timeoutMs: number) =>
  Effect.timeoutOrElse(Effect.raceFirst(
    connection.current,
    connection.refusal.pipe(
      Effect.repeat({ until: (r) => r !== null, schedule: Schedule.spaced("100 millis") }),
      Effect.flatMap((r) => Effect.fail(r ?? new QueueError({ reason: "Unavailable", message: "refused" })))
    )
  ), {
    duration: timeoutMs,
    orElse: () =>
      Effect.fail(
        new QueueError({ reason: "Unavailable", message: `RabbitMQ at ${connection.describe}: no connection within ${timeoutMs} ms` })
      )
  })

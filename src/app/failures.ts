import { Duration, Effect, Schedule } from "effect"
import type { FailureKind } from "../domain/failure.ts"
import type { Dependency } from "../ports/Metrics.ts"
import type { Readiness } from "../ports/Readiness.ts"

/** The longest wait between two tries of an unreachable dependency. */
export const TRANSIENT_BACKOFF_CAP = Duration.seconds(2)

/**
 * Backoff while a dependency is unreachable (§5): exponential from 250 ms, doubled each time,
 * with jitter so that many consumers do not retry in step, capped at 2 s per wait, so that the
 * batch goes through within about 2 s of the dependency's return, however long it was away.
 */
export const transientBackoff = Schedule.exponential("250 millis", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, TRANSIENT_BACKOFF_CAP)))
)

/**
 * Runs `effect`, retrying transient failures for as long as they last while the message is
 * held (never dead-lettered for them). While it retries, the dependency is reported down, so
 * readiness goes false and the consumer loop stops taking new messages; the first success
 * reports it up again. Permanent and unknown failures pass through at once.
 */
export const retryWhileTransient = <A, E extends { readonly message: string }>(
  effect: Effect.Effect<A, E>,
  options: {
    readonly classify: (error: E) => FailureKind
    readonly dependency: Dependency
    readonly readiness: Readiness["Service"]
    /**
     * A transient failure that says nothing about the dependency's health (a deadlock with
     * another consumer): retried the same way, logged as what it is, readiness untouched.
     */
    readonly isContention?: (error: E) => boolean
  }
): Effect.Effect<A, E> =>
  effect.pipe(
    Effect.tapError((error) =>
      options.classify(error) !== "transient"
        ? Effect.void
        : options.isContention?.(error) === true
        ? Effect.logInfo(`${options.dependency} write conflict with another writer, retrying: ${error.message}`)
        : Effect.logWarning(`${options.dependency} unavailable, backing off: ${error.message}`).pipe(
          Effect.andThen(options.readiness.setDependency(options.dependency, false))
        )
    ),
    Effect.retry({ schedule: transientBackoff, while: (error) => options.classify(error) === "transient" }),
    Effect.tap(() => options.readiness.setDependency(options.dependency, true))
  )

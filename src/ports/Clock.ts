import { Clock, DateTime, Effect } from "effect"

/**
 * The one source of time: Effect's Clock service (TestClock in tests), read as UTC.
 * Nothing else in the service reads the wall clock.
 */

/** Current instant as an ISO-8601 UTC string (`…Z`). */
export const nowIso: Effect.Effect<string> = Effect.map(DateTime.now, DateTime.formatIso)

/** Current instant in milliseconds with sub-millisecond precision, for short durations. */
export const preciseMillis: Effect.Effect<number> = Effect.map(Clock.currentTimeNanos, (nanos) => Number(nanos) / 1e6)

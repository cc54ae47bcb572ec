import { Effect, Fiber, Schedule } from "effect"
import { runConsumer } from "./consumer.ts"

/**
 * The embedded drain loop (`local`): runs the consumer until `settled` (how many deliveries
 * were acked or dead-lettered) reaches `count`, then stops it. For a queue that holds exactly
 * the announced batches, as the in-memory one does.
 */
export const drain = <E, R>(count: number, settled: Effect.Effect<number, E, R>) =>
  Effect.gen(function*() {
    const consumer = yield* Effect.forkChild(runConsumer)
    yield* settled.pipe(Effect.repeat({ until: (n) => n >= count, schedule: Schedule.spaced("20 millis") }))
    yield* Fiber.interrupt(consumer)
  })

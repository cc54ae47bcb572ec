import { Duration, Effect, FiberSet, Semaphore, Schedule, Stream } from "effect"
import { AnalyticsRepository } from "../ports/AnalyticsRepository.ts"
import { BatchStorage } from "../ports/BatchStorage.ts"
import { AppConfig } from "../ports/Config.ts"
import { EventQueue } from "../ports/EventQueue.ts"
import { type Dependency, Metrics } from "../ports/Metrics.ts"
import { makeDeliveryHandler } from "./handleDelivery.ts"
import { Readiness } from "../ports/Readiness.ts"

/** How often dependencies are probed for readiness while nothing else reports on them. */
const PROBE_INTERVAL = Duration.seconds(5)

/**
 * Probes broker, database and storage and reports each to Readiness; the broker's answer also
 * gives the main queue's depth (`analytics_queue_messages_ready`). Runs until interrupted.
 */
export const probeDependencies = Effect.gen(function*() {
  const readiness = yield* Readiness
  const queue = yield* EventQueue
  const repository = yield* AnalyticsRepository
  const storage = yield* BatchStorage
  const metrics = yield* Metrics
  const probe = (dependency: Dependency, check: Effect.Effect<unknown, { readonly message: string }>) =>
    check.pipe(
      Effect.timeout(Duration.seconds(5)),
      Effect.matchEffect({
        onSuccess: () => readiness.setDependency(dependency, true),
        onFailure: (e) =>
          Effect.logWarning(`${dependency} check failed: ${e.message}`).pipe(
            Effect.andThen(readiness.setDependency(dependency, false))
          )
      })
    )
  const once = Effect.all([
    probe("broker", Effect.tap(queue.check, (status) => metrics.queueMessagesReady(status.messagesReady))),
    probe("database", repository.check),
    probe("storage", storage.check)
  ], { concurrency: "unbounded", discard: true })
  yield* once.pipe(Effect.repeat(Schedule.spaced(PROBE_INTERVAL)))
})

/** Waits (polling) until every dependency is up: consuming pauses while one is down (§5). */
const awaitDependencies = Effect.gen(function*() {
  const readiness = yield* Readiness
  const allUp = Effect.map(readiness.ready, (r) => Object.values(r.dependencies).every(Boolean))
  if (yield* allUp) return
  yield* Effect.logWarning("a dependency is down: pausing consumption until it is back")
  yield* allUp.pipe(Effect.repeat({ until: (up) => up, schedule: Schedule.spaced("250 millis") }))
  yield* Effect.logInfo("dependencies are back: resuming consumption")
})

/**
 * The consumer loop (§5): a thin wrapper around the single step. It takes deliveries while
 * fewer than `MAX_CONCURRENT_BATCHES` are in flight and every dependency is up, and runs each
 * through the delivery handler in its own fiber.
 *
 * On interruption (SIGTERM/SIGINT) it stops taking messages, reports draining, and gives the
 * in-flight batches `SHUTDOWN_GRACE_SECONDS` to finish; what is still unfinished then is
 * interrupted unacked, so the broker redelivers it.
 */
export const runConsumer = Effect.scoped(Effect.gen(function*() {
  const config = yield* AppConfig
  const queue = yield* EventQueue
  const readiness = yield* Readiness
  const handle = yield* makeDeliveryHandler
  const inFlight = yield* FiberSet.make()
  const slots = yield* Semaphore.make(config.maxConcurrentBatches)

  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      yield* readiness.setDraining(true)
      const pending = yield* FiberSet.size(inFlight)
      yield* Effect.logInfo(`draining: waiting up to ${config.shutdownGraceSeconds}s for ${pending} in-flight batches`)
      const finished = yield* FiberSet.awaitEmpty(inFlight).pipe(
        Effect.timeoutOption(Duration.seconds(config.shutdownGraceSeconds))
      )
      if (finished._tag === "None") {
        yield* Effect.logWarning("grace period over: unfinished batches are left to the broker to redeliver")
      }
    })
  )
  yield* Effect.forkScoped(probeDependencies)
  yield* queue.deliveries.pipe(
    Stream.runForEach((delivery) =>
      Effect.gen(function*() {
        yield* Semaphore.take(slots, 1)
        yield* awaitDependencies
        yield* FiberSet.run(inFlight, handle(delivery).pipe(Effect.ensuring(Semaphore.release(slots, 1))))
      })
    )
  )
}))

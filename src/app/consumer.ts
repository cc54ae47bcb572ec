import { Clock, Duration, Effect, FiberSet, Semaphore, Schedule, Stream } from "effect"
import { AnalyticsRepository } from "../ports/AnalyticsRepository.ts"
import { BatchStorage } from "../ports/BatchStorage.ts"
import { AppConfig } from "../ports/Config.ts"
import { EventQueue } from "../ports/EventQueue.ts"
import { type Dependency, Metrics } from "../ports/Metrics.ts"
import { makeDeliveryHandler } from "./handleDelivery.ts"
import { Readiness } from "../ports/Readiness.ts"

/** How often dependencies are probed while all are up, and while one is down (or not yet up). */
const PROBE_INTERVAL_UP = Duration.seconds(5)
const PROBE_INTERVAL_DOWN = Duration.millis(500)
/** At start-up a dependency that is still connecting is not worth a warning for this long. */
const STARTUP_GRACE_MS = 10_000

/**
 * Probes broker, database and storage and reports each to Readiness; the broker's answer also
 * gives the main queue's depth (`analytics_queue_messages_ready`). Runs until interrupted.
 * While something is down (including before the first connection) it probes every 500 ms, so
 * readiness follows a connection within half a second instead of one 5 s period later. A failed
 * probe is logged when a dependency goes from up to down, or is still down after the start-up
 * grace: a normal start, where the broker connects a few milliseconds after the first probe,
 * logs no warning.
 */
export const probeDependencies = Effect.gen(function*() {
  const readiness = yield* Readiness
  const queue = yield* EventQueue
  const repository = yield* AnalyticsRepository
  const storage = yield* BatchStorage
  const metrics = yield* Metrics
  const started = yield* Clock.currentTimeMillis
  const state: Record<Dependency, "unknown" | "up" | "down"> = { broker: "unknown", database: "unknown", storage: "unknown" }
  const probe = (dependency: Dependency, check: Effect.Effect<unknown, { readonly message: string }>) =>
    check.pipe(
      Effect.timeout(Duration.seconds(5)),
      Effect.matchEffect({
        onSuccess: () =>
          Effect.sync(() => {
            state[dependency] = "up"
          }).pipe(Effect.andThen(readiness.setDependency(dependency, true))),
        onFailure: (e) =>
          Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            const previous = state[dependency]
            if (previous === "up" || (previous === "unknown" && now - started >= STARTUP_GRACE_MS)) {
              yield* Effect.logWarning(`${dependency} check failed: ${e.message}`)
              state[dependency] = "down"
            }
            yield* readiness.setDependency(dependency, false)
          })
      })
    )
  const once = Effect.all([
    probe("broker", Effect.tap(queue.check, (status) => metrics.queueMessagesReady(status.messagesReady))),
    probe("database", repository.check),
    probe("storage", storage.check)
  ], { concurrency: "unbounded", discard: true })
  while (true) {
    yield* once
    const ready = yield* readiness.ready
    const allUp = Object.values(ready.dependencies).every(Boolean)
    yield* Effect.sleep(allUp ? PROBE_INTERVAL_UP : PROBE_INTERVAL_DOWN)
  }
})

/**
 * Waits (polling) until every dependency is up: consuming pauses while one is down (§5). The
 * first wait, at start-up, is not a pause and is not logged as one.
 */
const awaitDependencies = (everReady: { value: boolean }) =>
  Effect.gen(function*() {
    const readiness = yield* Readiness
    const allUp = Effect.map(readiness.ready, (r) => Object.values(r.dependencies).every(Boolean))
    if (yield* allUp) {
      everReady.value = true
      return
    }
    if (everReady.value) yield* Effect.logWarning("a dependency is down: pausing consumption until it is back")
    yield* allUp.pipe(Effect.repeat({ until: (up) => up, schedule: Schedule.spaced("100 millis") }))
    if (everReady.value) yield* Effect.logInfo("dependencies are back: resuming consumption")
    everReady.value = true
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
  const everReady = { value: false }

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
        yield* awaitDependencies(everReady)
        yield* FiberSet.run(inFlight, handle(delivery).pipe(Effect.ensuring(Semaphore.release(slots, 1))))
      })
    )
  )
}))

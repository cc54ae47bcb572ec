import { Duration, Effect } from "effect"
import { Command } from "effect/cli"
import { runConsumer } from "../app/consumer.ts"
import { AnalyticsRepository } from "../ports/AnalyticsRepository.ts"
import { BatchStorage } from "../ports/BatchStorage.ts"
import { AppConfig } from "../ports/Config.ts"
import { runCommand } from "./command.ts"
import { isLoginRefusal } from "./errors.ts"

/**
 * Before consuming: the database and the storage are asked once whether they accept the
 * credentials. A refused login stops the service at once with one line (the broker's is
 * refused while its connection is built); an unreachable dependency is left to the consumer,
 * which waits for it with readiness false.
 */
const refuseBadLogins = Effect.gen(function*() {
  const repository = yield* AnalyticsRepository
  const storage = yield* BatchStorage
  const refusals = yield* Effect.all(
    [repository.check, storage.check].map((check: Effect.Effect<void, { readonly message: string }>) =>
      check.pipe(
        Effect.timeout(Duration.seconds(3)),
        Effect.match({ onSuccess: () => null, onFailure: (e) => isLoginRefusal(e.message) ? e.message : null })
      )
    ),
    { concurrency: "unbounded" }
  )
  const refused = refusals.filter((r) => r !== null)
  if (refused.length > 0) return yield* Effect.fail(new Error(refused.join("; ")))
})

/**
 * `consume`: the service. Configuration is validated first (one clear line on error, exit 1);
 * then the production layers start and the consumer runs until SIGTERM/SIGINT, when it stops
 * taking messages, lets in-flight batches finish within the grace period, closes channel,
 * connection and pool, and exits 0.
 */
export const consume = Command.make("consume", {}, () =>
  runCommand(
    "consume",
    "service",
    Effect.gen(function*() {
      const config = yield* AppConfig
      const { productionLayers } = yield* Effect.promise(() => import("../main.ts"))
      yield* Effect.logInfo(
        `starting: queue ${config.eventQueueName}, prefetch ${config.prefetchCount}, ${config.maxConcurrentBatches} concurrent batches, buckets ${config.buckets.join(",")}`
      )
      yield* Effect.andThen(refuseBadLogins, runConsumer).pipe(
        Effect.provide(productionLayers()),
        Effect.onInterrupt(() => Effect.logInfo("stopped"))
      )
    }).pipe(Effect.provide(AppConfig.layer))
  )).pipe(Command.withDescription("Run the analytics consumer against RabbitMQ, S3/MinIO and PostgreSQL (SIGTERM/SIGINT to stop)."))

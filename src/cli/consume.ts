import { Effect } from "effect"
import { LoggerLive } from "../adapters/logging/logger.ts"
import { runConsumer } from "../app/consumer.ts"
import { productionLayers } from "../main.ts"
import { AppConfig } from "../ports/Config.ts"
import type { Command } from "./command.ts"
import { formatStartupError } from "./errors.ts"

/**
 * `consume`: the service. Configuration is validated first (one clear line on error, exit 1);
 * then the production layers start and the consumer runs until SIGTERM/SIGINT, when it stops
 * taking messages, lets in-flight batches finish within the grace period, closes channel,
 * connection and pool, and exits 0.
 */
export const command: Command = {
  name: "consume",
  summary: "Run the analytics consumer against RabbitMQ, S3/MinIO and PostgreSQL (SIGTERM/SIGINT to stop).",
  usage: "smap-analytics consume",
  run: () =>
    Effect.gen(function*() {
      const config = yield* AppConfig
      yield* Effect.logInfo(
        `starting: queue ${config.eventQueueName}, prefetch ${config.prefetchCount}, ${config.maxConcurrentBatches} concurrent batches, buckets ${config.buckets.join(",")}`
      )
      yield* runConsumer.pipe(Effect.provide(productionLayers()))
      return 0
    }).pipe(
      Effect.onInterrupt(() => Effect.logInfo("stopped")),
      Effect.provide(LoggerLive),
      Effect.provide(AppConfig.layer),
      Effect.catch((error) =>
        Effect.sync(() => {
          console.error(`smap-analytics consume: ${formatStartupError(error)}`)
          return 1
        })
      )
    )
}


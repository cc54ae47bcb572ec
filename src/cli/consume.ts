import { Effect } from "effect"
import { Command } from "effect/cli"
import { runConsumer } from "../app/consumer.ts"
import { AppConfig } from "../ports/Config.ts"
import { runCommand } from "./command.ts"

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
      yield* runConsumer.pipe(Effect.provide(productionLayers()), Effect.onInterrupt(() => Effect.logInfo("stopped")))
    }).pipe(Effect.provide(AppConfig.layer))
  )).pipe(Command.withDescription("Run the analytics consumer against RabbitMQ, S3/MinIO and PostgreSQL (SIGTERM/SIGINT to stop)."))

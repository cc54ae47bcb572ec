import { Effect, Layer } from "effect"
import { AnalyticsPipelineLive } from "../../src/adapters/lexicon/AnalyticsPipeline.ts"
import { MetricsMemory } from "../../src/adapters/memory/Metrics.ts"
import { ResultPublisherMemory } from "../../src/adapters/memory/ResultPublisher.ts"
import { EventQueueMemory } from "../../src/adapters/memory/EventQueue.ts"
import { BatchStorageMemory } from "../../src/adapters/memory/BatchStorage.ts"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { AppConfig } from "../../src/ports/Config.ts"
import { Readiness } from "../../src/ports/Readiness.ts"
import { TestPgMigrated } from "../postgres/testDatabase.ts"
import { configLayer } from "./memoryApp.ts"

/**
 * The delivery handler's ports with the real PostgreSQL repository (a fresh migrated schema)
 * and everything else in memory: decode → pipeline → one-transaction write as in production.
 */
export const pgApp = (env: Record<string, string> = {}) => {
  const config = configLayer(env)
  return Layer.mergeAll(
    Layer.unwrap(Effect.map(AppConfig, (c) => EventQueueMemory({ prefetchCount: c.prefetchCount }))),
    AnalyticsRepositoryLive.pipe(Layer.provideMerge(TestPgMigrated)),
    BatchStorageMemory(["crawl-results"]),
    ResultPublisherMemory,
    AnalyticsPipelineLive.pipe(Layer.provide(config), Layer.orDie),
    Readiness.layer.pipe(Layer.provideMerge(MetricsMemory))
  ).pipe(Layer.provideMerge(config))
}

import { Layer } from "effect"
import { AnalyticsPipelineLive } from "../../src/adapters/lexicon/pipeline.ts"
import { MetricsMemory } from "../../src/adapters/memory/metrics.ts"
import { ResultPublisherMemory } from "../../src/adapters/memory/publisher.ts"
import { EventQueueMemoryLive } from "../../src/adapters/memory/queue.ts"
import { BatchStorageMemory } from "../../src/adapters/memory/storage.ts"
import { AnalyticsRepositoryPg } from "../../src/adapters/postgres/analyticsRepository.ts"
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
    EventQueueMemoryLive,
    AnalyticsRepositoryPg.pipe(Layer.provideMerge(TestPgMigrated)),
    BatchStorageMemory(["crawl-results"]),
    ResultPublisherMemory,
    AnalyticsPipelineLive.pipe(Layer.provide(config), Layer.orDie),
    Readiness.layer.pipe(Layer.provideMerge(MetricsMemory))
  ).pipe(Layer.provideMerge(config))
}

import { ConfigProvider, Effect, Layer } from "effect"
import { AnalyticsPipelineLive } from "../../src/adapters/lexicon/pipeline.ts"
import { MetricsMemory } from "../../src/adapters/memory/metrics.ts"
import { ResultPublisherMemory } from "../../src/adapters/memory/publisher.ts"
import { EventQueueMemoryLive } from "../../src/adapters/memory/queue.ts"
import { AnalyticsRepositoryMemory } from "../../src/adapters/memory/repository.ts"
import { BatchStorageMemory } from "../../src/adapters/memory/storage.ts"
import { Readiness } from "../../src/ports/Readiness.ts"
import { AnalyticsPipeline } from "../../src/ports/AnalyticsPipeline.ts"
import { AppConfig, appConfig } from "../../src/ports/Config.ts"

/** AppConfig from a plain map of environment variables (defaults for the rest). */
export const configLayer = (env: Record<string, string> = {}) =>
  Layer.effect(AppConfig, Effect.map(appConfig.parse(ConfigProvider.fromEnv({ env })), AppConfig.of)).pipe(Layer.orDie)

/**
 * Every port served in memory, plus the controls tests use to seed data and inject faults.
 * `pipeline` replaces the configured pipeline (e.g. one whose analyzer throws).
 */
export const memoryApp = (options: { readonly env?: Record<string, string>; readonly pipeline?: Layer.Layer<AnalyticsPipeline> } = {}) => {
  const config = configLayer(options.env)
  const metrics = MetricsMemory
  return Layer.mergeAll(
    EventQueueMemoryLive,
    AnalyticsRepositoryMemory,
    BatchStorageMemory(["crawl-results"]),
    ResultPublisherMemory,
    options.pipeline ?? AnalyticsPipelineLive.pipe(Layer.provide(config), Layer.orDie),
    Readiness.layer.pipe(Layer.provideMerge(metrics))
  ).pipe(Layer.provideMerge(config))
}

/**
 * The composition root: which adapter serves which port, per environment. Nothing else in
 * the code base picks adapters. Each layer here needs only AppConfig (and a scope).
 *
 * - `memoryLayers`: every port in memory: tests, and the embedded local run;
 * - `productionLayers`: RabbitMQ, S3/MinIO, PostgreSQL, Prometheus (see `consume`).
 */
import { Layer } from "effect"
import { AnalyticsPipelineLive } from "./adapters/lexicon/pipeline.ts"
import { MetricsMemory } from "./adapters/memory/metrics.ts"
import { ResultPublisherMemory } from "./adapters/memory/publisher.ts"
import { EventQueueMemory } from "./adapters/memory/queue.ts"
import { AnalyticsRepositoryMemory } from "./adapters/memory/repository.ts"
import { BatchStorageMemory } from "./adapters/memory/storage.ts"
import { Readiness } from "./ports/Readiness.ts"
import type { AppConfigShape } from "./ports/Config.ts"

export const memoryLayers = (config: AppConfigShape) =>
  Layer.mergeAll(
    EventQueueMemory,
    AnalyticsRepositoryMemory,
    BatchStorageMemory(config.buckets),
    ResultPublisherMemory,
    AnalyticsPipelineLive,
    Readiness.layer.pipe(Layer.provideMerge(MetricsMemory))
  )

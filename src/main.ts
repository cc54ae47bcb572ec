/**
 * The composition root: which adapter serves which port, per environment. Nothing else in
 * the code base picks adapters. Each layer here needs only AppConfig (and a scope).
 *
 * - `memoryLayers`: every port in memory: tests, and `local --memory`;
 * - `embeddedLayers`: the real PostgreSQL adapter on an embedded database, the rest in memory:
 *   the embedded local run (`local`, `npm start`);
 * - `productionLayers`: RabbitMQ, S3/MinIO, PostgreSQL, Prometheus (see `consume`).
 */
import { Effect, Layer, type Redacted } from "effect"
import { readServer, type ReadServerOptions } from "./adapters/http/apiServer.ts"
import { OpsHttpLive } from "./adapters/http/server.ts"
import { AnalyticsPipelineLive } from "./adapters/lexicon/pipeline.ts"
import { AnalyticsQueriesMemory } from "./adapters/memory/analyticsQueries.ts"
import { MetricsMemory } from "./adapters/memory/metrics.ts"
import { ResultPublisherMemory } from "./adapters/memory/publisher.ts"
import { EventQueueMemory } from "./adapters/memory/queue.ts"
import { AnalyticsRepositoryMemory } from "./adapters/memory/repository.ts"
import { BatchStorageMemory } from "./adapters/memory/storage.ts"
import { AnalyticsRepositoryPg, makeAnalyticsRepositoryPg } from "./adapters/postgres/analyticsRepository.ts"
import { AnalyticsQueriesPg } from "./adapters/postgres/analyticsQueries.ts"
import { PgLive, pgLayer } from "./adapters/postgres/client.ts"
import { pgReadOnlyLayer, type ReadOnlyPgOptions } from "./adapters/postgres/readOnlyClient.ts"
import { MetricsPrometheus, PrometheusRegistry } from "./adapters/prometheus/metrics.ts"
import { EventQueueRabbitLive } from "./adapters/rabbitmq/EventQueueRabbit.ts"
import { ResultPublisherLive } from "./adapters/rabbitmq/ResultPublisherRabbit.ts"
import { RabbitConnectionLive } from "./adapters/rabbitmq/connection.ts"
import { BatchStorageS3Live } from "./adapters/s3/BatchStorageS3.ts"
import { countDeadLetters } from "./app/deadLetterMetrics.ts"
import { AppConfig, type AppConfigShape } from "./ports/Config.ts"
import { Readiness } from "./ports/Readiness.ts"

const inMemoryExceptRepository = (config: AppConfigShape) =>
  Layer.mergeAll(
    EventQueueMemory({ prefetchCount: config.prefetchCount }),
    BatchStorageMemory(config.buckets),
    ResultPublisherMemory,
    AnalyticsPipelineLive,
    Readiness.layer.pipe(Layer.provideMerge(MetricsMemory))
  )

export const memoryLayers = (config: AppConfigShape) =>
  Layer.merge(inMemoryExceptRepository(config), AnalyticsRepositoryMemory)

/** In memory but for the repository: PostgreSQL's adapter on the database at `databaseUrl`. */
export const embeddedLayers = (config: AppConfigShape, databaseUrl: Redacted.Redacted<string>) =>
  Layer.merge(
    inMemoryExceptRepository(config),
    AnalyticsRepositoryPg.pipe(Layer.provide(pgLayer({ url: databaseUrl, maxConnections: 4 })))
  )

/**
 * The production wiring: RabbitMQ (one connection shared by the queue and the result
 * publisher), S3/MinIO, PostgreSQL, Prometheus metrics and the ops HTTP server. Needs AppConfig.
 */
export const productionLayers = () => {
  const metrics = MetricsPrometheus
  const readiness = Readiness.layer.pipe(Layer.provideMerge(metrics))
  return Layer.mergeAll(
    countDeadLetters.pipe(Layer.provide(EventQueueRabbitLive)),
    ResultPublisherLive,
    Layer.unwrap(AppConfig.useSync((config) =>
      // A little past the server's statement_timeout: the server gives up first when it can.
      makeAnalyticsRepositoryPg({ deadlineMs: config.databaseStatementTimeoutMs + 2_000 })
    )).pipe(Layer.provide(PgLive)),
    BatchStorageS3Live,
    AnalyticsPipelineLive,
    OpsHttpLive.pipe(Layer.provide(readiness))
  ).pipe(
    Layer.provideMerge(readiness),
    Layer.provide(RabbitConnectionLive)
  )
}

/**
 * The read side (`serve`): the HTTP API and dashboard over AnalyticsQueries on PostgreSQL,
 * through a read-only pool, with its own Prometheus registry for response times.
 */
const readRegistry = Layer.effect(PrometheusRegistry, Effect.service(PrometheusRegistry)).pipe(Layer.provide(MetricsPrometheus))

export const readSideLayers = (database: ReadOnlyPgOptions, server: ReadServerOptions) =>
  readServer(server).pipe(
    Layer.provide(AnalyticsQueriesPg.pipe(Layer.provide(pgReadOnlyLayer(database)))),
    Layer.provide(readRegistry)
  )

/** The read side over the in-memory repository's tables (`local --memory`). */
export const readSideMemoryLayers = (server: ReadServerOptions) =>
  readServer(server).pipe(Layer.provide(AnalyticsQueriesMemory), Layer.provide(readRegistry))

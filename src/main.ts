/**
 * The composition root: which adapter serves which port. Nothing else in the code base picks
 * adapters, and the command line (src/cli) reaches infrastructure only through this file.
 *
 * Each port has one map of the adapters that can serve it (below); the worlds the commands
 * run in are combinations of those entries:
 *
 * - `memoryLayers`: every port in memory: tests, and `local --memory`;
 * - `embeddedLayers`: the real PostgreSQL adapter on an embedded database, the rest in memory:
 *   the embedded local run (`local`, `npm start`);
 * - `productionLayers`: RabbitMQ, S3/MinIO, PostgreSQL, Prometheus (`consume`);
 * - `readSideLayers`: the read API over PostgreSQL (`serve`).
 *
 * Infrastructure adapters are loaded on first use, so `analyze` (also run under Deno) loads
 * neither database nor broker clients.
 */
import { ConfigProvider, Effect, Layer, type Redacted, type Scope } from "effect"
import type { ReadServerOptions } from "./adapters/http/apiServer.ts"
import { AnalyticsPipelineLive } from "./adapters/lexicon/AnalyticsPipeline.ts"
import { layerLogger } from "./adapters/logging/logger.ts"
import { AnalyticsQueriesMemory } from "./adapters/memory/AnalyticsQueries.ts"
import { MetricsMemory, MetricsMemoryState } from "./adapters/memory/Metrics.ts"
import { ResultPublisherMemory, ResultPublisherMemoryNone, ResultPublisherNone } from "./adapters/memory/ResultPublisher.ts"
import { EventAnnouncerMemory } from "./adapters/memory/EventAnnouncer.ts"
import { EventQueueMemory, MemoryQueueControl } from "./adapters/memory/EventQueue.ts"
import { AnalyticsRepositoryMemory, MemoryRepositoryControl } from "./adapters/memory/AnalyticsRepository.ts"
import { BatchStorageMemory } from "./adapters/memory/BatchStorage.ts"
import type { ReadOnlyPgOptions } from "./adapters/postgres/readOnlyClient.ts"
import type { ReplaySelection } from "./adapters/rabbitmq/tools.ts"
import { countDeadLetters } from "./app/deadLetterMetrics.ts"
import type { Check, CheckResult } from "./app/validate.ts"
import { BatchStorage } from "./ports/BatchStorage.ts"
import { AppConfig, type AppConfigShape, appConfig, databaseUrlConfig, pipelineConfig } from "./ports/Config.ts"
import { Readiness } from "./ports/Readiness.ts"

export { MemoryQueueControl, MemoryRepositoryControl, MetricsMemoryState }

/** A layer from a module loaded on first use. */
const lazy = <M, A, E, R>(load: () => Promise<M>, pick: (module: M) => Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.unwrap(Effect.map(Effect.promise(load), pick))

const postgres = () => import("./adapters/postgres/client.ts")
const rabbitmq = () => import("./adapters/rabbitmq/connection.ts")

/** The shared broker connection (queue, result publisher, checks and tools use it). */
const rabbitConnection = lazy(rabbitmq, (m) => m.RabbitConnectionLive)

// ---------------------------------------------------------------------------------------------
// One map per port: the adapters that can serve it.

export const repository = {
  /** PostgreSQL at DATABASE_URL, with a client deadline a little past the server's statement_timeout. */
  postgres: lazy(() => Promise.all([import("./adapters/postgres/AnalyticsRepository.ts"), postgres()]), ([repo, client]) =>
    Layer.unwrap(AppConfig.useSync((config) => repo.makeAnalyticsRepositoryPg({ deadlineMs: config.databaseStatementTimeoutMs + 2_000 })))
      .pipe(Layer.provide(client.PgClientLive))),
  /**
   * The PostgreSQL adapter on the (embedded) database at `url`. PGlite is one backend session: a
   * pool of one keeps two batches' extended-protocol messages from interleaving.
   */
  embedded: (url: Redacted.Redacted<string>) =>
    lazy(() => Promise.all([import("./adapters/postgres/AnalyticsRepository.ts"), postgres()]), ([repo, client]) =>
      repo.AnalyticsRepositoryLive.pipe(Layer.provide(client.layerPgClient({ url, maxConnections: 1 })))),
  memory: AnalyticsRepositoryMemory
}

export const storage = {
  s3: lazy(() => import("./adapters/s3/BatchStorage.ts"), (m) => m.BatchStorageLive),
  memory: (buckets: ReadonlyArray<string>) => BatchStorageMemory(buckets)
}

export const queue = {
  rabbitmq: lazy(() => import("./adapters/rabbitmq/EventQueue.ts"), (m) => m.EventQueueLive),
  memory: EventQueueMemory
}

/** Where `publish` and the local run announce batches (the consumer never does). */
export const announcer = {
  rabbitmq: lazy(() => import("./adapters/rabbitmq/EventAnnouncer.ts"), (m) => m.EventAnnouncerLive).pipe(Layer.provide(rabbitConnection)),
  /** Into the in-memory queue (needs that queue's control). */
  memory: EventAnnouncerMemory
}

/** Whether results are published is decided here, from PUBLISH_ENABLED, and nowhere else. */
export const publisher = {
  rabbitmq: lazy(() => import("./adapters/rabbitmq/ResultPublisher.ts"), (m) =>
    Layer.unwrap(AppConfig.useSync((config) =>
      m.layerResultPublisherRabbit({ exchange: config.publishExchange, routingKey: config.publishRoutingKey })
    ))),
  none: ResultPublisherNone,
  memory: ResultPublisherMemory,
  memoryNone: ResultPublisherMemoryNone
}

export const metrics = {
  prometheus: lazy(() => import("./adapters/prometheus/Metrics.ts"), (m) => m.MetricsLive),
  memory: MetricsMemory
}


export const pipeline = {
  lexicon: AnalyticsPipelineLive,
  /**
   * The pipeline from its own variables only (`analyze`): a bad broker or database setting
   * cannot stop it; every other setting keeps its default.
   */
  standalone: AnalyticsPipelineLive.pipe(Layer.provide(Layer.effect(
    AppConfig,
    Effect.gen(function*() {
      // Every other setting at its default, whatever the environment says.
      const defaults = yield* appConfig.parse(ConfigProvider.fromEnv({ env: {} }))
      return AppConfig.of({ ...defaults, ...(yield* pipelineConfig) })
    })
  )))
}

export const logger = {
  /** LOG_FORMAT (json | pretty; default pretty on a terminal, JSON otherwise) at `level`. */
  stderr: (format: "json" | "pretty", level: string) => layerLogger(format, level)
}

// ---------------------------------------------------------------------------------------------
// The worlds.

/** What a world may replace (tests: a pipeline whose analyzer throws). */
export interface WorldOverrides {
  readonly pipeline?: Layer.Layer<import("./ports/AnalyticsPipeline.ts").AnalyticsPipeline, unknown, AppConfig> | undefined
}

const inMemoryExceptRepository = (config: AppConfigShape, overrides: WorldOverrides = {}) =>
  Layer.mergeAll(
    announcer.memory.pipe(Layer.provideMerge(queue.memory({ prefetchCount: config.prefetchCount }))),
    storage.memory(config.buckets),
    config.publishEnabled ? publisher.memory : publisher.memoryNone,
    overrides.pipeline ?? pipeline.lexicon,
    Readiness.layer.pipe(Layer.provideMerge(metrics.memory))
  )

/**
 * Every port in memory except the repository, which is `repositoryLayer`, with `config` as the
 * AppConfig (which it also provides). Tests on a real database use this with their own schema.
 */
export const layersWithRepository = <A, E, R>(
  config: AppConfigShape,
  repositoryLayer: Layer.Layer<A, E, R>,
  overrides: WorldOverrides = {}
) =>
  Layer.merge(inMemoryExceptRepository(config, overrides), repositoryLayer).pipe(
    Layer.provideMerge(Layer.succeed(AppConfig, AppConfig.of(config)))
  )

/** Every port in memory, with `config` as the AppConfig (which it also provides). */
export const memoryLayers = (config: AppConfigShape, overrides: WorldOverrides = {}) =>
  layersWithRepository(config, repository.memory, overrides)

/** In memory but for the repository: PostgreSQL's adapter on the database at `databaseUrl`. */
export const embeddedLayers = (config: AppConfigShape, databaseUrl: Redacted.Redacted<string>) =>
  layersWithRepository(config, repository.embedded(databaseUrl))

/**
 * The production wiring: RabbitMQ (one connection shared by the queue and the result
 * publisher), S3/MinIO, PostgreSQL, Prometheus metrics and the ops HTTP server. Needs AppConfig.
 */
export const productionLayers = () => {
  const readiness = Readiness.layer.pipe(Layer.provideMerge(metrics.prometheus))
  return Layer.mergeAll(
    countDeadLetters.pipe(Layer.provide(queue.rabbitmq)),
    Layer.unwrap(AppConfig.useSync((config) => config.publishEnabled ? publisher.rabbitmq : publisher.none)),
    repository.postgres,
    storage.s3,
    pipeline.lexicon,
    lazy(() => import("./adapters/http/server.ts"), (m) => m.OpsHttpLive).pipe(Layer.provide(readiness))
  ).pipe(
    Layer.provideMerge(readiness),
    Layer.provide(rabbitConnection)
  )
}

/**
 * The read side (`serve`): the HTTP API and dashboard over AnalyticsQueries on PostgreSQL,
 * through a read-only pool, with its own Prometheus registry for response times.
 */
const readServer = (server: ReadServerOptions) =>
  lazy(() => Promise.all([import("./adapters/http/apiServer.ts"), import("./adapters/prometheus/Metrics.ts")]), ([api, prometheus]) =>
    api.readServer(server).pipe(
      Layer.provide(Layer.effect(prometheus.PrometheusRegistry, Effect.service(prometheus.PrometheusRegistry)).pipe(
        Layer.provide(prometheus.MetricsLive)
      ))
    ))

export const queries = {
  /** AnalyticsQueries on PostgreSQL through a read-only pool. */
  postgres: (database: ReadOnlyPgOptions) =>
    lazy(
      () => Promise.all([import("./adapters/postgres/AnalyticsQueries.ts"), import("./adapters/postgres/readOnlyClient.ts")]),
      ([queries, client]) => queries.AnalyticsQueriesLive.pipe(Layer.provide(client.layerPgReadOnlyClient(database)))
    ),
  /** Over the in-memory repository's tables (needs its control). */
  memory: AnalyticsQueriesMemory
}

export const readSideLayers = (database: ReadOnlyPgOptions, server: ReadServerOptions) =>
  readServer(server).pipe(Layer.provide(queries.postgres(database)))

/** The read side over the in-memory repository's tables (`local --memory`). */
export const readSideMemoryLayers = (server: ReadServerOptions) => readServer(server).pipe(Layer.provide(queries.memory))

// ---------------------------------------------------------------------------------------------
// Operations the command line runs on infrastructure.

/**
 * An embedded PostgreSQL (PGlite on a loopback port), migrated. Kept in `dataDir` between runs
 * (locked while in use; `fresh` empties it first), or in memory when `dataDir` is null; its
 * server stops when the scope closes.
 */
export const embeddedDatabase = (
  options: import("./adapters/postgres/embedded.ts").EmbeddedPostgresOptions
): Effect.Effect<{ readonly url: Redacted.Redacted<string> }, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const [{ makeEmbeddedPostgres }, migrator, client] = yield* Effect.promise(() =>
      Promise.all([import("./adapters/postgres/embedded.ts"), import("./adapters/postgres/migrator.ts"), postgres()])
    )
    const { url } = yield* makeEmbeddedPostgres(options)
    yield* Effect.flatMap(migrator.loadMigrations(), (m) => migrator.migrateUp(m)).pipe(
      Effect.provide(client.layerPgClient({ url, maxConnections: 1 }))
    )
    return { url }
  })

/** `migrate`: the migrator on DATABASE_URL (read with the service's own rule and default, nothing else). */
export const migrations = {
  run: <A, E>(f: (migrator: typeof import("./adapters/postgres/migrator.ts")) => Effect.Effect<A, E, import("effect/sql/SqlClient").SqlClient>) =>
    Effect.gen(function*() {
      const [migrator, client] = yield* Effect.promise(() => Promise.all([import("./adapters/postgres/migrator.ts"), postgres()]))
      const url = yield* databaseUrlConfig
      return yield* f(migrator).pipe(
        Effect.provide(client.layerPgClient({ url, maxConnections: 2, applicationName: "smap-analytics migrate" }))
      )
    })
}

/** PostgreSQL: reachable, tables and column types, indexes present and valid, migrations current. */
export const postgresCheck: Check = {
  group: "postgres",
  run: Effect.gen(function*() {
    const config = yield* AppConfig
    const [migrator, client, { checkSchema }] = yield* Effect.promise(() =>
      Promise.all([import("./adapters/postgres/migrator.ts"), postgres(), import("./adapters/postgres/schemaCheck.ts")])
    )
    const loaded = yield* Effect.result(migrator.loadMigrations())
    if (loaded._tag === "Failure") {
      return [{ group: "postgres", name: "migrations", ok: false, detail: loaded.failure.message }]
    }
    const findings = yield* Effect.scoped(
      Effect.provide(checkSchema(loaded.success), Layer.fresh(client.layerPgClient({ url: config.databaseUrl, maxConnections: 1 })))
    ).pipe(
      Effect.catch((error) => Effect.succeed([{ name: "database", ok: false, detail: `cannot connect: ${error.message}` }]))
    )
    return findings.map((f): CheckResult => ({ group: "postgres", ...f }))
  })
}

/** RabbitMQ: the §5 exchanges and queues exist (checked passively). */
export const rabbitmqCheck: Check = {
  group: "rabbitmq",
  run: Effect.gen(function*() {
    const config = yield* AppConfig
    const [{ RabbitConnection }, { inspectTopology }, { topologyFromConfig }] = yield* Effect.promise(() =>
      Promise.all([rabbitmq(), import("./adapters/rabbitmq/inspect.ts"), import("./adapters/rabbitmq/topology.ts")])
    )
    const connection = yield* RabbitConnection
    const findings = yield* inspectTopology(connection, topologyFromConfig(config))
    return findings.map((f): CheckResult => ({ group: "rabbitmq", ...f }))
  }).pipe(
    Effect.provide(Layer.fresh(rabbitConnection)),
    Effect.scoped,
    // A login the broker refuses is a finding like any other.
    Effect.catch((error) => Effect.succeed([{ group: "rabbitmq", name: "connection", ok: false, detail: error.message }]))
  )
}

/** Storage: every configured bucket is reachable. */
export const storageCheck: Check = {
  group: "storage",
  run: Effect.gen(function*() {
    const batches = yield* BatchStorage
    const config = yield* AppConfig
    return yield* batches.check.pipe(
      Effect.map((): ReadonlyArray<CheckResult> => [{
        group: "storage",
        name: "buckets",
        ok: true,
        detail: `${config.buckets.join(", ")} reachable at ${config.minioEndpoint.origin}`
      }]),
      Effect.catch((error) => Effect.succeed([{ group: "storage", name: "buckets", ok: false, detail: error.message }]))
    )
  }).pipe(Effect.provide(storage.s3))
}

/** Every check `validate` runs. */
export const checks: ReadonlyArray<Check> = [postgresCheck, rabbitmqCheck, storageCheck]

const withBroker = <A, E>(
  f: (
    tools: typeof import("./adapters/rabbitmq/tools.ts"),
    connection: import("./adapters/rabbitmq/connection.ts").RabbitConnectionShape,
    topology: import("./adapters/rabbitmq/topology.ts").Topology,
    declare: typeof import("./adapters/rabbitmq/topology.ts").declareTopology
  ) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const [{ RabbitConnection }, tools, { topologyFromConfig, declareTopology }] = yield* Effect.promise(() =>
      Promise.all([rabbitmq(), import("./adapters/rabbitmq/tools.ts"), import("./adapters/rabbitmq/topology.ts")])
    )
    return yield* f(tools, yield* RabbitConnection, topologyFromConfig(config), declareTopology)
  }).pipe(Effect.provide(rabbitConnection))

/** `dead-letters`: list and replay on the broker at RABBITMQ_URL. */
export const deadLetters = {
  queueName: AppConfig.useSync((config) => config.deadLetterQueue),
  list: (limit: number) => withBroker((tools, connection, topology) => tools.listDeadLetters(connection, topology, limit)),
  replay: (selection: ReplaySelection, onProgress?: (seen: number, present: number, replayed: number) => void) =>
    withBroker((tools, connection, topology) => tools.replayDeadLetters(connection, topology, selection, onProgress))
}

/** `publish`: what a crawler does, against S3/MinIO and RabbitMQ. Needs AppConfig. */
export const crawlerLayers = Layer.merge(storage.s3, announcer.rabbitmq)

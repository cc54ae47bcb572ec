import { Effect, Layer } from "effect"
import { AnalyticsQueriesLive } from "../../src/adapters/postgres/AnalyticsQueries.ts"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { embeddedPostgres } from "../../src/adapters/postgres/embedded.ts"
import { loadMigrations, migrateUp } from "../../src/adapters/postgres/migrator.ts"
import { analyticsQueriesContract } from "../contracts/analyticsQueries.contract.ts"

/**
 * The read side on the embedded database (PGlite on a loopback socket), migrated by the real
 * migrator: the rollup triggers, the backfill procedure and the rollup queries as `npm start`
 * runs them.
 */
const embedded = Layer.unwrap(
  Effect.gen(function*() {
    const { url } = yield* embeddedPostgres
    yield* Effect.flatMap(loadMigrations(), (migrations) => migrateUp(migrations)).pipe(
      Effect.provide(layerPgClient({ url, maxConnections: 1 }))
    )
    return Layer.merge(AnalyticsQueriesLive, AnalyticsRepositoryLive).pipe(Layer.provide(layerPgClient({ url, maxConnections: 4 })))
  })
)

analyticsQueriesContract("embedded PostgreSQL (PGlite)", embedded)

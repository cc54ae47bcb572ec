import { Effect, Layer } from "effect"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { embeddedPostgres } from "../../src/adapters/postgres/embedded.ts"
import { loadMigrations, migrateUp } from "../../src/adapters/postgres/migrator.ts"
import { analyticsRepositoryContract } from "../contracts/analyticsRepository.contract.ts"

/**
 * The real PostgreSQL adapter on the embedded database (PGlite on a loopback socket), migrated
 * by the real migrator: the store of the embedded local run (`local`, `npm start`).
 */
const embeddedRepository = Layer.unwrap(
  Effect.gen(function*() {
    const { url } = yield* embeddedPostgres
    yield* Effect.flatMap(loadMigrations(), (migrations) => migrateUp(migrations)).pipe(
      Effect.provide(layerPgClient({ url, maxConnections: 1 }))
    )
    return AnalyticsRepositoryLive.pipe(Layer.provide(layerPgClient({ url, maxConnections: 4 })))
  })
)

analyticsRepositoryContract("embedded PostgreSQL (PGlite)", embeddedRepository)

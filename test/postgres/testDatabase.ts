import type { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { randomBytes } from "node:crypto"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../../src/adapters/postgres/migrator.ts"
import { testSettings } from "../support/testServices.ts"

/**
 * Each test gets its own schema `t_<random>` in the `test` database and a pool whose
 * `search_path` is that schema, so test files run in parallel without seeing each other's
 * rows. Unreachable PostgreSQL fails the layer, hence the test: nothing is skipped. The server
 * is `SMAP_TEST_DATABASE_URL` (test/support/testServices.ts); the global setup makes sure it is
 * up and that its database exists.
 */
export const TEST_DATABASE_URL = testSettings.database.value

export class TestSchema extends Context.Service<TestSchema, { readonly name: string }>()("test/TestSchema") {}

const admin = <A>(f: (sql: SqlClient) => Effect.Effect<A, SqlError>) =>
  Effect.provide(Effect.flatMap(SqlClient, f), layerPgClient({ url: Redacted.make(TEST_DATABASE_URL), maxConnections: 1 }))

const schemaLayer = Layer.effect(
  TestSchema,
  Effect.acquireRelease(
    Effect.gen(function*() {
      const name = `t_${randomBytes(6).toString("hex")}`
      yield* admin((sql) => sql.unsafe(`CREATE SCHEMA ${name}`))
      return TestSchema.of({ name })
    }),
    ({ name }) => admin((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`)).pipe(Effect.orDie)
  )
)

/** A fresh, empty schema and a client bound to it. */
export const TestPg: Layer.Layer<PgClient.PgClient | SqlClient | TestSchema, SqlError> = Layer.unwrap(
  TestSchema.useSync(({ name }) => layerPgClient({ url: Redacted.make(TEST_DATABASE_URL), searchPath: name, maxConnections: 6 }))
).pipe(Layer.provideMerge(schemaLayer))

/** A fresh schema with every migration applied. */
export const TestPgMigrated = Layer.effectDiscard(
  Effect.flatMap(loadMigrations(), (migrations) => migrateUp(migrations)).pipe(Effect.orDie)
).pipe(Layer.provideMerge(TestPg))

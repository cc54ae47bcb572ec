/**
 * UNNEST vs multi-row VALUES for the batch upsert (the numbers quoted in
 * src/adapters/postgres/AnalyticsRepository.ts). Own schema, dropped at the end.
 *
 *   npx tsx bench/batchInsert.ts            (DATABASE_URL defaults to the local `test` database)
 */
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { randomBytes } from "node:crypto"
import { performance } from "node:perf_hooks"
import { ANALYTICS_COLUMNS, UPSERT_ANALYTICS_SQL, unnestParams } from "../src/adapters/postgres/AnalyticsRepository.ts"
import type { AnalyticsRecord } from "../src/domain/records.ts"
import { layerPgClient } from "../src/adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../src/adapters/postgres/migrator.ts"
import { analytics } from "../test/postgres/fixtures.ts"

const url = Redacted.make(process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test")
const schema = `bench_${randomBytes(4).toString("hex")}`
const RUNS = 30

const tail = UPSERT_ANALYTICS_SQL.slice(UPSERT_ANALYTICS_SQL.indexOf("ON CONFLICT"))
const names = ANALYTICS_COLUMNS.map(([name]) => name)

/** Multi-row VALUES: one placeholder per cell, cast to the column type. */
const valuesStatement = (rows: number) => {
  const tuples = Array.from({ length: rows }, (_, r) =>
    `(${ANALYTICS_COLUMNS.map(([, type], c) => `$${r * ANALYTICS_COLUMNS.length + c + 1}::${type}`).join(", ")})`)
  return `INSERT INTO post_analytics (${names.join(", ")}) VALUES ${tuples.join(", ")} ${tail}`
}
const valuesParams = (records: ReadonlyArray<AnalyticsRecord>) =>
  records.flatMap((record) =>
    ANALYTICS_COLUMNS.map(([name, type]) => {
      const v: unknown = record[name]
      return v === null || v === undefined ? null : type === "jsonb" ? JSON.stringify(v) : typeof v === "string" ? v : String(v)
    })
  )

const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

const program = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* migrateUp(yield* loadMigrations())
  let seq = 0
  const makeBatch = (size: number) =>
    Array.from({ length: size }, () => analytics({ id: String(7_400_000_000_000_000_000n + BigInt(seq++)) }))
  for (const size of [50, 200, 700, 1000]) {
    const fits = size * ANALYTICS_COLUMNS.length <= 32_767
    const samples = { unnest: { fresh: [] as Array<number>, again: [] as Array<number> }, values: { fresh: [] as Array<number>, again: [] as Array<number> } }
    // The two shapes alternate run by run, so background load on the machine hits both alike.
    for (let run = 0; run < RUNS + 3; run++) {
      for (const shape of fits ? (["unnest", "values"] as const) : (["unnest"] as const)) {
        const rows = makeBatch(size)
        const statement = shape === "unnest"
          ? sql.unsafe(UPSERT_ANALYTICS_SQL, unnestParams(ANALYTICS_COLUMNS, rows))
          : sql.unsafe(valuesStatement(size), valuesParams(rows))
        for (const bucket of [samples[shape].fresh, samples[shape].again]) {
          const t0 = performance.now()
          yield* sql.withTransaction(statement)
          if (run >= 3) bucket.push(performance.now() - t0) // first runs warm the plan cache
        }
      }
    }
    for (const shape of ["unnest", "values"] as const) {
      const line = `${String(size).padStart(5)} rows  ${shape.padEnd(7)}`
      console.log(
        shape === "values" && !fits
          ? `${line} impossible: ${size * ANALYTICS_COLUMNS.length} bind parameters > 32767 (driver limit)`
          : `${line} insert ${median(samples[shape].fresh).toFixed(2)} ms  re-upsert ${median(samples[shape].again).toFixed(2)} ms`
      )
    }
  }
})

const admin = <A, E>(f: (sql: SqlClient) => Effect.Effect<A, E>) =>
  Effect.provide(Effect.flatMap(SqlClient, f), layerPgClient({ url, maxConnections: 1 }))

await Effect.runPromise(
  admin((sql) => sql.unsafe(`CREATE SCHEMA ${schema}`)).pipe(
    Effect.andThen(Effect.provide(program, layerPgClient({ url, searchPath: schema, maxConnections: 2 }))),
    Effect.ensuring(Effect.orDie(admin((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))))
  )
)

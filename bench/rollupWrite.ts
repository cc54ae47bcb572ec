/**
 * What the rollup triggers of migration 0013 cost the writer: `writeBatch` (the repository's own
 * transaction: posts, post_keywords, errors, ledger) with the triggers enabled and disabled, the
 * two alternating batch by batch so background load hits both alike. Three kinds of batch:
 * new posts, the same batch again (redelivery: no count changes), and a re-store that changes
 * every post's sentiment and hour (every count moves). Own schema, dropped at the end.
 *
 *   npx tsx bench/rollupWrite.ts            (DATABASE_URL defaults to the local `test` database;
 *                                            SIZE=50 posts per batch, RUNS=40 per kind and mode)
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { randomBytes } from "node:crypto"
import { loadavg } from "node:os"
import { performance } from "node:perf_hooks"
import { AnalyticsRepositoryLive } from "../src/adapters/postgres/AnalyticsRepository.ts"
import { layerPgClient } from "../src/adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../src/adapters/postgres/migrator.ts"
import { AnalyticsRepository } from "../src/ports/AnalyticsRepository.ts"
import { analytics, batch } from "../test/postgres/fixtures.ts"
import { seedPosts } from "../test/postgres/seed.ts"

const url = Redacted.make(process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test")
const tag = randomBytes(4).toString("hex")
/** Two schemas, alike but for the triggers (disabled once in the second: toggling them per batch would invalidate every cached plan). */
const schemas = { triggers: `bench_${tag}_on`, "no triggers": `bench_${tag}_off` } as const
const SIZE = Number(process.env["SIZE"] ?? 50)
const RUNS = Number(process.env["RUNS"] ?? 40)
const PROJECT = "00000000-0000-4000-8000-000000000001"

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const p90 = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)] ?? NaN

const prepare = (schema: string, triggers: boolean) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(AnalyticsRepositoryLive.pipe(Layer.provideMerge(layerPgClient({ url, searchPath: schema, maxConnections: 2 }))))
    const sql = Context.get(context, SqlClient)
    yield* migrateUp(yield* loadMigrations()).pipe(Effect.provideService(SqlClient, sql))
    // 100 000 posts over 50 projects already stored (rollup rows exist to be updated).
    yield* seedPosts({ rows: 100_000, projects: 50, now: "2025-12-06T12:00:00.000Z" }).pipe(Effect.provideService(SqlClient, sql))
    if (!triggers) yield* sql.unsafe(`ALTER TABLE post_analytics DISABLE TRIGGER USER`)
    return Context.get(context, AnalyticsRepository)
  })

const program = Effect.gen(function*() {
  const repos = { triggers: yield* prepare(schemas.triggers, true), "no triggers": yield* prepare(schemas["no triggers"], false) }
  const kinds = ["new posts", "same batch again", "every post re-stored with another sentiment and hour"] as const
  const samples: Record<string, Array<number>> = {}
  let seq = 0
  for (let run = 0; run < RUNS + 3; run++) {
    for (const mode of ["triggers", "no triggers"] as const) {
      const repo = repos[mode]
      const ids = Array.from({ length: SIZE }, () => String(7_500_000_000_000_000_000n + BigInt(seq++)))
      const hour = (h: number) => new Date(Date.parse("2025-12-05T00:00:00Z") + h * 3_600_000).toISOString()
      const write = (sentiment: "POSITIVE" | "NEGATIVE", crawled: string, shift: number, path: string) =>
        repo.writeBatch(batch({
          ledger: { ...batch().ledger, object_path: path },
          errors: [],
          analytics: ids.map((id, i) =>
            analytics({
              id,
              project_id: PROJECT,
              overall_sentiment: sentiment,
              published_at: hour((i % 24) + shift),
              crawled_at: crawled,
              keywords: [{ keyword: `k${i % 7}`, aspect: "PRICE", score: 1, source: "dictionary" }]
            })
          )
        }))
      const steps = [
        write("POSITIVE", "2025-12-06T10:00:00.000Z", 0, `bench/${run}-${mode}.json`),
        write("POSITIVE", "2025-12-06T10:00:00.000Z", 0, `bench/${run}-${mode}.json`),
        write("NEGATIVE", "2025-12-06T11:00:00.000Z", 1, `bench/${run}-${mode}-b.json`)
      ]
      for (const [k, step] of steps.entries()) {
        const t0 = performance.now()
        yield* step
        if (run >= 3) (samples[`${kinds[k]}|${mode}`] ??= []).push(performance.now() - t0)
      }
    }
  }
  const lines = [
    `writeBatch of ${SIZE} posts, ${RUNS} runs per kind and mode, 100 000 posts stored; ms per batch; load average ${loadavg().map((n) => n.toFixed(2)).join(", ")}`,
    "",
    "| batch | p50 with triggers | p50 without | ratio | p90 with | p90 without |",
    "|---|---:|---:|---:|---:|---:|"
  ]
  for (const kind of kinds) {
    const on = samples[`${kind}|triggers`] ?? []
    const off = samples[`${kind}|no triggers`] ?? []
    lines.push(`| ${kind} | ${median(on).toFixed(2)} | ${median(off).toFixed(2)} | ${(median(on) / median(off)).toFixed(2)}× | ${p90(on).toFixed(2)} | ${p90(off).toFixed(2)} |`)
  }
  console.log(lines.join("\n"))
})

const admin = <A, E>(f: (sql: SqlClient) => Effect.Effect<A, E>) =>
  Effect.provide(Effect.flatMap(SqlClient, f), layerPgClient({ url, maxConnections: 1 }))

const dropSchemas = admin((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schemas.triggers}, ${schemas["no triggers"]} CASCADE`)).pipe(Effect.orDie)

Effect.runPromise(
  admin((sql) => Effect.all([sql.unsafe(`CREATE SCHEMA ${schemas.triggers}`), sql.unsafe(`CREATE SCHEMA ${schemas["no triggers"]}`)])).pipe(
    Effect.andThen(Effect.scoped(program)),
    Effect.ensuring(dropSchemas)
  )
).catch((e) => {
  console.error(e)
  process.exitCode = 1
})

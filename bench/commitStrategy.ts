/**
 * Commit strategy for one batch of posts (docs/batch-processing-rationale.md §2): the service's
 * one-transaction batch write versus the two per-item alternatives. Own schema, dropped at the end.
 *
 *   npx tsx bench/commitStrategy.ts        (DATABASE_URL defaults to the local `test` database)
 *
 * Strategies, per batch of N analytics rows plus its ledger row:
 *   batch     AnalyticsRepositoryLive.writeBatch: BEGIN, one UNNEST upsert of N rows, ledger, COMMIT
 *             → 4 round trips, 1 commit (what the service does)
 *   rows-1tx  BEGIN, N single-row upserts, ledger, COMMIT
 *             → N + 3 round trips, 1 commit ("N INSERTs in one transaction")
 *   per-item  N × (BEGIN, single-row upsert, COMMIT), then the ledger (autocommit)
 *             → 3N + 1 round trips, N + 1 commits (the earlier service's per-item commit)
 * Round trips and commits are counted by construction (each statement is one extended-protocol
 * exchange). Every run writes new post ids, the strategies alternate run by run so background
 * load hits them alike, and the first runs only warm up. "parallel 4" runs 4 batches at once on
 * 4 connections (MAX_CONCURRENT_BATCHES defaults to 4), so WAL group commit can help per-item.
 */
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { randomBytes } from "node:crypto"
import { performance } from "node:perf_hooks"
import { ANALYTICS_COLUMNS, AnalyticsRepositoryLive, UPSERT_ANALYTICS_SQL, unnestParams } from "../src/adapters/postgres/AnalyticsRepository.ts"
import { layerPgClient } from "../src/adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../src/adapters/postgres/migrator.ts"
import { AnalyticsRepository } from "../src/ports/AnalyticsRepository.ts"
import type { AnalyticsRecord } from "../src/domain/records.ts"
import { analytics, ledger } from "../test/postgres/fixtures.ts"

const url = Redacted.make(process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test")
const schema = `bench_commit_${randomBytes(4).toString("hex")}`
const RUNS = 30
const WARMUP = 3
const SIZES = [20, 50] as const
const STRATEGIES = ["batch", "rows-1tx", "per-item"] as const
type Strategy = (typeof STRATEGIES)[number]

const roundTrips = (s: Strategy, n: number) => (s === "batch" ? 4 : s === "rows-1tx" ? n + 3 : 3 * n + 1)
const commits = (s: Strategy, n: number) => (s === "per-item" ? n + 1 : 1)

const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN
}

let seq = 0
let batchNo = 0
const makeBatch = (size: number) => {
  const rows = Array.from({ length: size }, () => analytics({ id: String(7_500_000_000_000_000_000n + BigInt(seq++)) }))
  const entry = ledger({ object_path: `crawl-results/tiktok/bench/batch_${batchNo++}.json`, actual_size: size, stored_count: size, error_count: 0 })
  return { rows, entry }
}

const write = (strategy: Strategy, size: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const repository = yield* AnalyticsRepository
    const { rows, entry } = makeBatch(size)
    const one = (row: AnalyticsRecord) => sql.unsafe(UPSERT_ANALYTICS_SQL, unnestParams(ANALYTICS_COLUMNS, [row]))
    switch (strategy) {
      case "batch":
        return yield* repository.writeBatch({ ledger: entry, analytics: rows, errors: [] })
      case "rows-1tx":
        return yield* sql.withTransaction(
          Effect.forEach(rows, one, { discard: true }).pipe(Effect.andThen(repository.recordFailedBatch(entry)))
        )
      case "per-item":
        yield* Effect.forEach(rows, (row) => sql.withTransaction(one(row)), { discard: true })
        return yield* repository.recordFailedBatch(entry)
    }
  })

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const t0 = performance.now()
    yield* effect
    return performance.now() - t0
  })

const program = Effect.gen(function*() {
  yield* migrateUp(yield* loadMigrations())
  const sql = yield* SqlClient
  const [settings] = yield* sql<{ sc: string; fsync: string }>`SELECT current_setting('synchronous_commit') AS sc, current_setting('fsync') AS fsync`
  console.log(`commit strategy bench: synchronous_commit=${settings?.sc} fsync=${settings?.fsync}; median and p95 of ${RUNS} runs after ${WARMUP} warm-up`)
  console.log(`${"posts".padStart(5)}  ${"strategy".padEnd(9)} ${"trips".padStart(5)} ${"commits".padStart(7)}  ${"serial p50".padStart(10)} ${"p95".padStart(9)}  ${"posts/s".padStart(8)}   ${"parallel 4 p50".padStart(14)}  ${"posts/s".padStart(8)}`)
  for (const size of SIZES) {
    const serial: Record<Strategy, Array<number>> = { batch: [], "rows-1tx": [], "per-item": [] }
    const parallel: Record<Strategy, Array<number>> = { batch: [], "rows-1tx": [], "per-item": [] }
    for (let run = 0; run < RUNS + WARMUP; run++) {
      for (const strategy of STRATEGIES) {
        const one = yield* timed(write(strategy, size))
        // Four batches at once; the time is for all four.
        const four = yield* timed(Effect.all([0, 1, 2, 3].map(() => write(strategy, size)), { concurrency: 4, discard: true }))
        if (run >= WARMUP) {
          serial[strategy].push(one)
          parallel[strategy].push(four)
        }
      }
    }
    for (const strategy of STRATEGIES) {
      const s50 = percentile(serial[strategy], 0.5)
      const p50 = percentile(parallel[strategy], 0.5)
      console.log(
        `${String(size).padStart(5)}  ${strategy.padEnd(9)} ${String(roundTrips(strategy, size)).padStart(5)} ${String(commits(strategy, size)).padStart(7)}  ` +
          `${s50.toFixed(2).padStart(7)} ms ${percentile(serial[strategy], 0.95).toFixed(2).padStart(6)} ms  ${Math.round((size / s50) * 1000).toLocaleString("en").padStart(8)}   ` +
          `${p50.toFixed(2).padStart(11)} ms  ${Math.round(((4 * size) / p50) * 1000).toLocaleString("en").padStart(8)}`
      )
    }
  }
})

const admin = <A, E>(f: (sql: SqlClient) => Effect.Effect<A, E>) =>
  Effect.provide(Effect.flatMap(SqlClient, f), Layer.fresh(layerPgClient({ url, maxConnections: 1 })))

const client = layerPgClient({ url, searchPath: schema, maxConnections: 4 })

await Effect.runPromise(
  admin((sql) => sql.unsafe(`CREATE SCHEMA ${schema}`)).pipe(
    Effect.andThen(Effect.provide(program, Layer.provideMerge(AnalyticsRepositoryLive, client))),
    Effect.ensuring(Effect.orDie(admin((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))))
  )
)

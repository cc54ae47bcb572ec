/**
 * The read side's queries (the AnalyticsQueries port over PostgreSQL, as `serve` runs them, one
 * client) on 100 000 and 1 000 000 rows over 300 projects, each next to the same query with
 * every index forbidden, and
 * the writer's longest stall while idx_post_analytics_project_id is built on 1M rows,
 * CONCURRENTLY versus a plain CREATE INDEX.
 *
 *   npm run bench:dashboard          (DATABASE_URL defaults to the local `test` database)
 *
 * Runs in its own schema, dropped at the end. "warm": repeated runs over 40 projects after a
 * warm-up pass. "cold": the first run of each query on a new connection (plan and catalog
 * caches empty; PostgreSQL's shared buffers and the OS page cache cannot be emptied without
 * restarting the server, so this is not a cold disk). "seq": the same queries on a connection
 * where the planner may not use any index, i.e. what a sequential scan costs. Concurrency and
 * HTTP overhead are measured by bench/api.ts.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Fiber, Layer, Redacted, Ref } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { randomBytes } from "node:crypto"
import { performance } from "node:perf_hooks"
import { layerPgClient } from "../src/adapters/postgres/client.ts"
import { AnalyticsQueriesLive } from "../src/adapters/postgres/AnalyticsQueries.ts"
import { loadMigrations, migrateUp } from "../src/adapters/postgres/migrator.ts"
import { AnalyticsQueries, type AnalyticsQueriesShape } from "../src/ports/AnalyticsQueries.ts"
import { projectId, seedPosts } from "../test/postgres/seed.ts"

const url = Redacted.make(process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test")
const schema = `bench_dash_${randomBytes(4).toString("hex")}`
const NOW = "2025-12-06T12:00:00.000Z"
const PROJECTS = 300
const SAMPLE_PROJECTS = 40
const DASHBOARD_INDEXES = [
  ["idx_post_analytics_project_id", "post_analytics (project_id)"],
  ["idx_post_analytics_project_published", "post_analytics (project_id, published_at DESC, platform DESC, id DESC)"],
  ["idx_post_analytics_project_crisis", "post_analytics (project_id, published_at DESC) WHERE risk_level IN ('HIGH', 'CRITICAL')"],
  [
    "idx_post_analytics_project_summary",
    "post_analytics (project_id, published_at) INCLUDE (overall_sentiment, risk_level, primary_intent, platform, view_count, like_count, comment_count, share_count, save_count, overall_sentiment_score, impact_score, overall_confidence)"
  ],
  ["idx_post_keywords_project_keyword", "post_keywords (project_id, keyword, aspect) INCLUDE (published_at)"]
] as const

const hoursBefore = (hours: number) => new Date(Date.parse(NOW) - hours * 3_600_000).toISOString()

/** The read side's queries as `serve` runs them, through the AnalyticsQueries port. */
const queries = (q: AnalyticsQueriesShape, project: string): Record<string, Effect.Effect<unknown, unknown>> => ({
  "posts page 1": q.posts({ projectId: project, limit: 50 }),
  "posts filtered": q.posts({ projectId: project, limit: 50, sentiment: "NEGATIVE", platform: "TIKTOK", from: hoursBefore(24 * 7) }),
  "posts page after cursor": q.posts({
    projectId: project,
    limit: 50,
    after: { published_at: hoursBefore(24 * 10), platform: "TIKTOK", id: "9" }
  }),
  "summary": q.summary(project, {}),
  "trend by day (30 d)": q.trend({ projectId: project, bucket: "day", timeZone: "Asia/Ho_Chi_Minh", from: hoursBefore(24 * 30), to: NOW }),
  "trend by hour (48 h)": q.trend({ projectId: project, bucket: "hour", timeZone: "Asia/Ho_Chi_Minh", from: hoursBefore(48), to: NOW }),
  "top keywords": q.topKeywords(project, {}, 20),
  "top keywords (7 d)": q.topKeywords(project, { from: hoursBefore(24 * 7), to: NOW }, 20),
  "aspects": q.aspects(project, {}),
  "crisis radar (24 h)": q.crisis({ projectId: project, from: hoursBefore(24), to: NOW, limit: 20 })
})

const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN
}

const time = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const t0 = performance.now()
    yield* effect
    return performance.now() - t0
  })

/** ms per query name, over `projects`, `rounds` times each, on the pool in context. */
const measure = (projects: ReadonlyArray<string>, rounds: number) =>
  Effect.gen(function*() {
    const q = yield* AnalyticsQueries
    const samples: Record<string, Array<number>> = {}
    for (let round = 0; round < rounds; round++) {
      for (const project of projects) {
        for (const [name, query] of Object.entries(queries(q, project))) {
          ;(samples[name] ??= []).push(yield* time(query))
        }
      }
    }
    return samples
  }).pipe(Effect.provide(AnalyticsQueriesLive))

/** The first run of each query on a new connection (plan and catalog caches empty). */
const cold = (projects: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const samples: Record<string, Array<number>> = {}
    for (const project of projects) {
      const once = Effect.gen(function*() {
        const sql = yield* SqlClient
        yield* sql`SELECT 1` // connect outside the timing
        const q = yield* AnalyticsQueries
        for (const [name, query] of Object.entries(queries(q, project))) {
          ;(samples[name] ??= []).push(yield* time(query))
        }
      }).pipe(Effect.provide(AnalyticsQueriesLive))
      yield* Effect.provide(once, Layer.fresh(layerPgClient({ url, searchPath: schema, maxConnections: 1 })))
    }
    return samples
  })

/**
 * The same data and queries with the planner forbidden to use any index (the identity
 * constraint's index also leads with project_id, so dropping ours alone would not give a
 * sequential scan).
 */
const seqScanOnly = PgClient.layer({
  url,
  maxConnections: 1,
  startupParameters: { search_path: schema, enable_indexscan: "off", enable_bitmapscan: "off", enable_indexonlyscan: "off" }
})

/** Inserts one post at a time until told to stop; returns the longest gap between two commits. */
const writer = (stop: Ref.Ref<boolean>, offset: number) =>
  Effect.gen(function*() {
    let longest = 0
    let writes = 0
    let last = performance.now()
    while (!(yield* Ref.get(stop))) {
      yield* seedPosts({ rows: 1, projects: PROJECTS, now: NOW, offset: offset + writes, analyze: false })
      const t = performance.now()
      longest = Math.max(longest, t - last)
      last = t
      writes++
    }
    return { longest, writes }
  })

const buildWithWriter = (statement: string, offset: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const stop = yield* Ref.make(false)
    const fiber = yield* Effect.forkChild(writer(stop, offset))
    yield* Effect.sleep("200 millis")
    const took = yield* time(sql.unsafe(statement))
    yield* Effect.sleep("200 millis")
    yield* Ref.set(stop, true)
    const w = yield* Fiber.join(fiber)
    return { took, ...w }
  })

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1)).padStart(7)

const runSize = (rows: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    yield* sql`TRUNCATE post_analytics, post_keywords`
    for (const [name] of DASHBOARD_INDEXES) yield* sql.unsafe(`DROP INDEX IF EXISTS ${name}`)
    const seeded = yield* time(Effect.gen(function*() {
      // In 100 000-row chunks so one statement never holds a huge sort.
      for (let offset = 0; offset < rows; offset += 100_000) {
        yield* seedPosts({ rows: Math.min(100_000, rows - offset), projects: PROJECTS, now: NOW, offset, analyze: false })
      }
      // seedPosts writes each post's keyword rows to post_keywords in the same statement, as the
      // writer does. VACUUM sets both tables' visibility maps (index-only scans need them).
      yield* sql`VACUUM ANALYZE post_analytics, post_keywords`
    }))
    console.log(`\n== ${rows.toLocaleString("en")} rows, ${PROJECTS} projects (seeded in ${(seeded / 1000).toFixed(1)} s)`)
    const projects = Array.from({ length: SAMPLE_PROJECTS }, (_, i) => projectId((i * 7) % PROJECTS))


    // The writer's stall: plain CREATE INDEX blocks inserts for the whole build; CONCURRENTLY should not.
    const plain = yield* buildWithWriter(`CREATE INDEX ${DASHBOARD_INDEXES[0][0]} ON ${DASHBOARD_INDEXES[0][1]}`, 10_000_000)
    yield* sql.unsafe(`DROP INDEX ${DASHBOARD_INDEXES[0][0]}`)
    const concurrent = yield* buildWithWriter(
      `CREATE INDEX CONCURRENTLY ${DASHBOARD_INDEXES[0][0]} ON ${DASHBOARD_INDEXES[0][1]}`,
      20_000_000
    )
    console.log(
      `idx_post_analytics_project_id build with a writer inserting one row per transaction:\n` +
        `  plain CREATE INDEX          ${fmt(plain.took)} ms build, writer's longest stall ${fmt(plain.longest)} ms (${plain.writes} inserts)\n` +
        `  CREATE INDEX CONCURRENTLY   ${fmt(concurrent.took)} ms build, writer's longest stall ${fmt(concurrent.longest)} ms (${concurrent.writes} inserts)`
    )
    for (const [name, definition] of DASHBOARD_INDEXES.slice(1)) yield* sql.unsafe(`CREATE INDEX ${name} ON ${definition}`)
    yield* sql`VACUUM ANALYZE post_analytics, post_keywords`

    yield* measure(projects, 1) // warm-up pass
    const warm = yield* measure(projects, 3)
    const coldRuns = yield* cold(projects.slice(0, 5))
    // seq: the same statements with every index forbidden (what a sequential scan costs).
    const seq = yield* Effect.provide(measure(projects.slice(0, 10), 1), Layer.fresh(seqScanOnly))

    console.log(`${"query".padEnd(26)} ${"warm p50".padStart(9)} ${"warm p95".padStart(9)} ${"cold p50".padStart(9)} ${"seq p50".padStart(9)} ${"seq/warm".padStart(9)}`)
    for (const name of Object.keys(warm)) {
      const w50 = percentile(warm[name] ?? [], 0.5)
      const s50 = percentile(seq[name] ?? [], 0.5)
      console.log(
        `${name.padEnd(26)} ${fmt(w50)} ms${fmt(percentile(warm[name] ?? [], 0.95))} ms${fmt(percentile(coldRuns[name] ?? [], 0.5))} ms${fmt(s50)} ms ${(s50 / w50).toFixed(0).padStart(7)}×`
      )
    }
  })

const program = Effect.gen(function*() {
  yield* migrateUp(yield* loadMigrations())
  yield* runSize(100_000)
  yield* runSize(1_000_000)
})

const admin = <A, E>(f: (sql: SqlClient) => Effect.Effect<A, E>) =>
  Effect.provide(Effect.flatMap(SqlClient, f), Layer.fresh(layerPgClient({ url, maxConnections: 1 })))

await Effect.runPromise(
  admin((sql) => sql.unsafe(`CREATE SCHEMA ${schema}`)).pipe(
    Effect.andThen(Effect.provide(program, layerPgClient({ url, searchPath: schema, maxConnections: 4 }))),
    Effect.ensuring(Effect.orDie(admin((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))))
  )
)

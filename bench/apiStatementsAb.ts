/**
 * One read statement, as another revision wrote it and as this one does, alternately on the
 * database `npm run bench:api` seeded (KEEP=1): planning + execution from EXPLAIN ANALYZE
 * (TIMING OFF), 20 runs each, one client; min, 25th percentile and median. Alternating keeps a
 * busy machine's noise out of the comparison.
 *
 *   npx tsx bench/apiStatementsAb.ts REV [summary|trend|kolkata|keywords|aspects] [ragged]
 *       (REV: a git revision, e.g. 25f1f20; DATABASE_URL: the server holding smap_bench_api)
 */
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { queryStatements as current } from "../src/adapters/postgres/AnalyticsQueries.ts"
import { layerPgReadOnlyClient } from "../src/adapters/postgres/readOnlyClient.ts"

const [rev, which = "trend", shape] = process.argv.slice(2)
if (rev === undefined) throw new Error("usage: apiStatementsAb.ts REV [summary|trend|kolkata|keywords|aspects] [ragged]")
const NOW = "2025-12-06T12:00:00.000Z"
const hb = (h: number) => new Date(Date.parse(NOW) - h * 3_600_000).toISOString()
const range = shape === "ragged" ? { from: hb(168.4), to: hb(0.3) } : {}
const url = (() => {
  const u = new URL(process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test")
  u.pathname = "/smap_bench_api"
  return u.toString()
})()

// The other revision's adapter, its relative imports pointed at this checkout's modules.
const src = resolve(import.meta.dirname, "../src")
// Under node_modules/.cache, so that its package imports (effect) resolve from this checkout.
const cache = resolve(import.meta.dirname, "../node_modules/.cache")
mkdirSync(cache, { recursive: true })
const dir = mkdtempSync(join(cache, "smap-ab-"))
const file = join(dir, "AnalyticsQueries.ts")
writeFileSync(file, execFileSync("git", ["show", `${rev}:src/adapters/postgres/AnalyticsQueries.ts`], { encoding: "utf8" })
  .replaceAll(`"../../`, `"${src}/`).replaceAll(`"./`, `"${src}/adapters/postgres/`))
const { queryStatements: base } = (await import(file)) as { queryStatements: typeof current }
rmSync(dir, { recursive: true })

type Q = ReturnType<typeof current>
const statement = (q: Q) => {
  const p = "00000000-0000-4000-8000-000000000007"
  switch (which) {
    case "summary": return q.summary(p, range)
    case "keywords": return q.topKeywords(p, range, 20)
    case "aspects": return q.aspects(p, range)
    case "kolkata": return q.trend({ projectId: p, bucket: "day", timeZone: "Asia/Kolkata", from: hb(720), to: NOW })
    default: return q.trend({ projectId: p, bucket: "day", timeZone: "Asia/Ho_Chi_Minh", from: hb(720), to: NOW })
  }
}

Effect.runPromise(Effect.gen(function*() {
  const sql = yield* SqlClient
  const variants = { [rev]: statement(base(sql)).compile(), current: statement(current(sql)).compile() }
  const times: Record<string, Array<number>> = { [rev]: [], current: [] }
  for (let i = 0; i < 20; i++) {
    for (const [name, [text, params]] of Object.entries(variants)) {
      const [row] = yield* sql.unsafe<{ "QUERY PLAN": Array<{ "Execution Time": number; "Planning Time": number }> }>(
        `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${text}`, params)
      const plan = row?.["QUERY PLAN"][0]
      times[name]?.push((plan?.["Execution Time"] ?? NaN) + (plan?.["Planning Time"] ?? NaN))
    }
  }
  for (const [name, t] of Object.entries(times)) {
    t.sort((a, b) => a - b)
    console.log(`${which}${shape === undefined ? "" : ` ${shape}`} ${name}: min ${t[0]?.toFixed(2)} p25 ${t[5]?.toFixed(2)} median ${t[10]?.toFixed(2)} ms`)
  }
}).pipe(Effect.provide(layerPgReadOnlyClient({ url: Redacted.make(url), maxConnections: 1 })))).catch((e) => {
  console.error(e)
  process.exitCode = 1
})

/**
 * Each read-side statement alone, on the database `npm run bench:api` seeded (1M posts, 50
 * projects; run it first, or with KEEP=1): planning + execution time from EXPLAIN ANALYZE,
 * median and best of 7 (RUNS=n for more), one client, through the read pool's session settings. The statements'
 * own cost, without HTTP, the pool or concurrent clients.
 *
 *   npx tsx bench/apiStatements.ts        (DATABASE_URL: the server holding smap_bench_api)
 */
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { loadavg } from "node:os"
import { queryStatements } from "../src/adapters/postgres/AnalyticsQueries.ts"
import { layerPgReadOnlyClient } from "../src/adapters/postgres/readOnlyClient.ts"
const NOW = "2025-12-06T12:00:00.000Z"
const url = (() => {
  const u = new URL(process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test")
  u.pathname = "/smap_bench_api"
  return u.toString()
})()
const RUNS = Number(process.env["RUNS"] ?? 7)
const hb = (h: number) => new Date(Date.parse(NOW) - h * 3_600_000).toISOString()
const prog = Effect.gen(function*() {
  const sql = yield* SqlClient
  const q = queryStatements(sql)
  const p = "00000000-0000-4000-8000-000000000007"
  const st = {
    summary: q.summary(p, {}),
    "summary 7 d ragged": q.summary(p, { from: hb(168.4), to: hb(0.3) }),
    "trend day 30 d HCM": q.trend({ projectId: p, bucket: "day", timeZone: "Asia/Ho_Chi_Minh", from: hb(720), to: NOW }),
    "trend day 30 d Kolkata": q.trend({ projectId: p, bucket: "day", timeZone: "Asia/Kolkata", from: hb(720), to: NOW }),
    "trend hour 48 h": q.trend({ projectId: p, bucket: "hour", timeZone: "Asia/Ho_Chi_Minh", from: hb(48), to: NOW }),
    aspects: q.aspects(p, {}),
    "keywords top 20": q.topKeywords(p, {}, 20),
    "keywords 7 d ragged": q.topKeywords(p, { from: hb(168.4), to: hb(0.3) }, 20),
    "posts page 1": q.posts({ projectId: p, limit: 50 }),
    "crisis top 20": q.crisis({ projectId: p, limit: 20 })
  }
  console.log(`project ${p}, load average ${loadavg().map((n) => n.toFixed(2)).join(", ")}; ms, planning + execution\n`)
  console.log(`| statement | median of ${RUNS} | best |\n|---|---:|---:|`)
  for (const [name, s] of Object.entries(st)) {
    const [text, params] = s.compile()
    const times: Array<number> = []
    for (let i = 0; i < RUNS; i++) {
      const [row] = yield* sql.unsafe<{ "QUERY PLAN": Array<{ "Execution Time": number; "Planning Time": number }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, params)
      const plan = row?.["QUERY PLAN"][0]
      times.push((plan?.["Execution Time"] ?? NaN) + (plan?.["Planning Time"] ?? NaN))
    }
    times.sort((a, b) => a - b)
    console.log(`| ${name} | ${times[Math.floor(times.length / 2)]?.toFixed(2)} | ${times[0]?.toFixed(2)} |`)
  }
}).pipe(Effect.provide(layerPgReadOnlyClient({ url: Redacted.make(url), maxConnections: 1 })))
Effect.runPromise(prog).catch((e) => {
  console.error(e)
  process.exitCode = 1
})

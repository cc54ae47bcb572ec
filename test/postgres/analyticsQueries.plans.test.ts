import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { Statement } from "effect/sql/Statement"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { AnalyticsQueriesLive, queryStatements } from "../../src/adapters/postgres/AnalyticsQueries.ts"
import type { KeywordHit } from "../../src/domain/records.ts"
import { AnalyticsQueries } from "../../src/ports/AnalyticsQueries.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { analytics, batch, PROJECT } from "./fixtures.ts"
import { projectId, seedPosts } from "./seed.ts"
import { TestPgMigrated } from "./testDatabase.ts"

/**
 * What the equivalence test cannot see: every statement of the PostgreSQL adapter is served by an
 * index on 20 000 ANALYZEd posts (no sequential scan), big counts stay exact, and post_keywords
 * (kept by the writer) counts what the posts' own jsonb `keywords` hold after rewrites.
 */
const Live = Layer.mergeAll(AnalyticsQueriesLive, AnalyticsRepositoryLive).pipe(Layer.provideMerge(TestPgMigrated))
const NOW = "2025-12-06T12:00:00.000Z"
const isoHoursBefore = (hours: number) => new Date(Date.parse(NOW) - hours * 3_600_000).toISOString()

/** Five hand-made posts in PROJECT, next to 20 000 seeded posts of 40 other projects. */
const seeded = Effect.gen(function*() {
  yield* seedPosts({ rows: 20_000, projects: 40, now: NOW })
  const repo = yield* AnalyticsRepository
  const post = (id: string, hoursAgo: number, extra: Parameters<typeof analytics>[0] = {}) =>
    analytics({ id, published_at: isoHoursBefore(hoursAgo), ...extra })
  yield* repo.writeBatch(batch({
    errors: [],
    analytics: [
      post("1", 1, { risk_level: "CRITICAL", impact_score: 90, overall_sentiment: "NEGATIVE", is_viral: true, is_kol: true }),
      post("2", 2, { risk_level: "HIGH", impact_score: 75, overall_sentiment: "NEGATIVE", platform: "YOUTUBE" }),
      post("3", 30, { risk_level: "HIGH", impact_score: 99, overall_sentiment: "NEGATIVE" }),
      post("4", 3, { keywords: [{ keyword: "giá", aspect: "PRICE", score: 1, source: "dictionary" }], brand_name: "Toyota" }),
      post("5", 50, { primary_intent: "LEAD", view_count: 10 })
    ]
  }))
})

describe("AnalyticsQueries (PostgreSQL): plans, big counts, post_keywords", () => {
  it.live("summary of hand-made posts: exact sums beyond 2^31, averages over every post", () =>
    Effect.gen(function*() {
      yield* seeded
      const queries = yield* AnalyticsQueries
      const summary = yield* queries.summary(PROJECT, {})
      expect(summary.total).toBe(5)
      expect(summary.bySentiment).toEqual({ POSITIVE: 2, NEGATIVE: 3, NEUTRAL: 0 })
      expect(summary.byRisk).toEqual({ LOW: 2, MEDIUM: 0, HIGH: 2, CRITICAL: 1 })
      expect(summary.byIntent.LEAD).toBe(1)
      expect(summary.byPlatform).toEqual({ TIKTOK: 4, YOUTUBE: 1 })
      expect(summary.views).toBe(4 * 3_000_000_000 + 10)
      expect(summary.averageImpact).toBeCloseTo((90 + 75 + 99 + 2 * 6.8497266903082) / 5, 9)
      expect((yield* queries.summary(projectId(3), {})).total).toBe(500)
    }).pipe(Effect.provide(Live)))

  it.live("top keywords and post_keywords equal a count over the posts' jsonb keywords, after rewrites", () =>
    Effect.gen(function*() {
      yield* seeded
      const repo = yield* AnalyticsRepository
      const kw = (keyword: string, aspect: KeywordHit["aspect"]): KeywordHit => ({ keyword, aspect, score: 1, source: "dictionary" })
      // Rewritten posts: more, fewer and repeated keywords; an older crawl that must change nothing.
      yield* repo.writeBatch(batch({
        errors: [],
        analytics: [
          analytics({ id: "1", published_at: isoHoursBefore(1), crawled_at: "2025-12-06T11:00:00.000Z", keywords: [kw("pin", "PERFORMANCE"), kw("giá", "PRICE"), kw("pin", "PERFORMANCE")] }),
          analytics({ id: "4", published_at: isoHoursBefore(3), crawled_at: "2025-12-06T11:00:00.000Z", keywords: [] }),
          analytics({ id: "5", published_at: isoHoursBefore(50), crawled_at: "2025-12-01T00:00:00.000Z", keywords: [kw("spam", "GENERAL")] }),
          analytics({ id: "6", project_id: null, job_id: null, keywords: [kw("sạc", "PERFORMANCE")] })
        ]
      }))
      const sql = yield* SqlClient
      const q = queryStatements(sql)
      const fromPosts = (project: string, range: { from?: string; to?: string }, limit: number) =>
        sql<{ keyword: string; aspect: string | null; mentions: string }>`SELECT k->>'keyword' AS keyword, k->>'aspect' AS aspect, count(*) AS mentions
          FROM post_analytics p CROSS JOIN LATERAL jsonb_array_elements(p.keywords) AS k
          WHERE ${sql.and([
            sql`p.project_id = ${project}::uuid`,
            sql`k->>'keyword' IS NOT NULL`,
            ...(range.from === undefined ? [] : [sql`p.published_at >= ${range.from}::timestamptz`]),
            ...(range.to === undefined ? [] : [sql`p.published_at < ${range.to}::timestamptz`])
          ])}
          GROUP BY 1, 2 ORDER BY mentions DESC, keyword, aspect LIMIT ${limit}`
      const fromKeywordRows = (project: string, range: { from?: string; to?: string }, limit: number) =>
        sql<{ keyword: string; aspect: string | null; mentions: string }>`SELECT keyword, aspect, count(*) AS mentions FROM post_keywords
          WHERE ${sql.and([
            sql`project_id = ${project}::uuid`,
            sql`keyword IS NOT NULL`,
            ...(range.from === undefined ? [] : [sql`published_at >= ${range.from}::timestamptz`]),
            ...(range.to === undefined ? [] : [sql`published_at < ${range.to}::timestamptz`])
          ])}
          GROUP BY 1, 2 ORDER BY mentions DESC, keyword, aspect LIMIT ${limit}`
      const ranges = [{}, { from: isoHoursBefore(24) }, { from: isoHoursBefore(48), to: isoHoursBefore(2) }, { to: isoHoursBefore(24) }, { from: "2025-12-01T00:00:00Z", to: "2025-12-06T00:00:00Z" }]
      for (const project of [PROJECT, projectId(3), projectId(39)]) {
        for (const range of ranges) {
          for (const limit of [2, 100]) {
            const now = (yield* q.topKeywords(project, range, limit)).map((r) => [r["keyword"], r["aspect"], Number(r["mentions"])])
            const before = (yield* fromPosts(project, range, limit)).map((r) => [r.keyword, r.aspect, Number(r.mentions)])
            expect([project, range, limit, now]).toEqual([project, range, limit, before])
            const side = (yield* fromKeywordRows(project, range, limit)).map((r) => [r.keyword, r.aspect, Number(r.mentions)])
            expect([project, range, limit, side]).toEqual([project, range, limit, before])
          }
        }
      }
    }).pipe(Effect.provide(Live)))

  it.live("every statement's plan uses an index on the ANALYZEd tables, and none scans a table whole", () =>
    Effect.gen(function*() {
      yield* seeded
      const sql = yield* SqlClient
      yield* sql`VACUUM ANALYZE post_analytics, post_keywords, post_rollup_hourly, post_aspect_rollup_hourly, post_keyword_rollup_daily`
      const q = queryStatements(sql)
      const project = projectId(7)
      const week = { from: isoHoursBefore(24 * 7 + 0.5), to: isoHoursBefore(0.25) }
      const plans: Record<string, Statement<unknown>> = {
        posts: q.posts({ projectId: project, limit: 50 }),
        postsFiltered: q.posts({ projectId: project, limit: 50, sentiment: "NEGATIVE", platform: "TIKTOK", from: isoHoursBefore(24 * 7) }),
        postsAfter: q.posts({ projectId: project, limit: 50, after: { published_at: isoHoursBefore(48), platform: "TIKTOK", id: "9" } }),
        summary: q.summary(project, {}),
        summaryRagged: q.summary(project, week),
        trendDay: q.trend({ projectId: project, bucket: "day", timeZone: "Asia/Ho_Chi_Minh", from: isoHoursBefore(24 * 30), to: NOW }),
        trendHourRagged: q.trend({ projectId: project, bucket: "hour", timeZone: "Asia/Kolkata", ...week }),
        aspects: q.aspects(project, {}),
        aspectsRagged: q.aspects(project, week),
        topKeywords: q.topKeywords(project, {}, 20),
        topKeywordsRagged: q.topKeywords(project, week, 20),
        crisis: q.crisis({ projectId: project, limit: 20 })
      }
      for (const [name, statement] of Object.entries(plans)) {
        const [text, params] = statement.compile()
        const [row] = yield* sql.unsafe<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params)
        const plan = JSON.stringify(row?.["QUERY PLAN"])
        expect([name, /"Index Name":"(idx_post_(analytics|keywords)_|post_(aspect_)?rollup_hourly_(key|read)|post_keyword_rollup_daily_key)/.test(plan)]).toEqual([name, true])
        expect([name, plan.includes(`"Node Type":"Seq Scan"`)]).toEqual([name, false])
      }
      // Summary, trend and aspects over whole hours read the rollups; trend and aspects no post
      // (the summary reads the first and last published_at from the index).
      for (const name of ["summary", "trendDay", "aspects", "topKeywords"]) {
        const [text, params] = plans[name]?.compile() ?? ["", []]
        const [row] = yield* sql.unsafe<{ "QUERY PLAN": unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, params)
        const plan = JSON.stringify(row?.["QUERY PLAN"])
        expect([name, /rollup_(hourly_(key|read)|daily_key)/.test(plan)]).toEqual([name, true])
        // Summary, trend and aspects read the rollup's covering index alone (migrations 0016, 0017).
        if (name !== "topKeywords") {
          expect([name, /"Node Type":"Index Only Scan"[^{}]*"Index Name":"idx_post_(aspect_)?rollup_hourly_read"/.test(plan)]).toEqual([name, true])
        }
        // The posts' side of the plan is never executed: no partial hour.
        if (name !== "summary") expect([name, /"Relation Name":"post_analytics"[^}]*"Actual Loops":[1-9]/.test(plan)]).toEqual([name, false])
      }
    }).pipe(Effect.provide(Live)))
})

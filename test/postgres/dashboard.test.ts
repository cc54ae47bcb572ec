import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { Statement } from "effect/sql/Statement"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { Dashboard, DashboardPg, dashboardStatements } from "../../src/adapters/postgres/dashboard.ts"
import type { KeywordHit } from "../../src/domain/records.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { analytics, batch, PROJECT } from "./fixtures.ts"
import { projectId, seedPosts } from "./seed.ts"
import { TestPgMigrated } from "./testDatabase.ts"

const Live = Layer.mergeAll(DashboardPg, AnalyticsRepositoryLive).pipe(Layer.provideMerge(TestPgMigrated))
const NOW = "2025-12-06T12:00:00.000Z"

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
      post("3", 30, { risk_level: "HIGH", impact_score: 99, overall_sentiment: "NEGATIVE" }), // older than 24 h
      post("4", 3, { keywords: [{ keyword: "giá", aspect: "PRICE", score: 1, source: "dictionary" }], brand_name: "Toyota" }),
      post("5", 50, { primary_intent: "LEAD", view_count: 10 })
    ]
  }))
})

const isoHoursBefore = (hours: number) => new Date(Date.parse(NOW) - hours * 3_600_000).toISOString()

describe("Dashboard (PostgreSQL)", () => {
  it.live("posts page: filters and keyset pagination over the published order", () =>
    Effect.gen(function*() {
      yield* seeded
      const dashboard = yield* Dashboard
      const first = yield* dashboard.postsPage({ projectId: PROJECT, limit: 2 })
      expect(first.items.map((p) => p.id)).toEqual(["1", "2"])
      expect(first.next).toEqual({ published_at: isoHoursBefore(2), platform: "YOUTUBE", id: "2" })
      const second = yield* dashboard.postsPage({ projectId: PROJECT, limit: 2, after: first.next ?? undefined })
      expect(second.items.map((p) => p.id)).toEqual(["4", "3"])
      const last = yield* dashboard.postsPage({ projectId: PROJECT, limit: 2, after: second.next ?? undefined })
      expect(last.items.map((p) => p.id)).toEqual(["5"])
      expect(last.next).toBeNull()
      const filter = (f: Omit<Parameters<typeof dashboard.postsPage>[0], "projectId" | "limit">) =>
        dashboard.postsPage({ projectId: PROJECT, limit: 50, ...f }).pipe(Effect.map((p) => p.items.map((i) => i.id)))
      expect(yield* filter({ platform: "YOUTUBE" })).toEqual(["2"])
      expect(yield* filter({ sentiment: "NEGATIVE" })).toEqual(["1", "2", "3"])
      expect(yield* filter({ risk: "HIGH" })).toEqual(["2", "3"])
      expect(yield* filter({ intent: "LEAD" })).toEqual(["5"])
      expect(yield* filter({ viral: true, kol: true })).toEqual(["1"])
      expect(yield* filter({ brand: "Toyota" })).toEqual(["4"])
      expect(yield* filter({ keyword: "VinFast VF8" })).toEqual(["1", "2", "4", "3", "5"])
      expect(yield* filter({ from: isoHoursBefore(24), to: isoHoursBefore(1) })).toEqual(["2", "4"])
    }).pipe(Effect.provide(Live)))

  it.live("summary, trend, top keywords and crisis radar on seeded data", () =>
    Effect.gen(function*() {
      yield* seeded
      const dashboard = yield* Dashboard
      const summary = yield* dashboard.summary(PROJECT)
      expect(summary.total).toBe(5)
      expect(summary.bySentiment).toEqual({ POSITIVE: 2, NEGATIVE: 3, NEUTRAL: 0 })
      expect(summary.byRisk).toEqual({ LOW: 2, MEDIUM: 0, HIGH: 2, CRITICAL: 1 })
      expect(summary.byIntent.LEAD).toBe(1)
      expect(summary.byIntent.DISCUSSION).toBe(4)
      expect(summary.byPlatform).toEqual({ TIKTOK: 4, YOUTUBE: 1 })
      expect(summary.sums.views).toBe(4 * 3_000_000_000 + 10)
      expect(summary.sums.likes).toBe(5 * 839)
      expect(summary.averages.impactScore).toBeCloseTo((90 + 75 + 99 + 2 * 6.8497266903082) / 5, 9)
      expect((yield* dashboard.summary(projectId(3))).total).toBe(500)

      const trend = yield* dashboard.trend({ projectId: PROJECT, bucket: "hour", from: isoHoursBefore(4), to: NOW })
      expect(trend.map((b) => [b.start, b.posts, b.negative])).toEqual([
        [isoHoursBefore(3), 1, 0],
        [isoHoursBefore(2), 1, 1],
        [isoHoursBefore(1), 1, 1]
      ])
      const days = yield* dashboard.trend({ projectId: PROJECT, bucket: "day", from: "2025-12-01T00:00:00Z", to: "2025-12-07T00:00:00Z" })
      expect(days.map((b) => [b.start, b.posts])).toEqual([
        ["2025-12-04T00:00:00.000Z", 1],
        ["2025-12-05T00:00:00.000Z", 1],
        ["2025-12-06T00:00:00.000Z", 3]
      ])

      expect(yield* dashboard.topKeywords(PROJECT, 2)).toEqual([
        { keyword: "thiết kế", aspect: "DESIGN", posts: 4 },
        { keyword: "giá", aspect: "PRICE", posts: 1 }
      ])
      const radar = yield* dashboard.crisisRadar({ projectId: PROJECT, now: NOW, limit: 10 })
      expect(radar.map((p) => [p.id, p.risk_level])).toEqual([["1", "CRITICAL"], ["2", "HIGH"]])
    }).pipe(Effect.provide(Live)))

  it.live("top keywords from post_keywords equal the old count over the posts' jsonb keywords", () =>
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
      const q = dashboardStatements(sql)
      const ranges = [{}, { from: isoHoursBefore(24) }, { from: isoHoursBefore(48), to: isoHoursBefore(2) }, { to: isoHoursBefore(24) }]
      for (const project of [PROJECT, projectId(3), projectId(39)]) {
        for (const range of ranges) {
          for (const limit of [2, 200]) {
            const now = yield* q.topKeywords(project, range, limit)
            const before = yield* q.topKeywordsFromPosts(project, range, limit)
            expect([project, range, limit, now]).toEqual([project, range, limit, before])
          }
        }
      }
      const dashboard = yield* Dashboard
      expect(yield* dashboard.topKeywords(PROJECT, 10)).toEqual([
        { keyword: "thiết kế", aspect: "DESIGN", posts: 3 },
        { keyword: "pin", aspect: "PERFORMANCE", posts: 2 },
        { keyword: "giá", aspect: "PRICE", posts: 1 }
      ])
    }).pipe(Effect.provide(Live)))

  it.live("every dashboard query's plan uses an index on the ANALYZEd table", () =>
    Effect.gen(function*() {
      yield* seeded
      const sql = yield* SqlClient
      const q = dashboardStatements(sql)
      const project = projectId(7)
      const plans: Record<string, Statement<unknown>> = {
        postsPage: q.postsPage({ projectId: project, limit: 50 }),
        postsPageFiltered: q.postsPage({ projectId: project, limit: 50, sentiment: "NEGATIVE", platform: "TIKTOK", from: isoHoursBefore(24 * 7) }),
        postsPageAfter: q.postsPage({ projectId: project, limit: 50, after: { published_at: isoHoursBefore(48), platform: "TIKTOK", id: "9" } }),
        summary: q.summary(project, {}),
        summaryByPlatform: q.summaryByPlatform(project, {}),
        trend: q.trend({ projectId: project, bucket: "day", from: isoHoursBefore(24 * 30), to: NOW }),
        topKeywords: q.topKeywords(project, {}, 20),
        crisisRadar: q.crisisRadar({ projectId: project, now: NOW, limit: 20 })
      }
      for (const [name, statement] of Object.entries(plans)) {
        const [text, params] = statement.compile()
        const [row] = yield* sql.unsafe<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params)
        const plan = JSON.stringify(row?.["QUERY PLAN"])
        expect([name, /"Index Name":"idx_post_(analytics|keywords)_/.test(plan)]).toEqual([name, true])
        expect([name, plan.includes(`"Node Type":"Seq Scan"`)]).toEqual([name, false])
      }
      const [radarText, radarParams] = plans["crisisRadar"]?.compile() ?? ["", []]
      const [radar] = yield* sql.unsafe<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${radarText}`, radarParams)
      expect(JSON.stringify(radar?.["QUERY PLAN"])).toContain("idx_post_analytics_project_crisis")
      // Index-only scans once the visibility map is set (autovacuum's job in production).
      // Top keywords, all-time and over a published range: post_keywords only.
      yield* sql`VACUUM ANALYZE post_keywords, post_analytics`
      // Summary and trend read only columns of the summary index (by platform: of either index
      // holding project_id, published_at and platform).
      for (const name of ["summary", "summaryByPlatform", "trend"]) {
        const [text, params] = plans[name]?.compile() ?? ["", []]
        const [row] = yield* sql.unsafe<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params)
        const plan = JSON.stringify(row?.["QUERY PLAN"])
        expect([name, plan.includes(`"Node Type":"Index Only Scan"`)]).toEqual([name, true])
        if (name !== "summaryByPlatform") expect([name, plan.includes("idx_post_analytics_project_summary")]).toEqual([name, true])
      }
      for (const statement of [plans["topKeywords"], q.topKeywords(project, { from: isoHoursBefore(24 * 7), to: NOW }, 20)]) {
        const [text, params] = statement?.compile() ?? ["", []]
        const [row] = yield* sql.unsafe<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params)
        const plan = JSON.stringify(row?.["QUERY PLAN"])
        expect(plan).toContain(`"Node Type":"Index Only Scan"`)
        expect(plan).toContain("idx_post_keywords_project_keyword")
        expect(plan).not.toContain("post_analytics")
      }
    }).pipe(Effect.provide(Live)))
})

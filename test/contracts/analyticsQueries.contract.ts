import { assert, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { AnalyticsRecord } from "../../src/domain/records.ts"
import { AnalyticsQueries, type PostsPage, type PostsQuery } from "../../src/ports/AnalyticsQueries.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { analyticsRecord, errorRecord, ledgerEntry } from "../support/records.ts"

let counter = 0
/** Each test writes under its own project, so tests share one layer safely. */
export const freshProject = () => {
  counter += 1
  return `00000000-0000-4000-9000-${(counter + Math.floor(Math.random() * 1e9) * 1000).toString(16).padStart(12, "0").slice(-12)}`
}

const aspect = (label: "POSITIVE" | "NEGATIVE" | "NEUTRAL") => ({ label, score: 0.5, confidence: 0.8, mentions: 1, keywords: [] })
const kw = (keyword: string, a: "DESIGN" | "PRICE" | "SERVICE" = "DESIGN") => ({ keyword, aspect: a, score: 1, source: "dictionary" })

/**
 * Seven posts, two crawl errors, three ledger rows in `project`, and one post in another project
 * that no answer may include. Ids "3" and "4" share their published_at (a tie broken by
 * platform, then id); post "7" has no published_at.
 */
export const sevenPosts = (project: string): ReadonlyArray<AnalyticsRecord> => {
  const p = (id: string, published_at: string | null, extra: Partial<AnalyticsRecord>) =>
    analyticsRecord({ id, project_id: project, published_at, permalink: `https://example.com/${id}`, ...extra })
  return [
    p("1", "2025-12-05T16:30:00.000Z", {
      // 23:30 in Ho Chi Minh City (UTC+7): still 5 December there.
      overall_sentiment: "NEGATIVE", overall_sentiment_score: -0.8, risk_level: "CRITICAL", primary_intent: "CRISIS",
      impact_score: 80, is_viral: true, content_text: "Xe cháy pin, GIÁ quá đắt",
      aspects_breakdown: { PRICE: aspect("NEGATIVE") }, keywords: [kw("giá", "PRICE"), kw("pin", "DESIGN")]
    }),
    p("2", "2025-12-05T17:30:00.000Z", {
      // 00:30 on 6 December in Ho Chi Minh City, still 5 December in UTC.
      overall_sentiment: "NEGATIVE", overall_sentiment_score: -0.5, risk_level: "HIGH", primary_intent: "COMPLAINT",
      impact_score: 80, platform: "YOUTUBE", content_text: "Dịch vụ chậm, giá cao",
      aspects_breakdown: { SERVICE: aspect("NEGATIVE"), PRICE: aspect("NEGATIVE") }, keywords: [kw("giá", "PRICE"), kw("dịch vụ", "SERVICE")]
    }),
    p("3", "2025-12-06T02:00:00.000Z", { overall_sentiment: "POSITIVE", risk_level: "HIGH", impact_score: 90, content_text: "Thiết kế đẹp 100%" }),
    p("4", "2025-12-06T02:00:00.000Z", { overall_sentiment: "NEUTRAL", risk_level: "LOW", impact_score: 10, content_text: "Đi thử_xe ở đâu?", primary_intent: "LEAD", aspects_breakdown: {}, keywords: [] }),
    p("5", "2025-12-06T03:15:00.000Z", { overall_sentiment: "POSITIVE", risk_level: "MEDIUM", impact_score: 20, keywords: [kw("thiết kế"), kw("thiết kế")] }),
    p("6", "2025-12-07T00:00:00.000Z", { overall_sentiment: "POSITIVE", risk_level: "LOW", impact_score: 30, platform: "FACEBOOK" }),
    p("7", null, { overall_sentiment: "NEGATIVE", risk_level: "CRITICAL", impact_score: 99 })
  ]
}

const seed = (project: string) =>
  Effect.gen(function*() {
    const repo = yield* AnalyticsRepository
    const other = "00000000-0000-4000-8fff-000000000001"
    yield* repo.writeBatch({
      ledger: ledgerEntry({ object_path: `b/${project}/1`, project_id: project, expected_size: 9, actual_size: 9, stored_count: 7, error_count: 2, attempted_at: "2025-12-06T10:00:00.000Z" }),
      analytics: sevenPosts(project),
      errors: [
        errorRecord({ project_id: project, content_id: "e1", error_category: "content", created_at: "2025-12-06T10:00:00.000Z" }),
        errorRecord({ project_id: project, content_id: "e2", error_category: "network", error_code: "TIMEOUT", created_at: "2025-12-06T11:00:00.000Z" })
      ]
    })
    // The same object again: one ledger row with two attempts.
    yield* repo.writeBatch({
      ledger: ledgerEntry({ object_path: `b/${project}/1`, project_id: project, expected_size: 9, actual_size: 9, stored_count: 7, error_count: 2, attempted_at: "2025-12-06T10:05:00.000Z" }),
      analytics: [],
      errors: []
    })
    yield* repo.writeBatch({
      ledger: ledgerEntry({ object_path: `b/${project}/2`, project_id: project, expected_size: 50, actual_size: 3, stored_count: 0, skipped_count: 3, error_count: 0, attempted_at: "2025-12-06T12:00:00.000Z" }),
      analytics: [],
      errors: []
    })
    yield* repo.recordFailedBatch(ledgerEntry({
      object_path: `b/${project}/3`, project_id: project, expected_size: 10, actual_size: 0, stored_count: 0, error_count: 0,
      status: "failed", failure_reason: "invalid JSON", attempted_at: "2025-12-06T13:00:00.000Z"
    }))
    yield* repo.writeBatch({
      ledger: ledgerEntry({ object_path: `b/other/${project}`, project_id: other }),
      analytics: [analyticsRecord({ project_id: other, id: "1", risk_level: "CRITICAL" })],
      errors: [errorRecord({ project_id: other })]
    })
  })

/**
 * The AnalyticsQueries contract: every adapter must pass it. `queriesLayer` provides the queries
 * and the repository that writes what they read, over an empty store.
 */
export const analyticsQueriesContract = <E>(name: string, queriesLayer: Layer.Layer<AnalyticsQueries | AnalyticsRepository, E>) =>
  layer(queriesLayer, { timeout: 60_000 })(`AnalyticsQueries contract: ${name}`, (it) => {
    const ids = (q: Omit<PostsQuery, "limit"> & { limit?: number }) =>
      Effect.map(Effect.flatMap(Effect.service(AnalyticsQueries), (a) => a.posts({ limit: 50, ...q })), (page) => page.items.map((p) => p.id))

    it.effect("an empty project answers zeros and empty lists", () =>
      Effect.gen(function*() {
        const a = yield* AnalyticsQueries
        const project = freshProject()
        const summary = yield* a.summary(project, {})
        assert.strictEqual(summary.total, 0)
        assert.deepStrictEqual(summary.bySentiment, { POSITIVE: 0, NEGATIVE: 0, NEUTRAL: 0 })
        assert.deepStrictEqual(summary.byPlatform, {})
        assert.strictEqual(summary.averageImpact, null)
        assert.strictEqual(summary.views, 0)
        assert.strictEqual(summary.firstPublishedAt, null)
        assert.strictEqual(summary.lastPublishedAt, null)
        assert.deepStrictEqual(yield* a.posts({ projectId: project, limit: 10 }), { items: [], next: null })
        assert.deepStrictEqual(yield* a.trend({ projectId: project, bucket: "day", timeZone: "UTC", from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }), [])
        assert.deepStrictEqual(yield* a.topKeywords(project, {}, 10), [])
        assert.deepStrictEqual(yield* a.aspects(project, {}), [])
        assert.deepStrictEqual(yield* a.crisis({ projectId: project, limit: 10 }), [])
        assert.deepStrictEqual(yield* a.crawlErrors(project, 10), { total: 0, byCategory: {}, recent: [] })
        const health = yield* a.batchHealth(project, 10)
        assert.deepStrictEqual(health, { batches: 0, completed: 0, deadLettered: 0, sizeMismatches: 0, redelivered: 0, items: { stored: 0, skipped: 0, errors: 0 }, recent: [] })
      }))

    it.effect("posts: newest first, ties by platform then id, keyset pages walk every post once", () =>
      Effect.gen(function*() {
        const a = yield* AnalyticsQueries
        const project = freshProject()
        yield* seed(project)
        // "7" has no published_at; "3" and "4" tie on published_at and platform: id descending.
        assert.deepStrictEqual(yield* ids({ projectId: project }), ["6", "5", "4", "3", "2", "1"])
        const seen: Array<string> = []
        let after: PostsQuery["after"] = undefined as PostsQuery["after"]
        let pages = 0
        do {
          const page: PostsPage = yield* a.posts({ projectId: project, limit: 2, after })
          seen.push(...page.items.map((p) => p.id))
          after = page.next ?? undefined
          pages += 1
        } while (after !== undefined && pages < 10)
        assert.deepStrictEqual(seen, ["6", "5", "4", "3", "2", "1"])
        // A page that ends exactly at the last post still says so on the next request.
        assert.strictEqual(pages, 4)
        const first = yield* a.posts({ projectId: project, limit: 3 })
        assert.deepStrictEqual(first.next, { published_at: "2025-12-06T02:00:00.000Z", platform: "TIKTOK", id: "4" })
        const view = first.items[0]
        assert.strictEqual(view?.permalink, "https://example.com/6")
        assert.strictEqual(view?.platform, "FACEBOOK")
      }))

    it.effect("posts: every filter, alone and combined", () =>
      Effect.gen(function*() {
        const project = freshProject()
        yield* seed(project)
        const f = (q: Partial<PostsQuery>) => ids({ projectId: project, ...q })
        assert.deepStrictEqual(yield* f({ platform: "YOUTUBE" }), ["2"])
        assert.deepStrictEqual(yield* f({ sentiment: "NEGATIVE" }), ["2", "1"])
        assert.deepStrictEqual(yield* f({ intent: "LEAD" }), ["4"])
        assert.deepStrictEqual(yield* f({ risk: "HIGH" }), ["3", "2"])
        assert.deepStrictEqual(yield* f({ aspect: "PRICE" }), ["2", "1"])
        assert.deepStrictEqual(yield* f({ aspect: "DESIGN" }), ["6", "5", "3"])
        assert.deepStrictEqual(yield* f({ keyword: "giá" }), ["2", "1"])
        assert.deepStrictEqual(yield* f({ keyword: "gia" }), [])
        assert.deepStrictEqual(yield* f({ keyword: "thiết kế" }), ["6", "5", "3"])
        // Text search ignores case, Vietnamese capitals included; % and _ are literal characters.
        assert.deepStrictEqual(yield* f({ text: "giá" }), ["2", "1"])
        assert.deepStrictEqual(yield* f({ text: "GIÁ CAO" }), ["2"])
        assert.deepStrictEqual(yield* f({ text: "100%" }), ["3"])
        assert.deepStrictEqual(yield* f({ text: "%" }), ["3"])
        assert.deepStrictEqual(yield* f({ text: "thử_xe" }), ["4"])
        assert.deepStrictEqual(yield* f({ text: "_" }), ["4"])
        assert.deepStrictEqual(yield* f({ text: "'; DROP TABLE post_analytics; --" }), [])
        assert.deepStrictEqual(yield* f({ from: "2025-12-06T02:00:00Z", to: "2025-12-06T03:15:00Z" }), ["4", "3"])
        assert.deepStrictEqual(yield* f({ from: "2025-12-06T09:00:00+07:00" }), ["6", "5", "4", "3"])
        assert.deepStrictEqual(yield* f({ sentiment: "NEGATIVE", platform: "TIKTOK", aspect: "PRICE", keyword: "giá" }), ["1"])
        assert.deepStrictEqual(yield* f({ risk: "LOW", platform: "YOUTUBE" }), [])
      }))

    it.effect("summary counts by sentiment, intent, risk, platform with the average impact, in a range or not", () =>
      Effect.gen(function*() {
        const a = yield* AnalyticsQueries
        const project = freshProject()
        yield* seed(project)
        const all = yield* a.summary(project, {})
        assert.strictEqual(all.total, 7)
        assert.deepStrictEqual(all.bySentiment, { POSITIVE: 3, NEGATIVE: 3, NEUTRAL: 1 })
        assert.deepStrictEqual(all.byRisk, { LOW: 2, MEDIUM: 1, HIGH: 2, CRITICAL: 2 })
        assert.deepStrictEqual(all.byIntent, { CRISIS: 1, SEEDING: 0, SPAM: 0, COMPLAINT: 1, LEAD: 1, SUPPORT: 0, DISCUSSION: 4 })
        assert.deepStrictEqual(all.byPlatform, { FACEBOOK: 1, TIKTOK: 5, YOUTUBE: 1 })
        assert.strictEqual(all.averageImpact, (80 + 80 + 90 + 10 + 20 + 30 + 99) / 7)
        assert.strictEqual(all.views, 7 * 3_000_000_000)
        assert.strictEqual(all.engagement, 7 * (839 + 36 + 93 + 469))
        assert.strictEqual(all.firstPublishedAt, "2025-12-05T16:30:00.000Z")
        assert.strictEqual(all.lastPublishedAt, "2025-12-07T00:00:00.000Z")
        const dec6 = yield* a.summary(project, { from: "2025-12-06T00:00:00Z", to: "2025-12-07T00:00:00Z" })
        assert.strictEqual(dec6.total, 3)
        assert.strictEqual(dec6.averageImpact, 40)
        assert.strictEqual(dec6.lastPublishedAt, "2025-12-06T03:15:00.000Z")
      }))

    it.effect("trend buckets by local day and hour in the caller's time zone", () =>
      Effect.gen(function*() {
        const a = yield* AnalyticsQueries
        const project = freshProject()
        yield* seed(project)
        const range = { projectId: project, from: "2025-12-01T00:00:00Z", to: "2025-12-08T00:00:00Z" }
        const utc = yield* a.trend({ ...range, bucket: "day", timeZone: "UTC" })
        assert.deepStrictEqual(utc.map((b) => [b.local, b.posts, b.negative, b.positive, b.neutral]), [
          ["2025-12-05T00:00", 2, 2, 0, 0],
          ["2025-12-06T00:00", 3, 0, 2, 1],
          ["2025-12-07T00:00", 1, 0, 1, 0]
        ])
        const hcm = yield* a.trend({ ...range, bucket: "day", timeZone: "Asia/Ho_Chi_Minh" })
        assert.deepStrictEqual(hcm.map((b) => [b.local, b.posts]), [
          ["2025-12-05T00:00", 1],
          ["2025-12-06T00:00", 4],
          ["2025-12-07T00:00", 1]
        ])
        assert.strictEqual(hcm[1]?.averageImpact, (80 + 90 + 10 + 20) / 4)
        const ny = yield* a.trend({ ...range, bucket: "hour", timeZone: "America/New_York" })
        assert.deepStrictEqual(ny.map((b) => [b.local, b.posts]), [
          ["2025-12-05T11:00", 1],
          ["2025-12-05T12:00", 1],
          ["2025-12-05T21:00", 2],
          ["2025-12-05T22:00", 1],
          ["2025-12-06T19:00", 1]
        ])
        // `to` is exclusive: the post at exactly 2025-12-07T00:00Z is outside.
        const upTo = yield* a.trend({ ...range, to: "2025-12-07T00:00:00Z", bucket: "hour", timeZone: "UTC" })
        assert.deepStrictEqual(upTo.map((b) => b.local), ["2025-12-05T16:00", "2025-12-05T17:00", "2025-12-06T02:00", "2025-12-06T03:00"])
      }))

    it.effect("top keywords count mentions with their posts' sentiment; aspects count posts by the aspect's label", () =>
      Effect.gen(function*() {
        const a = yield* AnalyticsQueries
        const project = freshProject()
        yield* seed(project)
        const top = yield* a.topKeywords(project, {}, 3)
        // "thiết kế": once in posts 3, 6 and 7 (NEGATIVE, no published_at), twice in post 5.
        assert.deepStrictEqual(top.map((k) => [k.keyword, k.aspect, k.mentions, k.positive, k.negative, k.neutral]), [
          ["thiết kế", "DESIGN", 5, 4, 1, 0],
          ["giá", "PRICE", 2, 0, 2, 0],
          ["dịch vụ", "SERVICE", 1, 0, 1, 0]
        ])
        const inRange = yield* a.topKeywords(project, { from: "2025-12-05T17:00:00Z", to: "2025-12-06T00:00:00Z" }, 10)
        assert.deepStrictEqual(inRange.map((k) => [k.keyword, k.mentions]), [["dịch vụ", 1], ["giá", 1]])
        const aspects = yield* a.aspects(project, {})
        assert.deepStrictEqual(aspects, [
          { aspect: "DESIGN", posts: 4, positive: 4, negative: 0, neutral: 0 },
          { aspect: "PRICE", posts: 2, positive: 0, negative: 2, neutral: 0 },
          { aspect: "SERVICE", posts: 1, positive: 0, negative: 1, neutral: 0 }
        ])
      }))

    it.effect("crisis radar: CRITICAL before HIGH, then impact, ties newest first, with reasons", () =>
      Effect.gen(function*() {
        const a = yield* AnalyticsQueries
        const project = freshProject()
        yield* seed(project)
        const radar = yield* a.crisis({ projectId: project, limit: 10 })
        assert.deepStrictEqual(radar.map((c) => c.post.id), ["1", "3", "2"])
        assert.deepStrictEqual(radar[0]?.reasons, [
          "risk CRITICAL", "intent CRISIS", "negative sentiment (-0.80)", "negative on PRICE", "viral", "impact 80.0"
        ])
        assert.deepStrictEqual(radar[2]?.reasons, [
          "risk HIGH", "intent COMPLAINT", "negative sentiment (-0.50)", "negative on PRICE", "negative on SERVICE", "impact 80.0"
        ])
        assert.deepStrictEqual((yield* a.crisis({ projectId: project, limit: 1 })).map((c) => c.post.id), ["1"])
        assert.deepStrictEqual((yield* a.crisis({ projectId: project, limit: 10, from: "2025-12-05T17:00:00Z" })).map((c) => c.post.id), ["3", "2"])
      }))

    it.effect("crawl errors and batch health of the project only", () =>
      Effect.gen(function*() {
        const a = yield* AnalyticsQueries
        const project = freshProject()
        yield* seed(project)
        const errors = yield* a.crawlErrors(project, 10)
        assert.strictEqual(errors.total, 2)
        assert.deepStrictEqual(errors.byCategory, { content: 1, network: 1 })
        assert.deepStrictEqual(errors.recent.map((e) => [e.content_id, e.error_code, e.created_at]), [
          ["e2", "TIMEOUT", "2025-12-06T11:00:00.000Z"],
          ["e1", "CONTENT_REMOVED", "2025-12-06T10:00:00.000Z"]
        ])
        assert.deepStrictEqual((yield* a.crawlErrors(project, 1)).recent.map((e) => e.content_id), ["e2"])
        const health = yield* a.batchHealth(project, 10)
        assert.deepStrictEqual({ ...health, recent: [] }, {
          batches: 3, completed: 2, deadLettered: 1, sizeMismatches: 2, redelivered: 1,
          items: { stored: 7, skipped: 3, errors: 2 }, recent: []
        })
        assert.deepStrictEqual(health.recent.map((b) => [b.object_path, b.status, b.attempts, b.failure_reason]), [
          [`b/${project}/3`, "failed", 1, "invalid JSON"],
          [`b/${project}/2`, "completed", 1, null],
          [`b/${project}/1`, "completed", 2, null]
        ])
        assert.strictEqual(health.recent[2]?.last_attempt_at, "2025-12-06T10:05:00.000Z")
      }))

    it.effect("projects lists every project with posts, once, in id order", () =>
      Effect.gen(function*() {
        const a = yield* AnalyticsQueries
        const project = freshProject()
        yield* seed(project)
        const projects = (yield* a.projects).map((p) => p.projectId)
        assert.include(projects, project)
        assert.include(projects, "00000000-0000-4000-8fff-000000000001")
        assert.deepStrictEqual(projects, [...new Set(projects)].sort())
      }))
  })

import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AnalyticsQueriesMemory } from "../../src/adapters/memory/AnalyticsQueries.ts"
import { AnalyticsRepositoryMemory } from "../../src/adapters/memory/AnalyticsRepository.ts"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { AnalyticsQueriesLive } from "../../src/adapters/postgres/AnalyticsQueries.ts"
import { ASPECTS, INTENTS, RISK_LEVELS, SENTIMENT_LABELS, type AnalyticsRecord } from "../../src/domain/records.ts"
import { AnalyticsQueries, type AnalyticsQueriesShape, type PostsQuery } from "../../src/ports/AnalyticsQueries.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { analyticsRecord, ledgerEntry } from "../support/records.ts"
import { TestPgMigrated } from "./testDatabase.ts"

/**
 * The PostgreSQL adapter and its in-memory twin on the same 400 generated posts (few distinct
 * instants, so many ties; Vietnamese keywords; posts without published_at): every query, every
 * filter, whole pagination walks and several time zones give the same answers, including
 * ranges that start or end inside an hour and zones whose offset is not whole hours (where
 * PostgreSQL counts from posts instead of its hourly rollups).
 */
const PROJECT = "0c0c0c0c-0000-4000-8000-000000000001"

const rng = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}

const posts = (): ReadonlyArray<AnalyticsRecord> => {
  const r = rng(42)
  const pick = <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(r() * xs.length)] as T
  const words = ["giá", "thiết kế", "pin", "sạc", "Đẹp", "dịch vụ", "xe"]
  return Array.from({ length: 400 }, (_, i) => {
    const aspects = ASPECTS.filter(() => r() < 0.3)
    const keywords = Array.from({ length: Math.floor(r() * 3) }, () => ({ keyword: pick(words), aspect: pick(ASPECTS), score: 1, source: "dictionary" }))
    return analyticsRecord({
      id: String(Math.floor(r() * 1e6)) + String(i),
      project_id: PROJECT,
      platform: pick(["TIKTOK", "YOUTUBE", "FACEBOOK"]),
      // 60 distinct instants across a DST change in New York (2025-11-02) and a week of December.
      published_at: r() < 0.05 ? null : new Date(Date.parse("2025-11-01T20:00:00Z") + Math.floor(r() * 60) * 5_400_000).toISOString(),
      overall_sentiment: pick(SENTIMENT_LABELS),
      overall_sentiment_score: Math.round((r() * 2 - 1) * 100) / 100,
      primary_intent: pick(INTENTS),
      risk_level: pick(RISK_LEVELS),
      impact_score: Math.floor(r() * 5) * 10,
      is_viral: r() < 0.2,
      is_kol: r() < 0.2,
      aspects_breakdown: Object.fromEntries(aspects.map((a) => [a, { label: pick(SENTIMENT_LABELS), score: 0.5, confidence: 0.8, mentions: 1, keywords: [] }])),
      keywords,
      content_text: `${pick(words)} ${pick(["quá", "rất", "hơi"])} ${pick(words).toUpperCase()} ${i}`,
      view_count: Math.floor(r() * 10_000),
      like_count: Math.floor(r() * 100)
    })
  })
}

/** Averages are sums in another order: equal to 9 decimals. */
const normalize = (value: unknown): unknown =>
  typeof value === "number" ? Math.round(value * 1e9) / 1e9 : Array.isArray(value) ? value.map(normalize)
    : value !== null && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)])) : value

const answers = (q: AnalyticsQueriesShape) =>
  Effect.gen(function*() {
    const out: Record<string, unknown> = {}
    const walk = (filter: Omit<PostsQuery, "projectId" | "limit">, limit: number) =>
      Effect.gen(function*() {
        const ids: Array<string> = []
        let after: PostsQuery["after"] = undefined as PostsQuery["after"]
        for (let n = 0; n < 100; n++) {
          const page = yield* q.posts({ projectId: PROJECT, limit, ...filter, after })
          ids.push(...page.items.map((p) => `${p.platform}/${p.id}`))
          if (page.next === null) break
          after = page.next
        }
        return ids
      })
    out["walk"] = yield* walk({}, 7)
    for (const s of SENTIMENT_LABELS) out[`sentiment ${s}`] = yield* walk({ sentiment: s }, 13)
    for (const a of ASPECTS) out[`aspect ${a}`] = yield* walk({ aspect: a }, 50)
    for (const k of ["giá", "Đẹp", "dịch vụ"]) out[`keyword ${k}`] = yield* walk({ keyword: k }, 50)
    for (const t of ["đẹp", "GIÁ", "xe quá", "%", "_"]) out[`text ${t}`] = yield* walk({ text: t }, 50)
    out["combined"] = yield* walk({ platform: "TIKTOK", risk: "HIGH", from: "2025-11-02T00:00:00Z", to: "2025-11-04T00:00:00+07:00" }, 3)
    out["page"] = yield* q.posts({ projectId: PROJECT, limit: 20 })
    out["summary"] = yield* q.summary(PROJECT, {})
    out["summary range"] = yield* q.summary(PROJECT, { from: "2025-11-02T06:00:00Z", to: "2025-11-03T00:00:00Z" })
    // Range edges inside an hour: PostgreSQL reads those hours from the posts, the others from its rollups.
    const ragged = { from: "2025-11-02T06:20:00Z", to: "2025-11-03T00:40:00+07:00" }
    out["summary ragged"] = yield* q.summary(PROJECT, ragged)
    out["summary from"] = yield* q.summary(PROJECT, { from: ragged.from })
    out["summary to"] = yield* q.summary(PROJECT, { to: ragged.to })
    out["aspects ragged"] = yield* q.aspects(PROJECT, ragged)
    out["keywords ragged"] = yield* q.topKeywords(PROJECT, ragged, 100)
    out["keywords to"] = yield* q.topKeywords(PROJECT, { to: ragged.to }, 3)
    out["aspects from"] = yield* q.aspects(PROJECT, { from: ragged.from })
    out["summary empty"] = yield* q.summary(PROJECT, { from: "2030-01-01T00:00:00Z" })
    // America/Havana: summer time ends at 01:00 on 2025-11-02, back to 00:00, so a local midnight hour repeats.
    for (const tz of ["UTC", "Asia/Ho_Chi_Minh", "America/New_York", "Asia/Kolkata", "America/Havana"]) {
      for (const bucket of ["hour", "day"] as const) {
        out[`trend ${tz} ${bucket}`] = yield* q.trend({ projectId: PROJECT, bucket, timeZone: tz, from: "2025-11-01T00:00:00Z", to: "2025-11-06T00:00:00Z" })
      }
    }
    for (const tz of ["Asia/Ho_Chi_Minh", "Asia/Kathmandu", "America/New_York"]) {
      for (const bucket of ["hour", "day"] as const) {
        out[`trend ragged ${tz} ${bucket}`] = yield* q.trend({ projectId: PROJECT, bucket, timeZone: tz, from: "2025-11-01T23:59:59.999Z", to: "2025-11-04T07:30:00Z" })
      }
    }
    out["keywords"] = yield* q.topKeywords(PROJECT, {}, 100)
    out["keywords range"] = yield* q.topKeywords(PROJECT, { from: "2025-11-02T00:00:00Z" }, 5)
    out["aspects"] = yield* q.aspects(PROJECT, {})
    out["crisis"] = yield* q.crisis({ projectId: PROJECT, limit: 100 })
    out["crisis range"] = yield* q.crisis({ projectId: PROJECT, limit: 5, to: "2025-11-02T12:00:00Z" })
    out["projects"] = yield* q.projects
    return normalize(out)
  })

const run = <E>(layer: Layer.Layer<AnalyticsQueries | AnalyticsRepository, E>) =>
  Effect.gen(function*() {
    yield* (yield* AnalyticsRepository).writeBatch({ ledger: ledgerEntry({ project_id: PROJECT }), analytics: posts(), errors: [] })
    return yield* answers(yield* AnalyticsQueries)
  }).pipe(Effect.provide(layer))

describe("AnalyticsQueries: PostgreSQL and in memory agree", () => {
  it.live("on 400 generated posts, every query and every pagination walk", () =>
    Effect.gen(function*() {
      const memory = yield* run(AnalyticsQueriesMemory.pipe(Layer.provideMerge(AnalyticsRepositoryMemory)))
      const pg = yield* run(Layer.merge(AnalyticsQueriesLive, AnalyticsRepositoryLive).pipe(Layer.provide(TestPgMigrated)))
      const m = memory as Record<string, unknown>
      expect((m["walk"] as Array<string>).length).toBe(posts().filter((p) => p.published_at !== null).length)
      expect(new Set(m["walk"] as Array<string>).size).toBe((m["walk"] as Array<string>).length)
      expect((m["text %"] as Array<string>).length).toBe(0)
      expect((m["keyword Đẹp"] as Array<string>).length).toBeGreaterThan(0)
      for (const key of Object.keys(m)) expect((pg as Record<string, unknown>)[key], key).toEqual(m[key])
    }), 120_000)
})

import { Effect, Layer } from "effect"
import { crisisReasons, localBucket, riskRank, toPostView } from "../../domain/readModel.ts"
import type { AnalyticsRecord } from "../../domain/records.ts"
import { isoFromMillis, toUtcIso } from "../../domain/time.ts"
import {
  AnalyticsQueries,
  type AspectStat,
  type KeywordStat,
  type PostsQuery,
  type PostView,
  type TimeRange,
  type TrendPoint
} from "../../ports/AnalyticsQueries.ts"
import { RepositoryError } from "../../ports/AnalyticsRepository.ts"
import { MemoryRepositoryControl } from "./AnalyticsRepository.ts"

/**
 * The AnalyticsQueries port over the in-memory repository's tables: the same answers as the
 * PostgreSQL adapter on the same rows (the contract suite runs both). Strings compare by code
 * unit, as PostgreSQL's C collation compares them; instants compare as instants.
 */

type Published = AnalyticsRecord & { readonly published_at: string }

const ms = (iso: string) => Date.parse(iso)
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const inRange = (published: string | null, range: TimeRange): boolean => {
  if (range.from === undefined && range.to === undefined) return true
  if (published === null) return false
  const t = ms(published)
  return (range.from === undefined || t >= ms(range.from)) && (range.to === undefined || t < ms(range.to))
}

/** (published_at, platform, id) descending. */
const newestFirst = (a: Published, b: Published) =>
  ms(b.published_at) - ms(a.published_at) || cmp(b.platform, a.platform) || cmp(b.id, a.id)

const sortedEntries = (record: Record<string, number>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => cmp(a, b)))

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** PostgreSQL rejects what the `::uuid` and `::timestamptz` casts cannot read; so does this twin. */
const checkInput = (projectId: string, range: TimeRange = {}): Effect.Effect<void, RepositoryError> => {
  if (!UUID.test(projectId)) {
    return Effect.fail(new RepositoryError({ reason: "InvalidData", message: `invalid input syntax for type uuid: "${projectId}"` }))
  }
  for (const t of [range.from, range.to]) {
    if (t !== undefined && Number.isNaN(ms(t))) {
      return Effect.fail(new RepositoryError({ reason: "InvalidData", message: `invalid input syntax for type timestamp with time zone: "${t}"` }))
    }
  }
  return Effect.void
}

const matches = (r: Published, q: PostsQuery): boolean =>
  (q.platform === undefined || r.platform === q.platform) &&
  (q.sentiment === undefined || r.overall_sentiment === q.sentiment) &&
  (q.intent === undefined || r.primary_intent === q.intent) &&
  (q.risk === undefined || r.risk_level === q.risk) &&
  (q.aspect === undefined || Object.hasOwn(r.aspects_breakdown, q.aspect)) &&
  (q.keyword === undefined || r.keywords.some((k) => k.keyword === q.keyword)) &&
  (q.text === undefined || r.content_text.toLowerCase().includes(q.text.toLowerCase())) &&
  (q.after === undefined || newestFirst(r, { ...r, published_at: q.after.published_at, platform: q.after.platform, id: q.after.id }) > 0)

const clamp = (n: number, max: number) => Math.max(1, Math.min(Math.trunc(n), max))

export const AnalyticsQueriesMemory: Layer.Layer<AnalyticsQueries, never, MemoryRepositoryControl> = Layer.effect(
  AnalyticsQueries,
  Effect.gen(function*() {
    const control = yield* MemoryRepositoryControl
    const postsOf = (projectId: string) =>
      Effect.map(control.tables, (t) => [...t.posts.values()].filter((r) => r.project_id !== null && r.project_id.toLowerCase() === projectId.toLowerCase()))
    const published = (rows: ReadonlyArray<AnalyticsRecord>) => rows.filter((r): r is Published => r.published_at !== null)

    return AnalyticsQueries.of({
      projects: Effect.map(control.tables, (t) =>
        [...new Set([...t.posts.values()].flatMap((r) => (r.project_id === null ? [] : [r.project_id.toLowerCase()])))]
          .sort(cmp)
          .map((projectId) => ({ projectId }))),

      posts: (q) =>
        checkInput(q.projectId, q).pipe(
          Effect.andThen(postsOf(q.projectId)),
          Effect.map((rows) => {
            const limit = clamp(q.limit, 200)
            const items: Array<PostView> = published(rows)
              .filter((r) => inRange(r.published_at, q) && matches(r, q))
              .sort(newestFirst)
              .slice(0, limit)
              .map(toPostView)
            const last = items[items.length - 1]
            return {
              items,
              next: items.length >= limit && last !== undefined ? { published_at: last.published_at, platform: last.platform, id: last.id } : null
            }
          })
        ),

      summary: (projectId, range) =>
        checkInput(projectId, range).pipe(
          Effect.andThen(postsOf(projectId)),
          Effect.map((all) => {
            const rows = all.filter((r) => inRange(r.published_at, range))
            const count = <K extends string>(values: ReadonlyArray<K>, get: (r: AnalyticsRecord) => string) =>
              Object.fromEntries(values.map((v) => [v, rows.filter((r) => get(r) === v).length])) as Record<K, number>
            const byPlatform: Record<string, number> = {}
            for (const r of rows) byPlatform[r.platform] = (byPlatform[r.platform] ?? 0) + 1
            const times = published(rows).map((r) => ms(r.published_at))
            const average = (f: (r: AnalyticsRecord) => number) => (rows.length === 0 ? null : rows.reduce((s, r) => s + f(r), 0) / rows.length)
            return {
              total: rows.length,
              bySentiment: count(["POSITIVE", "NEGATIVE", "NEUTRAL"] as const, (r) => r.overall_sentiment),
              byIntent: count(["CRISIS", "SEEDING", "SPAM", "COMPLAINT", "LEAD", "SUPPORT", "DISCUSSION"] as const, (r) => r.primary_intent),
              byRisk: count(["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const, (r) => r.risk_level),
              byPlatform: sortedEntries(byPlatform),
              averageImpact: average((r) => r.impact_score),
              averageSentiment: average((r) => r.overall_sentiment_score),
              views: rows.reduce((s, r) => s + r.view_count, 0),
              engagement: rows.reduce((s, r) => s + r.like_count + r.comment_count + r.share_count + r.save_count, 0),
              firstPublishedAt: times.length === 0 ? null : isoFromMillis(Math.min(...times)),
              lastPublishedAt: times.length === 0 ? null : isoFromMillis(Math.max(...times))
            }
          })
        ),

      trend: (q) =>
        checkInput(q.projectId, q).pipe(
          Effect.andThen(postsOf(q.projectId)),
          Effect.map((rows) => {
            const buckets = new Map<string, { posts: number; positive: number; negative: number; neutral: number; impact: number }>()
            for (const r of published(rows)) {
              if (!inRange(r.published_at, q)) continue
              const key = localBucket(r.published_at, q.bucket, q.timeZone)
              const b = buckets.get(key) ?? { posts: 0, positive: 0, negative: 0, neutral: 0, impact: 0 }
              b.posts += 1
              b.impact += r.impact_score
              if (r.overall_sentiment === "POSITIVE") b.positive += 1
              else if (r.overall_sentiment === "NEGATIVE") b.negative += 1
              else b.neutral += 1
              buckets.set(key, b)
            }
            return [...buckets.entries()].sort(([a], [b]) => cmp(a, b)).map(([local, b]): TrendPoint => ({
              local,
              posts: b.posts,
              positive: b.positive,
              negative: b.negative,
              neutral: b.neutral,
              averageImpact: b.impact / b.posts
            }))
          })
        ),

      topKeywords: (projectId, range, limit) =>
        checkInput(projectId, range).pipe(
          Effect.andThen(postsOf(projectId)),
          Effect.map((rows) => {
            const stats = new Map<string, { keyword: string; aspect: string; mentions: number; positive: number; negative: number; neutral: number }>()
            for (const r of rows) {
              if (!inRange(r.published_at, range)) continue
              for (const k of r.keywords) {
                const key = JSON.stringify([k.keyword, k.aspect])
                const s = stats.get(key) ?? { keyword: k.keyword, aspect: k.aspect, mentions: 0, positive: 0, negative: 0, neutral: 0 }
                s.mentions += 1
                if (r.overall_sentiment === "POSITIVE") s.positive += 1
                else if (r.overall_sentiment === "NEGATIVE") s.negative += 1
                else s.neutral += 1
                stats.set(key, s)
              }
            }
            return [...stats.values()]
              .sort((a, b) => b.mentions - a.mentions || cmp(a.keyword, b.keyword) || cmp(a.aspect, b.aspect))
              .slice(0, clamp(limit, 100))
              .map((s): KeywordStat => ({ ...s }))
          })
        ),

      aspects: (projectId, range) =>
        checkInput(projectId, range).pipe(
          Effect.andThen(postsOf(projectId)),
          Effect.map((rows) => {
            const stats = new Map<string, { posts: number; positive: number; negative: number; neutral: number }>()
            for (const r of rows) {
              if (!inRange(r.published_at, range)) continue
              for (const [aspect, a] of Object.entries(r.aspects_breakdown)) {
                if (a === undefined || a === null || typeof a !== "object") continue
                const s = stats.get(aspect) ?? { posts: 0, positive: 0, negative: 0, neutral: 0 }
                s.posts += 1
                if (a.label === "POSITIVE") s.positive += 1
                else if (a.label === "NEGATIVE") s.negative += 1
                else if (a.label === "NEUTRAL") s.neutral += 1
                stats.set(aspect, s)
              }
            }
            return [...stats.entries()]
              .map(([aspect, s]): AspectStat => ({ aspect, ...s }))
              .sort((a, b) => b.posts - a.posts || cmp(a.aspect, b.aspect))
          })
        ),

      crisis: (q) =>
        checkInput(q.projectId, q).pipe(
          Effect.andThen(postsOf(q.projectId)),
          Effect.map((rows) =>
            published(rows)
              .filter((r) => (r.risk_level === "HIGH" || r.risk_level === "CRITICAL") && inRange(r.published_at, q))
              .sort((a, b) =>
                Number(b.risk_level === "CRITICAL") - Number(a.risk_level === "CRITICAL") ||
                riskRank(b.risk_level) - riskRank(a.risk_level) ||
                b.impact_score - a.impact_score ||
                newestFirst(a, b))
              .slice(0, clamp(q.limit, 100))
              .map((r) => {
                const post = toPostView(r)
                return { post, reasons: crisisReasons(post) }
              }))
        ),

      crawlErrors: (projectId, limit) =>
        checkInput(projectId).pipe(
          Effect.andThen(control.tables),
          Effect.map((t) => {
            const rows = [...t.errors.values()].filter((e) => e.project_id !== null && e.project_id.toLowerCase() === projectId.toLowerCase())
            const byCategory: Record<string, number> = {}
            for (const e of rows) byCategory[e.error_category] = (byCategory[e.error_category] ?? 0) + 1
            return {
              total: rows.length,
              byCategory: sortedEntries(byCategory),
              recent: rows
                .sort((a, b) =>
                  ms(b.created_at) - ms(a.created_at) || cmp(b.platform, a.platform) || cmp(b.content_id, a.content_id) ||
                  cmp(b.job_id ?? "", a.job_id ?? ""))
                .slice(0, clamp(limit, 200))
                .map((e) => ({
                  content_id: e.content_id,
                  platform: e.platform,
                  job_id: e.job_id,
                  error_code: e.error_code,
                  error_category: e.error_category,
                  error_message: e.error_message,
                  permalink: e.permalink,
                  created_at: toUtcIso(e.created_at) ?? e.created_at
                }))
            }
          })
        ),

      batchHealth: (projectId, limit) =>
        checkInput(projectId).pipe(
          Effect.andThen(control.tables),
          Effect.map((t) => {
            const rows = [...t.ledger.values()].filter((e) => e.project_id !== null && e.project_id.toLowerCase() === projectId.toLowerCase())
            const count = (p: (e: (typeof rows)[number]) => boolean) => rows.filter(p).length
            return {
              batches: rows.length,
              completed: count((e) => e.status === "completed"),
              deadLettered: count((e) => e.status === "failed"),
              sizeMismatches: count((e) => e.expected_size !== null && e.expected_size !== e.actual_size),
              redelivered: count((e) => e.attempts > 1),
              items: {
                stored: rows.reduce((s, e) => s + e.stored_count, 0),
                skipped: rows.reduce((s, e) => s + e.skipped_count, 0),
                errors: rows.reduce((s, e) => s + e.error_count, 0)
              },
              recent: rows
                .sort((a, b) => ms(b.last_attempt_at) - ms(a.last_attempt_at) || cmp(b.object_path, a.object_path))
                .slice(0, clamp(limit, 200))
                .map((e) => ({
                  object_path: e.object_path,
                  platform: e.platform,
                  batch_index: e.batch_index,
                  status: e.status,
                  expected_size: e.expected_size,
                  actual_size: e.actual_size,
                  stored_count: e.stored_count,
                  skipped_count: e.skipped_count,
                  error_count: e.error_count,
                  attempts: e.attempts,
                  last_attempt_at: toUtcIso(e.last_attempt_at) ?? e.last_attempt_at,
                  failure_reason: e.failure_reason
                }))
            }
          })
        )
    })
  })
)

import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { Fragment, Statement } from "effect/sql/Statement"
import { crisisReasons, toPostView } from "../../domain/readModel.ts"
import type { AnalyticsRecord } from "../../domain/records.ts"
import {
  AnalyticsQueries,
  type BatchHealth,
  type CrawlErrors,
  type CrisisQuery,
  type PostsPage,
  type PostsQuery,
  type PostView,
  type TimeRange,
  type TrendQuery
} from "../../ports/AnalyticsQueries.ts"
import { toAnalytics } from "./AnalyticsRepository.ts"
import { dashboardStatements, runSerial, runsAlone } from "./dashboard.ts"
import { type Row, iso, isoOrNull, num, numOrNull, text, textOrNull } from "./rows.ts"
import { toRepositoryError } from "./sqlState.ts"

/**
 * The AnalyticsQueries port on PostgreSQL. The summary is today's dashboard statement
 * (dashboard.ts); the others are written in the same way: `project_id` first, so an index whose
 * leading column is `project_id` serves them (migrations 0002–0009), and total orders so keyset
 * pages are stable. Timestamps are compared as timestamptz; the session time zone never matters.
 */

type Sql = SqlClient

const clamp = (n: number, max: number) => Math.max(1, Math.min(Math.trunc(n), max))

const window = (sql: Sql, range: TimeRange, column = "published_at"): Array<Fragment> => [
  ...(range.from === undefined ? [] : [sql`${sql.literal(column)} >= ${range.from}::timestamptz`]),
  ...(range.to === undefined ? [] : [sql`${sql.literal(column)} < ${range.to}::timestamptz`])
]

export const queryStatements = (sql: Sql) => ({
  projects: (): Statement<Row> =>
    // A loose index scan of idx_post_analytics_project_id: one index probe per project.
    sql<Row>`WITH RECURSIVE p AS (
        (SELECT project_id AS id FROM post_analytics WHERE project_id IS NOT NULL ORDER BY project_id LIMIT 1)
        UNION ALL
        SELECT (SELECT project_id FROM post_analytics WHERE project_id > p.id ORDER BY project_id LIMIT 1) FROM p WHERE p.id IS NOT NULL
      ) SELECT id::text AS project_id FROM p WHERE id IS NOT NULL ORDER BY id`,

  posts: (q: PostsQuery): Statement<Row> => {
    const filters = [
      sql`project_id = ${q.projectId}::uuid`,
      sql`published_at IS NOT NULL`,
      ...window(sql, q),
      ...(q.platform === undefined ? [] : [sql`platform = ${q.platform}`]),
      ...(q.sentiment === undefined ? [] : [sql`overall_sentiment = ${q.sentiment}`]),
      ...(q.intent === undefined ? [] : [sql`primary_intent = ${q.intent}`]),
      ...(q.risk === undefined ? [] : [sql`risk_level = ${q.risk}`]),
      ...(q.aspect === undefined ? [] : [sql`jsonb_exists(aspects_breakdown, ${q.aspect}::text)`]),
      ...(q.keyword === undefined
        ? []
        : [sql`keywords @> jsonb_build_array(jsonb_build_object('keyword', ${q.keyword}::text))`]),
      ...(q.text === undefined ? [] : [sql`strpos(lower(content_text), lower(${q.text}::text)) > 0`]),
      ...(q.after === undefined
        ? []
        : [sql`(published_at, platform, id) < (${q.after.published_at}::timestamptz, ${q.after.platform}::text, ${q.after.id}::text)`])
    ]
    return sql<Row>`SELECT * FROM post_analytics WHERE ${sql.and(filters)}
      ORDER BY published_at DESC, platform DESC, id DESC LIMIT ${clamp(q.limit, 200)}`
  },

  // Local buckets: the instant is read in the caller's zone, truncated there, and labelled with
  // its wall-clock start. An invalid zone name is a 22023 error (InvalidData).
  trend: (q: TrendQuery): Statement<Row> =>
    sql<Row>`SELECT to_char(date_trunc(${q.bucket}::text, published_at AT TIME ZONE ${q.timeZone}::text), 'YYYY-MM-DD"T"HH24:"00"') AS local,
        count(*) AS posts,
        count(*) FILTER (WHERE overall_sentiment = 'POSITIVE') AS positive,
        count(*) FILTER (WHERE overall_sentiment = 'NEGATIVE') AS negative,
        count(*) FILTER (WHERE overall_sentiment = 'NEUTRAL') AS neutral,
        avg(impact_score) AS avg_impact
      FROM post_analytics
      WHERE project_id = ${q.projectId}::uuid AND published_at >= ${q.from}::timestamptz AND published_at < ${q.to}::timestamptz
      GROUP BY 1 ORDER BY 1`,

  // The top N from post_keywords' index alone (as dashboard.ts), then the sentiment of only
  // those N keywords' posts.
  topKeywords: (projectId: string, range: TimeRange, limit: number): Statement<Row> =>
    sql<Row>`WITH top AS (
        SELECT keyword, aspect, count(*) AS mentions FROM post_keywords
        WHERE ${sql.and([sql`project_id = ${projectId}::uuid`, sql`keyword IS NOT NULL`, ...window(sql, range)])}
        GROUP BY keyword, aspect ORDER BY mentions DESC, keyword, aspect LIMIT ${clamp(limit, 100)}
      )
      SELECT t.keyword, t.aspect, t.mentions,
        count(*) FILTER (WHERE p.overall_sentiment = 'POSITIVE') AS positive,
        count(*) FILTER (WHERE p.overall_sentiment = 'NEGATIVE') AS negative,
        count(*) FILTER (WHERE p.overall_sentiment = 'NEUTRAL') AS neutral
      FROM top t
      JOIN post_keywords k ON ${sql.and([
        sql`k.project_id = ${projectId}::uuid`,
        sql`k.keyword = t.keyword`,
        sql`k.aspect IS NOT DISTINCT FROM t.aspect`,
        ...window(sql, range, "k.published_at")
      ])}
      JOIN post_analytics p ON p.project_id = k.project_id AND p.platform = k.platform AND p.id = k.post_id
      GROUP BY t.keyword, t.aspect, t.mentions
      ORDER BY t.mentions DESC, t.keyword, t.aspect`,

  aspects: (projectId: string, range: TimeRange): Statement<Row> =>
    sql<Row>`SELECT a.key AS aspect, count(*) AS posts,
        count(*) FILTER (WHERE a.value->>'label' = 'POSITIVE') AS positive,
        count(*) FILTER (WHERE a.value->>'label' = 'NEGATIVE') AS negative,
        count(*) FILTER (WHERE a.value->>'label' = 'NEUTRAL') AS neutral
      FROM post_analytics p CROSS JOIN LATERAL jsonb_each(p.aspects_breakdown) AS a
      WHERE ${sql.and([sql`p.project_id = ${projectId}::uuid`, sql`jsonb_typeof(a.value) = 'object'`, ...window(sql, range, "p.published_at")])}
      GROUP BY a.key ORDER BY posts DESC, aspect`,

  // The risk predicate is the partial index's (migration 0004).
  crisis: (q: CrisisQuery): Statement<Row> =>
    sql<Row>`SELECT * FROM post_analytics
      WHERE ${sql.and([
        sql`project_id = ${q.projectId}::uuid`,
        sql`risk_level IN ('HIGH', 'CRITICAL')`,
        sql`published_at IS NOT NULL`,
        ...window(sql, q)
      ])}
      ORDER BY (risk_level = 'CRITICAL') DESC, impact_score DESC, published_at DESC, platform DESC, id DESC
      LIMIT ${clamp(q.limit, 100)}`,

  // Two probes of idx_post_analytics_project_published (min and max of its second column).
  publishedSpan: (projectId: string, range: TimeRange): Statement<Row> =>
    sql<Row>`SELECT min(published_at) AS first, max(published_at) AS last FROM post_analytics
      WHERE ${sql.and([sql`project_id = ${projectId}::uuid`, ...window(sql, range)])}`,

  errorCounts: (projectId: string): Statement<Row> =>
    sql<Row>`SELECT error_category, count(*) AS n FROM crawl_errors WHERE project_id = ${projectId}::uuid GROUP BY 1`,

  recentErrors: (projectId: string, limit: number): Statement<Row> =>
    sql<Row>`SELECT content_id, platform, job_id, error_code, error_category, error_message, permalink, created_at
      FROM crawl_errors WHERE project_id = ${projectId}::uuid
      ORDER BY created_at DESC, platform DESC, content_id DESC, coalesce(job_id, '') DESC LIMIT ${clamp(limit, 200)}`,

  ledgerTotals: (projectId: string): Statement<Row> =>
    sql<Row>`SELECT count(*) AS batches,
        count(*) FILTER (WHERE status = 'completed') AS completed,
        count(*) FILTER (WHERE status = 'failed') AS failed,
        count(*) FILTER (WHERE expected_size IS NOT NULL AND expected_size <> actual_size) AS mismatches,
        count(*) FILTER (WHERE attempts > 1) AS redelivered,
        coalesce(sum(stored_count), 0) AS stored, coalesce(sum(skipped_count), 0) AS skipped,
        coalesce(sum(error_count), 0) AS errors
      FROM batch_ledger WHERE project_id = ${projectId}::uuid`,

  recentBatches: (projectId: string, limit: number): Statement<Row> =>
    sql<Row>`SELECT object_path, platform, batch_index, status, expected_size, actual_size, stored_count, skipped_count,
        error_count, attempts, last_attempt_at, failure_reason
      FROM batch_ledger WHERE project_id = ${projectId}::uuid
      ORDER BY last_attempt_at DESC, object_path DESC LIMIT ${clamp(limit, 200)}`
})

const view = (row: Row): PostView => {
  const record: AnalyticsRecord = toAnalytics(row)
  return toPostView({ ...record, published_at: record.published_at ?? "" })
}

const intOrNull = (row: Row, column: string) => numOrNull(row, column)

export const AnalyticsQueriesLive: Layer.Layer<AnalyticsQueries, never, SqlClient> = Layer.effect(
  AnalyticsQueries,
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const q = queryStatements(sql)
    const d = dashboardStatements(sql)
    const run = <A>(operation: string, effect: Effect.Effect<A, SqlError>) =>
      (runsAlone(operation) ? effect : runSerial(sql, effect)).pipe(
        Effect.mapError(toRepositoryError(operation)),
        Effect.withSpan(`AnalyticsQueries.${operation}`)
      )

    return AnalyticsQueries.of({
      projects: run("projects", Effect.map(q.projects(), (rows) => rows.map((r) => ({ projectId: text(r, "project_id") })))),

      posts: (query) =>
        run("postsPage", Effect.map(q.posts(query), (rows): PostsPage => {
          const items = rows.map(view)
          const last = items[items.length - 1]
          return {
            items,
            next: items.length >= clamp(query.limit, 200) && last !== undefined
              ? { published_at: last.published_at, platform: last.platform, id: last.id }
              : null
          }
        })),

      summary: (projectId, range) =>
        run("summary", Effect.map(Effect.all([d.summary(projectId, range), d.summaryByPlatform(projectId, range), q.publishedSpan(projectId, range)]), ([[row], platforms, [span]]) => {
          const n = (c: string) => (row === undefined ? 0 : num(row, c))
          const tally = <K extends string>(column: string, values: ReadonlyArray<K>) =>
            Object.fromEntries(values.map((v) => [v, n(`${column}:${v}`)])) as Record<K, number>
          return {
            total: n("total"),
            bySentiment: tally("overall_sentiment", ["POSITIVE", "NEGATIVE", "NEUTRAL"] as const),
            byIntent: tally("primary_intent", ["CRISIS", "SEEDING", "SPAM", "COMPLAINT", "LEAD", "SUPPORT", "DISCUSSION"] as const),
            byRisk: tally("risk_level", ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const),
            byPlatform: Object.fromEntries(
              platforms.map((p) => [text(p, "platform"), num(p, "posts")] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            ),
            averageImpact: row === undefined ? null : numOrNull(row, "avg_impact"),
            averageSentiment: row === undefined ? null : numOrNull(row, "avg_sentiment"),
            views: n("views"),
            engagement: n("likes") + n("comments") + n("shares") + n("saves"),
            firstPublishedAt: span === undefined ? null : isoOrNull(span, "first"),
            lastPublishedAt: span === undefined ? null : isoOrNull(span, "last")
          }
        })),

      trend: (query) =>
        run("trend", Effect.map(q.trend(query), (rows) =>
          rows.map((r) => ({
            local: text(r, "local"),
            posts: num(r, "posts"),
            positive: num(r, "positive"),
            negative: num(r, "negative"),
            neutral: num(r, "neutral"),
            averageImpact: num(r, "avg_impact")
          })))),

      topKeywords: (projectId, range, limit) =>
        run("topKeywords", Effect.map(q.topKeywords(projectId, range, limit), (rows) =>
          rows.map((r) => ({
            keyword: text(r, "keyword"),
            aspect: textOrNull(r, "aspect"),
            mentions: num(r, "mentions"),
            positive: num(r, "positive"),
            negative: num(r, "negative"),
            neutral: num(r, "neutral")
          })))),

      aspects: (projectId, range) =>
        run("aspects", Effect.map(q.aspects(projectId, range), (rows) =>
          rows.map((r) => ({
            aspect: text(r, "aspect"),
            posts: num(r, "posts"),
            positive: num(r, "positive"),
            negative: num(r, "negative"),
            neutral: num(r, "neutral")
          })))),

      crisis: (query) =>
        run("crisis", Effect.map(q.crisis(query), (rows) =>
          rows.map((r) => {
            const post = view(r)
            return { post, reasons: crisisReasons(post) }
          }))),

      crawlErrors: (projectId, limit) =>
        run("crawlErrors", Effect.map(Effect.all([q.errorCounts(projectId), q.recentErrors(projectId, limit)]), ([counts, recent]): CrawlErrors => ({
          total: counts.reduce((s, r) => s + num(r, "n"), 0),
          byCategory: Object.fromEntries(
            counts.map((r) => [text(r, "error_category"), num(r, "n")] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          ),
          recent: recent.map((r) => ({
            content_id: text(r, "content_id"),
            platform: text(r, "platform"),
            job_id: textOrNull(r, "job_id"),
            error_code: text(r, "error_code"),
            error_category: text(r, "error_category") as CrawlErrors["recent"][number]["error_category"],
            error_message: textOrNull(r, "error_message"),
            permalink: textOrNull(r, "permalink"),
            created_at: iso(r, "created_at")
          }))
        }))),

      batchHealth: (projectId, limit) =>
        run("batchHealth", Effect.map(Effect.all([q.ledgerTotals(projectId), q.recentBatches(projectId, limit)]), ([[t], recent]): BatchHealth => {
          const n = (c: string) => (t === undefined ? 0 : num(t, c))
          return {
            batches: n("batches"),
            completed: n("completed"),
            deadLettered: n("failed"),
            sizeMismatches: n("mismatches"),
            redelivered: n("redelivered"),
            items: { stored: n("stored"), skipped: n("skipped"), errors: n("errors") },
            recent: recent.map((r) => ({
              object_path: text(r, "object_path"),
              platform: text(r, "platform"),
              batch_index: intOrNull(r, "batch_index"),
              status: text(r, "status") === "failed" ? "failed" : "completed",
              expected_size: intOrNull(r, "expected_size"),
              actual_size: num(r, "actual_size"),
              stored_count: num(r, "stored_count"),
              skipped_count: num(r, "skipped_count"),
              error_count: num(r, "error_count"),
              attempts: num(r, "attempts"),
              last_attempt_at: iso(r, "last_attempt_at"),
              failure_reason: textOrNull(r, "failure_reason")
            }))
          }
        }))
    })
  })
)

import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { Fragment, Statement } from "effect/sql/Statement"
import { crisisReasons, POST_VIEW_SOURCE, type PostViewSource, toPostView } from "../../domain/readModel.ts"
import { type Aspect, ASPECTS, INTENTS, RISK_LEVELS, type SentimentLabel, SENTIMENT_LABELS } from "../../domain/records.ts"
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
import { type Row, iso, isoOrNull, num, numOrNull, text, textOrNull } from "./rows.ts"
import { toRepositoryError } from "./sqlState.ts"

/**
 * The AnalyticsQueries port on PostgreSQL. Every statement filters by `project_id` first, so an
 * index whose leading column is `project_id` serves it (migrations 0002–0009, 0013), and orders
 * totally, so keyset pages are stable. Timestamps are compared as timestamptz; the session time
 * zone never matters.
 *
 * Summary, trend and aspects read the hourly rollups of migration 0013 (post_rollup_hourly,
 * post_aspect_rollup_hourly: one row per project, UTC hour and platform or aspect) instead of the
 * posts; top keywords its daily post_keyword_rollup_daily the same way, by UTC day. An hour is taken from its rollup row when it lies wholly inside the requested range
 * and, for a trend, inside one local bucket of the caller's time zone; any other hour (the range's
 * edges, or every hour of a zone whose offset is not a whole number of hours, such as
 * Asia/Kolkata) is counted from its posts instead, through the covering index of migration 0009.
 * The hourly rollups are read through their own covering indexes (migrations 0016, 0017): a
 * project's rollup rows lie scattered over the heap, the index keeps them together.
 * The answers are the posts' own, whatever the range and zone (analyticsQueries.equivalence.test.ts).
 *
 * Statements run on their own, without a transaction: the read pool turns parallel query off for
 * the whole session (readOnlyClient.ts), as these statements read too few rows for workers to pay.
 */

type Sql = SqlClient

/**
 * Pages and the crisis radar read only the columns a post view is made of: not the analysed
 * text, the model's breakdowns or the crawl bookkeeping, which nothing on the read side shows
 * (less to send and to parse as JSON per row).
 */
const POST_VIEW_LIST = POST_VIEW_SOURCE.join(", ")

const bad = (column: string, value: unknown): never => {
  throw new TypeError(`column ${column}: unexpected value ${JSON.stringify(value) ?? String(value)}`)
}
const oneOf = <L extends string>(values: ReadonlyArray<L>) => (row: Row, column: string): L => {
  const v = row[column]
  return typeof v === "string" && (values as ReadonlyArray<string>).includes(v) ? (v as L) : bad(column, v)
}
const sentiment = oneOf(SENTIMENT_LABELS)
const bool = (row: Row, column: string): boolean => {
  const v = row[column]
  return typeof v === "boolean" ? v : bad(column, v)
}
const isObject = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * A post row (POST_VIEW_LIST) → what its view reads, every value checked, failing loudly on one
 * that does not fit the record (as `toAnalytics` does for a whole record, by its Schema). Written
 * out by hand: decoding these 20 columns through the record's Schema cost 0.6 ms per page of 50
 * posts, a third of the server's time for the request (CPU profile under bench:api's load).
 * Aspects keep the record's keys only (the Schema dropped others too).
 */
const postViewSource = (row: Row): PostViewSource & { readonly published_at: string } => {
  const aspectsIn = row["aspects_breakdown"]
  if (!isObject(aspectsIn)) return bad("aspects_breakdown", aspectsIn)
  const aspects: { [K in Aspect]?: { readonly label: SentimentLabel } } = {}
  for (const aspect of ASPECTS) {
    const a = aspectsIn[aspect]
    if (a === undefined) continue
    if (!isObject(a)) return bad("aspects_breakdown", aspectsIn)
    aspects[aspect] = { label: sentiment(a, "label") }
  }
  const keywordsIn = row["keywords"]
  if (!Array.isArray(keywordsIn)) return bad("keywords", keywordsIn)
  const keywords = keywordsIn.map((k: unknown) => (isObject(k) && typeof k["keyword"] === "string" ? { keyword: k["keyword"] } : bad("keywords", k)))
  return {
    id: text(row, "id"),
    platform: text(row, "platform"),
    published_at: iso(row, "published_at"),
    permalink: textOrNull(row, "permalink"),
    author_name: textOrNull(row, "author_name"),
    author_username: textOrNull(row, "author_username"),
    content_text: text(row, "content_text"),
    overall_sentiment: sentiment(row, "overall_sentiment"),
    overall_sentiment_score: num(row, "overall_sentiment_score"),
    primary_intent: oneOf(INTENTS)(row, "primary_intent"),
    risk_level: oneOf(RISK_LEVELS)(row, "risk_level"),
    impact_score: num(row, "impact_score"),
    is_viral: bool(row, "is_viral"),
    is_kol: bool(row, "is_kol"),
    aspects_breakdown: aspects,
    keywords,
    view_count: num(row, "view_count"),
    like_count: num(row, "like_count"),
    comment_count: num(row, "comment_count"),
    share_count: num(row, "share_count")
  }
}

const clamp = (n: number, max: number) => Math.max(1, Math.min(Math.trunc(n), max))

const window = (sql: Sql, range: TimeRange, column = "published_at"): Array<Fragment> => [
  ...(range.from === undefined ? [] : [sql`${sql.literal(column)} >= ${range.from}::timestamptz`]),
  ...(range.to === undefined ? [] : [sql`${sql.literal(column)} < ${range.to}::timestamptz`])
]

/** The rollups' hour of an instant: date_bin on timestamptz with a UTC origin, as the triggers compute it. */
const hourOf = (sql: Sql, instant: Fragment) => sql`date_bin('1 hour', ${instant}, '2000-01-01T00:00:00Z'::timestamptz)`

/**
 * The rollup rows `r` of a project within a range: `filter` selects them, `whole` (on `r.hour`)
 * those whose hour lies wholly inside the range; the other hours (at most the two holding the
 * range's ends) are counted from their posts. The two are separate scans of the rollup's key
 * index, each reading only the columns it needs: whole rows are aggregated as they are read
 * (materialising every rollup column of 1 440 rows in a CTE first cost more than the sums), and
 * with no range the partial scan is `WHERE false`, which the planner drops.
 */
const rollupRange = (sql: Sql, projectId: string, range: TimeRange) => {
  const whole = [
    ...(range.from === undefined ? [] : [sql`r.hour >= ${range.from}::timestamptz`]),
    ...(range.to === undefined ? [] : [sql`r.hour + interval '1 hour' <= ${range.to}::timestamptz`])
  ]
  const filter = [
    sql`r.project_id = ${projectId}::uuid`,
    ...(range.from === undefined ? [] : [sql`r.hour >= ${hourOf(sql, sql`${range.from}::timestamptz`)}`]),
    ...(range.to === undefined ? [] : [sql`r.hour < ${range.to}::timestamptz`])
  ]
  return {
    whole: sql.and([...filter, ...whole]),
    partial: whole.length === 0 ? sql`false` : sql.and([...filter, sql`NOT (${sql.and(whole)})`])
  }
}

/**
 * The posts of one partial hour `h`, clipped to the range (for a LATERAL join). OFFSET 0 keeps
 * the planner from flattening it into a join that reads every post of the project first and
 * then finds no partial hour to keep: each partial hour is one range probe of the covering index.
 */
const postsOfHour = (sql: Sql, projectId: string, range: TimeRange, columns: Fragment) =>
  sql`SELECT ${columns} FROM post_analytics p WHERE ${sql.and([
    sql`p.project_id = ${projectId}::uuid`,
    range.from === undefined ? sql`p.published_at >= h.hour` : sql`p.published_at >= greatest(h.hour, ${range.from}::timestamptz)`,
    range.to === undefined
      ? sql`p.published_at < h.hour + interval '1 hour'`
      : sql`p.published_at < least(h.hour + interval '1 hour', ${range.to}::timestamptz)`
  ])} OFFSET 0`

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
    return sql<Row>`SELECT ${sql.literal(POST_VIEW_LIST)} FROM post_analytics WHERE ${sql.and(filters)}
      ORDER BY published_at DESC, platform DESC, id DESC LIMIT ${clamp(q.limit, 200)}`
  },

  // Local buckets: the instant is read in the caller's zone, truncated there, and labelled with
  // its wall-clock start. A rollup hour serves when its first and last instants fall in the same
  // local bucket at the same UTC offset; otherwise its posts are read. An invalid zone name is a
  // 22023 error (InvalidData).
  //
  // Each rollup row's hour is converted to local time twice (in a subquery kept apart by
  // OFFSET 0, so the planner does not inline and repeat the conversions): its first instant `l0`
  // and its last `l1`. Same offset ⇔ l1 − l0 is exactly the hour's length; same bucket ⇔ both
  // truncate alike (for days: the same date). The rows are then summed in one pass by bucket,
  // the hours that do not serve kept apart by hour, so what is materialised is one row per
  // bucket plus one per such hour, not the 720 hours × platforms rows of a 30-day range (a 30-day
  // trend by day at 1M posts: 2.3 ms against 3.2 for the earlier statement, which materialised
  // every row twice; bench/apiStatementsAb.ts).
  trend: (q: TrendQuery): Statement<Row> => {
    const unit = sql`${q.bucket}::text`
    const tz = sql`${q.timeZone}::text`
    const sameBucket = q.bucket === "day" ? sql`z.l0::date = z.l1::date` : sql`date_trunc('hour', z.l0) = date_trunc('hour', z.l1)`
    const whole = sql.and([
      sql`z.hour >= ${q.from}::timestamptz`,
      sql`z.hour + interval '1 hour' <= ${q.to}::timestamptz`,
      sql`z.l1 - z.l0 = interval '1 hour' - interval '1 microsecond'`,
      sameBucket
    ])
    const filter = sql.and([
      sql`r.project_id = ${q.projectId}::uuid`,
      sql`r.hour >= ${hourOf(sql, sql`${q.from}::timestamptz`)}`,
      sql`r.hour < ${q.to}::timestamptz`
    ])
    return sql<Row>`WITH g AS MATERIALIZED (
        SELECT CASE WHEN z.whole THEN date_trunc(${unit}, z.l0) END AS local, CASE WHEN z.whole THEN NULL ELSE z.hour END AS hour,
          sum(z.posts) AS posts, sum(z.positive) AS positive, sum(z.negative) AS negative, sum(z.neutral) AS neutral,
          sum(z.impact_sum) AS impact_sum
        FROM (
          SELECT z.*, ${whole} AS whole FROM (
            SELECT r.hour, r.posts, r.positive, r.negative, r.neutral, r.impact_sum, r.hour AT TIME ZONE ${tz} AS l0,
              (r.hour + interval '1 hour' - interval '1 microsecond') AT TIME ZONE ${tz} AS l1
            FROM post_rollup_hourly r WHERE ${filter} OFFSET 0
          ) AS z
        ) AS z
        GROUP BY 1, 2
      ), parts AS (
        SELECT g.local, g.posts, g.positive, g.negative, g.neutral, g.impact_sum FROM g WHERE g.hour IS NULL
        UNION ALL
        SELECT date_trunc(${unit}, p.published_at AT TIME ZONE ${tz}), 1, (p.overall_sentiment = 'POSITIVE')::int,
          (p.overall_sentiment = 'NEGATIVE')::int, (p.overall_sentiment = 'NEUTRAL')::int, p.impact_score::numeric
        FROM g AS h CROSS JOIN LATERAL (${postsOfHour(sql, q.projectId, q, sql`p.published_at, p.overall_sentiment, p.impact_score`)}) AS p
        WHERE h.hour IS NOT NULL
      )
      SELECT to_char(local, 'YYYY-MM-DD"T"HH24:"00"') AS local, sum(posts) AS posts, sum(positive) AS positive,
        sum(negative) AS negative, sum(neutral) AS neutral, sum(impact_sum) / sum(posts) AS avg_impact
      FROM parts GROUP BY parts.local HAVING sum(posts) > 0 ORDER BY parts.local`
  },

  // Counts by platform and their total (the row with platform NULL, summed from the platforms'
  // rows: each rollup row is added once, where GROUPING SETS ((platform), ()) added it twice), and
  // the published span, in one statement.
  summary: (projectId: string, range: TimeRange): Statement<Row> => {
    const counters = [
      "posts", "positive", "negative", "neutral", "crisis", "seeding", "spam", "complaint", "lead", "support", "discussion",
      "risk_low", "risk_medium", "risk_high", "risk_critical", "views", "likes", "comments", "shares", "saves",
      "sentiment_sum", "impact_sum", "confidence_sum"
    ]
    const fromPost = [
      "1", "(p.overall_sentiment = 'POSITIVE')::int", "(p.overall_sentiment = 'NEGATIVE')::int", "(p.overall_sentiment = 'NEUTRAL')::int",
      ...["CRISIS", "SEEDING", "SPAM", "COMPLAINT", "LEAD", "SUPPORT", "DISCUSSION"].map((i) => `(p.primary_intent = '${i}')::int`),
      ...["LOW", "MEDIUM", "HIGH", "CRITICAL"].map((r) => `(p.risk_level = '${r}')::int`),
      "p.view_count::numeric", "p.like_count::numeric", "p.comment_count::numeric", "p.share_count::numeric", "p.save_count::numeric",
      "p.overall_sentiment_score::numeric", "p.impact_score::numeric", "p.overall_confidence::numeric"
    ]
    const rows = rollupRange(sql, projectId, range)
    return sql<Row>`WITH parts AS (
        SELECT r.platform, ${sql.literal(counters.map((c) => `r.${c}`).join(", "))} FROM post_rollup_hourly r WHERE ${rows.whole}
        UNION ALL
        SELECT p.platform, ${sql.literal(fromPost.join(", "))}
        FROM (SELECT DISTINCT r.hour FROM post_rollup_hourly r WHERE ${rows.partial}) h
        CROSS JOIN LATERAL (${postsOfHour(sql, projectId, range, sql`p.*`)}) AS p
      ), per AS (
        SELECT platform, ${sql.literal(counters.map((c) => `sum(${c}) AS ${c}`).join(", "))} FROM parts GROUP BY platform
      ), totals AS (
        SELECT * FROM per WHERE posts > 0
        UNION ALL
        SELECT NULL, ${sql.literal(counters.map((c) => `sum(${c})`).join(", "))} FROM per HAVING sum(posts) > 0
      ), span AS (
        SELECT min(published_at) AS first, max(published_at) AS last FROM post_analytics
        WHERE ${sql.and([sql`project_id = ${projectId}::uuid`, ...window(sql, range)])}
      )
      SELECT t.*, s.first, s.last FROM span s LEFT JOIN totals t ON true`
  },

  // From the daily keyword rollup; the UTC days at a range's edges are counted from their posts'
  // `keywords`, as the rollup and post_keywords count them.
  topKeywords: (projectId: string, range: TimeRange, limit: number): Statement<Row> => {
    const whole = [
      ...(range.from === undefined ? [] : [sql`r.day >= ${range.from}::timestamptz`]),
      ...(range.to === undefined ? [] : [sql`r.day + interval '1 day' <= ${range.to}::timestamptz`])
    ]
    const filter = [
      sql`r.project_id = ${projectId}::uuid`,
      ...(range.from === undefined ? [] : [sql`r.day >= date_bin('1 day', ${range.from}::timestamptz, '2000-01-01T00:00:00Z'::timestamptz)`]),
      ...(range.to === undefined ? [] : [sql`r.day < ${range.to}::timestamptz`])
    ]
    const posts = sql`SELECT p.keywords, p.overall_sentiment FROM post_analytics p WHERE ${sql.and([
      sql`p.project_id = ${projectId}::uuid`,
      range.from === undefined ? sql`p.published_at >= h.day` : sql`p.published_at >= greatest(h.day, ${range.from}::timestamptz)`,
      range.to === undefined
        ? sql`p.published_at < h.day + interval '1 day'`
        : sql`p.published_at < least(h.day + interval '1 day', ${range.to}::timestamptz)`
    ])} OFFSET 0`
    // As summary and aspects: whole days aggregated as read, the edge days' posts counted apart.
    return sql<Row>`WITH partial AS (
        SELECT DISTINCT r.day FROM post_keyword_rollup_daily r
        WHERE ${whole.length === 0 ? sql`false` : sql.and([...filter, sql`NOT (${sql.and(whole)})`])}
      ),
      parts AS (
        SELECT r.keyword, r.aspect, r.mentions, r.positive, r.negative, r.neutral FROM post_keyword_rollup_daily r
        WHERE ${sql.and([...filter, ...whole])}
        UNION ALL
        SELECT k.value->>'keyword', k.value->>'aspect', 1, (p.overall_sentiment = 'POSITIVE')::int,
          (p.overall_sentiment = 'NEGATIVE')::int, (p.overall_sentiment = 'NEUTRAL')::int
        FROM partial h CROSS JOIN LATERAL (${posts}) AS p
        CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.keywords) = 'array' THEN p.keywords ELSE '[]'::jsonb END) AS k
        WHERE k.value->>'keyword' IS NOT NULL
      )
      SELECT keyword, aspect, sum(mentions) AS mentions, sum(positive) AS positive, sum(negative) AS negative, sum(neutral) AS neutral
      FROM parts GROUP BY keyword, aspect HAVING sum(mentions) > 0
      ORDER BY mentions DESC, keyword, aspect LIMIT ${clamp(limit, 100)}`
  },

  aspects: (projectId: string, range: TimeRange): Statement<Row> => {
    const rows = rollupRange(sql, projectId, range)
    return sql<Row>`WITH parts AS (
        SELECT r.aspect, r.posts, r.positive, r.negative, r.neutral FROM post_aspect_rollup_hourly r WHERE ${rows.whole}
        UNION ALL
        SELECT a.key, 1, (a.value->>'label' = 'POSITIVE')::int, (a.value->>'label' = 'NEGATIVE')::int, (a.value->>'label' = 'NEUTRAL')::int
        FROM (SELECT DISTINCT r.hour FROM post_aspect_rollup_hourly r WHERE ${rows.partial}) h
        CROSS JOIN LATERAL (${postsOfHour(sql, projectId, range, sql`p.aspects_breakdown`)}) AS p
        CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(p.aspects_breakdown) = 'object' THEN p.aspects_breakdown ELSE '{}'::jsonb END) AS a
        WHERE jsonb_typeof(a.value) = 'object'
      )
      SELECT aspect, sum(posts) AS posts, sum(positive) AS positive, sum(negative) AS negative, sum(neutral) AS neutral
      FROM parts GROUP BY aspect HAVING sum(posts) > 0 ORDER BY posts DESC, aspect`
  },

  // The risk predicate is the partial index's (migration 0004).
  crisis: (q: CrisisQuery): Statement<Row> =>
    sql<Row>`SELECT ${sql.literal(POST_VIEW_LIST)} FROM post_analytics
      WHERE ${sql.and([
        sql`project_id = ${q.projectId}::uuid`,
        sql`risk_level IN ('HIGH', 'CRITICAL')`,
        sql`published_at IS NOT NULL`,
        ...window(sql, q)
      ])}
      ORDER BY (risk_level = 'CRITICAL') DESC, impact_score DESC, published_at DESC, platform DESC, id DESC
      LIMIT ${clamp(q.limit, 100)}`,

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

const view = (row: Row): PostView => toPostView(postViewSource(row))

const intOrNull = (row: Row, column: string) => numOrNull(row, column)

export const AnalyticsQueriesLive: Layer.Layer<AnalyticsQueries, never, SqlClient> = Layer.effect(
  AnalyticsQueries,
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const q = queryStatements(sql)
    const run = <A>(operation: string, effect: Effect.Effect<A, SqlError>) =>
      effect.pipe(
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
        run("summary", Effect.map(q.summary(projectId, range), (rows) => {
          const total = rows.find((r) => r["posts"] !== null && r["platform"] === null)
          const span = rows[0]
          const n = (c: string) => (total === undefined ? 0 : num(total, c))
          const average = (c: string) => (total === undefined ? null : num(total, c) / num(total, "posts"))
          const tally = <K extends string>(values: ReadonlyArray<K>, column: (v: K) => string) =>
            Object.fromEntries(values.map((v) => [v, n(column(v))])) as Record<K, number>
          return {
            total: n("posts"),
            bySentiment: tally(SENTIMENT_LABELS, (v) => v.toLowerCase()),
            byIntent: tally(INTENTS, (v) => v.toLowerCase()),
            byRisk: tally(RISK_LEVELS, (v) => `risk_${v.toLowerCase()}`),
            byPlatform: Object.fromEntries(
              rows.filter((r) => r["platform"] !== null && r["platform"] !== undefined)
                .map((p) => [text(p, "platform"), num(p, "posts")] as const)
                .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            ),
            averageImpact: average("impact_sum"),
            averageSentiment: average("sentiment_sum"),
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

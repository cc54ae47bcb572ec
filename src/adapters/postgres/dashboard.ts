import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { Fragment, Statement } from "effect/sql/Statement"
import {
  type AnalyticsRecord,
  INTENTS,
  type Intent,
  RISK_LEVELS,
  type RiskLevel,
  SENTIMENT_LABELS,
  type SentimentLabel
} from "../../domain/records.ts"
import type { RepositoryError } from "../../ports/AnalyticsRepository.ts"
import { toAnalytics } from "./AnalyticsRepository.ts"
import { type Row, num, text } from "./rows.ts"
import { toRepositoryError } from "./sqlState.ts"

/**
 * The dashboard read side (§4). Every query is filtered by `project_id` first, so it is served
 * by an index whose leading column is `project_id` (migrations 0002–0004; top keywords reads
 * the side table post_keywords through migration 0008's index). Time is never read
 * here: a "last 24 h" window is computed from the `now` the caller passes.
 */

/** A published-at window, ISO-8601 instants; `from` inclusive, `to` exclusive. */
export interface PublishedRange {
  readonly from?: string | undefined
  readonly to?: string | undefined
}

export interface PostsFilter extends PublishedRange {
  readonly projectId: string
  readonly platform?: string | undefined
  readonly sentiment?: SentimentLabel | undefined
  readonly risk?: RiskLevel | undefined
  readonly intent?: Intent | undefined
  readonly viral?: boolean | undefined
  readonly kol?: boolean | undefined
  readonly brand?: string | undefined
  readonly keyword?: string | undefined
}

/** Position after the last row of a page, in the page order (published_at, platform, id) descending. */
export interface PostsCursor {
  readonly published_at: string
  readonly platform: string
  readonly id: string
}

export interface PostsPageRequest extends PostsFilter {
  readonly limit: number
  readonly after?: PostsCursor | undefined
}

export interface PostsPage {
  readonly items: ReadonlyArray<AnalyticsRecord>
  /** Null on the last page. Posts without `published_at` have no place in time and are not listed. */
  readonly next: PostsCursor | null
}

export interface ProjectSummary {
  readonly total: number
  readonly bySentiment: Readonly<Record<SentimentLabel, number>>
  readonly byRisk: Readonly<Record<RiskLevel, number>>
  readonly byIntent: Readonly<Record<Intent, number>>
  readonly byPlatform: Readonly<Record<string, number>>
  readonly sums: { readonly views: number; readonly likes: number; readonly comments: number; readonly shares: number; readonly saves: number }
  readonly averages: { readonly sentimentScore: number | null; readonly impactScore: number | null; readonly confidence: number | null }
}

export interface TrendRequest {
  readonly projectId: string
  readonly bucket: "day" | "hour"
  readonly from: string
  readonly to: string
}

export interface TrendBucket {
  readonly start: string
  readonly posts: number
  readonly positive: number
  readonly negative: number
  readonly neutral: number
  readonly averageImpact: number
}

export interface KeywordCount {
  readonly keyword: string
  readonly aspect: string
  readonly posts: number
}

export interface CrisisRequest {
  readonly projectId: string
  /** The caller's clock: the radar covers (now − 24 h, now]. */
  readonly now: string
  readonly limit: number
}

type Sql = SqlClient

const window = (sql: Sql, range: PublishedRange): Array<Fragment> => [
  ...(range.from === undefined ? [] : [sql`published_at >= ${range.from}::timestamptz`]),
  ...(range.to === undefined ? [] : [sql`published_at < ${range.to}::timestamptz`])
]

/** The statements, separate from their execution so tests and the bench can EXPLAIN them. */
export const dashboardStatements = (sql: Sql) => ({
  postsPage: (r: PostsPageRequest): Statement<Row> => {
    const filters = [
      sql`project_id = ${r.projectId}::uuid`,
      sql`published_at IS NOT NULL`,
      ...window(sql, r),
      ...(r.platform === undefined ? [] : [sql`platform = ${r.platform}`]),
      ...(r.sentiment === undefined ? [] : [sql`overall_sentiment = ${r.sentiment}`]),
      ...(r.risk === undefined ? [] : [sql`risk_level = ${r.risk}`]),
      ...(r.intent === undefined ? [] : [sql`primary_intent = ${r.intent}`]),
      ...(r.viral === undefined ? [] : [sql`is_viral = ${r.viral}`]),
      ...(r.kol === undefined ? [] : [sql`is_kol = ${r.kol}`]),
      ...(r.brand === undefined ? [] : [sql`brand_name = ${r.brand}`]),
      ...(r.keyword === undefined ? [] : [sql`keyword = ${r.keyword}`]),
      ...(r.after === undefined
        ? []
        : [sql`(published_at, platform, id) < (${r.after.published_at}::timestamptz, ${r.after.platform}, ${r.after.id})`])
    ]
    // Row comparison + the index order (project_id, published_at DESC, platform DESC, id DESC):
    // page N costs the same as page 1.
    return sql<Row>`SELECT * FROM post_analytics WHERE ${sql.and(filters)}
      ORDER BY published_at DESC, platform DESC, id DESC LIMIT ${Math.max(1, Math.min(r.limit, 500))}`
  },

  // Counts are summed as float8: sum(bigint) accumulates in numeric, which is slower. A float8
  // sum of integers is exact below 2^53 (9·10^15 views per project), and the result is a
  // JavaScript number anyway.
  summary: (projectId: string, range: PublishedRange): Statement<Row> => {
    const countsBy = (column: string, values: ReadonlyArray<string>) =>
      values.map((v) => `count(*) FILTER (WHERE ${column} = '${v}') AS "${column}:${v}"`).join(", ")
    return sql<Row>`SELECT count(*) AS total,
        ${sql.literal(countsBy("overall_sentiment", SENTIMENT_LABELS))},
        ${sql.literal(countsBy("risk_level", RISK_LEVELS))},
        ${sql.literal(countsBy("primary_intent", INTENTS))},
        coalesce(sum(view_count::float8), 0) AS views, coalesce(sum(like_count::float8), 0) AS likes,
        coalesce(sum(comment_count::float8), 0) AS comments, coalesce(sum(share_count::float8), 0) AS shares,
        coalesce(sum(save_count::float8), 0) AS saves,
        avg(overall_sentiment_score) AS avg_sentiment, avg(impact_score) AS avg_impact,
        avg(overall_confidence) AS avg_confidence
      FROM post_analytics WHERE ${sql.and([sql`project_id = ${projectId}::uuid`, ...window(sql, range)])}`
  },

  summaryByPlatform: (projectId: string, range: PublishedRange): Statement<Row> =>
    sql<Row>`SELECT platform, count(*) AS posts FROM post_analytics
      WHERE ${sql.and([sql`project_id = ${projectId}::uuid`, ...window(sql, range)])} GROUP BY platform`,

  // date_bin on timestamptz with a UTC origin: buckets do not depend on the session time zone.
  trend: (r: TrendRequest): Statement<Row> =>
    sql<Row>`SELECT date_bin(${r.bucket === "day" ? "1 day" : "1 hour"}::interval, published_at, '2000-01-01T00:00:00Z'::timestamptz) AS start,
        count(*) AS posts,
        count(*) FILTER (WHERE overall_sentiment = 'POSITIVE') AS positive,
        count(*) FILTER (WHERE overall_sentiment = 'NEGATIVE') AS negative,
        count(*) FILTER (WHERE overall_sentiment = 'NEUTRAL') AS neutral,
        avg(impact_score) AS avg_impact
      FROM post_analytics
      WHERE project_id = ${r.projectId}::uuid AND published_at >= ${r.from}::timestamptz AND published_at < ${r.to}::timestamptz
      GROUP BY 1 ORDER BY 1`,

  topKeywords: (projectId: string, range: PublishedRange, limit: number): Statement<Row> =>
    sql<Row>`SELECT keyword, aspect, count(*) AS posts FROM post_keywords
      WHERE ${sql.and([sql`project_id = ${projectId}::uuid`, ...window(sql, range)])}
      GROUP BY keyword, aspect ORDER BY posts DESC, keyword, aspect LIMIT ${Math.max(1, Math.min(limit, 200))}`,

  /**
   * The same counts from the posts' jsonb `keywords`, as top keywords was computed before
   * post_keywords (migration 0007). Not used by the service: tests check that the two agree,
   * and bench/dashboard.ts reports its sequential scan next to the new query's.
   */
  topKeywordsFromPosts: (projectId: string, range: PublishedRange, limit: number): Statement<Row> =>
    sql<Row>`SELECT k->>'keyword' AS keyword, k->>'aspect' AS aspect, count(*) AS posts
      FROM post_analytics p CROSS JOIN LATERAL jsonb_array_elements(p.keywords) AS k
      WHERE ${sql.and([sql`p.project_id = ${projectId}::uuid`, ...window(sql, range)])}
      GROUP BY 1, 2 ORDER BY posts DESC, keyword, aspect LIMIT ${Math.max(1, Math.min(limit, 200))}`,

  // The risk predicate is written exactly as the partial index's, so the planner can use it.
  crisisRadar: (r: CrisisRequest): Statement<Row> =>
    sql<Row>`SELECT * FROM post_analytics
      WHERE project_id = ${r.projectId}::uuid AND risk_level IN ('HIGH', 'CRITICAL')
        AND published_at > ${r.now}::timestamptz - interval '24 hours' AND published_at <= ${r.now}::timestamptz
      ORDER BY impact_score DESC, published_at DESC LIMIT ${Math.max(1, Math.min(r.limit, 200))}`
})

/**
 * Runs one dashboard statement with parallel query off. A project holds a few thousand rows,
 * but the planner, expecting 100 rows from each jsonb_array_elements call and pricing random
 * heap reads, starts parallel workers whose start-up costs more than the work
 * (`npm run bench:dashboard` compares). SET LOCAL confines the setting to this one transaction.
 */
export const runSerial = <A>(sql: Sql, statement: Effect.Effect<A, SqlError>): Effect.Effect<A, SqlError> =>
  sql.withTransaction(Effect.andThen(sql`SET LOCAL max_parallel_workers_per_gather = 0`, statement))

/**
 * Top keywords now reads post_keywords, where no jsonb_array_elements guess inflates the
 * estimate (3 350 rows estimated 3 331 on 1M posts), so the planner's own parallel choice
 * stands: it runs the statement alone, without runSerial's three extra round trips (BEGIN,
 * SET LOCAL, COMMIT). Everything else still runs through runSerial.
 */
export const runsAlone = (operation: string): boolean => operation === "topKeywords"

const nullableNumber = (row: Row | undefined, column: string): number | null =>
  row === undefined || row[column] === null || row[column] === undefined ? null : num(row, column)

const tally = <K extends string>(row: Row | undefined, column: string, values: ReadonlyArray<K>): Record<K, number> => {
  const out: Partial<Record<K, number>> = {}
  for (const v of values) out[v] = row === undefined ? 0 : num(row, `${column}:${v}`)
  return out as Record<K, number>
}

export interface DashboardShape {
  readonly postsPage: (request: PostsPageRequest) => Effect.Effect<PostsPage, RepositoryError>
  readonly summary: (projectId: string, range?: PublishedRange) => Effect.Effect<ProjectSummary, RepositoryError>
  readonly trend: (request: TrendRequest) => Effect.Effect<ReadonlyArray<TrendBucket>, RepositoryError>
  readonly topKeywords: (projectId: string, limit: number, range?: PublishedRange) => Effect.Effect<ReadonlyArray<KeywordCount>, RepositoryError>
  readonly crisisRadar: (request: CrisisRequest) => Effect.Effect<ReadonlyArray<AnalyticsRecord>, RepositoryError>
}

/** Dashboard queries for one project. Errors use the repository's error and classification. */
export class Dashboard extends Context.Service<Dashboard, DashboardShape>()("smap/adapters/postgres/Dashboard") {}

export const DashboardPg: Layer.Layer<Dashboard, never, SqlClient> = Layer.effect(
  Dashboard,
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const q = dashboardStatements(sql)
    const run = <A>(operation: string, effect: Effect.Effect<A, SqlError>) =>
      (runsAlone(operation) ? effect : runSerial(sql, effect)).pipe(Effect.mapError(toRepositoryError(operation)), Effect.withSpan(`Dashboard.${operation}`))

    return Dashboard.of({
      postsPage: (request) =>
        run("postsPage", Effect.map(q.postsPage(request), (rows): PostsPage => {
          const items = rows.map(toAnalytics)
          const last = items[items.length - 1]
          const full = items.length >= Math.max(1, Math.min(request.limit, 500))
          return {
            items,
            next: full && last !== undefined && last.published_at !== null
              ? { published_at: last.published_at, platform: last.platform, id: last.id }
              : null
          }
        })),
      summary: (projectId, range = {}) =>
        run("summary", Effect.map(Effect.all([q.summary(projectId, range), q.summaryByPlatform(projectId, range)]), ([[row], platforms]): ProjectSummary => ({
          total: row === undefined ? 0 : num(row, "total"),
          bySentiment: tally(row, "overall_sentiment", SENTIMENT_LABELS),
          byRisk: tally(row, "risk_level", RISK_LEVELS),
          byIntent: tally(row, "primary_intent", INTENTS),
          byPlatform: Object.fromEntries(platforms.map((p) => [text(p, "platform"), num(p, "posts")])),
          sums: {
            views: nullableNumber(row, "views") ?? 0,
            likes: nullableNumber(row, "likes") ?? 0,
            comments: nullableNumber(row, "comments") ?? 0,
            shares: nullableNumber(row, "shares") ?? 0,
            saves: nullableNumber(row, "saves") ?? 0
          },
          averages: {
            sentimentScore: nullableNumber(row, "avg_sentiment"),
            impactScore: nullableNumber(row, "avg_impact"),
            confidence: nullableNumber(row, "avg_confidence")
          }
        }))),
      trend: (request) =>
        run("trend", Effect.map(q.trend(request), (rows) =>
          rows.map((row): TrendBucket => {
            const start = row["start"]
            return {
              start: start instanceof Date ? start.toISOString() : String(start),
              posts: num(row, "posts"),
              positive: num(row, "positive"),
              negative: num(row, "negative"),
              neutral: num(row, "neutral"),
              averageImpact: num(row, "avg_impact")
            }
          }))),
      topKeywords: (projectId, limit, range = {}) =>
        run("topKeywords", Effect.map(q.topKeywords(projectId, range, limit), (rows) =>
          rows.map((row): KeywordCount => ({ keyword: text(row, "keyword"), aspect: text(row, "aspect"), posts: num(row, "posts") })))),
      crisisRadar: (request) => run("crisisRadar", Effect.map(q.crisisRadar(request), (rows) => rows.map(toAnalytics)))
    })
  })
)

import { Context, type Effect } from "effect"
import type { Aspect, ErrorCategory, Intent, RiskLevel, SentimentLabel } from "../domain/records.ts"
import type { RepositoryError } from "./AnalyticsRepository.ts"

/**
 * The read side (dashboard and HTTP API): what the stored analytics answer, per project.
 * Every adapter gives the same answers on the same rows (test/contracts/analyticsQueries.contract.ts):
 *
 * - Ranges are ISO-8601 instants on `published_at`, `from` inclusive, `to` exclusive. Posts without
 *   `published_at` count in the summary's totals but have no place in time: they are not listed,
 *   not bucketed and not on the radar.
 * - Orders are total (ties broken by platform then id, descending), so keyset pages never repeat
 *   or skip a post.
 * - Reads never write; nothing here needs more than SELECT.
 */

/** A published-at window: `from` inclusive, `to` exclusive. */
export interface TimeRange {
  readonly from?: string | undefined
  readonly to?: string | undefined
}

/** Position after the last row of a page, in the order (published_at, platform, id) descending. */
export interface PostCursor {
  readonly published_at: string
  readonly platform: string
  readonly id: string
}

export interface PostsQuery extends TimeRange {
  readonly projectId: string
  readonly platform?: string | undefined
  readonly sentiment?: SentimentLabel | undefined
  readonly intent?: Intent | undefined
  readonly risk?: RiskLevel | undefined
  /** Posts whose aspects breakdown has this aspect. */
  readonly aspect?: Aspect | undefined
  /** Posts with this extracted keyword (exactly as in top keywords). */
  readonly keyword?: string | undefined
  /** Case-insensitive substring of the post's text; `%`, `_` and `\` are literal. */
  readonly text?: string | undefined
  /** 1–200. */
  readonly limit: number
  readonly after?: PostCursor | undefined
}

/** A post as the read side shows it: no jsonb internals beyond what a dashboard displays. */
export interface PostView {
  readonly id: string
  readonly platform: string
  readonly published_at: string
  readonly permalink: string | null
  readonly author_name: string | null
  readonly author_username: string | null
  readonly content_text: string
  readonly overall_sentiment: SentimentLabel
  readonly overall_sentiment_score: number
  readonly primary_intent: Intent
  readonly risk_level: RiskLevel
  readonly impact_score: number
  readonly is_viral: boolean
  readonly is_kol: boolean
  readonly aspects: ReadonlyArray<{ readonly aspect: string; readonly label: SentimentLabel }>
  readonly keywords: ReadonlyArray<string>
  readonly view_count: number
  readonly like_count: number
  readonly comment_count: number
  readonly share_count: number
}

export interface PostsPage {
  readonly items: ReadonlyArray<PostView>
  /** Null on the last page. */
  readonly next: PostCursor | null
}

export interface ProjectSummary {
  readonly total: number
  readonly bySentiment: Readonly<Record<SentimentLabel, number>>
  readonly byIntent: Readonly<Record<Intent, number>>
  readonly byRisk: Readonly<Record<RiskLevel, number>>
  readonly byPlatform: Readonly<Record<string, number>>
  /** Null when the project has no post in the range. */
  readonly averageImpact: number | null
  readonly averageSentiment: number | null
  readonly views: number
  readonly engagement: number
  /** The project's first and last published_at in the range (null when none): where its charts start and end. */
  readonly firstPublishedAt: string | null
  readonly lastPublishedAt: string | null
}

export interface TrendQuery {
  readonly projectId: string
  readonly bucket: "hour" | "day"
  /** An IANA time zone name (`Asia/Ho_Chi_Minh`, `UTC`): buckets start at its local midnight / hour. */
  readonly timeZone: string
  readonly from: string
  readonly to: string
}

export interface TrendPoint {
  /** Local wall-clock start of the bucket in the requested zone, `YYYY-MM-DDTHH:00`. */
  readonly local: string
  readonly posts: number
  readonly positive: number
  readonly negative: number
  readonly neutral: number
  readonly averageImpact: number
}

export interface KeywordStat {
  readonly keyword: string
  readonly aspect: string | null
  /** Mentions (a keyword listed twice in a post counts twice, as in post_keywords). */
  readonly mentions: number
  /** Mentions by the overall sentiment of the post they are in. */
  readonly positive: number
  readonly negative: number
  readonly neutral: number
}

export interface AspectStat {
  readonly aspect: string
  /** Posts whose breakdown has the aspect, by the aspect's own sentiment label. */
  readonly posts: number
  readonly positive: number
  readonly negative: number
  readonly neutral: number
}

export interface CrisisQuery extends TimeRange {
  readonly projectId: string
  readonly limit: number
}

/** A HIGH or CRITICAL post and why it is on the radar. */
export interface CrisisPost {
  readonly post: PostView
  readonly reasons: ReadonlyArray<string>
}

export interface CrawlErrorView {
  readonly content_id: string
  readonly platform: string
  readonly job_id: string | null
  readonly error_code: string
  readonly error_category: ErrorCategory
  readonly error_message: string | null
  readonly permalink: string | null
  readonly created_at: string
}

export interface CrawlErrors {
  readonly total: number
  readonly byCategory: Readonly<Record<string, number>>
  /** The most recent first (created_at, platform, content_id descending). */
  readonly recent: ReadonlyArray<CrawlErrorView>
}

export interface BatchView {
  readonly object_path: string
  readonly platform: string
  readonly batch_index: number | null
  readonly status: "completed" | "failed"
  readonly expected_size: number | null
  readonly actual_size: number
  readonly stored_count: number
  readonly skipped_count: number
  readonly error_count: number
  readonly attempts: number
  readonly last_attempt_at: string
  readonly failure_reason: string | null
}

export interface BatchHealth {
  readonly batches: number
  readonly completed: number
  /** Batches the consumer gave up on (status `failed`): their message went to the dead-letter queue. */
  readonly deadLettered: number
  /** Batches whose announced size differs from the items in the object. */
  readonly sizeMismatches: number
  /** Batches written more than once (redelivered). */
  readonly redelivered: number
  readonly items: { readonly stored: number; readonly skipped: number; readonly errors: number }
  /** The most recent first (last_attempt_at, object_path descending). */
  readonly recent: ReadonlyArray<BatchView>
}

export interface ProjectListing {
  readonly projectId: string
}

export interface AnalyticsQueriesShape {
  readonly projects: Effect.Effect<ReadonlyArray<ProjectListing>, RepositoryError>
  readonly posts: (query: PostsQuery) => Effect.Effect<PostsPage, RepositoryError>
  readonly summary: (projectId: string, range: TimeRange) => Effect.Effect<ProjectSummary, RepositoryError>
  readonly trend: (query: TrendQuery) => Effect.Effect<ReadonlyArray<TrendPoint>, RepositoryError>
  readonly topKeywords: (projectId: string, range: TimeRange, limit: number) => Effect.Effect<ReadonlyArray<KeywordStat>, RepositoryError>
  readonly aspects: (projectId: string, range: TimeRange) => Effect.Effect<ReadonlyArray<AspectStat>, RepositoryError>
  readonly crisis: (query: CrisisQuery) => Effect.Effect<ReadonlyArray<CrisisPost>, RepositoryError>
  readonly crawlErrors: (projectId: string, limit: number) => Effect.Effect<CrawlErrors, RepositoryError>
  readonly batchHealth: (projectId: string, limit: number) => Effect.Effect<BatchHealth, RepositoryError>
}

export class AnalyticsQueries extends Context.Service<AnalyticsQueries, AnalyticsQueriesShape>()("smap/ports/AnalyticsQueries") {}

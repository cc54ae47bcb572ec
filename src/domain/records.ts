/**
 * The pipeline's output: one record per item, either an analytics row (`post_analytics`)
 * or an error row (`crawl_errors`). Field names are the §4 column names, so a record can be
 * printed by `analyze` and written by a repository without renaming.
 *
 * Timestamps are ISO-8601 strings in UTC (`…Z`) or null.
 */

export const SENTIMENT_LABELS = ["POSITIVE", "NEGATIVE", "NEUTRAL"] as const
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number]

export const INTENTS = ["CRISIS", "SEEDING", "SPAM", "COMPLAINT", "LEAD", "SUPPORT", "DISCUSSION"] as const
export type Intent = (typeof INTENTS)[number]

export const RISK_LEVELS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const
export type RiskLevel = (typeof RISK_LEVELS)[number]

export const ASPECTS = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE", "GENERAL"] as const
export type Aspect = (typeof ASPECTS)[number]

export interface AspectSentiment {
  readonly label: SentimentLabel
  readonly score: number
  readonly confidence: number
  readonly mentions: number
  readonly keywords: ReadonlyArray<string>
}

export interface KeywordHit {
  readonly keyword: string
  readonly aspect: Aspect
  readonly score: number
  /** Where the keyword was found: `dictionary` term or `hashtag`. */
  readonly source: string
}

export interface SentimentProbabilities {
  readonly POSITIVE: number
  readonly NEGATIVE: number
  readonly NEUTRAL: number
}

export interface ImpactBreakdown {
  readonly engagement_score: number
  readonly reach_score: number
  readonly platform_multiplier: number
  readonly sentiment_amplifier: number
  readonly raw_impact: number
}

export interface AnalyticsRecord {
  readonly record: "analytics"
  /** Post id, exact digits as a string. */
  readonly id: string
  readonly project_id: string | null
  /** Upper case: TIKTOK, YOUTUBE, … */
  readonly platform: string
  readonly published_at: string | null
  readonly analyzed_at: string
  readonly crawled_at: string | null
  readonly overall_sentiment: SentimentLabel
  readonly overall_sentiment_score: number
  readonly overall_confidence: number
  readonly primary_intent: Intent
  readonly intent_confidence: number
  readonly impact_score: number
  readonly risk_level: RiskLevel
  readonly is_viral: boolean
  readonly is_kol: boolean
  readonly aspects_breakdown: Readonly<Partial<Record<Aspect, AspectSentiment>>>
  readonly keywords: ReadonlyArray<KeywordHit>
  readonly sentiment_probabilities: SentimentProbabilities
  readonly impact_breakdown: ImpactBreakdown
  readonly view_count: number
  readonly like_count: number
  readonly comment_count: number
  readonly share_count: number
  readonly save_count: number
  readonly follower_count: number
  /** Measured by the caller (the pipeline itself never reads a clock); 0 until then. */
  readonly processing_time_ms: number
  readonly model_version: string
  readonly job_id: string | null
  readonly batch_index: number | null
  readonly task_type: string | null
  readonly keyword_source: string | null
  readonly pipeline_version: string | null
  readonly fetch_status: string
  readonly brand_name: string | null
  readonly keyword: string | null
  /** The whole merged text, even when only its first part was analysed. */
  readonly content_text: string
  /** True when `content_text` was longer than the analysed maximum: only its start was analysed. */
  readonly analyzed_text_truncated: boolean
  readonly permalink: string | null
  readonly author_id: string | null
  readonly author_name: string | null
  readonly author_username: string | null
  readonly author_is_verified: boolean
  readonly hashtags: ReadonlyArray<string>
  /** True when the skip gate fired (too short, spam keyword, SPAM or SEEDING intent). Not a column. */
  readonly is_skipped: boolean
}

export const ERROR_CATEGORIES = [
  "rate_limiting",
  "content",
  "network",
  "parsing",
  "media",
  "storage",
  "processing",
  "generic"
] as const
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number]

export interface ErrorRecord {
  readonly record: "error"
  readonly content_id: string
  readonly project_id: string | null
  readonly job_id: string | null
  readonly platform: string
  readonly error_code: string
  readonly error_category: ErrorCategory
  readonly error_message: string | null
  readonly error_details: unknown
  readonly permalink: string | null
  readonly created_at: string
}

export type ItemRecord = AnalyticsRecord | ErrorRecord

export type BatchStatus = "completed" | "failed"

/**
 * One row of the batch ledger. The repository adds `first_attempt_at`, `last_attempt_at`
 * and `attempts` when it upserts by `object_path`.
 */
export interface BatchLedgerEntry {
  readonly object_path: string
  readonly event_id: string | null
  readonly project_id: string | null
  readonly job_id: string | null
  readonly platform: string
  readonly batch_index: number | null
  readonly expected_size: number | null
  readonly actual_size: number
  readonly stored_count: number
  readonly skipped_count: number
  readonly error_count: number
  /** Items that repeated a post or error identity already in the batch (nothing written for them). */
  readonly duplicate_count: number
  readonly status: BatchStatus
  readonly attempted_at: string
  readonly failure_reason: string | null
}

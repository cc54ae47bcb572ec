/**
 * The pipeline's output: one record per item, either an analytics row (`post_analytics`)
 * or an error row (`crawl_errors`), and the batch ledger's row (`batch_ledger`). Field names are
 * the §4 column names, so a record can be printed by `analyze` and written by a repository
 * without renaming.
 *
 * ONE definition per record: each column is a `Schema` plus a storage kind. The record's type,
 * the adapters' column lists and SQL types, `validate`'s expectations, the row decoder and the
 * test fixtures all derive from the `*_COLUMNS` maps below, so adding a column is one edit here
 * plus a migration. The storage kinds are the domain's words; the PostgreSQL adapter maps them
 * to SQL types (the domain imports nothing of PostgreSQL).
 *
 * Timestamps are ISO-8601 strings in UTC (`…Z`) or null.
 */
import { Schema } from "effect"

/** How a column is stored; each adapter maps a kind to its own type. */
export type StorageKind = "text" | "uuid" | "bigint" | "integer" | "double" | "boolean" | "timestamptz" | "jsonb"

/** One column: the Schema of its value in the record and how it is stored. */
export interface Column<S extends Schema.Constraint = Schema.Constraint> {
  readonly schema: S
  readonly storage: StorageKind
}

export type Columns = Readonly<Record<string, Column>>

const column = <S extends Schema.Constraint>(schema: S, storage: StorageKind): Column<S> => ({ schema, storage })

/** The Struct fields of a column map. */
export type SchemasOf<C extends Columns> = { readonly [K in keyof C]: C[K]["schema"] }

export const schemasOf = <C extends Columns>(columns: C): SchemasOf<C> =>
  Object.fromEntries(Object.entries(columns).map(([name, c]) => [name, c.schema])) as SchemasOf<C>

const Text = Schema.String
const TextOrNull = Schema.NullOr(Schema.String)
const Num = Schema.Number
const NumOrNull = Schema.NullOr(Schema.Number)

export const SENTIMENT_LABELS = ["POSITIVE", "NEGATIVE", "NEUTRAL"] as const
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number]

export const INTENTS = ["CRISIS", "SEEDING", "SPAM", "COMPLAINT", "LEAD", "SUPPORT", "DISCUSSION"] as const
export type Intent = (typeof INTENTS)[number]

export const RISK_LEVELS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const
export type RiskLevel = (typeof RISK_LEVELS)[number]

export const ASPECTS = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE", "GENERAL"] as const
export type Aspect = (typeof ASPECTS)[number]

export const SentimentLabel = Schema.Literals(SENTIMENT_LABELS)
export const Intent = Schema.Literals(INTENTS)
export const RiskLevel = Schema.Literals(RISK_LEVELS)
export const Aspect = Schema.Literals(ASPECTS)

export const AspectSentiment = Schema.Struct({
  label: SentimentLabel,
  score: Num,
  confidence: Num,
  mentions: Num,
  keywords: Schema.Array(Schema.String)
})
export type AspectSentiment = typeof AspectSentiment.Type

export const KeywordHit = Schema.Struct({
  keyword: Schema.String,
  aspect: Aspect,
  score: Num,
  /** Where the keyword was found: `dictionary` term or `hashtag`. */
  source: Schema.String
})
export type KeywordHit = typeof KeywordHit.Type

export const SentimentProbabilities = Schema.Struct({ POSITIVE: Num, NEGATIVE: Num, NEUTRAL: Num })
export type SentimentProbabilities = typeof SentimentProbabilities.Type

export const ImpactBreakdown = Schema.Struct({
  engagement_score: Num,
  reach_score: Num,
  platform_multiplier: Num,
  sentiment_amplifier: Num,
  raw_impact: Num
})
export type ImpactBreakdown = typeof ImpactBreakdown.Type

/** Only the aspects that were mentioned. */
export const AspectsBreakdown = Schema.Struct({
  DESIGN: Schema.optionalKey(AspectSentiment),
  PERFORMANCE: Schema.optionalKey(AspectSentiment),
  PRICE: Schema.optionalKey(AspectSentiment),
  SERVICE: Schema.optionalKey(AspectSentiment),
  GENERAL: Schema.optionalKey(AspectSentiment)
})
export type AspectsBreakdown = typeof AspectsBreakdown.Type

/** The `post_analytics` columns, in insert order. */
export const ANALYTICS_COLUMNS = {
  /** Post id, exact digits as a string. */
  id: column(Text, "text"),
  project_id: column(TextOrNull, "uuid"),
  /** Upper case: TIKTOK, YOUTUBE, … */
  platform: column(Text, "text"),
  published_at: column(TextOrNull, "timestamptz"),
  analyzed_at: column(Text, "timestamptz"),
  crawled_at: column(TextOrNull, "timestamptz"),
  overall_sentiment: column(SentimentLabel, "text"),
  overall_sentiment_score: column(Num, "double"),
  overall_confidence: column(Num, "double"),
  primary_intent: column(Intent, "text"),
  intent_confidence: column(Num, "double"),
  impact_score: column(Num, "double"),
  risk_level: column(RiskLevel, "text"),
  is_viral: column(Schema.Boolean, "boolean"),
  is_kol: column(Schema.Boolean, "boolean"),
  aspects_breakdown: column(AspectsBreakdown, "jsonb"),
  keywords: column(Schema.Array(KeywordHit), "jsonb"),
  sentiment_probabilities: column(SentimentProbabilities, "jsonb"),
  impact_breakdown: column(ImpactBreakdown, "jsonb"),
  view_count: column(Num, "bigint"),
  like_count: column(Num, "bigint"),
  comment_count: column(Num, "bigint"),
  share_count: column(Num, "bigint"),
  save_count: column(Num, "bigint"),
  follower_count: column(Num, "bigint"),
  /** Measured by the caller (the pipeline itself never reads a clock); 0 until then. */
  processing_time_ms: column(Num, "double"),
  model_version: column(Text, "text"),
  job_id: column(TextOrNull, "text"),
  batch_index: column(NumOrNull, "integer"),
  task_type: column(TextOrNull, "text"),
  keyword_source: column(TextOrNull, "text"),
  pipeline_version: column(TextOrNull, "text"),
  fetch_status: column(Text, "text"),
  brand_name: column(TextOrNull, "text"),
  keyword: column(TextOrNull, "text"),
  /** The whole merged text, even when only its first part was analysed. */
  content_text: column(Text, "text"),
  /** True when `content_text` was longer than the analysed maximum: only its start was analysed. */
  analyzed_text_truncated: column(Schema.Boolean, "boolean"),
  permalink: column(TextOrNull, "text"),
  author_id: column(TextOrNull, "text"),
  author_name: column(TextOrNull, "text"),
  author_username: column(TextOrNull, "text"),
  author_is_verified: column(Schema.Boolean, "boolean"),
  hashtags: column(Schema.Array(Schema.String), "jsonb"),
  /** True when the skip gate fired (too short, spam keyword, SPAM or SEEDING intent). Stored since 0012. */
  is_skipped: column(Schema.Boolean, "boolean")
} as const satisfies Columns

export const AnalyticsRecord = Schema.Struct({ record: Schema.Literal("analytics"), ...schemasOf(ANALYTICS_COLUMNS) })
export type AnalyticsRecord = typeof AnalyticsRecord.Type

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

export const ErrorCategory = Schema.Literals(ERROR_CATEGORIES)

/** The `crawl_errors` columns, in insert order. */
export const ERROR_COLUMNS = {
  content_id: column(Text, "text"),
  project_id: column(TextOrNull, "uuid"),
  job_id: column(TextOrNull, "text"),
  platform: column(Text, "text"),
  error_code: column(Text, "text"),
  error_category: column(ErrorCategory, "text"),
  error_message: column(TextOrNull, "text"),
  error_details: column(Schema.Unknown, "jsonb"),
  permalink: column(TextOrNull, "text"),
  created_at: column(Text, "timestamptz")
} as const satisfies Columns

export const ErrorRecord = Schema.Struct({ record: Schema.Literal("error"), ...schemasOf(ERROR_COLUMNS) })
export type ErrorRecord = typeof ErrorRecord.Type

export type ItemRecord = AnalyticsRecord | ErrorRecord

export const BATCH_STATUSES = ["completed", "failed"] as const
export const BatchStatus = Schema.Literals(BATCH_STATUSES)
export type BatchStatus = typeof BatchStatus.Type

/**
 * The `batch_ledger` fields a batch reports. The repository stores `attempted_at` as
 * `first_attempt_at` / `last_attempt_at` and counts `attempts` when it upserts by `object_path`.
 */
export const LEDGER_COLUMNS = {
  object_path: column(Text, "text"),
  event_id: column(TextOrNull, "text"),
  project_id: column(TextOrNull, "uuid"),
  job_id: column(TextOrNull, "text"),
  platform: column(Text, "text"),
  batch_index: column(NumOrNull, "integer"),
  expected_size: column(NumOrNull, "integer"),
  actual_size: column(Num, "integer"),
  stored_count: column(Num, "integer"),
  skipped_count: column(Num, "integer"),
  error_count: column(Num, "integer"),
  /** Items that repeated a post or error identity already in the batch (nothing written for them). */
  duplicate_count: column(Num, "integer"),
  status: column(BatchStatus, "text"),
  attempted_at: column(Text, "timestamptz"),
  failure_reason: column(TextOrNull, "text")
} as const satisfies Columns

export const BatchLedgerEntry = Schema.Struct(schemasOf(LEDGER_COLUMNS))
export type BatchLedgerEntry = typeof BatchLedgerEntry.Type

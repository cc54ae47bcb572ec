import { Schema } from "effect"
import {
  ANALYTICS_COLUMNS,
  AnalyticsRecord,
  BatchLedgerEntry,
  type Column,
  type Columns,
  ERROR_COLUMNS,
  ErrorRecord,
  LEDGER_COLUMNS
} from "../../src/domain/records.ts"

const EMPTY_BY_STORAGE = {
  text: "",
  uuid: "00000000-0000-0000-0000-000000000000",
  bigint: 0,
  integer: 0,
  double: 0,
  boolean: false,
  timestamptz: "2025-01-01T00:00:00.000Z",
  jsonb: null
} as const

/** A column's default: null where the Schema allows it, else the storage kind's empty value. */
const emptyValue = (c: Column): unknown => {
  const fits = Schema.is(c.schema)
  if (fits(null)) return null
  const candidates = c.storage === "jsonb" ? [{}, []] : [EMPTY_BY_STORAGE[c.storage]]
  return candidates.find(fits) ?? EMPTY_BY_STORAGE[c.storage]
}

/**
 * A fixture builder derived from a record's definition: its keys are the columns' (plus `tag`),
 * each column not in `plausible` gets a default from its Schema and storage kind, and the base is
 * decoded with the record's Schema once, so a plausible value that no longer fits fails here.
 */
export const fixtureFor = <A extends object>(
  schema: Schema.Decoder<A>,
  columns: Columns,
  plausible: Readonly<Record<string, unknown>>,
  tag: Readonly<Record<string, unknown>> = {}
): (overrides?: Partial<A>) => A => {
  const unknownKeys = Object.keys(plausible).filter((key) => !(key in columns))
  if (unknownKeys.length > 0) throw new Error(`not columns of the record: ${unknownKeys.join(", ")}`)
  const base = Schema.decodeUnknownSync(schema)({
    ...tag,
    ...Object.fromEntries(Object.entries(columns).map(([name, c]) => [name, name in plausible ? plausible[name] : emptyValue(c)]))
  })
  return (overrides = {}) => ({ ...base, ...overrides })
}

/** A complete analytics record with plausible values; override what a test is about. */
export const analyticsRecord: (overrides?: Partial<AnalyticsRecord>) => AnalyticsRecord = fixtureFor(AnalyticsRecord, ANALYTICS_COLUMNS, {
  id: "7576276451171880001",
  project_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c",
  platform: "TIKTOK",
  published_at: "2025-12-05T08:00:00.000Z",
  analyzed_at: "2025-12-06T10:16:00.000Z",
  crawled_at: "2025-12-06T10:15:00.000Z",
  overall_sentiment: "POSITIVE",
  overall_sentiment_score: 0.62,
  overall_confidence: 0.8,
  primary_intent: "DISCUSSION",
  intent_confidence: 1,
  impact_score: 6.8497266903082,
  risk_level: "LOW",
  is_viral: false,
  is_kol: false,
  aspects_breakdown: { DESIGN: { label: "POSITIVE", score: 0.7, confidence: 0.8, mentions: 1, keywords: ["thiết kế"] } },
  keywords: [{ keyword: "thiết kế", aspect: "DESIGN", score: 1, source: "dictionary" }],
  sentiment_probabilities: { POSITIVE: 0.7, NEGATIVE: 0.1, NEUTRAL: 0.2 },
  impact_breakdown: { engagement_score: 2963, reach_score: 2.311753861055754, platform_multiplier: 1, sentiment_amplifier: 1, raw_impact: 6849.7266903082 },
  view_count: 3_000_000_000,
  like_count: 839,
  comment_count: 36,
  share_count: 93,
  save_count: 469,
  follower_count: 204,
  processing_time_ms: 1,
  model_version: "test",
  job_id: "job-1",
  batch_index: 1,
  task_type: "research_and_crawl",
  keyword_source: "brand",
  pipeline_version: "crawler_v2",
  fetch_status: "success",
  brand_name: "VinFast",
  keyword: "VinFast VF8",
  content_text: "Thiết kế đẹp quá",
  analyzed_text_truncated: false,
  permalink: "https://www.tiktok.com/@u/video/7576276451171880001",
  author_id: "a1",
  author_name: "An",
  author_username: "an",
  author_is_verified: false,
  hashtags: ["vinfast"],
  is_skipped: false
}, { record: "analytics" })

export const errorRecord: (overrides?: Partial<ErrorRecord>) => ErrorRecord = fixtureFor(ErrorRecord, ERROR_COLUMNS, {
  content_id: "7576276451171880002",
  project_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c",
  job_id: "job-1",
  platform: "TIKTOK",
  error_code: "CONTENT_REMOVED",
  error_category: "content",
  error_message: "video removed",
  error_details: { http_status: 404 },
  permalink: null,
  created_at: "2025-12-06T10:16:00.000Z"
}, { record: "error" })

export const ledgerEntry: (overrides?: Partial<BatchLedgerEntry>) => BatchLedgerEntry = fixtureFor(BatchLedgerEntry, LEDGER_COLUMNS, {
  object_path: "crawl-results/tiktok/p/brand/batch_000.json",
  event_id: "evt_1",
  project_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c",
  job_id: "job-1",
  platform: "TIKTOK",
  batch_index: 1,
  expected_size: 50,
  actual_size: 2,
  stored_count: 1,
  skipped_count: 0,
  error_count: 1,
  duplicate_count: 0,
  status: "completed",
  attempted_at: "2025-12-06T10:16:00.000Z",
  failure_reason: null
})

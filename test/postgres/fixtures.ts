import type { AnalyticsRecord, BatchLedgerEntry, ErrorRecord } from "../../src/domain/records.ts"
import type { BatchWrite } from "../../src/ports/AnalyticsRepository.ts"

export const PROJECT = "a95796bc-5c7b-432b-bf99-0afa8ed81f0c"
export const OTHER_PROJECT = "0b1e6f52-3f0e-4c8e-9a3c-7d1f2a9b8c01"

export const analytics = (overrides: Partial<AnalyticsRecord> = {}): AnalyticsRecord => ({
  record: "analytics",
  id: "7412345678901234567",
  project_id: PROJECT,
  platform: "TIKTOK",
  published_at: "2025-12-05T08:00:00.000Z",
  analyzed_at: "2025-12-06T10:15:31.000Z",
  crawled_at: "2025-12-06T10:00:00.000Z",
  overall_sentiment: "POSITIVE",
  overall_sentiment_score: 0.62,
  overall_confidence: 0.8,
  primary_intent: "DISCUSSION",
  intent_confidence: 1,
  impact_score: 6.8497266903082,
  risk_level: "LOW",
  is_viral: false,
  is_kol: false,
  aspects_breakdown: { DESIGN: { label: "POSITIVE", score: 0.7, confidence: 0.9, mentions: 2, keywords: ["thiết kế"] } },
  keywords: [{ keyword: "thiết kế", aspect: "DESIGN", score: 1, source: "dictionary" }],
  sentiment_probabilities: { POSITIVE: 0.7, NEGATIVE: 0.1, NEUTRAL: 0.2 },
  impact_breakdown: {
    engagement_score: 2963,
    reach_score: 2.311753861055754,
    platform_multiplier: 1,
    sentiment_amplifier: 1.1,
    raw_impact: 6849.7266903082
  },
  view_count: 3_000_000_000,
  like_count: 839,
  comment_count: 36,
  share_count: 93,
  save_count: 469,
  follower_count: 204,
  processing_time_ms: 3.5,
  model_version: "lexicon-vi-en@1",
  job_id: `${PROJECT}-brand-0`,
  batch_index: 1,
  task_type: "research_and_crawl",
  keyword_source: "VinFast VF8",
  pipeline_version: "crawler_tiktok_v3",
  fetch_status: "success",
  brand_name: "VinFast",
  keyword: "VinFast VF8",
  content_text: "xe đẹp quá, thiết kế \"rất\" ổn\\ 👍",
  permalink: "https://www.tiktok.com/@u/video/7412345678901234567",
  author_id: "6912345678901234567",
  author_name: "Người dùng",
  author_username: "user_1",
  author_is_verified: false,
  hashtags: ["vinfast", "vf8"],
  is_skipped: false,
  ...overrides
})

export const errorRecord = (overrides: Partial<ErrorRecord> = {}): ErrorRecord => ({
  record: "error",
  content_id: "7412345678901234999",
  project_id: PROJECT,
  job_id: `${PROJECT}-brand-0`,
  platform: "TIKTOK",
  error_code: "CONTENT_REMOVED",
  error_category: "content",
  error_message: "video removed",
  error_details: { http_status: 404 },
  permalink: null,
  created_at: "2025-12-06T10:15:31.000Z",
  ...overrides
})

export const ledger = (overrides: Partial<BatchLedgerEntry> = {}): BatchLedgerEntry => ({
  object_path: `crawl-results/tiktok/${PROJECT}/brand/batch_000.json`,
  event_id: "evt_3f9c2a1b7d4e",
  project_id: PROJECT,
  job_id: `${PROJECT}-brand-0`,
  platform: "TIKTOK",
  batch_index: 1,
  expected_size: 50,
  actual_size: 2,
  stored_count: 1,
  skipped_count: 0,
  error_count: 1,
  status: "completed",
  attempted_at: "2025-12-06T10:15:31.000Z",
  failure_reason: null,
  ...overrides
})

export const batch = (overrides: Partial<BatchWrite> = {}): BatchWrite => ({
  ledger: ledger(),
  analytics: [analytics()],
  errors: [errorRecord()],
  ...overrides
})

import type { AnalyticsRecord, BatchLedgerEntry, ErrorRecord } from "../../src/domain/records.ts"
import type { BatchWrite } from "../../src/ports/AnalyticsRepository.ts"
import { analyticsRecord, errorRecord as sharedErrorRecord, ledgerEntry } from "../support/records.ts"

export const PROJECT = "a95796bc-5c7b-432b-bf99-0afa8ed81f0c"
export const OTHER_PROJECT = "0b1e6f52-3f0e-4c8e-9a3c-7d1f2a9b8c01"

/**
 * The shared record builders (test/support/records.ts) with values that exercise the SQL
 * mapping harder: quotes, a backslash and an emoji in text, fractional processing time.
 */
export const analytics = (overrides: Partial<AnalyticsRecord> = {}): AnalyticsRecord =>
  analyticsRecord({
    id: "7412345678901234567",
    project_id: PROJECT,
    analyzed_at: "2025-12-06T10:15:31.000Z",
    crawled_at: "2025-12-06T10:00:00.000Z",
    aspects_breakdown: { DESIGN: { label: "POSITIVE", score: 0.7, confidence: 0.9, mentions: 2, keywords: ["thiết kế"] } },
    impact_breakdown: {
      engagement_score: 2963,
      reach_score: 2.311753861055754,
      platform_multiplier: 1,
      sentiment_amplifier: 1.1,
      raw_impact: 6849.7266903082
    },
    processing_time_ms: 3.5,
    model_version: "lexicon-vi-en@1",
    job_id: `${PROJECT}-brand-0`,
    keyword_source: "VinFast VF8",
    pipeline_version: "crawler_tiktok_v3",
    content_text: "xe đẹp quá, thiết kế \"rất\" ổn\\ 👍",
    permalink: "https://www.tiktok.com/@u/video/7412345678901234567",
    author_id: "6912345678901234567",
    author_name: "Người dùng",
    author_username: "user_1",
    hashtags: ["vinfast", "vf8"],
    ...overrides
  })

export const errorRecord = (overrides: Partial<ErrorRecord> = {}): ErrorRecord =>
  sharedErrorRecord({
    content_id: "7412345678901234999",
    project_id: PROJECT,
    job_id: `${PROJECT}-brand-0`,
    created_at: "2025-12-06T10:15:31.000Z",
    ...overrides
  })

export const ledger = (overrides: Partial<BatchLedgerEntry> = {}): BatchLedgerEntry =>
  ledgerEntry({
    object_path: `crawl-results/tiktok/${PROJECT}/brand/batch_000.json`,
    event_id: "evt_3f9c2a1b7d4e",
    project_id: PROJECT,
    job_id: `${PROJECT}-brand-0`,
    attempted_at: "2025-12-06T10:15:31.000Z",
    ...overrides
  })

export const batch = (overrides: Partial<BatchWrite> = {}): BatchWrite => ({
  ledger: ledger(),
  analytics: [analytics()],
  errors: [errorRecord()],
  ...overrides
})

import { assert, describe, it } from "vitest"
import { completedLedger, dedupeBatch, failedLedger } from "../../src/domain/ledger.ts"
import { analyticsRecord, errorRecord } from "../support/records.ts"

const subject = {
  object_path: "crawl-results/a.json",
  event_id: "e",
  project_id: null,
  job_id: null,
  platform: "TIKTOK",
  batch_index: 0,
  expected_size: 50
}

describe("ledger entries (pure)", () => {
  it("dedupeBatch keeps the newest crawl of each post, orders rows by identity, and counts the repeats", () => {
    const old = analyticsRecord({ id: "b", crawled_at: "2025-01-01T00:00:00.000Z", content_text: "old" })
    const recent = analyticsRecord({ id: "b", crawled_at: "2025-01-02T00:00:00.000Z", content_text: "new" })
    const undated = analyticsRecord({ id: "b", crawled_at: null, content_text: "undated" })
    const a = analyticsRecord({ id: "a" })
    const e1 = errorRecord({ content_id: "z" })
    const e2 = errorRecord({ content_id: "y" })
    const result = dedupeBatch([old, recent, undated, a], [e1, e2, e1])
    assert.deepEqual(result.analytics.map((r) => [r.id, r.content_text]), [["a", a.content_text], ["b", "new"]])
    assert.deepEqual(result.errors.map((r) => r.content_id), ["y", "z"])
    assert.strictEqual(result.duplicates, 3)
  })

  it("a completed entry adds up: actual = stored + skipped + errors + duplicates", () => {
    const batch = dedupeBatch(
      [analyticsRecord({ id: "1" }), analyticsRecord({ id: "2", is_skipped: true }), analyticsRecord({ id: "1" })],
      [errorRecord()]
    )
    const entry = completedLedger(subject, 4, batch, "2025-12-06T10:00:00.000Z")
    assert.deepInclude(entry, { stored_count: 1, skipped_count: 1, error_count: 1, duplicate_count: 1, actual_size: 4, status: "completed" })
  })

  it("a failed entry carries the code and a bounded reason", () => {
    const entry = failedLedger(subject, 7, "NOT_A_BATCH", "x".repeat(10_000), "2025-12-06T10:00:00.000Z")
    assert.strictEqual(entry.status, "failed")
    assert.strictEqual(entry.actual_size, 7)
    assert.isTrue(entry.failure_reason?.startsWith("NOT_A_BATCH: xxx"))
    assert.isBelow(entry.failure_reason?.length ?? 0, 2100)
  })
})

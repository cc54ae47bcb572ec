import { assert, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { analyticsRecord, errorRecord, ledgerEntry } from "../support/records.ts"

let counter = 0
/** Each test writes under its own project and object path, so tests share one layer safely. */
const fresh = () => {
  counter += 1
  const hex = counter.toString(16).padStart(12, "0")
  return { project: `00000000-0000-4000-8000-${hex}`, path: `crawl-results/contract/${hex}-${Math.random()}.json` }
}

/**
 * The AnalyticsRepository contract (§4, §5): every adapter must pass it. `repositoryLayer`
 * provides a repository over an empty, migrated store.
 */
export const analyticsRepositoryContract = <E>(name: string, repositoryLayer: Layer.Layer<AnalyticsRepository, E>) =>
  layer(repositoryLayer, { timeout: 60_000 })(`AnalyticsRepository contract: ${name}`, (it) => {
    it.effect("a batch stores its analytics rows, error rows and ledger row together", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        const { project, path } = fresh()
        yield* repo.writeBatch({
          ledger: ledgerEntry({ object_path: path, project_id: project, actual_size: 3, stored_count: 2, error_count: 1 }),
          analytics: [analyticsRecord({ project_id: project, id: "1" }), analyticsRecord({ project_id: project, id: "2" })],
          errors: [errorRecord({ project_id: project })]
        })
        const counts = yield* repo.counts(project)
        assert.deepStrictEqual(counts, { analytics: 2, errors: 1, batches: 1 })
        const stored = yield* repo.ledger(path)
        assert.deepStrictEqual(
          stored === null
            ? null
            : [stored.actual_size, stored.stored_count, stored.skipped_count, stored.error_count, stored.duplicate_count, stored.attempts],
          [3, 2, 0, 1, 0, 1]
        )
      }))

    it.effect("writing the same batch again leaves the row counts unchanged and counts the attempt", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        const { project, path } = fresh()
        const batch = {
          ledger: ledgerEntry({ object_path: path, project_id: project }),
          analytics: [analyticsRecord({ project_id: project })],
          errors: [errorRecord({ project_id: project }), errorRecord({ project_id: project, job_id: null, content_id: "x" })]
        }
        yield* repo.writeBatch(batch)
        yield* repo.writeBatch({ ...batch, ledger: { ...batch.ledger, attempted_at: "2025-12-06T11:00:00.000Z" } })
        assert.deepStrictEqual(yield* repo.counts(project), { analytics: 1, errors: 2, batches: 1 })
        const stored = yield* repo.ledger(path)
        assert.strictEqual(stored?.attempts, 2)
        assert.strictEqual(stored?.first_attempt_at, "2025-12-06T10:16:00.000Z")
        assert.strictEqual(stored?.last_attempt_at, "2025-12-06T11:00:00.000Z")
      }))

    it.effect("an older crawl never overwrites a newer row; a newer one does", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        const { project, path } = fresh()
        const write = (crawledAt: string | null, score: number) =>
          repo.writeBatch({
            ledger: ledgerEntry({ object_path: path, project_id: project }),
            analytics: [analyticsRecord({ project_id: project, crawled_at: crawledAt, impact_score: score })],
            errors: []
          })
        const key = { project_id: project, platform: "TIKTOK", id: "7576276451171880001" }
        yield* write("2025-12-06T10:00:00.000Z", 10)
        yield* write("2025-12-05T10:00:00.000Z", 20)
        assert.strictEqual((yield* repo.findPost(key))?.impact_score, 10)
        yield* write(null, 30)
        assert.strictEqual((yield* repo.findPost(key))?.impact_score, 10)
        yield* write("2025-12-07T10:00:00.000Z", 40)
        assert.strictEqual((yield* repo.findPost(key))?.impact_score, 40)
      }))

    it.effect("the same post in two projects is two rows; without a project, nulls are not distinct", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        const a = fresh()
        const b = fresh()
        const id = `null-project-${a.project}`
        for (const project of [a.project, b.project, null, null]) {
          yield* repo.writeBatch({
            ledger: ledgerEntry({ object_path: a.path, project_id: project }),
            analytics: [analyticsRecord({ project_id: project, id })],
            errors: []
          })
        }
        assert.strictEqual((yield* repo.counts(a.project)).analytics, 1)
        assert.strictEqual((yield* repo.counts(b.project)).analytics, 1)
        assert.strictEqual((yield* repo.findPost({ project_id: null, platform: "TIKTOK", id }))?.id, id)
        // Written twice without a project: one identity, one row (no other test writes such rows).
        assert.strictEqual((yield* repo.counts(null)).analytics, 1)
      }))

    it.effect("a stored row reads back with exact ids, UTC timestamps, big counts and its breakdowns", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        const { project, path } = fresh()
        const row = analyticsRecord({ project_id: project, id: "7576276451171889999" })
        yield* repo.writeBatch({ ledger: ledgerEntry({ object_path: path, project_id: project }), analytics: [row], errors: [] })
        const stored = yield* repo.findPost({ project_id: project, platform: "TIKTOK", id: "7576276451171889999" })
        assert.isNotNull(stored)
        if (stored === null) return
        assert.strictEqual(stored.id, "7576276451171889999")
        assert.strictEqual(stored.crawled_at, row.crawled_at)
        assert.strictEqual(stored.analyzed_at, row.analyzed_at)
        assert.strictEqual(stored.view_count, 3_000_000_000)
        assert.strictEqual(stored.overall_sentiment, "POSITIVE")
        assert.deepStrictEqual(stored.aspects_breakdown, row.aspects_breakdown)
        assert.deepStrictEqual(stored.keywords, row.keywords)
        assert.deepStrictEqual(stored.sentiment_probabilities, row.sentiment_probabilities)
        assert.deepStrictEqual(stored.hashtags, row.hashtags)
        assert.closeTo(stored.impact_score, row.impact_score, 1e-9)
        assert.strictEqual(stored.analyzed_text_truncated, false)
      }))

    it.effect("a post analysed on its first part only keeps its whole text and the truncation flag", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        const { project, path } = fresh()
        const long = "pin yếu quá nhưng giá rẻ ".repeat(4000).trim()
        const row = analyticsRecord({ project_id: project, id: "7576276451171888888", content_text: long, analyzed_text_truncated: true })
        yield* repo.writeBatch({ ledger: ledgerEntry({ object_path: path, project_id: project }), analytics: [row], errors: [] })
        const stored = yield* repo.findPost({ project_id: project, platform: "TIKTOK", id: "7576276451171888888" })
        assert.isNotNull(stored)
        if (stored === null) return
        assert.strictEqual(stored.analyzed_text_truncated, true)
        assert.strictEqual(stored.content_text, long)
      }))

    it.effect("a batch with one invalid row writes nothing at all", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        const { project, path } = fresh()
        const error = yield* repo.writeBatch({
          ledger: ledgerEntry({ object_path: path, project_id: project }),
          analytics: [analyticsRecord({ project_id: project, id: "good" }), analyticsRecord({ project_id: "not-a-uuid", id: "bad" })],
          errors: [errorRecord({ project_id: project })]
        }).pipe(Effect.flip)
        assert.strictEqual(error.reason, "InvalidData")
        assert.deepStrictEqual(yield* repo.counts(project), { analytics: 0, errors: 0, batches: 0 })
        assert.isNull(yield* repo.ledger(path))
      }))

    it.effect("a batch rejected before any row is recorded as failed with its reason", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        const { path } = fresh()
        yield* repo.recordFailedBatch(ledgerEntry({
          object_path: path,
          project_id: null,
          status: "failed",
          actual_size: 0,
          stored_count: 0,
          error_count: 0,
          failure_reason: "project_id 'x' contains no UUID"
        }))
        const stored = yield* repo.ledger(path)
        assert.strictEqual(stored?.status, "failed")
        assert.strictEqual(stored?.failure_reason, "project_id 'x' contains no UUID")
      }))

    it.effect("check succeeds while the store is reachable", () =>
      Effect.gen(function*() {
        const repo = yield* AnalyticsRepository
        yield* repo.check
      }))
  })


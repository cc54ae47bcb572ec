import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Layer } from "effect"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { MAX_HASHTAG_LENGTH, MAX_ID_LENGTH, MAX_KEY_TEXT_LENGTH, MAX_SHORT_TEXT_LENGTH, truncate } from "../../src/domain/sanitize.ts"
import { ASPECTS, type AnalyticsRecord, type BatchLedgerEntry, INTENTS, RISK_LEVELS, SENTIMENT_LABELS } from "../../src/domain/records.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { TestPgMigrated } from "../postgres/testDatabase.ts"
import { fuzzParameters, fuzzRuns, fuzzTimeout, hostileString, storable } from "../support/fuzz.ts"
import { analyticsRecord, ledgerEntry } from "../support/records.ts"

/**
 * Issue 11, point 5: generated records (any storable text, numbers at every edge, timestamps
 * across PostgreSQL's range, odd JSON in the jsonb columns) written through the real
 * repository into PostgreSQL come back unchanged, value for value; so does the ledger row.
 * "Storable" is the domain's promise about every record (sanitize.ts): no NUL, no lone
 * surrogate, finite numbers, counts within 2^53, timestamps of years 1 to 9999.
 */
/** Storable text within the domain's bound for its kind of field (sanitize.ts). */
const longText = hostileString.filter(storable)
const text = longText.map((s) => truncate(s, MAX_SHORT_TEXT_LENGTH))
const textOrNull = fc.option(text, { nil: null })
const keyText = longText.map((s) => truncate(s, MAX_KEY_TEXT_LENGTH))
/** Keywords come from the lexicon or from hashtags, both at most MAX_HASHTAG_LENGTH. */
const hashtag = longText.map((s) => truncate(s, MAX_HASHTAG_LENGTH))
/**
 * Finite doubles at every edge. The sign of zero is not kept, and is not asserted: parameters
 * travel as text (`String(-0)` is "0") and JSON has no negative zero; -0 and 0 are the same value
 * for every reader of these columns.
 */
const double = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 1, -1, 0.1, 1e-300, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON, 2 ** 53 + 2)
).map((d) => (Object.is(d, -0) ? 0 : d))
const count = fc.oneof(fc.constantFrom(0, 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.maxSafeNat())
const timestamp = fc.date({ min: new Date("0001-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true })
  .map((d) => d.toISOString())
const uuid = fc.uuid({ version: 4 })
const aspectSentiment = fc.record({
  label: fc.constantFrom(...SENTIMENT_LABELS),
  score: double,
  confidence: double,
  mentions: count,
  keywords: fc.array(hashtag, { maxLength: 4 })
})

const record = (project: string) =>
  fc.record({
    id: fc.oneof(text, fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String)).filter((s) => s.trim() !== "" && s.length <= MAX_ID_LENGTH),
    project_id: fc.constant(project),
    platform: fc.constantFrom("TIKTOK", "YOUTUBE", "FACEBOOK", "INSTAGRAM", "OTHER", "UNKNOWN"),
    published_at: fc.option(timestamp, { nil: null }),
    analyzed_at: timestamp,
    crawled_at: fc.option(timestamp, { nil: null }),
    overall_sentiment: fc.constantFrom(...SENTIMENT_LABELS),
    overall_sentiment_score: double,
    overall_confidence: double,
    primary_intent: fc.constantFrom(...INTENTS),
    intent_confidence: double,
    impact_score: double,
    risk_level: fc.constantFrom(...RISK_LEVELS),
    is_viral: fc.boolean(),
    is_kol: fc.boolean(),
    aspects_breakdown: fc.record(Object.fromEntries(ASPECTS.map((a) => [a, aspectSentiment])), { requiredKeys: [] }),
    keywords: fc.array(fc.record({ keyword: hashtag, aspect: fc.constantFrom(...ASPECTS), score: double, source: text }), { maxLength: 4 }),
    sentiment_probabilities: fc.record({ POSITIVE: double, NEGATIVE: double, NEUTRAL: double }),
    impact_breakdown: fc.record({ engagement_score: double, reach_score: double, platform_multiplier: double, sentiment_amplifier: double, raw_impact: double }),
    view_count: count,
    like_count: count,
    comment_count: count,
    share_count: count,
    save_count: count,
    follower_count: count,
    processing_time_ms: double,
    model_version: text,
    job_id: fc.option(keyText, { nil: null }),
    batch_index: fc.option(fc.integer(), { nil: null }),
    task_type: textOrNull,
    keyword_source: textOrNull,
    pipeline_version: textOrNull,
    fetch_status: text,
    brand_name: textOrNull,
    keyword: textOrNull,
    content_text: longText,
    analyzed_text_truncated: fc.boolean(),
    permalink: textOrNull,
    author_id: textOrNull,
    author_name: textOrNull,
    author_username: textOrNull,
    author_is_verified: fc.boolean(),
    hashtags: fc.array(hashtag, { maxLength: 5 }),
    is_skipped: fc.boolean()
  }).map((fields): AnalyticsRecord => analyticsRecord(fields as Partial<AnalyticsRecord>))

const ledgerFields = fc.record({
  event_id: textOrNull,
  job_id: fc.option(keyText, { nil: null }),
  batch_index: fc.option(fc.integer(), { nil: null }),
  expected_size: fc.option(fc.nat(), { nil: null }),
  attempted_at: timestamp
})

const RUNS = fuzzRuns(60, 0.05)
const Repo = AnalyticsRepositoryLive.pipe(Layer.provideMerge(TestPgMigrated))

describe("fuzz: the repository write", () => {
  it.live(`generated records round-trip through PostgreSQL unchanged (${RUNS} batches of up to 5 records)`, () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      let run = 0
      const batch = fc.tuple(uuid, text).chain(([project, pathPart]) =>
        fc.tuple(
          fc.constant(project),
          fc.constant(pathPart),
          fc.uniqueArray(record(project), { minLength: 1, maxLength: 5, selector: (r) => r.id }),
          ledgerFields
        )
      )
      const check = (project: string, pathPart: string, records: ReadonlyArray<AnalyticsRecord>, fields: typeof ledgerFields extends fc.Arbitrary<infer T> ? T : never) =>
        Effect.gen(function*() {
          run++
          const ledger: BatchLedgerEntry = ledgerEntry({
            ...fields,
            object_path: `crawl-results/${run}/${pathPart}`,
            project_id: project,
            actual_size: records.length,
            stored_count: records.length,
            error_count: 0
          })
          yield* repo.writeBatch({ ledger, analytics: records, errors: [] })
          for (const written of records) {
            const read = yield* repo.findPost({ project_id: project, platform: written.platform, id: written.id })
            assert.deepStrictEqual(read, written)
          }
          const stored = yield* repo.ledger(ledger.object_path)
          if (stored === null) return assert.fail("the ledger row was not stored")
          const { attempted_at: _read, first_attempt_at, last_attempt_at, attempts, ...storedFields } = stored
          const { attempted_at, ...fieldsWritten } = ledger
          assert.deepStrictEqual(storedFields, fieldsWritten)
          assert.deepStrictEqual([first_attempt_at, last_attempt_at, attempts], [attempted_at, attempted_at, 1])
        })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(batch, ([project, pathPart, records, fields]) => Effect.runPromise(check(project, pathPart, records, fields))),
          fuzzParameters(RUNS)
        )
      )
    }).pipe(Effect.provide(Repo)), fuzzTimeout(RUNS, 150))
})

import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import {
  ANALYTICS_COLUMNS as ANALYTICS_SQL_COLUMNS,
  AnalyticsRepositoryLive,
  toAnalytics,
  UPSERT_ANALYTICS_SQL,
  unnestSql
} from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { columnSpec, rowDecoder, SQL_TYPES } from "../../src/adapters/postgres/rows.ts"
import { EXPECTED_COLUMNS } from "../../src/adapters/postgres/schemaCheck.ts"
import { ANALYTICS_COLUMNS, ERROR_COLUMNS, LEDGER_COLUMNS, schemasOf } from "../../src/domain/records.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { fixtureFor } from "../support/records.ts"
import { analytics, batch, ledger, PROJECT } from "./fixtures.ts"
import { TestPgMigrated } from "./testDatabase.ts"

/** The SQL column names of `INSERT INTO t (a, b, …)`. */
const insertedColumns = (sql: string) => (/INSERT INTO \w+ \(([^)]*)\)/.exec(sql)?.[1] ?? "").split(", ")

describe("records: one definition per record", () => {
  it("the insert column list, validate's expectations and the fixture keys are the schema's columns", () => {
    expect(insertedColumns(UPSERT_ANALYTICS_SQL)).toEqual(Object.keys(ANALYTICS_COLUMNS))
    expect(EXPECTED_COLUMNS["post_analytics"]).toEqual(
      Object.fromEntries(Object.entries(ANALYTICS_COLUMNS).map(([name, c]) => [name, SQL_TYPES[c.storage]]))
    )
    expect(EXPECTED_COLUMNS["crawl_errors"]).toEqual(
      Object.fromEntries(Object.entries(ERROR_COLUMNS).map(([name, c]) => [name, SQL_TYPES[c.storage]]))
    )
    const { attempted_at: _, ...ledgerStored } = LEDGER_COLUMNS
    expect(Object.keys(EXPECTED_COLUMNS["batch_ledger"] ?? {})).toEqual([
      ...Object.keys(ledgerStored),
      "first_attempt_at",
      "last_attempt_at",
      "attempts"
    ])
    expect(Object.keys(analytics()).sort()).toEqual(["record", ...Object.keys(ANALYTICS_COLUMNS)].sort())
    expect(Object.keys(ledger()).sort()).toEqual(Object.keys(LEDGER_COLUMNS).sort())
  })

  it("adding a field to a copy of the schema adds it to the column list, validate's expectations, the fixture and the decoder", () => {
    const columns = {
      ...ANALYTICS_COLUMNS,
      reply_count: { schema: Schema.Number, storage: "bigint" },
      language: { schema: Schema.NullOr(Schema.String), storage: "text" }
    } as const
    const Record = Schema.Struct({ record: Schema.Literal("analytics"), ...schemasOf(columns) })
    const spec = columnSpec(columns)
    expect(spec.slice(-2)).toEqual([["reply_count", "bigint"], ["language", "text"]])
    expect(spec.slice(0, -2)).toEqual(ANALYTICS_SQL_COLUMNS)
    const insert = unnestSql("post_analytics", spec, "")
    expect(insertedColumns(insert).slice(-2)).toEqual(["reply_count", "language"])
    expect(insert).toContain("u.reply_count::bigint")
    // validate's expectations are the spec as a map
    expect(Object.fromEntries(spec)).toMatchObject({ reply_count: "bigint", language: "text" })
    const { record: _, ...plausible } = analytics()
    const fixture = fixtureFor(Record, columns, plausible, { record: "analytics" })()
    expect(fixture).toMatchObject({ reply_count: 0, language: null })
    const decode = rowDecoder(Record, columns, { record: "analytics" })
    const row = {
      ...plausible,
      analyzed_at: new Date(plausible.analyzed_at),
      published_at: null,
      crawled_at: null,
      view_count: 3_000_000_000n,
      reply_count: 12n,
      language: "vi"
    }
    expect(decode(row)).toMatchObject({ reply_count: 12, language: "vi", view_count: 3_000_000_000 })
    // the real decoder ignores the extra columns; the copy's requires them
    expect(toAnalytics(row)).not.toHaveProperty("reply_count")
    expect(() => decode({ ...row, reply_count: null })).toThrow(/reply_count/)
  })

  it("a row whose value does not fit the record fails loudly instead of being cast", () => {
    const { record: _, ...row } = analytics()
    const good = { ...row, analyzed_at: new Date(row.analyzed_at), published_at: null, crawled_at: null }
    expect(toAnalytics(good).overall_sentiment).toBe("POSITIVE")
    expect(() => toAnalytics({ ...good, overall_sentiment: "MEH" })).toThrow(/overall_sentiment/)
    expect(() => toAnalytics({ ...good, is_skipped: null })).toThrow(/is_skipped/)
  })
})

const Repo = AnalyticsRepositoryLive.pipe(Layer.provideMerge(TestPgMigrated))

describe("records round-trip through PostgreSQL", () => {
  it.live("record → row → record is the identity, is_skipped stored as written (not guessed)", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      // Skipped but with an impact: the old guess (neutral, zeros, no aspects) called it analysed.
      const skipped = analytics({
        id: "1", is_skipped: true, overall_sentiment: "NEUTRAL", overall_sentiment_score: 0, overall_confidence: 0,
        impact_score: 0.4, aspects_breakdown: {}, keywords: [], primary_intent: "SPAM"
      })
      // Analysed yet neutral with zeros and no aspects: the old guess called it skipped.
      const neutral = analytics({
        id: "2", is_skipped: false, overall_sentiment: "NEUTRAL", overall_sentiment_score: 0, overall_confidence: 0,
        impact_score: 0, aspects_breakdown: {}, keywords: []
      })
      const full = analytics({ id: "3", published_at: null, crawled_at: null, batch_index: null, brand_name: null })
      const entry = ledger({ skipped_count: 1, stored_count: 2, actual_size: 3, error_count: 0 })
      yield* repo.writeBatch(batch({ ledger: entry, analytics: [skipped, neutral, full], errors: [] }))
      for (const record of [skipped, neutral, full]) {
        expect(yield* repo.findPost({ project_id: PROJECT, platform: "TIKTOK", id: record.id })).toEqual(record)
      }
      expect(yield* repo.ledger(entry.object_path)).toEqual({
        ...entry,
        first_attempt_at: entry.attempted_at,
        last_attempt_at: entry.attempted_at,
        attempts: 1
      })
    }).pipe(Effect.provide(Repo)))
})

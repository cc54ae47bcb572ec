import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { reasonForSqlState } from "../../src/adapters/postgres/sqlState.ts"
import type { KeywordHit } from "../../src/domain/records.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { analytics, batch, errorRecord, ledger, OTHER_PROJECT, PROJECT } from "./fixtures.ts"
import { TestPgMigrated } from "./testDatabase.ts"

const Repo = AnalyticsRepositoryLive.pipe(Layer.provideMerge(TestPgMigrated))
const key = { project_id: PROJECT, platform: "TIKTOK", id: "7412345678901234567" }
const kw = (keyword: string, aspect: KeywordHit["aspect"] = "GENERAL"): KeywordHit => ({ keyword, aspect, score: 1, source: "dictionary" })

/** Every post_keywords row as `project|platform|post#ord keyword/aspect@published`, in identity order. */
const keywordRows = Effect.gen(function*() {
  const sql = yield* SqlClient
  const rows = yield* sql<{ row: string }>`
    SELECT concat(coalesce(project_id::text, '-'), '|', platform, '|', post_id, '#', ord, ' ', keyword, '/', aspect, '@',
      to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI')) AS row
    FROM post_keywords ORDER BY project_id NULLS FIRST, platform, post_id, ord`
  return rows.map((r) => r.row)
})
const p = `${PROJECT}|TIKTOK|7412345678901234567`

describe("AnalyticsRepositoryLive", () => {
  it.live("writes a batch and reads every column back exactly (19-digit ids, bigint counts, jsonb, UTC)", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const record = analytics()
      yield* repo.writeBatch(batch())
      expect(yield* repo.findPost(key)).toEqual(record)
      expect(yield* repo.counts(PROJECT)).toEqual({ analytics: 1, errors: 1, batches: 1 })
      const sql = yield* SqlClient
      const [row] = yield* sql<{ id: string; author_id: string; views: string }>`
        SELECT id, author_id, view_count::text AS views FROM post_analytics`
      expect(row).toEqual({ id: "7412345678901234567", author_id: "6912345678901234567", views: "3000000000" })
      expect(yield* keywordRows).toEqual([`${p}#1 thiết kế/DESIGN@${record.published_at?.slice(0, 16)}`])
    }).pipe(Effect.provide(Repo)))

  it.live("timestamps with an offset are stored as the same instant and read back in UTC", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      yield* repo.writeBatch(batch({ analytics: [analytics({ published_at: "2025-12-06T07:30:00+07:00" })], errors: [] }))
      expect((yield* repo.findPost(key))?.published_at).toBe("2025-12-06T00:30:00.000Z")
      const sql = yield* SqlClient
      const [row] = yield* sql<{ type: string }>`SELECT pg_typeof(published_at)::text AS type FROM post_analytics`
      expect(row?.type).toBe("timestamp with time zone")
    }).pipe(Effect.provide(Repo)))

  it.live("a failure mid-batch leaves nothing: analytics, errors and ledger commit together", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const bad = errorRecord({ content_id: "2", error_category: "not-a-category" as "generic" })
      const error = yield* Effect.flip(repo.writeBatch(batch({ errors: [errorRecord(), bad] })))
      expect(error.reason).toBe("Constraint")
      expect(error.message).toContain("23514")
      expect(yield* repo.counts()).toEqual({ analytics: 0, errors: 0, batches: 0 })
      expect(yield* repo.ledger(ledger().object_path)).toBeNull()
      expect(yield* keywordRows).toEqual([])
    }).pipe(Effect.provide(Repo)))

  it.live("redelivery upserts: no duplicate rows, ledger attempts increment, first attempt kept", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      yield* repo.writeBatch(batch())
      yield* repo.writeBatch(batch({
        ledger: ledger({ attempted_at: "2025-12-06T11:00:00.000Z", stored_count: 1 }),
        analytics: [analytics({ like_count: 900 })],
        errors: [errorRecord({ error_message: "still removed", created_at: "2025-12-06T11:00:00.000Z" })]
      }))
      expect(yield* repo.counts()).toEqual({ analytics: 1, errors: 1, batches: 1 })
      expect((yield* repo.findPost(key))?.like_count).toBe(900)
      const stored = yield* repo.ledger(ledger().object_path)
      expect(stored).toMatchObject({
        attempts: 2,
        first_attempt_at: "2025-12-06T10:15:31.000Z",
        last_attempt_at: "2025-12-06T11:00:00.000Z",
        status: "completed"
      })
      const sql = yield* SqlClient
      const [err] = yield* sql<{ message: string; created: Date }>`SELECT error_message AS message, created_at AS created FROM crawl_errors`
      expect(err?.message).toBe("still removed")
      expect(err?.created.toISOString()).toBe("2025-12-06T10:15:31.000Z")
      // The keyword rows follow the post: redelivered, they are neither duplicated nor lost.
      const before = yield* keywordRows
      expect(before).toHaveLength(1)
      yield* repo.writeBatch(batch())
      yield* repo.writeBatch(batch())
      expect(yield* keywordRows).toEqual(before)
    }).pipe(Effect.provide(Repo)))

  it.live("an older crawl never overwrites a newer row; a null crawled_at counts as oldest", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const write = (crawled_at: string | null, like_count: number) =>
        repo.writeBatch(batch({ analytics: [analytics({ crawled_at, like_count })], errors: [] }))
      yield* write("2025-12-06T10:00:00.000Z", 100)
      yield* write("2025-12-05T10:00:00.000Z", 1) // older
      expect((yield* repo.findPost(key))?.like_count).toBe(100)
      yield* write(null, 2) // unknown age
      expect((yield* repo.findPost(key))?.like_count).toBe(100)
      yield* write("2025-12-07T10:00:00.000Z", 300) // newer
      expect((yield* repo.findPost(key))?.like_count).toBe(300)
      yield* write("2025-12-07T10:00:00.000Z", 301) // same crawl re-processed
      expect((yield* repo.findPost(key))?.like_count).toBe(301)
    }).pipe(Effect.provide(Repo)))

  it.live("keyword rows follow the crawled_at guard: an older crawl never changes them, a newer one replaces them", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const write = (crawled_at: string | null, keywords: ReadonlyArray<KeywordHit>, published_at = "2025-12-06T08:00:00.000Z") =>
        repo.writeBatch(batch({ analytics: [analytics({ crawled_at, keywords: [...keywords], published_at })], errors: [] }))
      yield* write("2025-12-06T10:00:00.000Z", [kw("giá", "PRICE"), kw("pin", "PERFORMANCE")])
      const stored = [`${p}#1 giá/PRICE@2025-12-06T08:00`, `${p}#2 pin/PERFORMANCE@2025-12-06T08:00`]
      expect(yield* keywordRows).toEqual(stored)
      yield* write("2025-12-05T10:00:00.000Z", [kw("older")], "2025-12-01T00:00:00.000Z") // older crawl
      yield* write(null, [kw("unknown age"), kw("a"), kw("b")]) // null crawled_at
      expect(yield* keywordRows).toEqual(stored)
      // Newer: more keywords, a repeated one (it counts twice, as in the jsonb) and a new published_at.
      yield* write("2025-12-07T10:00:00.000Z", [kw("sạc", "PERFORMANCE"), kw("giá", "PRICE"), kw("sạc", "PERFORMANCE")], "2025-12-06T09:00:00.000Z")
      expect(yield* keywordRows).toEqual([
        `${p}#1 sạc/PERFORMANCE@2025-12-06T09:00`,
        `${p}#2 giá/PRICE@2025-12-06T09:00`,
        `${p}#3 sạc/PERFORMANCE@2025-12-06T09:00`
      ])
      yield* write("2025-12-07T10:00:00.000Z", [kw("bảo hành", "SERVICE")], "2025-12-06T09:00:00.000Z") // same crawl, fewer keywords
      expect(yield* keywordRows).toEqual([`${p}#1 bảo hành/SERVICE@2025-12-06T09:00`])
      yield* write("2025-12-08T10:00:00.000Z", []) // newer, no keywords at all
      expect(yield* keywordRows).toEqual([])
    }).pipe(Effect.provide(Repo)))

  it.live("identity is (project, platform, id) with nulls not distinct; a batch repeating a post keeps its newest crawl", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      yield* repo.writeBatch(batch({
        analytics: [
          analytics({ crawled_at: "2025-12-06T12:00:00.000Z", like_count: 12 }),
          analytics({ crawled_at: "2025-12-06T09:00:00.000Z", like_count: 9 }),
          analytics({ project_id: OTHER_PROJECT }),
          analytics({ platform: "YOUTUBE" }),
          analytics({ project_id: null, job_id: null })
        ],
        errors: [errorRecord({ project_id: null, job_id: null }), errorRecord({ project_id: null, job_id: null })]
      }))
      yield* repo.writeBatch(batch({
        ledger: ledger({ object_path: "crawl-results/tiktok/dry/batch_001.json", project_id: null }),
        analytics: [analytics({ project_id: null, job_id: null })],
        errors: [errorRecord({ project_id: null, job_id: null })]
      }))
      expect((yield* repo.findPost(key))?.like_count).toBe(12)
      expect(yield* repo.counts(PROJECT)).toEqual({ analytics: 2, errors: 0, batches: 1 })
      expect(yield* repo.counts(null)).toEqual({ analytics: 1, errors: 1, batches: 1 })
      expect(yield* repo.counts()).toEqual({ analytics: 4, errors: 1, batches: 2 })
      expect(yield* repo.findPost({ ...key, project_id: null })).not.toBeNull()
      // One keyword row per stored post (the batch's older duplicate and the dry run's redelivery add none).
      expect(yield* keywordRows).toEqual([
        "-|TIKTOK|7412345678901234567#1 thiết kế/DESIGN@2025-12-05T08:00",
        `${OTHER_PROJECT}|TIKTOK|7412345678901234567#1 thiết kế/DESIGN@2025-12-05T08:00`,
        `${p}#1 thiết kế/DESIGN@2025-12-05T08:00`,
        `${PROJECT}|YOUTUBE|7412345678901234567#1 thiết kế/DESIGN@2025-12-05T08:00`
      ])
    }).pipe(Effect.provide(Repo)))

  it.live("two writers of overlapping batches, in opposite item orders, never deadlock: rows are written in key order", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const posts = Array.from({ length: 60 }, (_, i) =>
        analytics({ id: String(7_400_000_000_000_000_000n + BigInt(i)), crawled_at: "2025-12-06T10:00:00.000Z" }))
      for (let round = 0; round < 15; round++) {
        const crawled = `2025-12-06T10:${String(round + 1).padStart(2, "0")}:00.000Z`
        const ours = posts.map((p) => ({ ...p, crawled_at: crawled }))
        const theirs = [...ours].reverse()
        const outcomes = yield* Effect.all([
          repo.writeBatch(batch({ ledger: ledger({ object_path: `a/${round}` }), analytics: ours, errors: [] })),
          repo.writeBatch(batch({ ledger: ledger({ object_path: `b/${round}` }), analytics: theirs, errors: [] }))
        ], { concurrency: 2, mode: "result" })
        for (const outcome of outcomes) {
          if (outcome._tag === "Failure") expect.fail(`round ${round}: ${outcome.failure.reason}: ${outcome.failure.message}`)
        }
      }
      expect((yield* repo.counts(PROJECT)).analytics).toBe(60)
    }).pipe(Effect.provide(Repo)), 60_000)

  it.live("recordFailedBatch writes only the ledger row, with its reason", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const entry = ledger({ status: "failed", failure_reason: "INVALID_PROJECT_ID: no uuid", stored_count: 0, error_count: 0 })
      yield* repo.recordFailedBatch(entry)
      yield* repo.recordFailedBatch({ ...entry, attempted_at: "2025-12-06T10:20:00.000Z" })
      expect(yield* repo.counts()).toEqual({ analytics: 0, errors: 0, batches: 1 })
      expect(yield* repo.ledger(entry.object_path)).toMatchObject({
        status: "failed",
        failure_reason: "INVALID_PROJECT_ID: no uuid",
        attempts: 2
      })
    }).pipe(Effect.provide(Repo)))

  it.live("classifies failures by SQLSTATE: bad data, constraint, unreachable database", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const badUuid = yield* Effect.flip(repo.writeBatch(batch({ analytics: [analytics({ project_id: "not-a-uuid" })] })))
      expect(badUuid.reason).toBe("InvalidData") // 22P02
      const negative = yield* Effect.flip(repo.writeBatch(batch({ ledger: ledger({ actual_size: -1 }) })))
      expect(negative.reason).toBe("Constraint") // 23514
      const unreachable = yield* Effect.flip(
        Effect.provide(
          AnalyticsRepository.use((r) => r.check),
          // fresh: the outer test already built AnalyticsRepositoryLive, and layers are memoised.
          Layer.fresh(AnalyticsRepositoryLive).pipe(Layer.provide(layerPgClient({ url: Redacted.make("postgres://postgres@127.0.0.1:1/test") })))
        )
      )
      expect(unreachable.reason).toBe("Unavailable")
      expect(unreachable.message).not.toContain("postgres://")
    }).pipe(Effect.provide(Repo)))

  it("maps SQLSTATE classes to port reasons", () => {
    const cases: ReadonlyArray<readonly [string | undefined, string | undefined]> = [
      ["08006", "Unavailable"],
      ["08001", "Unavailable"],
      ["57P01", "Unavailable"],
      ["57P02", "Unavailable"],
      ["57P03", "Unavailable"],
      ["40001", "Conflict"],
      ["40P01", "Conflict"],
      ["57014", "Unavailable"],
      ["55P03", "Unavailable"],
      ["23505", "Constraint"],
      ["23502", "Constraint"],
      ["22P02", "InvalidData"],
      ["22003", "InvalidData"],
      ["42P01", "Unknown"],
      ["XX000", "Unknown"],
      [undefined, undefined]
    ]
    for (const [code, reason] of cases) expect([code, reasonForSqlState(code)]).toEqual([code, reason])
  })
})

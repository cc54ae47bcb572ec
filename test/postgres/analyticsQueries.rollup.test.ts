import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { AnalyticsQueriesLive } from "../../src/adapters/postgres/AnalyticsQueries.ts"
import { loadMigrations, migrateUp } from "../../src/adapters/postgres/migrator.ts"
import { AnalyticsQueries } from "../../src/ports/AnalyticsQueries.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { analyticsRecord, ledgerEntry } from "../support/records.ts"
import { projectId, seedPosts } from "./seed.ts"
import { TestPg } from "./testDatabase.ts"

/**
 * The rollups of migration 0013 (post_rollup_hourly, post_aspect_rollup_hourly,
 * post_keyword_rollup_daily) against the
 * same counts recomputed from post_analytics: after the batched backfill of posts stored before
 * the migration, after the writer re-stores posts with another sentiment, hour and aspects,
 * after deletes, and with writers running while the backfill runs.
 */

const HOUR = `date_bin('1 hour', published_at, '2000-01-01T00:00:00Z'::timestamptz)`

/** Every rollup row with posts, and the same rows computed from post_analytics. */
const compare = Effect.gen(function*() {
  const sql = yield* SqlClient
  const totals = (from: string) =>
    sql.unsafe<Record<string, unknown>>(`SELECT project_id::text, hour, platform, posts::bigint, positive::bigint, negative::bigint, neutral::bigint,
        crisis::bigint, discussion::bigint, risk_high::bigint, risk_critical::bigint, views::float8, impact_sum::float8, sentiment_sum::float8
      FROM ${from} WHERE posts <> 0 ORDER BY 1, 2, 3`)
  const aspects = (from: string) =>
    sql.unsafe<Record<string, unknown>>(`SELECT project_id::text, hour, aspect, posts::bigint, positive::bigint, negative::bigint, neutral::bigint
      FROM ${from} WHERE posts <> 0 ORDER BY 1, 2, 3`)
  const recomputed = `(SELECT project_id, ${HOUR} AS hour, platform, count(*) AS posts,
      count(*) FILTER (WHERE overall_sentiment = 'POSITIVE') AS positive, count(*) FILTER (WHERE overall_sentiment = 'NEGATIVE') AS negative,
      count(*) FILTER (WHERE overall_sentiment = 'NEUTRAL') AS neutral, count(*) FILTER (WHERE primary_intent = 'CRISIS') AS crisis,
      count(*) FILTER (WHERE primary_intent = 'DISCUSSION') AS discussion, count(*) FILTER (WHERE risk_level = 'HIGH') AS risk_high,
      count(*) FILTER (WHERE risk_level = 'CRITICAL') AS risk_critical, sum(view_count::numeric) AS views,
      sum(impact_score::numeric) AS impact_sum, sum(overall_sentiment_score::numeric) AS sentiment_sum
    FROM post_analytics WHERE project_id IS NOT NULL GROUP BY 1, 2, 3) AS r`
  const recomputedAspects = `(SELECT p.project_id, ${HOUR} AS hour, a.key AS aspect, count(*) AS posts,
      count(*) FILTER (WHERE a.value->>'label' = 'POSITIVE') AS positive, count(*) FILTER (WHERE a.value->>'label' = 'NEGATIVE') AS negative,
      count(*) FILTER (WHERE a.value->>'label' = 'NEUTRAL') AS neutral
    FROM post_analytics p CROSS JOIN LATERAL jsonb_each(p.aspects_breakdown) AS a
    WHERE p.project_id IS NOT NULL AND jsonb_typeof(a.value) = 'object' GROUP BY 1, 2, 3) AS r`
  const keywords = (from: string) =>
    sql.unsafe<Record<string, unknown>>(`SELECT project_id::text, day, keyword, aspect, mentions::bigint, positive::bigint, negative::bigint, neutral::bigint
      FROM ${from} WHERE mentions <> 0 ORDER BY 1, 2, 3, 4`)
  const recomputedKeywords = `(SELECT p.project_id, date_bin('1 day', published_at, '2000-01-01T00:00:00Z'::timestamptz) AS day,
      k->>'keyword' AS keyword, k->>'aspect' AS aspect, count(*) AS mentions,
      count(*) FILTER (WHERE overall_sentiment = 'POSITIVE') AS positive, count(*) FILTER (WHERE overall_sentiment = 'NEGATIVE') AS negative,
      count(*) FILTER (WHERE overall_sentiment = 'NEUTRAL') AS neutral
    FROM post_analytics p CROSS JOIN LATERAL jsonb_array_elements(p.keywords) AS k
    WHERE p.project_id IS NOT NULL AND k->>'keyword' IS NOT NULL GROUP BY 1, 2, 3, 4) AS r`
  const rolled = yield* totals("post_rollup_hourly")
  expect(rolled.length).toBeGreaterThan(0)
  expect(rolled).toEqual(yield* totals(recomputed))
  expect(yield* aspects("post_aspect_rollup_hourly")).toEqual(yield* aspects(recomputedAspects))
  const rolledKeywords = yield* keywords("post_keyword_rollup_daily")
  expect(rolledKeywords.length).toBeGreaterThan(0)
  expect(rolledKeywords).toEqual(yield* keywords(recomputedKeywords))
})

const NOW = "2025-12-06T12:00:00.000Z"
const PROJECT = projectId(1)

const repository = AnalyticsRepositoryLive

describe("post rollups (migrations 0013–0014)", () => {
  it.live("backfill in batches counts the posts stored before the migration; re-stores and deletes move the counts", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations, { to: 12 })
      // 12 000 posts over 3 projects before the rollups exist, plus dry-run posts (no project).
      yield* seedPosts({ rows: 12_000, projects: 3, now: NOW })
      yield* sql`UPDATE post_analytics SET project_id = NULL WHERE id::numeric % 997 = 0`
      yield* migrateUp(migrations, { to: 13 })
      const [before] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM post_rollup_hourly`
      expect(before?.n).toBe(0)
      // Several batches, resumable: two small steps by hand, then the migration finishes it.
      yield* sql`CALL post_rollup_backfill(1000, 2)`
      const [part] = yield* sql<{ done: boolean }>`SELECT done FROM post_rollup_state`
      expect(part?.done).toBe(false)
      // A writer between batches: counted once whether or not the backfill has passed its post.
      yield* sql`UPDATE post_analytics SET overall_sentiment = 'NEGATIVE', impact_score = impact_score + 1 WHERE id::numeric % 101 = 0`
      yield* migrateUp(migrations)
      const [state] = yield* sql<{ done: boolean }>`SELECT done FROM post_rollup_state`
      expect(state?.done).toBe(true)
      yield* compare

      // Re-store through the writer: sentiment, hour and aspects change; summary and trend follow.
      const writer = yield* AnalyticsRepository
      const queries = yield* AnalyticsQueries
      const post = (id: string, sentiment: "POSITIVE" | "NEGATIVE", publishedAt: string, crawledAt: string) =>
        analyticsRecord({
          id,
          project_id: PROJECT,
          platform: "FACEBOOK",
          published_at: publishedAt,
          crawled_at: crawledAt,
          overall_sentiment: sentiment,
          impact_score: 40,
          aspects_breakdown: { PRICE: { label: sentiment, score: 0.5, confidence: 0.8, mentions: 1, keywords: [] } },
          keywords: sentiment === "POSITIVE"
            ? [{ keyword: "giá", aspect: "PRICE", score: 1, source: "dictionary" }, { keyword: "giá", aspect: "PRICE", score: 1, source: "dictionary" }]
            : [{ keyword: "sạc", aspect: "PERFORMANCE", score: 1, source: "dictionary" }]
        })
      const ids = ["r1", "r2", "r3"]
      const write = (sentiment: "POSITIVE" | "NEGATIVE", publishedAt: string, crawledAt: string) =>
        writer.writeBatch({
          ledger: ledgerEntry({ project_id: PROJECT, object_path: `rollup/${crawledAt}.json` }),
          analytics: ids.map((id) => post(id, sentiment, publishedAt, crawledAt)),
          errors: []
        })
      const facebook = (s: { byPlatform: Readonly<Record<string, number>> }) => s.byPlatform["FACEBOOK"] ?? 0
      const summary0 = yield* queries.summary(PROJECT, {})
      yield* write("POSITIVE", "2025-12-01T10:30:00Z", "2025-12-06T10:00:00Z")
      const summary1 = yield* queries.summary(PROJECT, {})
      expect(facebook(summary1) - facebook(summary0)).toBe(3)
      expect(summary1.bySentiment.POSITIVE - summary0.bySentiment.POSITIVE).toBe(3)
      yield* compare
      // A newer crawl: NEGATIVE, an hour later. The counts move, they do not add up.
      yield* write("NEGATIVE", "2025-12-01T11:30:00Z", "2025-12-06T11:00:00Z")
      const summary2 = yield* queries.summary(PROJECT, {})
      expect(facebook(summary2) - facebook(summary0)).toBe(3)
      expect(summary2.bySentiment.POSITIVE).toBe(summary0.bySentiment.POSITIVE)
      expect(summary2.bySentiment.NEGATIVE - summary0.bySentiment.NEGATIVE).toBe(3)
      const trend = yield* queries.trend({ projectId: PROJECT, bucket: "hour", timeZone: "UTC", from: "2025-12-01T10:00:00Z", to: "2025-12-01T12:00:00Z" })
      const direct = yield* sql<{ local: string; n: number }>`SELECT to_char(date_trunc('hour', published_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:"00"') AS local,
          count(*)::int AS n FROM post_analytics WHERE project_id = ${PROJECT}::uuid
          AND published_at >= '2025-12-01T10:00:00Z' AND published_at < '2025-12-01T12:00:00Z' GROUP BY 1 ORDER BY 1`
      expect(trend.map((b) => [b.local, b.posts])).toEqual(direct.map((r) => [r.local, r.n]))
      yield* compare
      // An older crawl is refused by the writer's guard: nothing moves.
      yield* write("POSITIVE", "2025-12-01T10:30:00Z", "2025-12-05T00:00:00Z")
      expect(yield* queries.summary(PROJECT, {})).toEqual(summary2)
      // The same batch again: a zero delta writes no rollup row.
      const [xmin] = yield* sql<{ x: string }>`SELECT string_agg(xmin::text, ',' ORDER BY hour, platform) AS x FROM post_rollup_hourly WHERE project_id = ${PROJECT}::uuid`
      yield* write("NEGATIVE", "2025-12-01T11:30:00Z", "2025-12-06T11:00:00Z")
      const [xmin2] = yield* sql<{ x: string }>`SELECT string_agg(xmin::text, ',' ORDER BY hour, platform) AS x FROM post_rollup_hourly WHERE project_id = ${PROJECT}::uuid`
      expect(xmin2?.x).toBe(xmin?.x)
      // Deletes subtract.
      yield* sql`DELETE FROM post_analytics WHERE CASE WHEN id ~ '^[0-9]+$' THEN id::numeric % 13 = 0 ELSE id IN ('r1', 'r2') END`
      yield* compare
      const summary3 = yield* queries.summary(PROJECT, {})
      expect(facebook(summary3) - facebook(summary0)).toBe(1)
    }).pipe(Effect.provide(Layer.mergeAll(AnalyticsQueriesLive, repository).pipe(Layer.provideMerge(TestPg)))), 120_000)

  it.live("writers running during the backfill: every post counted once", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations, { to: 12 })
      yield* seedPosts({ rows: 6_000, projects: 2, now: NOW })
      yield* migrateUp(migrations, { to: 13 })
      // Re-stores, inserts and deletes, one statement per transaction as the writer's, from 3 fibers, while the backfill
      // walks the table 200 posts at a time.
      const writers = Effect.forEach([0, 1, 2], (w) =>
        Effect.forEach(Array.from({ length: 40 }, (_, i) => i), (i) =>
          Effect.all([
            sql.unsafe(`UPDATE post_analytics SET overall_sentiment = (ARRAY['POSITIVE', 'NEGATIVE', 'NEUTRAL'])[1 + ${i} % 3],
              published_at = published_at + interval '1 hour' WHERE id::numeric % 50 = ${(w * 40 + i) % 50}`),
            seedPosts({ rows: 20, projects: 2, now: NOW, offset: 100_000 + (w * 40 + i) * 20, analyze: false }),
            sql.unsafe(`DELETE FROM post_analytics WHERE id::numeric % 1000 = ${w * 40 + i}`)
          ]), { discard: true }), { concurrency: 3, discard: true })
      yield* Effect.all([writers, sql`CALL post_rollup_backfill(200)`], { concurrency: 2 })
      const [state] = yield* sql<{ done: boolean }>`SELECT done FROM post_rollup_state`
      expect(state?.done).toBe(true)
      yield* compare
    }).pipe(Effect.provide(TestPg)), 120_000)
})

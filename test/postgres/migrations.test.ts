import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { loadMigrations, migrateDown, migrateUp, migrationStatus } from "../../src/adapters/postgres/migrator.ts"
import { TestPg } from "./testDatabase.ts"

const INDEXES = [
  "idx_post_analytics_project_id",
  "idx_post_analytics_project_published",
  "idx_post_analytics_project_crisis",
  "idx_crawl_errors_project_id",
  "idx_batch_ledger_project_id",
  "idx_post_keywords_project_keyword",
  "idx_post_analytics_project_summary",
  "idx_post_analytics_project_crisis_rank",
  "idx_post_rollup_hourly_read",
  "idx_post_aspect_rollup_hourly_read"
]

const indexes = Effect.gen(function*() {
  const sql = yield* SqlClient
  const rows = yield* sql<{ name: string; valid: boolean }>`
    SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'idx_%' ORDER BY 1`
  return rows
})

const tables = Effect.gen(function*() {
  const sql = yield* SqlClient
  const rows = yield* sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`
  return rows.map((r) => r.name)
})

describe("migrations", () => {
  it.live("up creates the tables and every index valid; status reports all applied; up again is a no-op", () =>
    Effect.gen(function*() {
      const migrations = yield* loadMigrations()
      const versions = migrations.map((m) => m.version)
      expect(versions.slice(0, 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(versions).toEqual([...versions].sort((a, b) => a - b))
      expect(migrations.filter((m) => !m.transactional).map((m) => m.version).filter((v) => v <= 9)).toEqual([2, 3, 4, 5, 6, 8, 9])
      const first = yield* migrateUp(migrations)
      expect(first.map((r) => r.version)).toEqual(versions)
      expect(first.flatMap((r) => r.fallbacks)).toEqual([])
      expect(yield* tables).toEqual([
        "batch_ledger", "crawl_errors", "post_analytics", "post_aspect_rollup_hourly", "post_keyword_rollup_daily", "post_keywords", "post_rollup_hourly", "post_rollup_state", "schema_migrations"
      ])
      expect(yield* indexes).toEqual([...INDEXES].sort().map((name) => ({ name, valid: true })))
      expect(yield* migrationStatus(migrations)).toEqual(migrations.map((m) => ({ version: m.version, name: m.name, applied: true, known: true })))
      expect(yield* migrateUp(migrations)).toEqual([])
    }).pipe(Effect.provide(TestPg)))

  it.live("down reverts one migration at a time, and --to 0 reverts all", () =>
    Effect.gen(function*() {
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations)
      const later = migrations.map((m) => m.version).filter((v) => v > 9).reverse()
      expect((yield* migrateDown(migrations, { to: 9 })).map((r) => r.version)).toEqual(later)
      const one = yield* migrateDown(migrations)
      expect(one.map((r) => r.version)).toEqual([9])
      expect((yield* indexes).map((i) => i.name)).not.toContain("idx_post_analytics_project_summary")
      expect((yield* migrationStatus(migrations)).filter((s) => !s.applied).map((s) => s.version)).toEqual([9, ...later.reverse()])
      const two = yield* migrateDown(migrations, { to: 6 })
      expect(two.map((r) => r.version)).toEqual([8, 7])
      expect(yield* tables).not.toContain("post_keywords")
      const rest = yield* migrateDown(migrations, { to: 0 })
      expect(rest.map((r) => r.version)).toEqual([6, 5, 4, 3, 2, 1])
      expect(yield* tables).toEqual(["schema_migrations"])
      expect((yield* migrationStatus(migrations)).some((s) => s.applied)).toBe(false)
      // and back up again from nothing
      expect((yield* migrateUp(migrations)).length).toBe(migrations.length)
    }).pipe(Effect.provide(TestPg)))

  it.live("a rerun after a failed concurrent build drops the INVALID leftover and ends with a valid index", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations, { to: 1 })
      yield* sql.unsafe(`INSERT INTO post_analytics (id, platform, analyzed_at, overall_sentiment, overall_sentiment_score,
        overall_confidence, primary_intent, intent_confidence, impact_score, risk_level, is_viral, is_kol,
        aspects_breakdown, keywords, sentiment_probabilities, impact_breakdown, model_version, fetch_status,
        content_text, hashtags) VALUES ('1', 'TIKTOK', '2025-01-01Z', 'NEUTRAL', 0, 0, 'DISCUSSION', 1, 0, 'LOW',
        false, false, '{}', '[]', '{}', '{}', 'm', 'success', '', '[]')`)
      // A real failed concurrent build: division by zero on the existing row aborts it after
      // the catalog entry exists, leaving an INVALID index under the migration's name.
      const failed = yield* Effect.exit(sql.unsafe(
        `CREATE INDEX CONCURRENTLY idx_post_analytics_project_id ON post_analytics ((1 / (like_count - like_count)))`
      ))
      expect(failed._tag).toBe("Failure")
      expect(yield* indexes).toEqual([{ name: "idx_post_analytics_project_id", valid: false }])

      const runs = yield* migrateUp(migrations)
      expect(runs.find((r) => r.version === 2)?.droppedInvalid).toEqual(["idx_post_analytics_project_id"])
      expect((yield* indexes).every((i) => i.valid)).toBe(true)
      const [definition] = yield* sql<{ def: string }>`SELECT pg_get_indexdef('idx_post_analytics_project_id'::regclass) AS def`
      expect(definition?.def).toMatch(/\(project_id\)$/)
    }).pipe(Effect.provide(TestPg)))

  it.live("inside a transaction block, where CONCURRENTLY is refused, the index is built without it", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations, { to: 1 })
      const runs = yield* sql.withTransaction(migrateUp(migrations))
      expect(runs.flatMap((r) => r.fallbacks)).toEqual([...INDEXES])
      expect(yield* indexes).toEqual([...INDEXES].sort().map((name) => ({ name, valid: true })))
      expect((yield* migrationStatus(migrations)).every((s) => s.applied)).toBe(true)
    }).pipe(Effect.provide(TestPg)))

  it.live("down drops indexes CONCURRENTLY: a writer is not blocked while the drop waits for an open reader", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations)
      yield* migrateDown(migrations, { to: 2 }) // leave only 0001 and 0002 (project_id index)
      const release = yield* Deferred.make<void>()
      const locked = yield* Deferred.make<void>()
      // An open transaction that read the table: any DROP INDEX must wait for it.
      const reader = yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT count(*) FROM post_analytics`
        yield* Deferred.succeed(locked, undefined)
        yield* Deferred.await(release)
      })).pipe(Effect.forkChild)
      yield* Deferred.await(locked)
      const down = yield* migrateDown(migrations).pipe(Effect.forkChild)
      yield* Effect.sleep("300 millis")
      // A plain DROP INDEX would queue an ACCESS EXCLUSIVE lock and block this insert too.
      const write = yield* sql.unsafe(`UPDATE post_analytics SET like_count = 1 WHERE false`).pipe(
        Effect.timeout("2 seconds"),
        Effect.exit
      )
      expect(write._tag).toBe("Success")
      // The drop is still in progress (waiting for the reader) and holds only the weak lock.
      const [mode] = yield* sql<{ modes: string }>`
        SELECT string_agg(DISTINCT l.mode, ',') AS modes FROM pg_locks l
        WHERE l.relation = 'post_analytics'::regclass AND l.pid <> pg_backend_pid()`
      expect(mode?.modes ?? "").toContain("ShareUpdateExclusiveLock")
      expect(mode?.modes ?? "").not.toContain("AccessExclusiveLock")
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(reader)
      const reverted = yield* Fiber.join(down)
      expect(reverted.map((r) => r.version)).toEqual([2])
      expect(yield* indexes).toEqual([])
    }).pipe(Effect.provide(TestPg)))
})

describe("migration 0007 post_keywords", () => {
  it.live("up backfills one row per keyword of every stored post (positions kept, nulls not distinct); down drops it", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations, { to: 6 })
      const post = (id: string, project: string | null, keywords: string) =>
        sql.unsafe(`INSERT INTO post_analytics (id, project_id, platform, published_at, analyzed_at, overall_sentiment,
          overall_sentiment_score, overall_confidence, primary_intent, intent_confidence, impact_score, risk_level, is_viral,
          is_kol, aspects_breakdown, keywords, sentiment_probabilities, impact_breakdown, model_version, fetch_status,
          content_text, hashtags) VALUES ($1, $2::uuid, 'TIKTOK', '2025-12-01T00:00:00Z', '2025-12-02Z', 'NEUTRAL', 0, 0,
          'DISCUSSION', 1, 0, 'LOW', false, false, '{}', $3::jsonb, '{}', '{}', 'm', 'success', '', '[]')`, [id, project, keywords])
      const kw = (keyword: string, aspect: string) => ({ keyword, aspect, score: 1, source: "dictionary" })
      yield* post("1", "a95796bc-5c7b-432b-bf99-0afa8ed81f0c", JSON.stringify([kw("giá", "PRICE"), kw("pin", "PERFORMANCE"), kw("giá", "PRICE")]))
      yield* post("1", null, JSON.stringify([kw("sạc", "PERFORMANCE")]))
      yield* post("2", null, "[]")
      const runs = yield* migrateUp(migrations, { to: 9 })
      expect(runs.map((r) => r.version)).toEqual([7, 8, 9])
      const rows = yield* sql<{ project_id: string | null; post_id: string; ord: number; keyword: string; aspect: string; published_at: Date }>`
        SELECT project_id, post_id, ord, keyword, aspect, published_at FROM post_keywords ORDER BY project_id NULLS FIRST, post_id, ord`
      expect(rows.map((r) => [r.project_id, r.post_id, r.ord, r.keyword, r.aspect, r.published_at.toISOString()])).toEqual([
        [null, "1", 1, "sạc", "PERFORMANCE", "2025-12-01T00:00:00.000Z"],
        ["a95796bc-5c7b-432b-bf99-0afa8ed81f0c", "1", 1, "giá", "PRICE", "2025-12-01T00:00:00.000Z"],
        ["a95796bc-5c7b-432b-bf99-0afa8ed81f0c", "1", 2, "pin", "PERFORMANCE", "2025-12-01T00:00:00.000Z"],
        ["a95796bc-5c7b-432b-bf99-0afa8ed81f0c", "1", 3, "giá", "PRICE", "2025-12-01T00:00:00.000Z"]
      ])
      // The identity treats a null project as one value: a second dry-run row for the same position is refused.
      const duplicate = yield* Effect.exit(sql`INSERT INTO post_keywords (ord, project_id, platform, post_id) VALUES (1, NULL, 'TIKTOK', '1')`)
      expect(duplicate._tag).toBe("Failure")
      yield* migrateDown(migrations, { to: 6 })
      expect(yield* tables).not.toContain("post_keywords")
    }).pipe(Effect.provide(TestPg)))
})

describe("migrations repair", () => {
  it.live("up rebuilds an index of an applied migration that was dropped or left INVALID", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations)
      yield* sql.unsafe(`DROP INDEX idx_post_analytics_project_crisis`)
      yield* sql.unsafe(`DROP INDEX idx_crawl_errors_project_id`)
      yield* sql.unsafe(`INSERT INTO crawl_errors (content_id, platform, error_code, error_category, created_at)
        VALUES ('x', 'TIKTOK', 'E', 'generic', now())`)
      const failed = yield* Effect.exit(sql.unsafe(
        `CREATE INDEX CONCURRENTLY idx_crawl_errors_project_id ON crawl_errors ((1 / (length(content_id) - 1)))`
      ))
      expect(failed._tag).toBe("Failure")
      const runs = yield* migrateUp(migrations)
      expect(runs.map((r) => [r.version, r.droppedInvalid])).toEqual([[4, []], [5, ["idx_crawl_errors_project_id"]]])
      expect(yield* indexes).toEqual([...INDEXES].sort().map((name) => ({ name, valid: true })))
    }).pipe(Effect.provide(TestPg)))
})

describe("migration 0010 analyzed_text_truncated", () => {
  it.live("up adds the flag, false on rows stored before it; down drops it", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      yield* migrateUp(migrations, { to: 9 })
      yield* sql.unsafe(`INSERT INTO post_analytics (id, project_id, platform, published_at, analyzed_at, overall_sentiment,
        overall_sentiment_score, overall_confidence, primary_intent, intent_confidence, impact_score, risk_level, is_viral,
        is_kol, aspects_breakdown, keywords, sentiment_probabilities, impact_breakdown, model_version, fetch_status,
        content_text, hashtags) VALUES ('1', NULL, 'TIKTOK', '2025-12-01T00:00:00Z', '2025-12-02Z', 'NEUTRAL', 0, 0,
        'DISCUSSION', 1, 0, 'LOW', false, false, '{}', '[]', '{}', '{}', 'm', 'success', 'x', '[]')`)
      expect((yield* migrateUp(migrations, { to: 10 })).map((r) => r.version)).toEqual([10])
      const rows = yield* sql<{ id: string; analyzed_text_truncated: boolean }>`
        SELECT id, analyzed_text_truncated FROM post_analytics`
      expect(rows).toEqual([{ id: "1", analyzed_text_truncated: false }])
      expect((yield* migrateDown(migrations)).map((r) => r.version)).toEqual([10])
      const columns = yield* sql<{ name: string }>`
        SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'post_analytics'`
      expect(columns.map((c) => c.name)).not.toContain("analyzed_text_truncated")
      expect(columns.map((c) => c.name)).toContain("content_text")
    }).pipe(Effect.provide(TestPg)))
})

describe("migration 0012 is_skipped", () => {
  it.live("up adds the column and backfills it with the rule the reader used to guess by; down drops it", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const migrations = yield* loadMigrations()
      // one UPDATE inside the migration's transaction: a failed backfill leaves no column behind
      expect(migrations.find((m) => m.version === 12)?.transactional).toBe(true)
      yield* migrateUp(migrations, { to: 11 })
      const row = (id: string, sentiment: string, score: number, confidence: number, impact: number, aspects: string) =>
        sql.unsafe(`INSERT INTO post_analytics (id, project_id, platform, published_at, analyzed_at, overall_sentiment,
          overall_sentiment_score, overall_confidence, primary_intent, intent_confidence, impact_score, risk_level, is_viral,
          is_kol, aspects_breakdown, keywords, sentiment_probabilities, impact_breakdown, model_version, fetch_status,
          content_text, hashtags) VALUES ($1, NULL, 'TIKTOK', '2025-12-01T00:00:00Z', '2025-12-02Z', $2, $3, $4,
          'SPAM', 1, $5, 'LOW', false, false, $6::jsonb, '[]', '{}', '{}', 'm', 'success', 'x', '[]')`,
          [id, sentiment, score, confidence, impact, aspects])
      yield* row("skipped", "NEUTRAL", 0, 0, 0, "{}")
      yield* row("skipped-array", "NEUTRAL", 0, 0, 0, "[]")
      yield* row("analysed", "POSITIVE", 0.6, 0.8, 3.2, `{"DESIGN": {"label": "POSITIVE"}}`)
      yield* row("neutral-with-impact", "NEUTRAL", 0, 0, 1.5, "{}")
      yield* row("neutral-with-aspects", "NEUTRAL", 0, 0, 0, `{"PRICE": {"label": "NEUTRAL"}}`)
      yield* row("neutral-with-score", "NEUTRAL", 0.1, 0, 0, "{}")
      expect((yield* migrateUp(migrations, { to: 12 })).map((r) => r.version)).toEqual([12])
      const rows = yield* sql<{ id: string; is_skipped: boolean }>`SELECT id, is_skipped FROM post_analytics ORDER BY id`
      expect(rows).toEqual([
        { id: "analysed", is_skipped: false },
        { id: "neutral-with-aspects", is_skipped: false },
        { id: "neutral-with-impact", is_skipped: false },
        { id: "neutral-with-score", is_skipped: false },
        { id: "skipped", is_skipped: true },
        { id: "skipped-array", is_skipped: true }
      ])
      const [column] = yield* sql<{ nullable: string; fallback: string }>`
        SELECT is_nullable AS nullable, column_default AS fallback FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'post_analytics' AND column_name = 'is_skipped'`
      expect(column).toEqual({ nullable: "NO", fallback: "false" })
      expect((yield* migrateDown(migrations, { to: 11 })).map((r) => r.version)).toEqual([12])
      const columns = yield* sql<{ name: string }>`
        SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'post_analytics'`
      expect(columns.map((c) => c.name)).not.toContain("is_skipped")
      expect(columns.map((c) => c.name)).toContain("analyzed_text_truncated")
    }).pipe(Effect.provide(TestPg)))
})

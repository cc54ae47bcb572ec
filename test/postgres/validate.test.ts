import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { ANALYTICS_COLUMNS, LEDGER_COLUMNS } from "../../src/domain/records.ts"
import { type Check, formatReport, postgresCheck, validate } from "../../src/cli/validate.ts"
import { projectId, seedPosts } from "./seed.ts"
import { TEST_DATABASE_URL, TestPgMigrated, TestSchema } from "./testDatabase.ts"

/** Runs `validate` against the test's own schema, with the environment given as a map. */
const validateWith = (env: Record<string, string> = {}, checks: ReadonlyArray<Check> = [postgresCheck]) =>
  Effect.gen(function*() {
    const { name } = yield* TestSchema
    const url = `${TEST_DATABASE_URL}?options=-csearch_path%3D${name}`
    return yield* validate(checks).pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: url, ...env })))
    )
  })

const failures = (report: { readonly results: ReadonlyArray<{ ok: boolean; group: string; name: string; detail: string }> }) =>
  report.results.filter((r) => !r.ok).map((r) => `${r.group}/${r.name}: ${r.detail}`)

describe("validate", () => {
  it.live("passes on a migrated schema and lists every table, index and the migrations", () =>
    Effect.gen(function*() {
      const report = yield* validateWith()
      expect(failures(report)).toEqual([])
      expect(report.ok).toBe(true)
      expect(report.results.filter((r) => r.name.startsWith("index ")).length).toBe(14)
      expect(formatReport(report)).toContain("validate: all checks passed")
    }).pipe(Effect.provide(TestPgMigrated)))

  it.live("reports a dropped index, an INVALID index and a dropped column, all in one run", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      yield* sql.unsafe(`DROP INDEX idx_post_analytics_project_published`)
      yield* sql.unsafe(`DROP INDEX idx_batch_ledger_project_id`)
      yield* sql.unsafe(`INSERT INTO batch_ledger (object_path, platform, actual_size, stored_count, skipped_count,
        error_count, status, first_attempt_at, last_attempt_at) VALUES ('p', 'TIKTOK', 0, 0, 0, 0, 'failed', now(), now())`)
      const broken = yield* Effect.exit(sql.unsafe(
        `CREATE INDEX CONCURRENTLY idx_batch_ledger_project_id ON batch_ledger ((1 / actual_size))`
      ))
      expect(broken._tag).toBe("Failure")
      yield* sql.unsafe(`ALTER TABLE post_analytics DROP COLUMN keyword`)
      yield* sql.unsafe(`ALTER TABLE crawl_errors ALTER COLUMN created_at TYPE timestamp`)
      const report = yield* validateWith()
      expect(report.ok).toBe(false)
      expect(failures(report)).toEqual([
        "postgres/table post_analytics: column keyword missing",
        "postgres/table crawl_errors: column created_at is timestamp without time zone, expected timestamp with time zone",
        "postgres/index idx_post_analytics_project_published: missing: run `smap-analytics migrate up`, which rebuilds it",
        "postgres/index idx_batch_ledger_project_id: INVALID (a failed concurrent build): run `smap-analytics migrate up`, which rebuilds it"
      ])
    }).pipe(Effect.provide(TestPgMigrated)))

  it.live("expects the record tables' columns from the records' definition, is_skipped included", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const passing = yield* validateWith()
      expect(passing.results.find((r) => r.name === "table post_analytics")?.detail).toBe(
        `${Object.keys(ANALYTICS_COLUMNS).length} columns as expected`
      )
      expect(passing.results.find((r) => r.name === "table batch_ledger")?.detail).toBe(
        // attempted_at is stored as first_attempt_at and last_attempt_at, beside attempts
        `${Object.keys(LEDGER_COLUMNS).length + 2} columns as expected`
      )
      yield* sql.unsafe(`ALTER TABLE post_analytics DROP COLUMN is_skipped`)
      expect(failures(yield* validateWith())).toEqual(["postgres/table post_analytics: column is_skipped missing"])
    }).pipe(Effect.provide(TestPgMigrated)))

  it.live("recounts the rollups against the posts and names a project whose counts drifted; a rebuild repairs them", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      // 25 projects: more than the sample, so the check reads the first 20 by id only.
      yield* seedPosts({ rows: 2_500, projects: 25, now: "2025-12-06T12:00:00.000Z" })
      const passing = yield* validateWith()
      expect(failures(passing)).toEqual([])
      expect(passing.results.find((r) => r.name === "rollups")?.detail).toBe(
        "agree with post_analytics and post_keywords for 20 project(s) recounted (the first 20 by id)"
      )
      // Drift the triggers cannot cause: the rollups written behind their back.
      yield* sql`UPDATE post_rollup_hourly SET posts = posts + 1, positive = positive + 1
        WHERE (project_id, hour, platform) = (SELECT project_id, hour, platform FROM post_rollup_hourly WHERE project_id = ${projectId(3)}::uuid LIMIT 1)`
      const count = (q: ReturnType<typeof sql<{ n: number }>>) => Effect.map(q, (rows) => rows[0]?.n ?? -1)
      const mentions = yield* count(sql`SELECT count(*)::int AS n FROM post_keywords WHERE project_id = ${projectId(5)}::uuid`)
      const pin = yield* count(sql`SELECT sum(mentions)::int AS n FROM post_keyword_rollup_daily WHERE project_id = ${projectId(5)}::uuid AND keyword = 'pin'`)
      expect(pin).toBeGreaterThan(0)
      yield* sql`DELETE FROM post_keyword_rollup_daily WHERE project_id = ${projectId(5)}::uuid AND keyword = 'pin'`
      yield* sql`UPDATE post_rollup_hourly SET negative = negative + 1, neutral = neutral - 1
        WHERE (project_id, hour, platform) = (SELECT project_id, hour, platform FROM post_rollup_hourly WHERE project_id = ${projectId(7)}::uuid AND neutral > 0 LIMIT 1)`
      // Project 24 is outside the sample: not recounted.
      yield* sql`UPDATE post_rollup_hourly SET posts = posts + 1 WHERE project_id = ${projectId(24)}::uuid`
      const drifted = yield* validateWith()
      expect(failures(drifted)).toEqual([
        `postgres/rollups: project ${projectId(3)}: 100 posts, rollups count 101; ` +
        `project ${projectId(5)}: ${mentions} keyword mentions, rollups count ${mentions - pin}; ` +
        `project ${projectId(7)}: sentiment counts differ from the posts' (rebuild: docs/schema.md#rollups)`
      ])
      // The rebuild of docs/schema.md#rollups: empty the rollups, rewind the backfill, run it.
      yield* sql`TRUNCATE post_rollup_hourly, post_aspect_rollup_hourly, post_keyword_rollup_daily`
      yield* sql`UPDATE post_rollup_state SET through_project = '00000000-0000-0000-0000-000000000000', through_platform = '', through_id = '', done = false`
      expect(failures(yield* validateWith())).toEqual([
        "postgres/rollups: the rollup backfill has not finished: run `smap-analytics migrate up` (or, once migration 0014 is applied, `CALL post_rollup_backfill(5000)`)"
      ])
      yield* sql`CALL post_rollup_backfill(5000)`
      expect(failures(yield* validateWith())).toEqual([])
    }).pipe(Effect.provide(TestPgMigrated)))

  it.live("reports pending migrations and migrations this build does not know", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      yield* sql`DELETE FROM schema_migrations WHERE version = 6`
      yield* sql`INSERT INTO schema_migrations (version, name) VALUES (99, 'from_the_future')`
      const report = yield* validateWith()
      expect(failures(report)).toEqual([
        "postgres/migrations: pending: 6_idx_batch_ledger_project_id; applied by a newer build (no file here): 99"
      ])
    }).pipe(Effect.provide(TestPgMigrated)))

  it.live("bad configuration is reported with the variable's name, and the other checks as not run", () =>
    Effect.gen(function*() {
      const report = yield* validateWith({ RABBITMQ_PREFETCH_COUNT: "many" })
      expect(report.ok).toBe(false)
      expect(failures(report)).toEqual([
        expect.stringContaining("RABBITMQ_PREFETCH_COUNT"),
        "postgres/not run: needs a valid configuration"
      ])
    }).pipe(Effect.provide(TestPgMigrated)))

  it.live("an unreachable database is a finding, and the secret in its URL is not printed", () =>
    Effect.gen(function*() {
      const report = yield* validate([postgresCheck]).pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: "postgres://postgres:s3cret@127.0.0.1:1/test" })))
      )
      expect(report.ok).toBe(false)
      expect(failures(report)).toEqual([expect.stringMatching(/^postgres\/database: .*ECONNREFUSED/)])
      expect(formatReport(report)).not.toContain("s3cret")
    }))

  it.live("extra checks from other adapters join the report and can fail it", () =>
    Effect.gen(function*() {
      const queue: Check = {
        group: "rabbitmq",
        run: Effect.succeed([{ group: "rabbitmq", name: "queue analytics.data.collected", ok: false, detail: "x-dead-letter-exchange differs" }])
      }
      const report = yield* validateWith({}, [postgresCheck, queue])
      expect(report.ok).toBe(false)
      expect(failures(report)).toEqual(["rabbitmq/queue analytics.data.collected: x-dead-letter-exchange differs"])
    }).pipe(Effect.provide(TestPgMigrated)))
})

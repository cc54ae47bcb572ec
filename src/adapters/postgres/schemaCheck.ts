import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { ANALYTICS_COLUMNS, ERROR_COLUMNS, LEDGER_COLUMNS } from "./AnalyticsRepository.ts"
import { type Migration, migrationStatus } from "./migrator.ts"
import { sqlStateOf, toRepositoryError } from "./sqlState.ts"

/**
 * What `validate` expects of the database (§4, §7): every table and column with its type, every
 * index present and valid, and no pending migration. Kept beside the migrations it mirrors; a
 * migration that changes the schema changes this file too, or `validate` fails.
 */
export const EXPECTED_COLUMNS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // The record tables derive from the records' one definition (src/domain/records.ts).
  post_analytics: Object.fromEntries(ANALYTICS_COLUMNS),
  crawl_errors: Object.fromEntries(ERROR_COLUMNS),
  batch_ledger: Object.fromEntries(LEDGER_COLUMNS),
  post_keywords: {
    published_at: "timestamp with time zone",
    ord: "integer",
    project_id: "uuid",
    platform: "text",
    post_id: "text",
    keyword: "text",
    aspect: "text"
  }
}

/** Index name → table. The identity constraints' indexes are checked too: upserts rely on them. */
export const EXPECTED_INDEXES: Readonly<Record<string, string>> = {
  post_analytics_identity: "post_analytics",
  crawl_errors_identity: "crawl_errors",
  batch_ledger_pkey: "batch_ledger",
  post_keywords_identity: "post_keywords",
  idx_post_analytics_project_id: "post_analytics",
  idx_post_analytics_project_published: "post_analytics",
  idx_post_analytics_project_crisis: "post_analytics",
  idx_post_analytics_project_crisis_rank: "post_analytics",
  idx_post_analytics_project_summary: "post_analytics",
  idx_crawl_errors_project_id: "crawl_errors",
  idx_batch_ledger_project_id: "batch_ledger",
  idx_post_keywords_project_keyword: "post_keywords",
  idx_post_rollup_hourly_read: "post_rollup_hourly",
  idx_post_aspect_rollup_hourly_read: "post_aspect_rollup_hourly"
}

/** One line of the schema report. */
export interface SchemaFinding {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

const inspect = (migrations: ReadonlyArray<Migration>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const findings: Array<SchemaFinding> = []
    const columns = yield* sql<{ table_name: string; column_name: string; type: string }>`
      SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
        AND a.attnum > 0 AND NOT a.attisdropped`
    const actual = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c.type]))
    const tables = new Set(columns.map((c) => c.table_name))
    for (const [table, expected] of Object.entries(EXPECTED_COLUMNS)) {
      if (!tables.has(table)) {
        findings.push({ name: `table ${table}`, ok: false, detail: "missing (run `smap-analytics migrate up`)" })
        continue
      }
      const problems = Object.entries(expected).flatMap(([column, type]) => {
        const found = actual.get(`${table}.${column}`)
        return found === undefined ? [`column ${column} missing`] : found !== type ? [`column ${column} is ${found}, expected ${type}`] : []
      })
      findings.push({
        name: `table ${table}`,
        ok: problems.length === 0,
        detail: problems.length === 0 ? `${Object.keys(expected).length} columns as expected` : problems.join("; ")
      })
    }
    const indexes = yield* sql<{ name: string; table_name: string; valid: boolean; ready: boolean }>`
      SELECT ic.relname AS name, tc.relname AS table_name, i.indisvalid AS valid, i.indisready AS ready
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
      WHERE ic.relnamespace = current_schema()::regnamespace`
    const byName = new Map(indexes.map((i) => [i.name, i]))
    for (const [name, table] of Object.entries(EXPECTED_INDEXES)) {
      const index = byName.get(name)
      findings.push(
        index === undefined
          ? { name: `index ${name}`, ok: false, detail: "missing: run `smap-analytics migrate up`, which rebuilds it" }
          : index.table_name !== table
          ? { name: `index ${name}`, ok: false, detail: `on ${index.table_name}, expected ${table}` }
          : !index.valid || !index.ready
          ? { name: `index ${name}`, ok: false, detail: "INVALID (a failed concurrent build): run `smap-analytics migrate up`, which rebuilds it" }
          : { name: `index ${name}`, ok: true, detail: `valid, on ${table}` }
      )
    }
    const status = yield* migrationStatus(migrations).pipe(
      Effect.catchTag("MigrationError", (e) => Effect.succeed(e.message))
    )
    if (typeof status === "string") {
      findings.push({ name: "migrations", ok: false, detail: status })
    } else {
      const pending = status.filter((s) => !s.applied).map((s) => `${s.version}_${s.name}`)
      const unknown = status.filter((s) => !s.known).map((s) => String(s.version))
      findings.push({
        name: "migrations",
        ok: pending.length === 0 && unknown.length === 0,
        detail: [
          ...(pending.length === 0 ? [] : [`pending: ${pending.join(", ")}`]),
          ...(unknown.length === 0 ? [] : [`applied by a newer build (no file here): ${unknown.join(", ")}`]),
          ...(pending.length === 0 && unknown.length === 0 ? [`all ${status.length} applied`] : [])
        ].join("; ")
      })
    }
    findings.push(yield* checkRollups())
    return findings
  })

/** How many projects `validate` recounts against the rollups (the first ones by id), and for how long at most. */
export const ROLLUP_SAMPLE = 20
/** The recount's statement timeout (a PostgreSQL duration). */
const ROLLUP_CHECK_TIMEOUT = "10s"

/**
 * The rollups (migration 0013) agree with the rows they count: for the first `sample` projects
 * by id, posts and posts by sentiment of post_rollup_hourly against a count of post_analytics
 * (index-only, through idx_post_analytics_project_summary), and keyword mentions of
 * post_keyword_rollup_daily against post_keywords. One statement, so one snapshot: a batch
 * committing meanwhile (it updates both in one transaction) cannot make them differ. Bounded by
 * a statement timeout; a timeout or a backfill still running is reported, not guessed around.
 */
export const checkRollups = (sample: number = ROLLUP_SAMPLE) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const [present] = yield* sql<{ ok: boolean }>`SELECT to_regclass('post_rollup_hourly') IS NOT NULL
      AND to_regclass('post_keyword_rollup_daily') IS NOT NULL AND to_regclass('post_rollup_state') IS NOT NULL AS ok`
    if (present?.ok !== true) return { name: "rollups", ok: false, detail: "not compared: the rollup tables are missing (run `smap-analytics migrate up`)" }
    const [state] = yield* sql<{ done: boolean }>`SELECT done FROM post_rollup_state`
    if (state?.done !== true) {
      return { name: "rollups", ok: false, detail: "the rollup backfill has not finished: run `smap-analytics migrate up` (or, once migration 0014 is applied, `CALL post_rollup_backfill(5000)`)" }
    }
    const compare = sql<{ project_id: string; posts: string; rolled_posts: string; sentiment_ok: boolean; mentions: string; rolled_mentions: string }>`
      WITH RECURSIVE p AS (
        (SELECT project_id AS id FROM post_analytics WHERE project_id IS NOT NULL ORDER BY project_id LIMIT 1)
        UNION ALL
        SELECT (SELECT project_id FROM post_analytics WHERE project_id > p.id ORDER BY project_id LIMIT 1) FROM p WHERE p.id IS NOT NULL
      ), sample AS (SELECT id FROM p WHERE id IS NOT NULL LIMIT ${sample})
      SELECT s.id::text AS project_id, a.posts, r.posts AS rolled_posts,
        (a.positive, a.negative, a.neutral) = (r.positive, r.negative, r.neutral) AS sentiment_ok,
        k.mentions, kr.mentions AS rolled_mentions
      FROM sample s
      CROSS JOIN LATERAL (SELECT count(*) AS posts, count(*) FILTER (WHERE overall_sentiment = 'POSITIVE') AS positive,
        count(*) FILTER (WHERE overall_sentiment = 'NEGATIVE') AS negative, count(*) FILTER (WHERE overall_sentiment = 'NEUTRAL') AS neutral
        FROM post_analytics WHERE project_id = s.id) a
      CROSS JOIN LATERAL (SELECT coalesce(sum(posts), 0) AS posts, coalesce(sum(positive), 0) AS positive,
        coalesce(sum(negative), 0) AS negative, coalesce(sum(neutral), 0) AS neutral
        FROM post_rollup_hourly WHERE project_id = s.id) r
      CROSS JOIN LATERAL (SELECT count(*) AS mentions FROM post_keywords WHERE project_id = s.id AND keyword IS NOT NULL) k
      CROSS JOIN LATERAL (SELECT coalesce(sum(mentions), 0) AS mentions FROM post_keyword_rollup_daily WHERE project_id = s.id) kr
      ORDER BY s.id`
    const rows = yield* sql.withTransaction(
      Effect.andThen(sql`SELECT set_config('statement_timeout', ${ROLLUP_CHECK_TIMEOUT}, true)`, compare)
    ).pipe(Effect.catch((error: SqlError) =>
      sqlStateOf(error) === "57014" ? Effect.succeed(null) : Effect.fail(error)
    ))
    if (rows === null) return { name: "rollups", ok: false, detail: `not compared: the recount took longer than ${ROLLUP_CHECK_TIMEOUT}` }
    const wrong = rows.flatMap((r) => [
      ...(String(r.posts) === String(r.rolled_posts) ? [] : [`project ${r.project_id}: ${r.posts} posts, rollups count ${r.rolled_posts}`]),
      ...(r.sentiment_ok || String(r.posts) !== String(r.rolled_posts) ? [] : [`project ${r.project_id}: sentiment counts differ from the posts'`]),
      ...(String(r.mentions) === String(r.rolled_mentions) ? [] : [`project ${r.project_id}: ${r.mentions} keyword mentions, rollups count ${r.rolled_mentions}`])
    ])
    return wrong.length === 0
      ? { name: "rollups", ok: true, detail: `agree with post_analytics and post_keywords for ${rows.length} project(s) recounted (the first ${sample} by id)` }
      : { name: "rollups", ok: false, detail: `${wrong.join("; ")} (rebuild: docs/schema.md#rollups)` }
  })

/**
 * Never fails: an unreachable database is a finding like any other, so `validate` can print
 * every problem in one run.
 */
export const checkSchema = (migrations: ReadonlyArray<Migration>): Effect.Effect<ReadonlyArray<SchemaFinding>, never, SqlClient> =>
  inspect(migrations).pipe(
    Effect.catch((error: SqlError) =>
      Effect.succeed([{ name: "database", ok: false, detail: toRepositoryError("unreachable or refused")(error).message }])
    ),
    Effect.map((findings) =>
      findings.some((f) => f.name === "database") ? findings : [{ name: "database", ok: true, detail: "reachable" }, ...findings]
    )
  )

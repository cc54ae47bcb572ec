import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { ANALYTICS_COLUMNS, ERROR_COLUMNS, LEDGER_COLUMNS } from "./AnalyticsRepository.ts"
import { type Migration, migrationStatus } from "./migrator.ts"
import { toRepositoryError } from "./sqlState.ts"

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
  idx_post_analytics_project_summary: "post_analytics",
  idx_crawl_errors_project_id: "crawl_errors",
  idx_batch_ledger_project_id: "batch_ledger",
  idx_post_keywords_project_keyword: "post_keywords"
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
    return findings
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

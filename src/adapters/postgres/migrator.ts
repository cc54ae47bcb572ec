import { Effect, Option, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { sqlStateOf } from "./sqlState.ts"

/**
 * Our own migrator, because Effect's `Migrator` runs every migration inside a transaction and
 * PostgreSQL refuses `CREATE INDEX CONCURRENTLY` there (§4). A migration whose first line is
 * `-- smap:no-transaction` runs statement by statement outside any transaction; the others
 * run in one transaction together with their `schema_migrations` row.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly transactional: boolean
  readonly up: string
  readonly down: string
}

export class MigrationError extends Schema.TaggedError<MigrationError>()("MigrationError", {
  message: Schema.String
}) {}

export interface MigrationStatus {
  readonly version: number
  readonly name: string
  readonly applied: boolean
  /** False for a version recorded in the database that this build has no file for (a newer build migrated it). */
  readonly known: boolean
}

/** What one `up` or `down` did; `fallbacks` names the indexes rebuilt without CONCURRENTLY. */
export interface MigrationRun {
  readonly version: number
  readonly name: string
  readonly fallbacks: ReadonlyArray<string>
  readonly droppedInvalid: ReadonlyArray<string>
}

export const NO_TRANSACTION_MARKER = "-- smap:no-transaction"

export const defaultMigrationsDirectory = fileURLToPath(new URL("../../../migrations/", import.meta.url))

const FILE = /^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$/

/** Reads `NNNN_name.up.sql` / `NNNN_name.down.sql` pairs; a missing half is an error. */
export const loadMigrations = (directory: string = defaultMigrationsDirectory) =>
  Effect.tryPromise({
    try: async () => {
      const parts = new Map<number, { name: string; up?: string; down?: string }>()
      for (const file of (await readdir(directory)).sort()) {
        const match = FILE.exec(file)
        if (match === null) continue
        const [, version, name, direction] = match
        const text = await readFile(join(directory, file), "utf8")
        const entry = parts.get(Number(version)) ?? { name: name ?? "" }
        if (direction === "up") entry.up = text
        else entry.down = text
        parts.set(Number(version), entry)
      }
      return [...parts.entries()].sort(([a], [b]) => a - b).map(([version, entry]): Migration => {
        if (entry.up === undefined || entry.down === undefined) {
          throw new Error(`migration ${version}_${entry.name} needs both an .up.sql and a .down.sql file`)
        }
        return {
          version,
          name: entry.name,
          transactional: !entry.up.trimStart().startsWith(NO_TRANSACTION_MARKER),
          up: entry.up,
          down: entry.down
        }
      })
    },
    catch: (cause) => new MigrationError({ message: `cannot load migrations from ${directory}: ${String(cause)}` })
  })

/** Splits a script into statements: one per `;` at the end of a line, comment lines dropped. */
export const splitStatements = (script: string): ReadonlyArray<string> =>
  script
    .split(/;\s*$/m)
    .map((chunk) => chunk.split("\n").filter((line) => !line.trimStart().startsWith("--")).join("\n").trim())
    .filter((statement) => statement.length > 0)

const CREATE_CONCURRENTLY = /^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][\w$]*)/i
const DROP_CONCURRENTLY = /^\s*DROP\s+INDEX\s+CONCURRENTLY\s+/i

const fail = (what: string) => (error: SqlError) => {
  const cause: unknown = error.reason.cause
  const code = sqlStateOf(error)
  return new MigrationError({
    message: `${what}: ${cause instanceof Error ? cause.message : error.message}${code === undefined ? "" : ` (SQLSTATE ${code})`}`
  })
}

const ensureTable = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`
})

/** Read-only: `status` and `validate` must not create the bookkeeping table as a side effect. */
const appliedVersions = Effect.gen(function*() {
  const sql = yield* SqlClient
  const [exists] = yield* sql<{ present: boolean }>`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`
  if (exists?.present !== true) return new Set<number>()
  const rows = yield* sql<{ version: number }>`SELECT version FROM schema_migrations ORDER BY version`
  return new Set(rows.map((row) => Number(row.version)))
})

/** Whether an index of that name exists in the current schema and is valid. */
const indexState = (name: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const rows = yield* sql<{ valid: boolean }>`
      SELECT i.indisvalid AS valid
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname = ${name} AND c.relnamespace = current_schema()::regnamespace`
    return rows[0] === undefined ? "missing" : rows[0].valid ? "valid" : "invalid"
  })

/** An index of that name that a failed concurrent build left INVALID. */
const invalidIndexExists = (name: string) => Effect.map(indexState(name), (state) => state === "invalid")

/**
 * Inside a caller's transaction PostgreSQL refuses CONCURRENTLY (25001) and aborts the whole
 * transaction; trying under a savepoint keeps the transaction usable for the fallback.
 */
const attempt = (statement: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const inTransaction = Option.isSome(yield* Effect.serviceOption(sql.transactionService))
    const run = sql.unsafe(statement).pipe(Effect.asVoid)
    return yield* Effect.exit(inTransaction ? sql.withTransaction(run) : run)
  })

/**
 * `CREATE INDEX CONCURRENTLY`, made safe to rerun: `IF NOT EXISTS` would accept the INVALID
 * index a failed build leaves behind, so such a leftover is dropped first; when the concurrent
 * build fails or cannot run, the leftover is dropped again and the index built without
 * CONCURRENTLY (it locks writers, but the schema ends complete and valid).
 */
interface RunNotes {
  readonly version: number
  readonly name: string
  readonly fallbacks: Array<string>
  readonly droppedInvalid: Array<string>
}

const notesFor = (migration: Migration): RunNotes => ({ version: migration.version, name: migration.name, fallbacks: [], droppedInvalid: [] })

const createIndex = (statement: string, name: string, run: RunNotes) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const dropInvalid = Effect.gen(function*() {
      if (!(yield* invalidIndexExists(name))) return
      const dropped = yield* attempt(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`)
      if (dropped._tag === "Failure") yield* sql.unsafe(`DROP INDEX IF EXISTS ${name}`)
      run.droppedInvalid.push(name)
      yield* Effect.logWarning(`migrate: dropped INVALID index ${name} left by an earlier failed build`)
    })
    yield* dropInvalid
    const concurrent = yield* attempt(statement)
    if (concurrent._tag === "Success" && !(yield* invalidIndexExists(name))) return
    const why = concurrent._tag === "Failure" ? String(concurrent.cause) : "the build left the index INVALID"
    yield* Effect.logWarning(`migrate: concurrent build of ${name} failed or is unsupported; rebuilding without CONCURRENTLY`, why)
    yield* dropInvalid
    yield* sql.unsafe(statement.replace(/\s+CONCURRENTLY\s+/i, " "))
    run.fallbacks.push(name)
    yield* Effect.logInfo(`migrate: built ${name} without CONCURRENTLY (fallback)`)
  })

const dropIndex = (statement: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const concurrent = yield* attempt(statement)
    if (concurrent._tag === "Success") return
    yield* Effect.logWarning("migrate: DROP INDEX CONCURRENTLY refused; dropping with a lock instead", String(concurrent.cause))
    yield* sql.unsafe(statement.replace(/\s+CONCURRENTLY\s+/i, " "))
  })

const runScript = (migration: Migration, script: string, record: Effect.Effect<unknown, SqlError, SqlClient>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const run = notesFor(migration)
    if (migration.transactional) {
      // The extended protocol takes one statement per query, so even a transactional script is split.
      const statements = splitStatements(script).map((statement) => sql.unsafe(statement))
      yield* sql.withTransaction(Effect.andThen(Effect.forEach(statements, (s) => s, { discard: true }), record))
      return run
    }
    for (const statement of splitStatements(script)) {
      const index = CREATE_CONCURRENTLY.exec(statement)?.[3]
      if (index !== undefined) yield* createIndex(statement, index, run)
      else if (DROP_CONCURRENTLY.test(statement)) yield* dropIndex(statement)
      else yield* sql.unsafe(statement)
    }
    yield* record
    return run
  }).pipe(Effect.mapError(fail(`migration ${migration.version}_${migration.name}`)))

/**
 * Applies every pending migration up to `to` (default: all), in order. For applied
 * non-transactional migrations it also rebuilds an index that has since gone missing or
 * INVALID (dropped by hand, a failed REINDEX CONCURRENTLY), so `up` is also the repair.
 */
export const migrateUp = (migrations: ReadonlyArray<Migration>, options: { readonly to?: number } = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    yield* ensureTable.pipe(Effect.mapError(fail("creating schema_migrations")))
    const applied = yield* appliedVersions.pipe(Effect.mapError(fail("reading schema_migrations")))
    const runs: Array<MigrationRun> = []
    for (const migration of migrations) {
      if (applied.has(migration.version) && !migration.transactional) {
        const run = notesFor(migration)
        let repaired = false
        for (const statement of splitStatements(migration.up)) {
          const index = CREATE_CONCURRENTLY.exec(statement)?.[3]
          if (index === undefined || (yield* indexState(index).pipe(Effect.mapError(fail("inspecting indexes")))) === "valid") continue
          yield* Effect.logWarning(`migrate: index ${index} of applied migration ${migration.version}_${migration.name} is missing or INVALID; rebuilding`)
          yield* createIndex(statement, index, run).pipe(Effect.mapError(fail(`repairing ${index}`)))
          repaired = true
        }
        if (repaired) runs.push(run)
      }
      if (applied.has(migration.version) || (options.to !== undefined && migration.version > options.to)) continue
      const record = sql`INSERT INTO schema_migrations (version, name) VALUES (${migration.version}, ${migration.name})`
      runs.push(yield* runScript(migration, migration.up, record))
      yield* Effect.logInfo(`migrate: applied ${migration.version}_${migration.name}`)
    }
    return runs
  })

/**
 * Reverts applied migrations, newest first, down to (not including) `to`. The default reverts
 * only the newest one, so a mistyped command cannot wipe the schema.
 */
export const migrateDown = (migrations: ReadonlyArray<Migration>, options: { readonly to?: number } = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const applied = yield* appliedVersions.pipe(Effect.mapError(fail("reading schema_migrations")))
    const candidates = migrations.filter((m) => applied.has(m.version)).reverse()
    const target = options.to ?? (candidates[1]?.version ?? 0)
    const runs: Array<MigrationRun> = []
    for (const migration of candidates) {
      if (migration.version <= target) break
      const record = sql`DELETE FROM schema_migrations WHERE version = ${migration.version}`
      runs.push(yield* runScript(migration, migration.down, record))
      yield* Effect.logInfo(`migrate: reverted ${migration.version}_${migration.name}`)
    }
    return runs
  })

export const migrationStatus = (migrations: ReadonlyArray<Migration>) =>
  Effect.gen(function*() {
    const applied = yield* appliedVersions.pipe(Effect.mapError(fail("reading schema_migrations")))
    const known = new Set(migrations.map((m) => m.version))
    return [
      ...migrations.map((m): MigrationStatus => ({ version: m.version, name: m.name, applied: applied.has(m.version), known: true })),
      ...[...applied].filter((v) => !known.has(v)).map((v): MigrationStatus => ({ version: v, name: "?", applied: true, known: false }))
    ]
  })

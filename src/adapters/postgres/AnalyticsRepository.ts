import { PgTypes } from "@effect/sql-pg"
import { Effect, Fiber, Layer, Option, Result, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { dedupeBatch } from "../../domain/ledger.ts"
import {
  ANALYTICS_COLUMNS as ANALYTICS_FIELDS,
  AnalyticsRecord,
  BatchLedgerEntry,
  type Columns,
  ERROR_COLUMNS as ERROR_FIELDS,
  LEDGER_COLUMNS as LEDGER_FIELDS,
  schemasOf
} from "../../domain/records.ts"
import {
  AnalyticsRepository,
  type BatchWrite,
  type PostKey,
  RepositoryError,
  type RowCounts,
  type StoredLedgerEntry
} from "../../ports/AnalyticsRepository.ts"
import { type ColumnSpec, columnSpec, type Row, rowDecoder } from "./rows.ts"
import { toRepositoryError } from "./sqlState.ts"

/**
 * Statement shape: one `INSERT … SELECT FROM unnest($1::text[], …)` per table. Its text and
 * parameter count do not depend on the batch size, so one prepared statement serves every batch
 * and the 1000-item limit (§2) fits one statement, where multi-row VALUES would exceed the
 * driver's 32 767 bind parameters; COPY cannot express the `ON CONFLICT … WHERE crawled_at`
 * upsert without a staging table. The measurement behind the choice is in
 * docs/batch-processing-rationale.md §2.2 (`npx tsx bench/batchInsert.ts`).
 */

/**
 * Column → SQL type, derived from the record's one definition (src/domain/records.ts). Every
 * column is bound as a `text[]` and cast in SQL: the driver cannot infer the element type of an
 * all-null array (a batch with no permalinks), and text keeps numbers exact (JavaScript's
 * shortest round-trip form) and ids as typed.
 */
export const ANALYTICS_COLUMNS = columnSpec(ANALYTICS_FIELDS)

export const ERROR_COLUMNS = columnSpec(ERROR_FIELDS)


const asText = (type: string, value: unknown): string | null =>
  value === null || value === undefined
    ? null
    : type === "jsonb"
    ? JSON.stringify(value)
    : typeof value === "string"
    ? value
    : String(value)

/** A `text[]` parameter, typed explicitly so that an all-null column still binds. */
export const textArray = (values: ReadonlyArray<string | null>): PgTypes.Parameter =>
  Result.getOrThrow(PgTypes.array(values, PgTypes.OID.text))

/**
 * `SELECT u.a::uuid, u.b::jsonb, … FROM unnest($1::text[], $2::text[], …) AS u(a, b, …)`; with
 * `firstParam`, the arrays are numbered from there (another table's arrays come first).
 */
export const unnestSql = (table: string, columns: ColumnSpec, tail: string, firstParam = 1): string => {
  const names = columns.map(([name]) => name).join(", ")
  const arrays = columns.map((_, i) => `$${i + firstParam}::text[]`).join(", ")
  const select = columns.map(([name, type]) => (type === "text" ? `u.${name}` : `u.${name}::${type}`)).join(", ")
  return `INSERT INTO ${table} (${names}) SELECT ${select} FROM unnest(${arrays}) AS u(${names}) ${tail}`
}

export const unnestParams = <R extends object>(columns: ColumnSpec, rows: ReadonlyArray<R>): Array<unknown> =>
  columns.map(([name, type]) =>
    textArray(rows.map((row) => asText(type, (row as Readonly<Record<string, unknown>>)[name])))
  )

const updateAll = (columns: ColumnSpec, keep: ReadonlyArray<string>) =>
  columns.filter(([name]) => !keep.includes(name)).map(([name]) => `${name} = EXCLUDED.${name}`).join(", ")

/**
 * The post_analytics upsert alone (bench/batchInsert.ts compares its shape); `writeBatch` runs it
 * inside WRITE_ANALYTICS_SQL below. The crawled_at guard lives in the upsert's WHERE so that it is decided under the row lock:
 * an older crawl (or one with no crawled_at) never overwrites a newer stored row.
 */
export const UPSERT_ANALYTICS_SQL = unnestSql(
  "post_analytics",
  ANALYTICS_COLUMNS,
  `ON CONFLICT ON CONSTRAINT post_analytics_identity DO UPDATE SET ${updateAll(ANALYTICS_COLUMNS, ["id", "project_id", "platform"])}
   WHERE post_analytics.crawled_at IS NULL OR EXCLUDED.crawled_at >= post_analytics.crawled_at`
)

/** A post's `keywords` as an array, whatever was stored (the writer only stores arrays). */
const keywordArray = (column: string) => `CASE WHEN jsonb_typeof(${column}) = 'array' THEN ${column} ELSE '[]'::jsonb END`

/** `created_at` keeps the first sighting; the rest describes the latest attempt. */
const upsertErrorsSql = (firstParam: number) =>
  unnestSql(
    "crawl_errors",
    ERROR_COLUMNS,
    `ON CONFLICT ON CONSTRAINT crawl_errors_identity DO UPDATE SET ${
      updateAll(ERROR_COLUMNS, ["content_id", "project_id", "platform", "job_id", "created_at"])
    }`,
    firstParam
  )

/**
 * The ledger's stored columns: the entry's fields, except that `attempted_at` is stored as
 * `first_attempt_at` (kept on conflict) and `last_attempt_at`, and `attempts` is counted here.
 */
const LEDGER_STORED = columnSpec(LEDGER_FIELDS).filter(([name]) => name !== "attempted_at")
/** The columns the repository keeps per ledger row beyond the entry's own fields. */
const ATTEMPT_FIELDS = {
  first_attempt_at: { schema: Schema.String, storage: "timestamptz" },
  last_attempt_at: { schema: Schema.String, storage: "timestamptz" },
  attempts: { schema: Schema.Number, storage: "integer" }
} as const satisfies Columns

/** Every `batch_ledger` column with its SQL type (what `validate` expects). */
export const LEDGER_COLUMNS: ColumnSpec = [...LEDGER_STORED, ...columnSpec(ATTEMPT_FIELDS)]

const cast = (type: string) => (type === "text" ? "" : `::${type}`)

const ledgerSql = (firstParam: number) => {
  const attempted = LEDGER_STORED.length + firstParam
  const names = [...LEDGER_STORED.map(([name]) => name), "first_attempt_at", "last_attempt_at", "attempts"]
  const values = [
    ...LEDGER_STORED.map(([, type], i) => `$${i + firstParam}${cast(type)}`),
    `$${attempted}::timestamptz`,
    `$${attempted}::timestamptz`,
    "1"
  ]
  return `INSERT INTO batch_ledger (${names.join(", ")}) VALUES (${values.join(", ")})
  ON CONFLICT (object_path) DO UPDATE SET ${updateAll(LEDGER_STORED, ["object_path"])},
    last_attempt_at = EXCLUDED.last_attempt_at, attempts = batch_ledger.attempts + 1`
}
const LEDGER_SQL = ledgerSql(1)

/**
 * What `writeBatch` runs: the whole batch in ONE statement, so one round trip and one implicit
 * transaction per batch (no BEGIN/COMMIT exchanges): the analytics upsert above, `post_keywords`
 * (one row per element of a post's `keywords`; top keywords reads it, see dashboard.ts), the
 * crawl errors' upsert and the ledger row. Parameters: the analytics columns' arrays, then the
 * error columns' arrays, then the ledger's values (`writeBatchParams`). An empty batch side is
 * a set of empty arrays and inserts nothing.
 *
 * `written` is the upsert's RETURNING, i.e. only the rows the crawled_at guard let through, so
 * an older crawl changes neither the post nor its keywords. For those posts the keyword rows at
 * positions 1..n are upserted (unchanged ones are not rewritten: redelivery writes nothing) and
 * any beyond n deleted, so a redelivered batch never duplicates them.
 *
 * All sub-statements of one statement share one snapshot and run in no guaranteed order; they
 * touch disjoint rows (the DELETE ord > n, the INSERT ord ≤ n; errors and ledger other tables),
 * so the order cannot matter. The DELETE is split in two because `IS NOT DISTINCT FROM` cannot
 * use the identity index: a project's rows are found by `project_id = …`, the dry runs' by
 * `project_id IS NULL`. Measured against the transaction of three statements it replaces:
 * docs/batch-processing-rationale.md §2.2 and docs/benchmarks.md (`npm run bench:e2e`).
 */
export const WRITE_ANALYTICS_SQL = `WITH written AS (
  ${UPSERT_ANALYTICS_SQL}
  RETURNING project_id, platform, id, published_at, ${keywordArray("keywords")} AS keywords
), stale AS (
  DELETE FROM post_keywords k USING written w
  WHERE k.project_id = w.project_id AND k.platform = w.platform AND k.post_id = w.id
    AND k.ord > jsonb_array_length(w.keywords)
), stale_dry_run AS (
  DELETE FROM post_keywords k USING written w
  WHERE k.project_id IS NULL AND w.project_id IS NULL AND k.platform = w.platform AND k.post_id = w.id
    AND k.ord > jsonb_array_length(w.keywords)
), errors AS (
  ${upsertErrorsSql(ANALYTICS_COLUMNS.length + 1)}
), ledger AS (
  ${ledgerSql(ANALYTICS_COLUMNS.length + ERROR_COLUMNS.length + 1)}
)
INSERT INTO post_keywords (published_at, ord, project_id, platform, post_id, keyword, aspect)
SELECT w.published_at, e.ord, w.project_id, w.platform, w.id, e.k->>'keyword', e.k->>'aspect'
FROM written w CROSS JOIN LATERAL jsonb_array_elements(w.keywords) WITH ORDINALITY AS e(k, ord)
ON CONFLICT ON CONSTRAINT post_keywords_identity DO UPDATE
  SET published_at = EXCLUDED.published_at, keyword = EXCLUDED.keyword, aspect = EXCLUDED.aspect
  WHERE (post_keywords.published_at, post_keywords.keyword, post_keywords.aspect)
    IS DISTINCT FROM (EXCLUDED.published_at, EXCLUDED.keyword, EXCLUDED.aspect)`

const ledgerParams = (e: BatchLedgerEntry): Array<unknown> => [
  ...LEDGER_STORED.map(([name]) => e[name]),
  e.attempted_at
]

/** WRITE_ANALYTICS_SQL's parameters, in its order. */
export const writeBatchParams = (
  analytics: ReadonlyArray<AnalyticsRecord>,
  errors: ReadonlyArray<object>,
  ledger: BatchLedgerEntry
): Array<unknown> => [
  ...unnestParams(ANALYTICS_COLUMNS, analytics),
  ...unnestParams(ERROR_COLUMNS, errors),
  ...ledgerParams(ledger)
]

/** A `post_analytics` row → its record, decoded with the record's Schema. */
export const toAnalytics: (row: Row) => AnalyticsRecord = rowDecoder(AnalyticsRecord, ANALYTICS_FIELDS, {
  record: "analytics"
})

const decodeLedger = rowDecoder(BatchLedgerEntry, LEDGER_FIELDS)
const decodeAttempts = rowDecoder(Schema.Struct(schemasOf(ATTEMPT_FIELDS)), ATTEMPT_FIELDS)

const toLedger = (row: Row): StoredLedgerEntry => {
  const attempts = decodeAttempts(row)
  return { ...decodeLedger({ ...row, attempted_at: row["last_attempt_at"] }), ...attempts }
}

export interface AnalyticsRepositoryPgOptions {
  /**
   * How long a write or check may go without an answer before it fails as `Unavailable`: a
   * connection that stalls silently (no reset) must not hold a batch forever. The driver then
   * cancels the statement and retires the session, so the retry gets a fresh connection.
   */
  readonly deadlineMs: number
}

/** `AnalyticsRepository` on PostgreSQL; needs a `SqlClient` (see `layerPgClient` / `PgClientLive`). */
export const makeAnalyticsRepositoryPg = (
  options: AnalyticsRepositoryPgOptions
): Layer.Layer<AnalyticsRepository, never, SqlClient> =>
  Layer.effect(
  AnalyticsRepository,
  Effect.gen(function*() {
    const sql = yield* SqlClient
    // The work runs in its own fiber, and the caller stops waiting at the deadline without
    // waiting for it to unwind: on a frozen socket even the rollback would never return. The
    // abandoned fiber is interrupted in the background; the driver then retires its session.
    const withDeadline = (operation: string) => <A>(effect: Effect.Effect<A, RepositoryError>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkDetach(effect)
          const abandon = Effect.asVoid(Effect.forkDetach(Fiber.interrupt(fiber)))
          const exit = yield* restore(Effect.timeoutOption(Fiber.await(fiber), options.deadlineMs)).pipe(
            Effect.onInterrupt(() => abandon)
          )
          if (Option.isSome(exit)) return yield* exit.value
          yield* abandon
          return yield* Effect.fail(
            new RepositoryError({
              reason: "Unavailable",
              message: `${operation}: no answer from the database within ${options.deadlineMs} ms (connection stalled?)`
            })
          )
        })
      )

    const writeBatch = (batch: BatchWrite) => {
      // One statement may not touch the same row twice (SQLSTATE 21000): `dedupeBatch` keeps a
      // batch's newest crawl of each post, the same rule the upsert applies across batches.
      // Deduplicated and ordered by key, whatever the caller passed: rows locked in one order
      // cannot deadlock against another consumer writing an overlapping batch.
      const { analytics, errors } = dedupeBatch(batch.analytics, batch.errors)
      return sql.unsafe(WRITE_ANALYTICS_SQL, writeBatchParams(analytics, errors, batch.ledger)).pipe(
        Effect.asVoid,
        Effect.mapError(toRepositoryError("writeBatch")),
        withDeadline("writeBatch"),
        Effect.withSpan("AnalyticsRepositoryLive.writeBatch", {
          attributes: { object_path: batch.ledger.object_path, analytics: analytics.length, errors: errors.length }
        })
      )
    }

    const recordFailedBatch = (entry: BatchLedgerEntry) =>
      sql.unsafe(LEDGER_SQL, ledgerParams(entry)).pipe(
        Effect.asVoid,
        Effect.mapError(toRepositoryError("recordFailedBatch")),
        withDeadline("recordFailedBatch")
      )

    const findPost = (key: PostKey) =>
      sql<Row>`SELECT * FROM post_analytics
        WHERE project_id IS NOT DISTINCT FROM ${key.project_id}::uuid AND platform = ${key.platform} AND id = ${key.id}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? null : toAnalytics(rows[0]))),
        Effect.mapError(toRepositoryError("findPost"))
      )

    const ledger = (objectPath: string) =>
      sql<Row>`SELECT * FROM batch_ledger WHERE object_path = ${objectPath}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? null : toLedger(rows[0]))),
        Effect.mapError(toRepositoryError("ledger"))
      )

    const counts = (projectId?: string | null) => {
      // undefined: every row; null: the dry runs (no project); a uuid: that project.
      const where = projectId === undefined
        ? sql`TRUE`
        : projectId === null
        ? sql`project_id IS NULL`
        : sql`project_id = ${projectId}::uuid`
      return sql<{ analytics: bigint; errors: bigint; batches: bigint }>`SELECT
          (SELECT count(*) FROM post_analytics WHERE ${where}) AS analytics,
          (SELECT count(*) FROM crawl_errors WHERE ${where}) AS errors,
          (SELECT count(*) FROM batch_ledger WHERE ${where}) AS batches`.pipe(
        Effect.map(([row]): RowCounts => ({
          analytics: Number(row?.analytics ?? 0),
          errors: Number(row?.errors ?? 0),
          batches: Number(row?.batches ?? 0)
        })),
        Effect.mapError(toRepositoryError("counts"))
      )
    }

    const check = sql`SELECT 1`.pipe(Effect.asVoid, Effect.mapError(toRepositoryError("check")), withDeadline("check"))

    return AnalyticsRepository.of({ writeBatch, recordFailedBatch, findPost, ledger, counts, check })
  })
)

/** The adapter with a 30 s deadline (tests, benchmarks, the embedded run). */
export const AnalyticsRepositoryLive = makeAnalyticsRepositoryPg({ deadlineMs: 30_000 })

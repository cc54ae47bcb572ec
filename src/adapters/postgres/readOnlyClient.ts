import { PgClient } from "@effect/sql-pg"
import type { Layer, Redacted } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"

export interface ReadOnlyPgOptions {
  readonly url: Redacted.Redacted<string>
  readonly searchPath?: string | undefined
  readonly maxConnections?: number | undefined
  /** Per statement, in milliseconds (default 5 000): a slow read is cancelled, not queued behind. */
  readonly statementTimeoutMs?: number | undefined
}

/**
 * The read side's pool. Every session starts with `default_transaction_read_only = on`, so
 * even a statement that tried to write would fail (25006), whatever role the URL names; give
 * it a role that has only SELECT as well (docs/read-side.md). Parallel query and JIT are off for the session.
 */
export const layerPgReadOnlyClient = (options: ReadOnlyPgOptions): Layer.Layer<PgClient.PgClient | SqlClient, SqlError> =>
  PgClient.layer({
    url: options.url,
    applicationName: "smap-analytics serve",
    connectTimeout: "5 seconds",
    maxConnections: options.maxConnections ?? 10,
    startupParameters: {
      default_transaction_read_only: "on",
      statement_timeout: String(options.statementTimeoutMs ?? 5_000),
      // The read side's statements read one project's rollup rows or a page of posts: too few rows
      // for parallel workers to pay for their start-up, which the planner, misled by jsonb
      // estimates, would otherwise sometimes choose. Set per session, not per request.
      max_parallel_workers_per_gather: "0",
      // JIT compilation pays for itself only on long scans. The planner's guess for a jsonb
      // function's rows (100 per call) can push a 5 ms top-keywords statement over jit_above_cost,
      // and compiling it then took 5.5 s (EXPLAIN ANALYZE at 1M posts, docs/benchmarks.md).
      jit: "off",
      ...(options.searchPath === undefined ? {} : { search_path: options.searchPath })
    }
  })

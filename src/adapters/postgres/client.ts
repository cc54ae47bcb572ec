import { PgClient } from "@effect/sql-pg"
import { Layer, type Redacted } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { AppConfig } from "../../ports/Config.ts"

export interface PgConnectOptions {
  readonly url: Redacted.Redacted<string>
  /** Schema(s) to resolve unqualified names in; tests give each file its own schema. */
  readonly searchPath?: string | undefined
  readonly maxConnections?: number | undefined
  readonly applicationName?: string | undefined
  /**
   * Server-side limits for the service's sessions: `statement_timeout` and, at twice that,
   * `idle_in_transaction_session_timeout`, so a stalled client cannot hold locks. Unset for
   * migrations, whose concurrent index builds may run long.
   */
  readonly statementTimeoutMs?: number | undefined
}

/** A pooled client; the URL stays redacted until the driver opens the socket. */
export const layerPgClient = (options: PgConnectOptions): Layer.Layer<PgClient.PgClient | SqlClient, SqlError> =>
  PgClient.layer({
    url: options.url,
    applicationName: options.applicationName ?? "smap-analytics",
    connectTimeout: "5 seconds",
    // TCP keepalive probes start after 10 s idle, so a silently dead peer is noticed.
    keepAlive: "10 seconds",
    maxConnections: options.maxConnections ?? 10,
    startupParameters: {
      ...(options.searchPath === undefined ? {} : { search_path: options.searchPath }),
      ...(options.statementTimeoutMs === undefined ? {} : {
        statement_timeout: String(options.statementTimeoutMs),
        idle_in_transaction_session_timeout: String(options.statementTimeoutMs * 2)
      })
    }
  })

/** The client for the service and the CLI, from `DATABASE_URL` (§6). */
export const PgClientLive: Layer.Layer<PgClient.PgClient | SqlClient, SqlError, AppConfig> = Layer.unwrap(
  AppConfig.useSync((config) => layerPgClient({ url: config.databaseUrl, statementTimeoutMs: config.databaseStatementTimeoutMs }))
)

import type { SqlError } from "effect/sql/SqlError"
import { RepositoryError } from "../../ports/AnalyticsRepository.ts"

type Reason = RepositoryError["reason"]

/**
 * The SQLSTATE of a failed statement, when the server sent one. `@effect/sql-pg` keeps the
 * server's error fields on the reason's `cause`; a connection that never opened has none.
 */
export const sqlStateOf = (error: SqlError): string | undefined => {
  const cause: unknown = error.reason.cause
  // Node socket errors carry a `code` too (ECONNREFUSED); only five-character codes are SQLSTATEs.
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") {
    return /^[0-9A-Z]{5}$/.test(cause.code) ? cause.code : undefined
  }
  return undefined
}

/** SQLSTATE class 28, invalid authorization: the server refused the login itself. */
export const isLoginRefusedState = (code: string | undefined): boolean => code !== undefined && code.startsWith("28")

/**
 * SQLSTATE → port reason. Decided by SQLSTATE rather than by the driver's reason tags,
 * because the driver files 57P01 (admin shutdown) and 22* (bad data) under `UnknownError`,
 * and the consumer must requeue the first and dead-letter the second.
 */
export const reasonForSqlState = (code: string | undefined): Reason | undefined => {
  if (code === undefined) return undefined
  if (code.startsWith("08")) return "Unavailable" // connection exception
  // Invalid authorization: wrong password (28P01), unknown role or no pg_hba entry (28000). An
  // operator problem, not the batch's: pause (readiness false) rather than dead-letter.
  if (isLoginRefusedState(code)) return "Unavailable"
  if (code === "57P01" || code === "57P02" || code === "57P03") return "Unavailable" // shutdown, crash, cannot connect now
  if (code === "40001" || code === "40P01") return "Conflict" // serialization failure, deadlock: retry, the database is up
  if (code === "57014" || code === "55P03" || code === "25P03") return "Unavailable" // statement, lock, idle-in-tx timeouts
  if (code === "53300") return "Unavailable" // too many connections
  if (code.startsWith("23")) return "Constraint"
  if (code.startsWith("22")) return "InvalidData"
  return "Unknown"
}

export const classifySqlError = (error: SqlError): Reason => {
  const byState = reasonForSqlState(sqlStateOf(error))
  if (byState !== undefined) return byState
  // No SQLSTATE: the socket failed (refused, reset, connect timeout) before the server answered.
  const tag = error.reason._tag
  return tag === "ConnectionError" || tag === "StatementTimeoutError" || tag === "LockTimeoutError"
    ? "Unavailable"
    : "Unknown"
}

/** Wraps a driver error in the port's error; the message never carries the connection URL. */
export const toRepositoryError = (operation: string) => (error: SqlError): RepositoryError => {
  const code = sqlStateOf(error)
  const cause: unknown = error.reason.cause
  const detail = cause instanceof Error ? cause.message : error.message
  const refused = isLoginRefusedState(code) ? "PostgreSQL login refused (check the user and password in DATABASE_URL): " : ""
  return new RepositoryError({
    reason: classifySqlError(error),
    message: `${operation}: ${refused}${detail}${code === undefined ? "" : ` (SQLSTATE ${code})`}`
  })
}

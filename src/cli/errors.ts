import { Config } from "effect"

/**
 * One readable line for a start-up failure: a configuration error names the variable and
 * what was expected (`MAX_BATCH_ITEMS: Expected a value greater than 0`); others give their
 * message. Values are never printed, so secrets cannot leak here.
 */
export const formatStartupError = (error: unknown): string => {
  if (error instanceof Config.ConfigError) {
    const text = error.cause.message
    const at = /at \["?([^"\]]+)"?\]/.exec(text)
    const what = text.split("\n")[0] ?? text
    return at === null ? `invalid configuration: ${what}` : `invalid configuration: ${at[1]}: ${what}`
  }
  const message = error instanceof Error
    ? error.message
    : typeof error === "object" && error !== null && "message" in error && typeof error.message === "string"
    ? error.message
    : String(error)
  // A refused PostgreSQL login from the migrator, which reports the bare SQLSTATE.
  return /\(SQLSTATE 28[0-9A-Z]{3}\)/.test(message) && !isLoginRefusal(message)
    ? `PostgreSQL login refused (check the user and password in DATABASE_URL): ${message}`
    : message
}

/**
 * Whether a dependency's error says it refused the login (the adapters say "… login refused"):
 * wrong broker or database password, wrong S3 key. Retrying cannot help, so commands stop at once.
 */
export const isLoginRefusal = (message: string): boolean => /\blogin refused\b/.test(message)

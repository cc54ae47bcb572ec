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
  if (error instanceof Error) return error.message
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") return error.message
  return String(error)
}

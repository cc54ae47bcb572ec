import { DateTime, Option } from "effect"

const HAS_OFFSET = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/**
 * Reads a crawler timestamp as an instant and returns it as ISO-8601 UTC (`…Z`), or null.
 * Strings are ISO-8601; one without an offset (naive) means UTC, never local time.
 * Numbers are epoch seconds (below 1e12) or milliseconds. Anything else is null.
 */
export const toUtcIso = (value: unknown): string | null => {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return null
    return fromMillis(value < 1e12 ? value * 1000 : value)
  }
  if (typeof value !== "string") return null
  const text = value.trim()
  if (text.length === 0) return null
  const withZone = DATE_ONLY.test(text) ? `${text}T00:00:00Z` : HAS_OFFSET.test(text) ? text : `${text}Z`
  const parsed = DateTime.make(withZone.replace(" ", "T"))
  return Option.isSome(parsed) ? DateTime.formatIso(parsed.value) : null
}

const fromMillis = (ms: number): string | null => {
  const parsed = DateTime.make(ms)
  return Option.isSome(parsed) ? DateTime.formatIso(parsed.value) : null
}

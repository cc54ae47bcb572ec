import { DateTime, Option } from "effect"

const HAS_OFFSET = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/**
 * Reads a crawler timestamp as an instant and returns it as ISO-8601 UTC (`…Z`), or null.
 * Strings are ISO-8601; one without an offset (naive) means UTC, never local time.
 * Numbers are epoch seconds (below 1e12) or milliseconds. Anything else is null, and so is an
 * instant outside the years 0001–9999 (UTC), which PostgreSQL's ISO input cannot take as sent.
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
  return inRange(DateTime.make(withZone.replace(" ", "T")))
}

/** 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z as epoch milliseconds. */
export const MIN_INSTANT_MS = -62_135_596_800_000
export const MAX_INSTANT_MS = 253_402_300_799_999

const fromMillis = (ms: number): string | null => inRange(DateTime.make(ms))

/** Epoch milliseconds as ISO-8601 UTC, or null outside the years 0001–9999. */
export const isoFromMillis = fromMillis

const inRange = (parsed: Option.Option<DateTime.Utc>): string | null => {
  if (Option.isNone(parsed)) return null
  const ms = DateTime.toEpochMillis(parsed.value)
  return ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS ? DateTime.formatIso(parsed.value) : null
}

/**
 * Making crawler values valid in PostgreSQL's domain before they reach it (§2). A value that
 * PostgreSQL refuses fails the whole batch's transaction, so every string, count and date of
 * an item is made storable here, or the item becomes an error row with its reason:
 *
 * - free text: NUL (U+0000, which `text` and `jsonb` refuse) is removed, a lone surrogate
 *   (unencodable in UTF-8) becomes U+FFFD, and the length is bounded without splitting a pair;
 * - post ids: never altered, since an altered id could collide with another post's: an id with
 *   NUL or a lone surrogate, longer than `MAX_ID_LENGTH`, or a number that is not finite
 *   (`1e400`) is refused (`INVALID_ID`);
 * - counts: clamped to [0, 2^53 − 1], which is exact in JavaScript and inside `bigint`;
 * - 32-bit integers (`batch_index`): null outside the `integer` range;
 * - JSON kept as-is (`error_details`): strings and keys cleaned, depth and size bounded.
 */

/** Longest post id kept (UTF-16 units); the identity indexes refuse keys beyond ~2.7 kB. */
export const MAX_ID_LENGTH = 512
/** Longest identifier-like text (job id), part of the `crawl_errors` identity index. */
export const MAX_KEY_TEXT_LENGTH = 256
/** Longest hashtag; hashtags become keywords, indexed in `post_keywords`. */
export const MAX_HASHTAG_LENGTH = 256
/** At most this many hashtags per post are kept. */
export const MAX_HASHTAGS = 1000
/** Longest short free text: names, urls, codes, versions. */
export const MAX_SHORT_TEXT_LENGTH = 4096
/**
 * Longest long free text: post text, description, title, transcription, comment, message. Above
 * any post a batch within MAX_BATCH_BYTES (16 MiB) can carry, so a long post is stored whole;
 * only its analysis is capped (PREPROCESSOR_MAX_ANALYZED_CHARS).
 */
export const MAX_LONG_TEXT_LENGTH = 8_000_000
/** `error_details` deeper than this is cut (the deeper value becomes null). */
export const MAX_JSON_DEPTH = 16
/** `error_details` whose JSON is longer than this is kept as its truncated JSON text. */
export const MAX_JSON_LENGTH = 64 * 1024

const SUSPECT = /[\u0000\uD800-\uDFFF]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const HAS_LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when the string has a UTF-16 surrogate that is not half of a pair. */
export const hasLoneSurrogate = (text: string): boolean => HAS_LONE_SURROGATE.test(text)

/** Cuts a string to at most `max` UTF-16 units without leaving half of a surrogate pair. */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text
  const cut = text.slice(0, max)
  const last = cut.charCodeAt(cut.length - 1)
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut
}

/** Free text made storable: NUL removed, lone surrogates → U+FFFD, at most `max` units. */
export const cleanText = (text: string, max: number = MAX_SHORT_TEXT_LENGTH): string => {
  const clean = SUSPECT.test(text) ? text.replaceAll("\u0000", "").replace(LONE_SURROGATE, "\uFFFD") : text
  return truncate(clean, max)
}

/** Bytes of a string in UTF-8 (a lone surrogate counts as the 3 bytes of U+FFFD). */
export const utf8Length = (text: string): number => {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/** Largest count kept: 2^53 − 1, exact as a JavaScript number and inside PostgreSQL `bigint`. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER

/** A count: a non-negative integer in [0, 2^53 − 1]; anything not a finite number is 0. */
export const clampCount = (n: number): number =>
  Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), MAX_COUNT) : 0

export const INT32_MIN = -2_147_483_648
export const INT32_MAX = 2_147_483_647

/** An integer inside PostgreSQL's `integer` range, else null. */
export const int32OrNull = (n: number | null): number | null =>
  n !== null && Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX ? n : null

/**
 * Why a raw post id cannot identify a post, or null when it can. Strings are judged after
 * trimming; a missing or non-scalar id is not judged here (the item decoder reports it).
 */
export const postIdProblem = (raw: unknown): string | null => {
  if (typeof raw === "number") return Number.isFinite(raw) ? null : `meta.id ${String(raw)} is not a finite number`
  if (typeof raw !== "string") return null
  const id = raw.trim()
  if (id.length > MAX_ID_LENGTH) return `meta.id is ${id.length} characters long, more than ${MAX_ID_LENGTH}`
  if (id.includes("\u0000")) return "meta.id contains a NUL character"
  if (hasLoneSurrogate(id)) return "meta.id contains a lone UTF-16 surrogate"
  return null
}

/**
 * JSON made storable as `jsonb`: strings and keys cleaned, numbers that are not finite become
 * null, containers deeper than `MAX_JSON_DEPTH` become null, and a value whose JSON is longer
 * than `MAX_JSON_LENGTH` is replaced by `{ truncated: <its first characters> }`.
 */
export const cleanJson = (value: unknown): unknown => {
  const clean = cleanJsonAt(value, 0)
  const json = JSON.stringify(clean)
  return json !== undefined && json.length > MAX_JSON_LENGTH
    ? { truncated: cleanText(json, MAX_SHORT_TEXT_LENGTH) }
    : clean
}

const cleanJsonAt = (value: unknown, depth: number): unknown => {
  if (value === null || typeof value === "boolean") return value
  if (typeof value === "string") return cleanText(value, MAX_LONG_TEXT_LENGTH)
  if (typeof value === "number") return Number.isFinite(value) ? value : null
  if (typeof value !== "object") return null
  if (depth >= MAX_JSON_DEPTH) return null
  if (Array.isArray(value)) return value.map((v) => cleanJsonAt(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    Object.defineProperty(out, cleanText(key), {
      value: cleanJsonAt(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true
    })
  }
  return out
}

import { Effect, Predicate } from "effect"
import { EventRejected } from "./errors.ts"
import type { BatchContext, Item } from "./item.ts"
import type { ErrorRecord } from "./records.ts"
import { decodeItemSync, InvalidPostId } from "./itemSchema.ts"
import { parseJson } from "./json.ts"
import { cleanText, postIdProblem } from "./sanitize.ts"

/** One entry of a decoded batch: a usable item, or why the raw entry could not be read. */
export type BatchEntry =
  | { readonly _tag: "Item"; readonly index: number; readonly item: Item }
  | {
    readonly _tag: "Unreadable"
    readonly index: number
    readonly contentId: string
    /** `INVALID_ID` when the post id itself is unusable, else `PARSE_ERROR`. */
    readonly code: UnreadableCode
    readonly reason: string
  }

export type UnreadableCode = "PARSE_ERROR" | "INVALID_ID"

/** Longest decoding message kept in an error row. */
const MAX_REASON_LENGTH = 2000

/** `JSON.parse` keeping 19-digit ids exact and safe at any nesting depth (see json.ts). */
export { parseJson } from "./json.ts"

const reject = (code: EventRejected["code"], message: string) => new EventRejected({ code, message })

/**
 * Reads a batch object (§2): a JSON array of items, or an object with an `items` array.
 * Anything else is a permanent rejection (`NOT_A_BATCH`) before any database work.
 */
export const readBatchArray = Effect.fnUntraced(function*(bytes: Uint8Array) {
  const json = yield* Effect.try({
    try: () => parseJson(new TextDecoder("utf-8", { fatal: true }).decode(bytes)),
    catch: (e) => reject("NOT_A_BATCH", `batch object is not UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`)
  })
  const raw: ReadonlyArray<unknown> | null = Array.isArray(json)
    ? json
    : Predicate.isObject(json) && "items" in json && Array.isArray(json.items)
    ? json.items
    : null
  if (raw === null) {
    return yield* reject("NOT_A_BATCH", "batch object is neither a JSON array of items nor an object with an 'items' array")
  }
  return raw
})

/** The item limit (§2): more than `maxItems` items is a permanent rejection. */
export const checkItemLimit = (count: number, maxItems: number): EventRejected | null =>
  count > maxItems
    ? reject("OVER_LIMIT", `batch has ${count} items, more than the limit of ${maxItems} (MAX_BATCH_ITEMS)`)
    : null

/**
 * Decodes each raw item. A single unreadable item (say, without `meta.id`) does not fail its
 * batch: it becomes an `Unreadable` entry, which the caller stores as an error row. Its
 * content id is the post id when that id is usable, else `<object path>#<index>`.
 */
export const decodeEntries = (raw: ReadonlyArray<unknown>, objectPath: string): ReadonlyArray<BatchEntry> =>
  raw.map((entry, index) => decodeEntry(entry, index, objectPath))

/** One entry of a batch, at `index` (what `decodeEntries` does for each; streaming readers call it item by item). */
export const decodeEntry = (entry: unknown, index: number, objectPath: string): BatchEntry => {
  try {
    return { _tag: "Item", index, item: decodeItemSync(entry) }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    return {
      _tag: "Unreadable",
      index,
      contentId: rawId(entry) ?? `${objectPath}#${index}`,
      code: e instanceof InvalidPostId ? "INVALID_ID" : "PARSE_ERROR",
      reason: cleanText(message.replaceAll("\n", " "), MAX_REASON_LENGTH)
    }
  }
}

const rawId = (entry: unknown): string | null => {
  if (!Predicate.isObject(entry) || !("meta" in entry) || !Predicate.isObject(entry.meta) || !("id" in entry.meta)) return null
  const id = entry.meta.id
  if (postIdProblem(id) !== null) return null
  return typeof id === "string" && id.trim() !== "" ? id.trim() : typeof id === "number" ? String(id) : null
}

/** Label value used for any batch larger than the item limit, so label sets stay bounded. */
export const OVERFLOW_LABEL = "overflow"

export interface SizeMismatch {
  readonly platform: string
  readonly expected: number
  readonly actual: number
  /** Bounded label values for `analytics_batch_size_mismatch_total`. */
  readonly labels: { readonly platform: string; readonly expected_size: string; readonly actual_size: string }
}

/**
 * Compares a batch's size with the platform's expected size (§2). Returns null when they
 * match or when no size is expected for the platform. `actual_size` above `maxItems` is
 * reported as `overflow`, so the counter's label values stay bounded.
 */
export const sizeMismatch = (
  platform: string,
  actual: number,
  expectedByPlatform: Readonly<Record<string, number>>,
  maxItems: number
): SizeMismatch | null => {
  const expected = expectedByPlatform[platform]
  if (expected === undefined || expected === actual) return null
  return {
    platform,
    expected,
    actual,
    labels: {
      platform,
      expected_size: String(expected),
      actual_size: actual > maxItems ? OVERFLOW_LABEL : String(actual)
    }
  }
}

/** The error row for an item that could not be decoded (§2: every item ends as a row). */
export const unreadableRecord = (
  context: BatchContext,
  platform: string,
  contentId: string,
  reason: string,
  now: string,
  code: UnreadableCode = "PARSE_ERROR"
): ErrorRecord => ({
  record: "error",
  content_id: contentId,
  project_id: context.project_id,
  job_id: context.job_id,
  platform,
  error_code: code,
  error_category: "parsing",
  error_message: `item could not be decoded: ${reason}`,
  error_details: null,
  permalink: null,
  created_at: now
})

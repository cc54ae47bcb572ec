import { Effect, Predicate } from "effect"
import { EventRejected } from "./errors.ts"
import type { BatchContext, Item } from "./item.ts"
import type { ErrorRecord } from "./records.ts"
import { decodeItemSync } from "./itemSchema.ts"

/** One entry of a decoded batch: a usable item, or why the raw entry could not be read. */
export type BatchEntry =
  | { readonly _tag: "Item"; readonly index: number; readonly item: Item }
  | { readonly _tag: "Unreadable"; readonly index: number; readonly contentId: string; readonly reason: string }

/** The JSON reviver context (json-parse-with-source), present on Node ≥ 21 and Deno. */
interface ReviverContext {
  readonly source?: string
}

/**
 * `JSON.parse` that keeps every digit of integers beyond 2^53 (19-digit post ids): such a
 * number is returned as its source text instead of a rounded double.
 */
export const parseJson = (text: string): unknown =>
  JSON.parse(text, function(this: unknown, _key: string, value: unknown, context?: ReviverContext) {
    return typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) &&
        context?.source !== undefined
      ? context.source
      : value
  })

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
 * batch: it becomes an `Unreadable` entry, which the caller stores as an error row.
 */
export const decodeEntries = (raw: ReadonlyArray<unknown>, objectPath: string): ReadonlyArray<BatchEntry> =>
  raw.map((entry, index): BatchEntry => {
    try {
      return { _tag: "Item", index, item: decodeItemSync(entry) }
    } catch (e) {
      return {
        _tag: "Unreadable",
        index,
        contentId: rawId(entry) ?? `${objectPath}#${index}`,
        reason: e instanceof Error ? e.message.replaceAll("\n", " ") : String(e)
      }
    }
  })

const rawId = (entry: unknown): string | null => {
  if (!Predicate.isObject(entry) || !("meta" in entry) || !Predicate.isObject(entry.meta) || !("id" in entry.meta)) return null
  const id = entry.meta.id
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
  now: string
): ErrorRecord => ({
  record: "error",
  content_id: contentId,
  project_id: context.project_id,
  job_id: context.job_id,
  platform,
  error_code: "PARSE_ERROR",
  error_category: "parsing",
  error_message: `item could not be decoded: ${reason}`,
  error_details: null,
  permalink: null,
  created_at: now
})

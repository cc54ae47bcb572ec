import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { MemoryQueueControl } from "../../src/adapters/memory/EventQueue.ts"
import { makeDeliveryHandler } from "../../src/app/handleDelivery.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { BatchStorage } from "../../src/ports/BatchStorage.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"
import { eventFor, PROJECT_ID, rawBatch, rawItem } from "../support/crawlerBatch.ts"
import { pgApp } from "../support/pgApp.ts"

/**
 * Defect 3: one hostile value used to fail its whole batch in PostgreSQL (DATABASE_ERROR, the
 * other posts lost). Each hostile item below now ends as an analytics row or an error row.
 */
const BUCKET = "crawl-results"
const encode = (text: string) => new TextEncoder().encode(text)

/** A normal item with `patch` merged into its sections, as JSON text with raw `tokens` spliced in. */
const item = (seed: number, id: string, patch: Record<string, Record<string, unknown>>) => {
  const base = rawItem(seed, { id }) as unknown as Record<string, Record<string, unknown>>
  const merged: Record<string, unknown> = { ...base }
  for (const [section, fields] of Object.entries(patch)) merged[section] = { ...(base[section] ?? {}), ...fields }
  return merged
}
/** JSON text of `value` where the string `"@@name@@"` stands for the raw JSON `tokens[name]`. */
const withTokens = (value: unknown, tokens: Record<string, string>) =>
  JSON.stringify(value).replace(/"@@(\w+)@@"/g, (_, name: string) => tokens[name] ?? "null")

/** `length` letters that do not compress (TOAST would otherwise squeeze a repeated letter into an index). */
const noise = (length: number, seed: number) => {
  let x = seed
  return Array.from({ length }, () => {
    x = (x * 1103515245 + 12345) % 2147483648
    return String.fromCharCode(97 + (x >> 16) % 26)
  }).join("")
}
/** `length` CJK characters (3 bytes each in UTF-8) that do not compress. */
const cjk = (length: number, seed: number) => {
  let x = seed
  return Array.from({ length }, () => {
    x = (x * 1103515245 + 12345) % 2147483648
    return String.fromCharCode(0x4e00 + (x >> 8) % 20000)
  }).join("")
}
const deep = (levels: number) => `${"{\"a\":".repeat(levels)}1${"}".repeat(levels)}`

const hostile = [
  item(101, "h-nul-text", { content: { text: "VinFast VF8 \u0000 rất tuyệt vời" } }),
  item(102, "h-nul-hashtag", { content: { hashtags: ["vin\u0000fast", "vf8"] } }),
  item(103, "h-surrogate-hashtag", { content: { hashtags: ["\ud800vinfast", "x\udfff"] } }),
  item(104, "h-views-1e20", { interaction: { views: "@@e20@@" }, author: { followers: "@@e19@@" } }),
  item(105, "h-views-1e300", { interaction: { views: "@@e300@@", likes: "1e400" } }),
  item(106, "h-year-10000", { meta: { published_at: "+010000-01-01T00:00:00Z", crawled_at: "-000001-06-01T00:00:00Z" } }),
  item(107, "h-deep", { meta: { extra: "@@deep@@" } }),
  item(108, "h-nul-everywhere", {
    meta: { job_id: "job\u0000x", permalink: "https://x/\u0000", pipeline_version: "v\ud800" },
    author: { id: "a\u0000", name: "n\u0000", username: "\udc00u" },
    content: { title: "t\u0000", transcription: "tr\u0000" }
  }),
  item(109, "h-long-job", { meta: { job_id: noise(10_000, 1) }, content: { hashtags: [noise(10_000, 2)] } }),
  {
    meta: {
      id: "h-error-details",
      fetch_status: "error",
      error_code: "PARSE\u0000_ERROR",
      error_message: "bad \u0000 \ud800",
      error_details: { "k\u0000": "v\u0000", s: "\udc00", nested: "@@deep@@", big: "@@e400@@" }
    }
  },
  // The longest id and job id kept, in 3-byte characters: the identity indexes must take them.
  {
    meta: { id: cjk(512, 4), job_id: cjk(256, 5), fetch_status: "error", error_code: "CONTENT_REMOVED" }
  },
  item(115, cjk(512, 6), { meta: { job_id: cjk(256, 7) }, content: { hashtags: [cjk(256, 8)] } }),
  item(110, "@@idHuge@@", {}),
  item(111, "@@idInfinity@@", {}),
  item(112, "h-\ud800", {}),
  item(113, "h-\udc00", {}),
  item(114, "h-\u0000", {})
]
const tokens = {
  e20: "1e20",
  e19: "1e19",
  e300: "1e300",
  e400: "1e400",
  deep: deep(10_000),
  idHuge: JSON.stringify(noise(10 * 1024, 3)),
  idInfinity: "1e400"
}
const INVALID_IDS = 5

describe("a batch with one item of each hostile kind (defect 3)", () => {
  it.live("every item ends as an analytics row or an error row, and the batch is acked", () =>
    Effect.gen(function*() {
      const normal = rawBatch(5)
      const text = `[${[...normal.map((i) => JSON.stringify(i)), ...hostile.map((h) => withTokens(h, tokens))].join(",")}]`
      const key = `tiktok/${PROJECT_ID}/brand/hostile.json`
      yield* (yield* BatchStorage).put({ bucket: BUCKET, key }, encode(text), {}).pipe(Effect.orDie)
      const event = eventFor(`${BUCKET}/${key}`)
      const body = JSON.stringify(event).replace('"batch_index":1', '"batch_index":3e9')
      yield* (yield* MemoryQueueControl).publish(encode(body))

      const queue = yield* EventQueue
      const handle = yield* makeDeliveryHandler
      const delivery = yield* queue.deliveries.pipe(Stream.take(1), Stream.runHead)
      if (delivery._tag === "None") return assert.fail("no delivery")
      const outcome = yield* handle(delivery.value)
      assert.deepStrictEqual(outcome._tag === "DeadLettered" ? outcome.message : outcome._tag, "Acked")

      const total = normal.length + hostile.length
      const repo = yield* AnalyticsRepository
      const counts = yield* repo.counts(PROJECT_ID)
      assert.strictEqual(counts.analytics + counts.errors, total)
      assert.strictEqual(counts.batches, 1)

      const sql = yield* SqlClient
      const invalid = yield* sql<{ content_id: string; error_message: string }>`
        SELECT content_id, error_message FROM crawl_errors WHERE error_code = 'INVALID_ID' ORDER BY content_id`
      assert.strictEqual(invalid.length, INVALID_IDS)
      for (const row of invalid) assert.match(row.content_id, /^crawl-results\/tiktok\/.*hostile\.json#\d+$/)

      const [views] = yield* sql<{ view_count: string; follower_count: string }>`
        SELECT view_count::text, follower_count::text FROM post_analytics WHERE id = 'h-views-1e20'`
      assert.deepStrictEqual(views, { view_count: "9007199254740991", follower_count: "9007199254740991" })
      const [dates] = yield* sql<{ published_at: Date | null; crawled_at: Date | null }>`
        SELECT published_at, crawled_at FROM post_analytics WHERE id = 'h-year-10000'`
      assert.strictEqual(dates?.published_at, null)
      assert.notStrictEqual(dates?.crawled_at, null, "falls back to the event's timestamp")
      const [tags] = yield* sql<{ hashtags: unknown }>`SELECT hashtags FROM post_analytics WHERE id = 'h-nul-hashtag'`
      assert.deepStrictEqual(tags?.hashtags, ["vinfast", "vf8"])
      const [surrogates] = yield* sql<{ hashtags: unknown }>`
        SELECT hashtags FROM post_analytics WHERE id = 'h-surrogate-hashtag'`
      assert.deepStrictEqual(surrogates?.hashtags, ["\ufffdvinfast", "x\ufffd"])
      const [ledger] = yield* sql<{ batch_index: number | null; actual_size: number }>`
        SELECT batch_index, actual_size FROM batch_ledger`
      assert.deepStrictEqual(ledger, { batch_index: null, actual_size: total })
    }).pipe(Effect.provide(pgApp())), 60_000)

  it.live("each hostile item alone beside normal posts: the batch is acked with every row (none is lost)", () =>
    Effect.gen(function*() {
      const queue = yield* EventQueue
      const handle = yield* makeDeliveryHandler
      const sql = yield* SqlClient
      const failed: Array<string> = []
      for (const [n, h] of hostile.entries()) {
        const normal = rawBatch(3, { offset: 200 + 10 * n })
        const text = `[${[...normal.map((i) => JSON.stringify(i)), withTokens(h, tokens)].join(",")}]`
        const key = `tiktok/${PROJECT_ID}/brand/one_${n}.json`
        yield* (yield* BatchStorage).put({ bucket: BUCKET, key }, encode(text), {}).pipe(Effect.orDie)
        yield* (yield* MemoryQueueControl).publish(encode(JSON.stringify(eventFor(`${BUCKET}/${key}`))))
        const delivery = yield* queue.deliveries.pipe(Stream.take(1), Stream.runHead)
        if (delivery._tag === "None") return assert.fail("no delivery")
        const outcome = yield* handle(delivery.value)
        const [ledger] = yield* sql<{ rows: number }>`
          SELECT stored_count + skipped_count + error_count AS rows FROM batch_ledger
          WHERE object_path = ${`${BUCKET}/${key}`} AND status = 'completed'`
        if (outcome._tag !== "Acked" || ledger?.rows !== 4) failed.push(`#${n} ${outcome._tag}: ${JSON.stringify(outcome)}`)
      }
      assert.deepStrictEqual(failed, [])
      // The three normal posts of each batch are stored.
      const [posts] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM post_analytics WHERE id LIKE '757627645117188%'`
      assert.strictEqual(posts?.n, 3 * hostile.length)
    }).pipe(Effect.provide(pgApp({ MAX_DELIVERY_ATTEMPTS: "1" }))), 120_000)
})

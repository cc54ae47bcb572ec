import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { Cause, Effect, Exit, Schema } from "effect"
import { decodeEntries, readBatchArray, unreadableRecord } from "../../src/domain/batch.ts"
import { EVENT_REJECTION_CODES, EventRejected } from "../../src/domain/errors.ts"
import { type CollectedEvent, decodeEvent, objectKeyProblem } from "../../src/domain/event.ts"
import { builtinLexicons, defaultPipelineSettings, makePipeline } from "../../src/domain/pipeline/index.ts"
import { batchPlatform, PLATFORM_LABELS } from "../../src/domain/platform.ts"
import { AnalyticsRecord, ErrorRecord } from "../../src/domain/records.ts"
import { eventFor, PROJECT_ID, rawItem } from "../support/crawlerBatch.ts"
import {
  arbitraryBytes,
  deepJson,
  edgeNumberText,
  fuzzParameters,
  fuzzRuns,
  fuzzTimeout,
  hostileString,
  jsonText,
  leaves,
  storable,
  withValueAt,
  withValuesAt
} from "../support/fuzz.ts"

/**
 * Issue 11, point 5: property tests over the envelope decoder, the batch decoder and the
 * pipeline. Whatever the input (any bytes, any JSON, deep nesting, huge strings, NUL and lone
 * surrogates, numbers at every edge), each ends in a value, a typed rejection
 * (`EventRejected` with one of its codes) or an error row, never an escaped defect; what is
 * produced is storable (no NUL, no lone surrogate, finite numbers, a bounded platform).
 *
 * A fixed seed and a share of the cases in the normal run; `npm run fuzz` runs the full count.
 */
const BUCKET = "crawl-results"
const encode = (text: string) => new TextEncoder().encode(text)
const pipeline = makePipeline(defaultPipelineSettings, builtinLexicons)
const isRejected = Schema.is(EventRejected)

/** The exit of a decoder: a success or one typed failure, never a defect nor an interruption. */
const typedOutcome = <A, E>(exit: Exit.Exit<A, E>, isTyped: (e: unknown) => boolean): A | null => {
  if (Exit.isSuccess(exit)) return exit.value
  const reasons = exit.cause.reasons
  const defects = reasons.filter((r) => r._tag !== "Fail")
  if (defects.length > 0) throw new Error(`escaped defect: ${Cause.pretty(exit.cause)}`)
  for (const r of reasons) if (r._tag === "Fail" && !isTyped(r.error)) throw new Error(`untyped failure: ${String(r.error)}`)
  return null
}

const rejectionOk = (e: unknown) => isRejected(e) && (EVENT_REJECTION_CODES as ReadonlyArray<string>).includes(e.code)

/** A well-formed event with one field (at any depth, known or not) replaced by hostile JSON. */
const EVENT_PATHS: ReadonlyArray<ReadonlyArray<string>> = [
  ["event_id"], ["event_type"], ["timestamp"], ["payload"], ["payload", "minio_path"], ["payload", "project_id"],
  ["payload", "job_id"], ["payload", "platform"], ["payload", "batch_index"], ["payload", "content_count"],
  ["payload", "total_batches"], ["payload", "task_type"], ["payload", "brand_name"], ["payload", "keyword"],
  ["payload", "unknown"], ["unknown"]
]
const mutatedEvent = fc.tuple(fc.constantFrom(...EVENT_PATHS), jsonText).map(([path, value]) =>
  withValueAt(eventFor(`${BUCKET}/tiktok/${PROJECT_ID}/brand/batch_000.json`), path, value)
)
const hostilePath = fc.oneof(
  hostileString,
  hostileString.map((k) => `${BUCKET}/${k}`),
  fc.constantFrom(`${BUCKET}/../x.json`, `${BUCKET}//etc/passwd`, `${BUCKET}/a/../../b`, `/${BUCKET}/a.json`, `other-bucket/a.json`, `${BUCKET}/`)
).map((p) => withValueAt(eventFor(`${BUCKET}/a.json`), ["payload", "minio_path"], JSON.stringify(p)))

const eventBody = fc.oneof(
  { weight: 1, arbitrary: arbitraryBytes },
  { weight: 2, arbitrary: jsonText.map(encode) },
  { weight: 4, arbitrary: mutatedEvent.map(encode) },
  { weight: 2, arbitrary: hostilePath.map(encode) }
)

/** A realistic item with one field (any section, known or not) replaced by hostile JSON. */
const ITEM_PATHS: ReadonlyArray<ReadonlyArray<string>> = [
  ["meta"], ["meta", "id"], ["meta", "platform"], ["meta", "crawled_at"], ["meta", "published_at"], ["meta", "fetch_status"],
  ["meta", "error_details"], ["meta", "job_id"], ["content"], ["content", "text"], ["content", "description"], ["content", "hashtags"],
  ["content", "duration"], ["interaction"], ["interaction", "views"], ["interaction", "likes"], ["interaction", "engagement_rate"],
  ["author"], ["author", "followers"], ["author", "id"], ["author", "is_verified"], ["comments"], ["unknown"]
]
const mutatedItem = fc.tuple(fc.nat(10_000), fc.boolean(), fc.array(fc.tuple(fc.constantFrom(...ITEM_PATHS), fc.oneof(jsonText, edgeNumberText)), { maxLength: 3 }))
  .map(([seed, error, edits]) => withValuesAt(rawItem(seed, error ? { fetchStatus: "error" } : {}), edits))

const batchBody = fc.oneof(
  { weight: 1, arbitrary: arbitraryBytes },
  { weight: 1, arbitrary: jsonText.map(encode) },
  { weight: 1, arbitrary: deepJson.map(encode) },
  { weight: 5, arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: mutatedItem }, { weight: 1, arbitrary: jsonText }), { maxLength: 6 }).map((items) => encode(`[${items.join(",")}]`)) },
  { weight: 1, arbitrary: fc.array(mutatedItem, { maxLength: 4 }).map((items) => encode(`{"items":[${items.join(",")}]}`)) }
)

const EVENT_RUNS = fuzzRuns(1_000, 0.45)
const BATCH_RUNS = fuzzRuns(400, 0.3)
const PIPELINE_RUNS = fuzzRuns(200, 0.2)

describe("fuzz: the envelope decoder", () => {
  it(`any body decodes to an event or an EventRejected with its code, never a defect (${EVENT_RUNS} runs)`, () => {
    fc.assert(
      fc.property(eventBody, (body) => {
        const event: CollectedEvent | null = typedOutcome(Effect.runSyncExit(decodeEvent(body, [BUCKET])), rejectionOk)
        if (event === null) return
        // A decoded event only ever names the configured bucket and a key that is safe to fetch.
        expect(event.bucket).toBe(BUCKET)
        expect(objectKeyProblem(event.key)).toBeNull()
        expect(event.key.split("/")).not.toContain("..")
        expect(event.key.startsWith("/")).toBe(false)
        const { strings, numbers } = leaves(event)
        for (const s of strings) expect(storable(s), JSON.stringify(s.slice(0, 80))).toBe(true)
        for (const n of numbers) expect(Number.isFinite(n)).toBe(true)
      }),
      fuzzParameters(EVENT_RUNS)
    )
  }, fuzzTimeout(EVENT_RUNS, 5))
})

describe("fuzz: the batch decoder and the pipeline", () => {
  it(`any object yields a list of items or NOT_A_BATCH; each entry is an item or an unreadable entry (${BATCH_RUNS} runs)`, () => {
    fc.assert(
      fc.property(batchBody, (bytes) => {
        const raw = typedOutcome(Effect.runSyncExit(readBatchArray(bytes)), (e) => rejectionOk(e) && isRejected(e) && e.code === "NOT_A_BATCH")
        if (raw === null) return
        const entries = decodeEntries(raw, `${BUCKET}/fuzz.json`)
        expect(entries.map((e) => e.index)).toEqual(raw.map((_, i) => i))
        for (const entry of entries) {
          expect(["Item", "Unreadable"]).toContain(entry._tag)
          const { strings, numbers } = leaves(entry._tag === "Item" ? entry.item : { id: entry.contentId, reason: entry.reason })
          for (const s of strings) expect(storable(s)).toBe(true)
          for (const n of numbers) expect(Number.isFinite(n)).toBe(true)
        }
      }),
      fuzzParameters(BATCH_RUNS)
    )
  }, fuzzTimeout(BATCH_RUNS, 20))

  it(`every decoded entry becomes a valid analytics record or error record with storable values (${PIPELINE_RUNS} runs)`, () => {
    const isAnalytics = Schema.is(AnalyticsRecord)
    const isError = Schema.is(ErrorRecord)
    fc.assert(
      fc.property(fc.array(mutatedItem, { minLength: 1, maxLength: 6 }), fc.constantFrom(null, "TIKTOK", "YOUTUBE"), (items, eventPlatform) => {
        const raw = Effect.runSync(readBatchArray(encode(`[${items.join(",")}]`)))
        const entries = decodeEntries(raw, `${BUCKET}/fuzz.json`)
        const platform = batchPlatform(eventPlatform, entries.map((e) => e._tag === "Item" ? e.item.meta.platform : null))
        expect(PLATFORM_LABELS).toContain(platform)
        const context = {
          event_id: "evt_fuzz",
          project_id: PROJECT_ID,
          job_id: `${PROJECT_ID}-brand-0`,
          platform,
          batch_index: 1,
          task_type: "research_and_crawl",
          brand_name: "brand",
          keyword: "keyword",
          event_time: "2025-12-06T10:15:30.000Z",
          keyword_source: "brand",
          pipeline_version: "crawler_v2"
        }
        const now = "2025-12-06T10:20:00.000Z"
        for (const entry of entries) {
          const record = entry._tag === "Unreadable"
            ? unreadableRecord(context, platform, entry.contentId, entry.reason, now, entry.code)
            : pipeline.analyze(entry.item, context, now)
          if (record.record === "analytics") expect(isAnalytics(record)).toBe(true)
          else expect(isError(record)).toBe(true)
          const { strings, numbers } = leaves(record)
          for (const s of strings) expect(storable(s)).toBe(true)
          for (const n of numbers) expect(Number.isFinite(n), `non-finite number in ${record.record} record`).toBe(true)
        }
      }),
      fuzzParameters(PIPELINE_RUNS)
    )
  }, fuzzTimeout(PIPELINE_RUNS, 60))
})

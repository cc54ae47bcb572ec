import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { decodeEntries, readBatchArray, unreadableRecord } from "../../src/domain/batch.ts"
import { decodeEvent } from "../../src/domain/event.ts"
import { builtinLexicons, defaultPipelineSettings, makePipeline } from "../../src/domain/pipeline/index.ts"
import { batchPlatform } from "../../src/domain/platform.ts"
import type { AnalyticsRecord, ErrorRecord } from "../../src/domain/records.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { rawItem } from "../support/crawlerBatch.ts"
import { TestPgMigrated } from "./testDatabase.ts"

/**
 * Defect 3, as a property: generated hostile items (any strings with NUL and lone surrogates,
 * numbers at every edge, dates at the edges of PostgreSQL's range, deep nesting, long ids) in
 * generated events go through the event decoder, the batch decoder, the pipeline and the real
 * PostgreSQL write; every item lands as an analytics row or an error row, never a failed batch.
 *
 * 200 runs with a fixed seed in the normal suite; `FUZZ_RUNS=100000` (and `FUZZ_SEED`) for a
 * long run: `FUZZ_RUNS=100000 npx vitest run test/postgres/hostileProperty.test.ts`.
 */
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 200)
const SEED = Number(process.env["FUZZ_SEED"] ?? 20251206)
const BUCKET = "crawl-results"

const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.constantFrom("\u0000", "a\u0000b", "\ud800", "\udc00x", "x\ud83d", "😀", "#\u0000", " ", "", "tiktok", "YouTube", "Threads"),
  fc.string({ unit: "binary", minLength: 400, maxLength: 1200 }),
  fc.string({ unit: fc.constantFrom("a", "ệ", "中", "😀", "\u0000", "\ud800"), minLength: 500, maxLength: 3000 })
)
const numberToken = fc.constantFrom(
  "0", "-0", "1", "-1", "1.5", "1e20", "1e19", "1e300", "1e400", "-1e400", "1e-400", "2147483648", "3e9", "-3e9",
  "9223372036854775807", "9223372036854775808", "12345678901234567890", "123456789012345678901234567890",
  "\"1e20\"", "\"1e400\"", "\"NaN\"", "\"Infinity\"", "\"-0\"", "\"1,000\"", "\"9223372036854775808\""
)
const dateToken = fc.constantFrom(
  "\"+010000-01-01T00:00:00Z\"", "\"-000001-01-01T00:00:00Z\"", "\"0000-01-01\"", "\"0001-01-01T00:00:00Z\"",
  "\"0001-01-01T00:30:00+01:00\"", "\"9999-12-31T23:59:59.999Z\"", "\"9999-12-31T23:30:00-01:00\"", "\"2025-13-45\"",
  "\"2025-12-06 10:15:30\"", "1e15", "-1", "1e400", "0", "1733480130", "\"\\u0000\""
)
/** Mostly shallow; sometimes deep enough to overflow a recursive reviver (thousands of levels). */
const deepToken = fc.oneof(
  { weight: 19, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 3000, max: 12_000 }) }
).chain((levels) =>
  fc.constantFrom(`${"[".repeat(levels)}${"]".repeat(levels)}`, `${"{\"d\":".repeat(levels)}1${"}".repeat(levels)}`)
)
const stringToken = hostileString.map((s) => JSON.stringify(s))
const valueToken = fc.oneof(
  { weight: 4, arbitrary: stringToken },
  { weight: 2, arbitrary: numberToken },
  { weight: 2, arbitrary: dateToken },
  { weight: 1, arbitrary: deepToken },
  { weight: 1, arbitrary: fc.constantFrom("null", "true", "[]", "{}", "[\"\\u0000\",\"\\ud800\"]") }
)

const FIELDS = {
  meta: ["platform", "job_id", "task_type", "crawled_at", "published_at", "permalink", "keyword_source", "lang", "pipeline_version", "fetch_status", "error_code", "error_message", "error_details", "unknown"],
  content: ["text", "description", "title", "duration", "hashtags", "sound_name", "transcription", "unknown"],
  interaction: ["views", "likes", "comments_count", "shares", "saves", "engagement_rate", "updated_at"],
  author: ["id", "name", "username", "followers", "following", "likes", "videos", "is_verified", "avatar_url", "profile_url", "country"]
} as const

const sectionToken = (fields: ReadonlyArray<string>) =>
  fc.dictionary(fc.constantFrom(...fields), fc.oneof(valueToken, fc.array(valueToken, { maxLength: 4 }).map((vs) => `[${vs.join(",")}]`)), { maxKeys: 6 })
    .map((entries) => `{${Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`)

const commentToken = fc.dictionary(fc.constantFrom("id", "text", "author_name", "likes", "created_at", "replies_count"), valueToken, { maxKeys: 6 })
  .map((entries) => `{${Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`)

const idToken = fc.oneof(
  { weight: 3, arbitrary: hostileString.map((s) => JSON.stringify(`${s}`)) },
  { weight: 2, arbitrary: numberToken },
  { weight: 1, arbitrary: fc.constantFrom("null", "{}", "[1]", "true") },
  { weight: 1, arbitrary: deepToken }
)

/** One hostile item as JSON text: a meta with an id, and hostile values in every section. */
const itemToken = fc.record({
  id: idToken,
  errorStatus: fc.boolean(),
  meta: sectionToken(FIELDS.meta),
  content: sectionToken(FIELDS.content),
  interaction: sectionToken(FIELDS.interaction),
  author: sectionToken(FIELDS.author),
  comments: fc.array(commentToken, { maxLength: 3 })
}).map((t) =>
  `{"meta":${t.meta.replace(/^\{/, `{"id":${t.id},${t.errorStatus ? "\"fetch_status\":\"error\"," : ""}`).replace(/,\}$/, "}")},` +
  `"content":${t.content},"interaction":${t.interaction},"author":${t.author},"comments":[${t.comments.join(",")}],"deep":${"[".repeat(3)}]]]}`
)

const eventToken = fc.record({
  platform: fc.constantFrom("null", "\"tiktok\"", "\"youtube\""),
  job_id: stringToken,
  brand_name: stringToken,
  keyword: stringToken,
  task_type: stringToken,
  batch_index: fc.oneof(numberToken, fc.constant("null"))
})

const pipeline = makePipeline(defaultPipelineSettings, builtinLexicons)
const Repo = AnalyticsRepositoryLive.pipe(Layer.provideMerge(TestPgMigrated))

describe("hostile items through the decoders and the PostgreSQL write (property)", () => {
  it.live(`every generated item lands as a row or an error row (${RUNS} runs, seed ${SEED})`, () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const sql = yield* SqlClient
      let run = 0
      const check = (event: Readonly<Record<string, string>>, items: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          run++
          const project = `00000000-0000-4000-8000-${String(run).padStart(12, "0")}`
          const key = `tiktok/${project}/brand/fuzz_${run}.json`
          const body = `{"event_type":"data.collected","timestamp":"2025-12-06T10:15:30Z","payload":{"minio_path":"${BUCKET}/${key}",` +
            `"project_id":"${project}",${Object.entries(event).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}}`
          const decoded = yield* decodeEvent(new TextEncoder().encode(body), [BUCKET]).pipe(Effect.result)
          // An event of the right shape is never rejected for its values.
          if (decoded._tag === "Failure") return yield* Effect.die(new Error(`event rejected: ${decoded.failure.message}`))
          const ev = decoded.success
          const normal = JSON.stringify(rawItem(run, { id: `normal-${run}` }))
          const text = `[${[normal, ...items].join(",")}]`
          const raw = yield* readBatchArray(new TextEncoder().encode(text)).pipe(
            Effect.mapError((e) => new Error(`batch rejected: ${e.message}`)),
            Effect.orDie
          )
          const entries = decodeEntries(raw, ev.objectPath)
          const platform = batchPlatform(ev.platform, entries.map((e) => e._tag === "Item" ? e.item.meta.platform : null))
          const context = { ...ev.context, platform }
          const now = "2025-12-06T10:20:00.000Z"
          const analytics: Array<AnalyticsRecord> = []
          const errors: Array<ErrorRecord> = []
          for (const entry of entries) {
            const record = entry._tag === "Unreadable"
              ? unreadableRecord(context, platform, entry.contentId, entry.reason, now, entry.code)
              : pipeline.analyze(entry.item, context, now)
            if (record.record === "analytics") analytics.push(record)
            else errors.push(record)
          }
          assert.strictEqual(analytics.length + errors.length, items.length + 1)
          const ledger = {
            object_path: ev.objectPath,
            event_id: ev.eventId,
            project_id: context.project_id,
            job_id: context.job_id,
            platform,
            batch_index: context.batch_index,
            expected_size: null,
            actual_size: raw.length,
            stored_count: analytics.length,
            skipped_count: 0,
            error_count: errors.length,
            duplicate_count: 0,
            status: "completed" as const,
            attempted_at: now,
            failure_reason: null
          }
          const written = yield* repo.writeBatch({ ledger, analytics, errors }).pipe(Effect.result)
          if (written._tag === "Failure") {
            return yield* Effect.die(new Error(`batch failed in PostgreSQL: ${written.failure.message}`))
          }
          const posts = new Set(analytics.map((r) => JSON.stringify([r.project_id, r.platform, r.id])))
          const failures = new Set(errors.map((r) => JSON.stringify([r.content_id, r.project_id, r.platform, r.job_id])))
          const [rows] = yield* sql<{ analytics: number; errors: number }>`
            SELECT (SELECT count(*)::int FROM post_analytics WHERE project_id = ${project}::uuid) AS analytics,
                   (SELECT count(*)::int FROM crawl_errors WHERE project_id = ${project}::uuid) AS errors`
          assert.deepStrictEqual(rows, { analytics: posts.size, errors: failures.size })
          assert.isTrue(analytics.some((r) => r.id === `normal-${run}`), "the normal post of the batch is stored")
        })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(eventToken, fc.array(itemToken, { minLength: 1, maxLength: 6 }), (event, items) =>
            Effect.runPromise(check(event, items))),
          { seed: SEED, numRuns: RUNS, endOnFailure: true }
        )
      )
    }).pipe(Effect.provide(Repo)), Math.max(120_000, RUNS * 200))
})

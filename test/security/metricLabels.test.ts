import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Stream } from "effect"
import { MemoryQueueControl } from "../../src/adapters/memory/EventQueue.ts"
import { MetricsLive, PrometheusRegistry } from "../../src/adapters/prometheus/Metrics.ts"
import { makeDeliveryHandler } from "../../src/app/handleDelivery.ts"
import { OVERFLOW_LABEL } from "../../src/domain/batch.ts"
import { DEAD_LETTER_CODES, STAGES } from "../../src/domain/errors.ts"
import { PLATFORM_LABELS } from "../../src/domain/platform.ts"
import { ERROR_CATEGORIES } from "../../src/domain/records.ts"
import { BatchStorage } from "../../src/ports/BatchStorage.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"
import { eventFor, PROJECT_ID, rawItem } from "../support/crawlerBatch.ts"
import { FUZZ_SEED, hostileString } from "../support/fuzz.ts"
import { memoryApp } from "../support/memoryApp.ts"

/**
 * Issue 11, point 6: label sets stay bounded under adversarial input. Batches with free-text
 * and hostile platforms (in the event and in every item), every size from 1 to past the item
 * limit, crawler error items with arbitrary error codes, and events that are dead-lettered go
 * through the real delivery step onto the real prom-client registry; every label value is
 * then in a closed set, so the number of series does not grow with the input.
 */
const BUCKET = "crawl-results"
const MAX_ITEMS = 40
const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value))

const batchSpec = fc.record({
  eventPlatform: fc.oneof(fc.constantFrom(null, "tiktok", "youtube", "TikTok "), hostileString),
  itemPlatforms: fc.array(fc.oneof(fc.constantFrom("TIKTOK", "youtube", "facebook", "Instagram"), hostileString), { minLength: 1, maxLength: 3 }),
  size: fc.integer({ min: 1, max: MAX_ITEMS + 15 }),
  errorCodes: fc.array(fc.oneof(fc.constantFrom("RATE_LIMITED", "CONTENT_REMOVED"), hostileString), { maxLength: 3 }),
  broken: fc.constantFrom(false, false, false, true)
})

describe("metric label sets under adversarial input", () => {
  it.effect("platforms, sizes and error codes only ever take closed-set label values", () =>
    Effect.gen(function*() {
      // The prom-client Metrics replaces the in-memory one for everything below.
      const registry = yield* PrometheusRegistry
      const storage = yield* BatchStorage
      const control = yield* MemoryQueueControl
      const queue = yield* EventQueue
      const handle = yield* makeDeliveryHandler
      const specs = fc.sample(batchSpec, { seed: FUZZ_SEED, numRuns: 80 })
      for (const [n, spec] of specs.entries()) {
        const key = `tiktok/${PROJECT_ID}/brand/labels_${n}.json`
        const items = Array.from({ length: spec.size }, (_, i) => {
          const errorCode = spec.errorCodes[i % Math.max(1, spec.errorCodes.length)]
          const item = rawItem(1000 * n + i, errorCode === undefined || i % 2 === 0 ? {} : { fetchStatus: "error" })
          const meta = { ...item.meta, platform: spec.itemPlatforms[i % spec.itemPlatforms.length] }
          return errorCode === undefined || i % 2 === 0 ? { ...item, meta } : { ...item, meta: { ...meta, error_code: errorCode } }
        })
        yield* storage.put({ bucket: BUCKET, key }, encode(spec.broken ? "{not json" : items), {}).pipe(Effect.orDie)
        yield* control.publish(encode(eventFor(`${BUCKET}/${key}`, { platform: spec.eventPlatform })))
        const delivery = yield* queue.deliveries.pipe(Stream.take(1), Stream.runHead)
        if (delivery._tag === "None") return assert.fail("no delivery")
        const outcome = yield* handle(delivery.value)
        assert.include(["Acked", "DeadLettered"], outcome._tag)
      }

      const allowed: Record<string, ReadonlySet<string>> = {
        platform: new Set(PLATFORM_LABELS),
        code: new Set(DEAD_LETTER_CODES),
        stage: new Set(STAGES),
        error_category: new Set<string>([...ERROR_CATEGORIES, ...DEAD_LETTER_CODES]),
        outcome: new Set(["acked", "dead_lettered", "requeued", "stored", "skipped", "error"]),
        dependency: new Set(["broker", "database", "storage"]),
        // Expected sizes come from the configuration; actual sizes are counts up to the limit.
        expected_size: new Set(["50", "20", "unknown", "none", ...Array.from({ length: MAX_ITEMS + 1 }, (_, i) => String(i)), OVERFLOW_LABEL]),
        actual_size: new Set([...Array.from({ length: MAX_ITEMS + 1 }, (_, i) => String(i)), OVERFLOW_LABEL])
      }
      const metrics = yield* Effect.promise(() => registry.getMetricsAsJSON())
      let series = 0
      for (const metric of metrics.filter((m) => m.name.startsWith("analytics_"))) {
        for (const value of metric.values) {
          series++
          for (const [label, labelValue] of Object.entries(value.labels)) {
            if (label === "le" || label === "quantile") continue
            const closed = allowed[label]
            assert.isDefined(closed, `${metric.name}: unexpected label ${label}`)
            assert.isTrue(closed?.has(String(labelValue)), `${metric.name}{${label}=${JSON.stringify(labelValue)}} is not in the closed set`)
          }
        }
      }
      assert.isAbove(series, 0)
      // The adversarial batches did reach the labelled series, not only the zero-initialised ones.
      const mismatches = metrics.find((m) => m.name === "analytics_batch_size_mismatch_total")?.values ?? []
      assert.isAbove(mismatches.length, 0)
      const messages = metrics.find((m) => m.name === "analytics_messages_total")?.values ?? []
      assert.isTrue(messages.some((v) => v.labels["outcome"] === "dead_lettered" && v.value > 0), "some batches were dead-lettered")
    }).pipe(Effect.provide(MetricsLive), Effect.provide(memoryApp({ env: { MAX_BATCH_ITEMS: String(MAX_ITEMS) } }))), 120_000)
})

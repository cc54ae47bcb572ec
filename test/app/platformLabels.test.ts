import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { MetricsMemoryState } from "../../src/adapters/memory/Metrics.ts"
import { MemoryQueueControl } from "../../src/adapters/memory/EventQueue.ts"
import { makeDeliveryHandler } from "../../src/app/handleDelivery.ts"
import { PLATFORM_LABELS } from "../../src/domain/platform.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { BatchStorage } from "../../src/ports/BatchStorage.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"
import { eventFor, PROJECT_ID, rawItem } from "../support/crawlerBatch.ts"
import { memoryApp } from "../support/memoryApp.ts"

/**
 * Defect 6: with no platform in the event, each item's free-text `meta.platform` used to become
 * a `platform` label value (ten values → 190 new series) and the stored platform. Platforms are
 * a closed set now (platform.ts): free text is `OTHER`, for the label and for the row.
 */
const BUCKET = "crawl-results"
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe("platform labels stay bounded (defect 6)", () => {
  it.effect("ten distinct free-text platforms give only closed-set labels and store OTHER", () =>
    Effect.gen(function*() {
      const storage = yield* BatchStorage
      const control = yield* MemoryQueueControl
      const queue = yield* EventQueue
      const handle = yield* makeDeliveryHandler
      for (let n = 0; n < 10; n++) {
        const key = `other/${PROJECT_ID}/brand/batch_${n}.json`
        const items = [0, 1, 2].map((i) => {
          const item = rawItem(10 * n + i, { id: `p${n}_${i}` })
          return { ...item, meta: { ...item.meta, platform: `Free Platform ${n} \u0000${"!".repeat(n)}` } }
        })
        yield* storage.put({ bucket: BUCKET, key }, encode(items), {}).pipe(Effect.orDie)
        yield* control.publish(encode(eventFor(`${BUCKET}/${key}`, { platform: null, content_count: 3 })))
        const delivery = yield* queue.deliveries.pipe(Stream.take(1), Stream.runHead)
        if (delivery._tag === "None") return assert.fail("no delivery")
        assert.strictEqual((yield* handle(delivery.value))._tag, "Acked")
      }
      const series = yield* (yield* MetricsMemoryState).snapshot
      const labels = new Set(series.flatMap((s) => s.labels["platform"] === undefined ? [] : [s.labels["platform"]]))
      assert.deepStrictEqual([...labels], ["OTHER"])
      for (const label of labels) assert.include(PLATFORM_LABELS, label)
      // Per platform-labelled metric, one series per other label combination, whatever the crawlers sent.
      assert.isAtMost(series.filter((s) => s.labels["platform"] !== undefined).length, 5)
      const repo = yield* AnalyticsRepository
      assert.strictEqual((yield* repo.findPost({ project_id: PROJECT_ID, platform: "OTHER", id: "p3_1" }))?.platform, "OTHER")
      assert.strictEqual((yield* repo.counts(PROJECT_ID)).analytics, 30)
    }).pipe(Effect.provide(memoryApp())))
})

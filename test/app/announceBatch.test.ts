import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Stream } from "effect"
import { uploadAndAnnounce } from "../../src/app/announceBatch.ts"
import { decodeEvent } from "../../src/domain/event.ts"
import { memoryLayers } from "../../src/main.ts"
import { BatchStorage } from "../../src/ports/BatchStorage.ts"
import { appConfig } from "../../src/ports/Config.ts"
import { EventQueue } from "../../src/ports/EventQueue.ts"

/** The service's own in-memory world (main.ts), not a copy. */
const world = Layer.unwrap(Effect.map(appConfig.parse(ConfigProvider.fromEnv({ env: {} })), memoryLayers)).pipe(Layer.orDie)

describe("uploadAndAnnounce (what a crawler does)", () => {
  it.effect("uploads the batch, then announces an event the consumer decodes back to that batch and context", () =>
    Effect.gen(function*() {
      const bytes = new TextEncoder().encode("[]")
      const sent = yield* uploadAndAnnounce({
        bucket: "crawl-results",
        key: "tiktok/a95796bc-5c7b-432b-bf99-0afa8ed81f0c/brand/batch_007.json",
        bytes,
        event: {
          event_id: "evt_test_7",
          event_type: "data.collected",
          timestamp: "2025-12-06T10:15:30Z",
          payload: { project_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c", platform: "tiktok", batch_index: 7, content_count: 0 }
        }
      })
      assert.strictEqual(sent.payload.minio_path, "crawl-results/tiktok/a95796bc-5c7b-432b-bf99-0afa8ed81f0c/brand/batch_007.json")
      const stored = yield* (yield* BatchStorage).get({ bucket: "crawl-results", key: "tiktok/a95796bc-5c7b-432b-bf99-0afa8ed81f0c/brand/batch_007.json" }, 1024)
      assert.deepStrictEqual(Array.from(stored.bytes), Array.from(bytes))
      const [delivery] = yield* Stream.runCollect(Stream.take((yield* EventQueue).deliveries, 1))
      assert.isDefined(delivery)
      const event = yield* decodeEvent(delivery!.body, ["crawl-results"])
      assert.strictEqual(event.objectPath, sent.payload.minio_path)
      assert.strictEqual(event.eventId, "evt_test_7")
      assert.strictEqual(event.platform, "TIKTOK")
      assert.strictEqual(event.context.project_id, "a95796bc-5c7b-432b-bf99-0afa8ed81f0c")
    }).pipe(Effect.provide(world)))
})

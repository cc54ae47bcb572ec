import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { responseCache } from "../../src/adapters/http/apiServer.ts"

describe("response cache", () => {
  it.live("identical requests within the TTL share one run, concurrent ones too; another key or an expired entry runs again", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const query = Ref.updateAndGet(runs, (n) => n + 1).pipe(Effect.delay("20 millis"))
      const cache = responseCache(150)
      const answers = yield* Effect.all(Array.from({ length: 5 }, () => cache("a", query)), { concurrency: "unbounded" })
      assert.deepStrictEqual(answers, [1, 1, 1, 1, 1])
      assert.strictEqual(yield* cache("a", query), 1)
      assert.strictEqual(yield* cache("b", query), 2)
      yield* Effect.sleep("200 millis")
      assert.strictEqual(yield* cache("a", query), 3)
      assert.strictEqual(yield* Ref.get(runs), 3)
    }))

  it.live("a failure is not kept; TTL 0 never caches", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const failing = Effect.flatMap(Ref.updateAndGet(runs, (n) => n + 1), (n) => (n === 1 ? Effect.fail("down") : Effect.succeed(n)))
      const cache = responseCache(10_000)
      assert.strictEqual(yield* Effect.flip(cache("k", failing)), "down")
      assert.strictEqual(yield* cache("k", failing), 2)
      assert.strictEqual(yield* cache("k", failing), 2)
      const off = responseCache(0)
      assert.strictEqual(yield* off("k", failing), 3)
      assert.strictEqual(yield* off("k", failing), 4)
    }))

  it.live("holds at most `capacity` entries, dropping the oldest", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const query = Ref.updateAndGet(runs, (n) => n + 1)
      const cache = responseCache(10_000, 2)
      yield* cache("a", query)
      yield* cache("b", query)
      yield* cache("c", query)
      assert.strictEqual(yield* cache("c", query), 3)
      assert.strictEqual(yield* cache("a", query), 4)
    }))
})

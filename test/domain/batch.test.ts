import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { checkItemLimit, decodeEntries, parseJson, readBatchArray, sizeMismatch } from "../../src/domain/batch.ts"

const encode = (text: string) => new TextEncoder().encode(text)

describe("the batch object", () => {
  it("a post id written as a 19-digit JSON number keeps every digit", () => {
    const raw = parseJson('[{"meta":{"id":7576276451171880001},"interaction":{"views":18000}}]')
    const [entry] = decodeEntries(raw as Array<unknown>, "b/k")
    assert.strictEqual(entry?._tag, "Item")
    if (entry?._tag === "Item") {
      assert.strictEqual(entry.item.meta.id, "7576276451171880001")
      assert.strictEqual(entry.item.interaction.views, 18000)
    }
  })

  it.effect("accepts an array or an object with items; anything else is NOT_A_BATCH", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* readBatchArray(encode('[{"meta":{"id":"1"}}]'))).length, 1)
      assert.strictEqual((yield* readBatchArray(encode('{"items":[{"meta":{"id":"1"}},{"meta":{"id":"2"}}]}'))).length, 2)
      for (const bad of ['{"posts":[]}', '"text"', "42", "{broken"]) {
        const error = yield* readBatchArray(encode(bad)).pipe(Effect.flip)
        assert.strictEqual(error.code, "NOT_A_BATCH")
      }
    }))

  it("more items than the limit is OVER_LIMIT", () => {
    assert.strictEqual(checkItemLimit(1000, 1000), null)
    assert.strictEqual(checkItemLimit(1001, 1000)?.code, "OVER_LIMIT")
  })

  it("null, negative and string counts are made safe without failing the item", () => {
    const [entry] = decodeEntries([{
      meta: { id: "p1" },
      interaction: { views: "1,200", likes: -5, comments_count: null, shares: "abc", saves: 3.7 },
      author: { followers: "204", is_verified: "true" }
    }], "b/k")
    assert.strictEqual(entry?._tag, "Item")
    if (entry?._tag === "Item") {
      assert.deepStrictEqual(
        [entry.item.interaction.views, entry.item.interaction.likes, entry.item.interaction.comments_count, entry.item.interaction.shares, entry.item.interaction.saves],
        [1200, 0, 0, 0, 3]
      )
      assert.strictEqual(entry.item.author?.followers, 204)
      assert.strictEqual(entry.item.author?.is_verified, true)
    }
  })

  it("an item without meta.id becomes an Unreadable entry; its neighbours decode", () => {
    const entries = decodeEntries([{ meta: { id: "ok" } }, { meta: {} }, "garbage"], "crawl-results/x.json")
    assert.deepStrictEqual(entries.map((e) => e._tag), ["Item", "Unreadable", "Unreadable"])
    const unreadable = entries[1]
    if (unreadable?._tag === "Unreadable") {
      assert.strictEqual(unreadable.contentId, "crawl-results/x.json#1")
      assert.include(unreadable.reason, "id")
    }
  })

  it("description stands in for missing text, and naive timestamps are UTC", () => {
    const [entry] = decodeEntries([{
      meta: { id: "p", crawled_at: "2025-12-06 10:15:30", platform: "tiktok" },
      content: { description: "mô tả", hashtags: ["#vinfast", "vf8"] }
    }], "b/k")
    if (entry?._tag !== "Item") return assert.fail("expected an item")
    assert.strictEqual(entry.item.content.text, "mô tả")
    assert.deepStrictEqual(entry.item.content.hashtags, ["vinfast", "vf8"])
    assert.strictEqual(entry.item.meta.crawled_at, "2025-12-06T10:15:30.000Z")
    assert.strictEqual(entry.item.meta.platform, "TIKTOK")
  })
})

describe("batch size mismatch", () => {
  const expected = { TIKTOK: 50, YOUTUBE: 20 }
  it("is null when the size matches or no size is expected", () => {
    assert.strictEqual(sizeMismatch("TIKTOK", 50, expected, 1000), null)
    assert.strictEqual(sizeMismatch("UNKNOWN", 7, expected, 1000), null)
  })
  it("labels a partial batch with its actual size", () => {
    assert.deepStrictEqual(sizeMismatch("YOUTUBE", 7, expected, 1000)?.labels, {
      platform: "YOUTUBE",
      expected_size: "20",
      actual_size: "7"
    })
  })
  it("reports sizes above the item limit as overflow, keeping labels bounded", () => {
    assert.strictEqual(sizeMismatch("TIKTOK", 5000, expected, 1000)?.labels.actual_size, "overflow")
  })
})

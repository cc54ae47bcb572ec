import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { decodeEntries, parseJson } from "../../src/domain/batch.ts"
import { decodeEvent, parseObjectPath } from "../../src/domain/event.ts"
import { MAX_PARSE_DEPTH, parseJsonIterative } from "../../src/domain/json.ts"
import { batchPlatform, PLATFORM_LABELS, toPlatform } from "../../src/domain/platform.ts"
import {
  clampCount,
  cleanJson,
  cleanText,
  hasLoneSurrogate,
  int32OrNull,
  MAX_COUNT,
  MAX_JSON_DEPTH,
  MAX_JSON_LENGTH,
  postIdProblem,
  truncate,
  utf8Length
} from "../../src/domain/sanitize.ts"
import { toUtcIso } from "../../src/domain/time.ts"
import { Effect } from "effect"

describe("cleanText", () => {
  it("removes NUL and replaces lone surrogates with U+FFFD, keeping pairs", () => {
    assert.strictEqual(cleanText("a\u0000b\u0000"), "ab")
    assert.strictEqual(cleanText("\ud800x\udc00"), "\ufffdx\ufffd")
    assert.strictEqual(cleanText("emoji 😀 \ud83d"), "emoji 😀 \ufffd")
    assert.strictEqual(cleanText("tiếng Việt"), "tiếng Việt")
  })
  it("bounds the length without splitting a surrogate pair", () => {
    assert.strictEqual(cleanText("abcdef", 3), "abc")
    assert.strictEqual(truncate("ab😀", 3), "ab")
    assert.strictEqual(truncate("ab😀", 4), "ab😀")
  })
  it("its output never has NUL or a lone surrogate (any string)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.integer({ min: 0, max: 40 }), (s, max) => {
        const out = cleanText(s, max)
        return !out.includes("\u0000") && !hasLoneSurrogate(out) && out.length <= max
      }),
      { seed: 7, numRuns: 500 }
    )
  })
})

describe("counts, integers and dates", () => {
  it("counts are clamped to [0, 2^53 − 1]; what is not a finite number is 0", () => {
    assert.deepStrictEqual(
      [1e20, 1e19, 1e300, Infinity, -Infinity, NaN, -0, -5, 3.7, MAX_COUNT + 2].map(clampCount),
      [MAX_COUNT, MAX_COUNT, MAX_COUNT, 0, 0, 0, 0, 0, 3, MAX_COUNT]
    )
  })
  it("int32OrNull keeps PostgreSQL integers only", () => {
    assert.deepStrictEqual(
      [0, -1, 2147483647, 2147483648, -2147483648, -2147483649, 3e9, 1.5, null].map(int32OrNull),
      [0, -1, 2147483647, null, -2147483648, null, null, null, null]
    )
  })
  it("instants outside the years 0001–9999 are null", () => {
    assert.strictEqual(toUtcIso("+010000-01-01T00:00:00Z"), null)
    assert.strictEqual(toUtcIso("-000001-01-01T00:00:00Z"), null)
    assert.strictEqual(toUtcIso("0000-12-31T23:59:59Z"), null)
    assert.strictEqual(toUtcIso("0001-01-01T00:30:00+01:00"), null, "year 0 once in UTC")
    assert.strictEqual(toUtcIso("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00.000Z")
    assert.strictEqual(toUtcIso("9999-12-31T23:59:59.999Z"), "9999-12-31T23:59:59.999Z")
    assert.strictEqual(toUtcIso(1e15), null, "epoch milliseconds in year 33658")
    assert.strictEqual(toUtcIso(1_733_480_130), "2024-12-06T10:15:30.000Z")
  })
})

describe("post ids", () => {
  it("an id that cannot be stored as sent has a problem; ordinary ids do not", () => {
    for (const ok of ["7576276451171880001", "dQw4w9WgXcQ", " padded ", "x".repeat(512), 42, 1.5, "😀"]) {
      assert.strictEqual(postIdProblem(ok), null, String(ok))
    }
    for (const bad of ["x".repeat(513), "a\u0000", "a\ud800", "\udc00", Infinity, -Infinity, NaN]) {
      assert.isString(postIdProblem(bad))
    }
  })
  it("such an item is an INVALID_ID entry named by its position, never 'Infinity'", () => {
    const entries = decodeEntries(parseJson('[{"meta":{"id":1e400}},{"meta":{"id":"a\\ud800"}},{"meta":{"id":"ok"}}]') as Array<unknown>, "b/k")
    assert.deepStrictEqual(
      entries.map((e) => e._tag === "Unreadable" ? `${e.code} ${e.contentId}` : e.item.meta.id),
      ["INVALID_ID b/k#0", "INVALID_ID b/k#1", "ok"]
    )
  })
})

describe("cleanJson (error_details)", () => {
  it("cleans strings and keys, nulls non-finite numbers, cuts depth and size", () => {
    assert.deepStrictEqual(cleanJson({ "k\u0000": "v\u0000\ud800", n: Infinity, a: [1, "\udc00"] }), {
      k: "v\ufffd",
      n: null,
      a: [1, "\ufffd"]
    })
    let deep: unknown = 1
    for (let i = 0; i < 100; i++) deep = { d: deep }
    const cut = JSON.stringify(cleanJson(deep))
    assert.strictEqual(cut.split("{").length - 1, MAX_JSON_DEPTH)
    const big = cleanJson({ s: "x".repeat(MAX_JSON_LENGTH) }) as { truncated: string }
    assert.isString(big.truncated)
    assert.isBelow(big.truncated.length, MAX_JSON_LENGTH)
  })
  it("keeps an own '__proto__' key as data", () => {
    const out = cleanJson(JSON.parse('{"__proto__":{"x":1}}')) as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(out), ["__proto__"])
    assert.strictEqual(Object.getPrototypeOf(out), Object.prototype)
  })
})

describe("platforms (defect 6)", () => {
  it("a platform is one of the closed set: known names in any case, else OTHER; nothing is null", () => {
    assert.deepStrictEqual(
      ["tiktok", " YouTube ", "facebook", "INSTAGRAM", "threads", "x\u0000", "", "  ", null].map(toPlatform),
      ["TIKTOK", "YOUTUBE", "FACEBOOK", "INSTAGRAM", "OTHER", "OTHER", null, null, null]
    )
  })
  it("a batch's platform: the event's, else the first item's, else UNKNOWN; always a bounded label", () => {
    assert.strictEqual(batchPlatform("TIKTOK", ["youtube"]), "TIKTOK")
    assert.strictEqual(batchPlatform(null, [null, "youtube", "tiktok"]), "YOUTUBE")
    assert.strictEqual(batchPlatform(null, ["my own platform"]), "OTHER")
    assert.strictEqual(batchPlatform(null, []), "UNKNOWN")
    fc.assert(
      fc.property(fc.option(fc.string()), fc.array(fc.option(fc.string())), (event, items) =>
        PLATFORM_LABELS.includes(batchPlatform(event, items))),
      { seed: 7, numRuns: 300 }
    )
  })
  it("an item's meta.platform is decoded into the closed set", () => {
    const [entry] = decodeEntries([{ meta: { id: "p", platform: "Threads" } }], "b/k")
    assert.strictEqual(entry?._tag === "Item" ? entry.item.meta.platform : entry?.reason, "OTHER")
  })
})

describe("object paths (the ledger's key)", () => {
  it("utf8Length counts UTF-8 bytes as PostgreSQL stores them", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => utf8Length(s) === new TextEncoder().encode(s).length),
      { seed: 5, numRuns: 500 }
    )
  })
  it("a key over 1024 UTF-8 bytes, a NUL or a lone surrogate names no object", () => {
    const refused = (path: string) => "problem" in parseObjectPath(path)
    assert.isFalse(refused(`b/${"k".repeat(1024)}`))
    assert.isTrue(refused(`b/${"k".repeat(1025)}`))
    assert.isTrue(refused(`b/${"中".repeat(342)}`))
    assert.isTrue(refused("b/k\u0000"))
    assert.isTrue(refused("b/k\ud800"))
  })
})

describe("the event's batch_index", () => {
  it.effect("outside PostgreSQL's integer range is null; the event is still processed", () =>
    Effect.gen(function*() {
      const body = (index: string) =>
        new TextEncoder().encode(
          `{"event_type":"data.collected","payload":{"minio_path":"b/k","project_id":"a95796bc-5c7b-432b-bf99-0afa8ed81f0c","batch_index":${index},"job_id":"j\\u0000"}}`
        )
      assert.strictEqual((yield* decodeEvent(body("3e9"), ["b"])).context.batch_index, null)
      assert.strictEqual((yield* decodeEvent(body('"-3000000000"'), ["b"])).context.batch_index, null)
      const ok = yield* decodeEvent(body("7"), ["b"])
      assert.strictEqual(ok.context.batch_index, 7)
      assert.strictEqual(ok.context.job_id, "j")
    }))
})

describe("parseJson at any depth", () => {
  const reviverParse = (text: string): unknown =>
    JSON.parse(text, (_k, v: unknown, ctx?: { source?: string }) =>
      typeof v === "number" && Number.isInteger(v) && !Number.isSafeInteger(v) && ctx?.source !== undefined ? ctx.source : v)

  it("a batch with an item nested 10 000 levels deep parses; the deep part is cut, big ids keep their digits", () => {
    const deep = `${"[".repeat(10_000)}1${"]".repeat(10_000)}`
    const parsed = parseJson(`[{"meta":{"id":7576276451171880001,"x":${deep}}},{"meta":{"id":"b"}}]`) as Array<
      { meta: { id: unknown; x: unknown } }
    >
    assert.strictEqual(parsed[0]?.meta.id, "7576276451171880001")
    let depth = 0
    for (let v: unknown = parsed[0]?.meta.x; Array.isArray(v); v = v[0]) depth++
    assert.strictEqual(depth, MAX_PARSE_DEPTH - 3, "three levels are above x")
    assert.strictEqual(parsed.length, 2)
  })

  it("the iterative parser agrees with JSON.parse (with the big-integer reviver) on any JSON text", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom("", " ", "\n\t "), (value, space) => {
        const text = JSON.stringify(value, null, space)
        assert.deepStrictEqual(parseJsonIterative(text, 1000), reviverParse(text))
      }),
      { seed: 11, numRuns: 1000 }
    )
    for (const text of ["12345678901234567890", "-0", "1e400", '"\\ud800"', '{"__proto__":1,"a":[]}', '[1E20, -1e-7]']) {
      assert.deepStrictEqual(parseJsonIterative(text, 10), reviverParse(text), text)
    }
  })

  it("the iterative parser rejects what JSON.parse rejects", () => {
    const bad = ["", "[", "[1,]", "{\"a\":1,}", "{a:1}", "01", "+1", "1.", ".5", "\"\\x\"", "\"a\nb\"", "[1] x", "tru", "nul", "{\"a\" 1}", "[1 2]", "\"abc", "\"\\u12\""]
    for (const text of bad) {
      assert.throws(() => JSON.parse(text), SyntaxError, undefined, `JSON.parse ${text}`)
      assert.throws(() => parseJsonIterative(text, 10), SyntaxError, undefined, text)
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."[]{}\",:0123456789.eE+-tnruefals \\") }), (text) => {
        let native: unknown
        try {
          native = { ok: reviverParse(text) }
        } catch {
          native = "error"
        }
        let ours: unknown
        try {
          ours = { ok: parseJsonIterative(text, 1000) }
        } catch {
          ours = "error"
        }
        assert.deepStrictEqual(ours, native, text)
      }),
      { seed: 13, numRuns: 3000 }
    )
  })
})

import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { parseJson, parseJsonWithReviver } from "../../src/domain/json.ts"

/** Number literals as crawlers write them, big integers and exponents included. */
const numberLiteral = fc.oneof(
  fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }).map(String),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: -30, max: 400 })).map(([a, b, e]) => `${a}.${b}e${e}`),
  fc.constantFrom("7576276451171880001", "9007199254740993", "9007199254740991", "1e20", "1E400", "-12345678901234567890.5", "0.12345678901234567890123")
)
const stringLiteral = fc.oneof(
  fc.string().map((s) => JSON.stringify(s)),
  fc.constantFrom('"id 7576276451171880001"', '"\\\\"', '"a\\"12345678901234567890\\"b"', '"1e5"')
)
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberLiteral,
    stringLiteral,
    fc.constantFrom("true", "false", "null"),
    fc.array(tie("value"), { maxLength: 5 }).map((xs) => `[${xs.join(", ")}]`),
    fc.array(fc.tuple(stringLiteral, tie("value")), { maxLength: 5 }).map((kv) => `{${kv.map(([k, v]) => `${k}: ${v}`).join(",\n  ")}}`)
  )
})).value

describe("parseJson's fast path", () => {
  it("returns what the reviver returns, for any JSON text", () => {
    fc.assert(fc.property(jsonText, (text) => {
      expect(parseJson(text)).toStrictEqual(parseJsonWithReviver(text))
    }), { numRuns: 2000 })
  })

  it("keeps the digits of integers beyond 2^53 and nothing else", () => {
    expect(parseJson('{"id": 7576276451171880001, "n": 9007199254740991, "e": 1e20, "f": 0.12345678901234567890, "s": "7576276451171880001"}')).toStrictEqual({
      id: "7576276451171880001",
      n: 9007199254740991,
      e: "1e20",
      f: 0.12345678901234568,
      s: "7576276451171880001"
    })
  })

  it("fails on invalid text exactly as the reviver path does", () => {
    for (const text of ['{"id": 7576276451171880001', '["unterminated 12345678901234567890]', "[1,]", "", "{12345678901234567890: 1}", "[00012345678901234567]", "[-]", "[1.2.3e99]"]) {
      expect(() => parseJson(text)).toThrow()
      let message = ""
      try {
        parseJsonWithReviver(text)
      } catch (e) {
        message = (e as Error).message
      }
      expect(() => parseJson(text)).toThrow(message)
    }
  })
})

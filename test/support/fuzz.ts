import * as fc from "fast-check"

/** A UTF-16 surrogate that is not half of a pair (a string UTF-8 cannot encode). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Shared settings and generators of the property tests under test/fuzz/.
 *
 * The normal test run uses a fixed seed and a small share of cases; `npm run fuzz` runs the
 * full count (`FUZZ_RUNS`, 100 000 by default there). `FUZZ_SEED` replays a reported seed.
 */
export const FUZZ_SEED = Number(process.env["FUZZ_SEED"] ?? 20261203)
const FULL_RUNS = process.env["FUZZ_RUNS"] === undefined ? null : Number(process.env["FUZZ_RUNS"])

/** Cases for one property: `share` in the normal run, `FUZZ_RUNS × fraction` in the full one. */
export const fuzzRuns = (share: number, fraction = 1): number =>
  FULL_RUNS === null ? share : Math.max(1, Math.ceil(FULL_RUNS * fraction))

/** A timeout that grows with the number of cases (`msPerRun` each), never under a minute. */
export const fuzzTimeout = (runs: number, msPerRun: number): number => Math.max(60_000, Math.ceil(runs * msPerRun) + 30_000)

export const fuzzParameters = (numRuns: number): fc.Parameters<unknown> => ({ seed: FUZZ_SEED, numRuns, endOnFailure: true })

/** Strings that break naive code: NUL, lone surrogates, astral characters, controls, RTL, BOM. */
const oddUnits = ["\u0000", "\ud800", "\udfff", "\ud83d", "😀", "\u202e", "\ufeff", "\u0085", "\u2028", "\\", "\"", "ệ", "中", "\r\n", "'", "..", "/"]

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 9, arbitrary: fc.string({ unit: fc.constantFrom(...oddUnits, "a", " "), maxLength: 40 }) },
  { weight: 6, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 6, arbitrary: fc.constantFrom("", " ", "\u0000", "\ud800", "a\u0000b", "tiktok", "YouTube", "TIKTOK", "null", "1e400", "NaN", "../etc/passwd", "/abs", "bucket/../x") },
  // Huge strings, rarely: the decoders must bound what they keep, not choke.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("a", "ệ", "😀", "\u0000", "\ud800"), fc.integer({ min: 1_000, max: 100_000 })).map(([u, n]) => u.repeat(n)) }
)

/** Numbers at every edge, as JSON text (so values JSON.stringify cannot write are included). */
export const edgeNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "0", "-0", "1", "-1", "0.5", "1e20", "1e300", "1e400", "-1e400", "1e-400", "4.9e-324", "1.7976931348623157e308",
    "2147483647", "2147483648", "-2147483649", "9007199254740991", "9007199254740992", "9223372036854775807",
    "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "0.1e1", "1E+2"
  ),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : "1e999")),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String)
)

/** JSON text nested `levels` deep, as an array or an object chain. */
export const deepJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 20_000 }) }
).chain((levels) => fc.constantFrom(`${"[".repeat(levels)}${"]".repeat(levels)}`, `${"{\"a\":".repeat(levels)}1${"}".repeat(levels)}`))

/** Any JSON value as text, built from hostile strings, edge numbers and deep nesting. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 3, arbitrary: hostileString.map((s) => JSON.stringify(s)) },
    { weight: 2, arbitrary: edgeNumberText },
    { weight: 1, arbitrary: fc.constantFrom("null", "true", "false", "[]", "{}") },
    { weight: 1, arbitrary: deepJson },
    { weight: 2, arbitrary: fc.array(tie("value"), { maxLength: 5 }).map((vs) => `[${vs.join(",")}]`) },
    {
      weight: 2,
      arbitrary: fc.array(fc.tuple(hostileString, tie("value")), { maxLength: 5 })
        .map((kvs) => `{${kvs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`)
    }
  )
})).value

/**
 * `base` as JSON text with each edit's JSON text put at its path (created when absent; a later
 * edit of the same path wins). The values are spliced in as text, never parsed, so they may be
 * deeper than any parser or serializer could handle.
 */
export const withValuesAt = (base: unknown, edits: ReadonlyArray<readonly [ReadonlyArray<string>, string]>): string => {
  const mark = (i: number) => `\u0001__fuzz_value_${i}__\u0001`
  const copy: unknown = JSON.parse(JSON.stringify(base))
  for (const [i, [path, _]] of edits.entries()) {
    let node = copy as Record<string, unknown>
    for (const [depth, key] of path.entries()) {
      if (depth === path.length - 1) {
        node[key] = mark(i)
      } else {
        const next = node[key]
        if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {}
        node = node[key] as Record<string, unknown>
      }
    }
  }
  let text = JSON.stringify(copy)
  for (const [i, [, value]] of edits.entries()) text = text.replace(JSON.stringify(mark(i)), () => value)
  return text
}

/** `withValuesAt` with one edit. */
export const withValueAt = (base: unknown, path: ReadonlyArray<string>, valueText: string): string => withValuesAt(base, [[path, valueText]])

/** Arbitrary bytes: often not UTF-8, sometimes a UTF-8 JSON prefix cut short. */
export const arbitraryBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  jsonText.map((t) => new TextEncoder().encode(t)).chain((b) => fc.integer({ min: 0, max: b.length }).map((n) => b.slice(0, n)))
)

/** True when PostgreSQL can store the string (no NUL) and UTF-8 can encode it (no lone surrogate). */
export const storable = (s: string): boolean => !s.includes("\u0000") && !LONE_SURROGATE.test(s)

/** Every string and number inside a value (keys included), for invariants over whole records; iterative, so depth is no limit. */
export const leaves = (value: unknown) => {
  const out = { strings: [] as Array<string>, numbers: [] as Array<number> }
  const stack: Array<unknown> = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === "string") out.strings.push(v)
    else if (typeof v === "number") out.numbers.push(v)
    else if (Array.isArray(v)) stack.push(...v)
    else if (typeof v === "object" && v !== null) {
      for (const [k, inner] of Object.entries(v)) {
        out.strings.push(k)
        stack.push(inner)
      }
    }
  }
  return out
}

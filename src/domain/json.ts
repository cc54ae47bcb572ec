/**
 * `JSON.parse` for batch objects (§2). Integers beyond 2^53 (19-digit post ids) are returned as
 * their source text instead of a rounded double.
 *
 * The native parser keeps that text only through a reviver, and V8 applies a reviver
 * recursively: a value nested a few thousand levels deep overflows the stack ("Maximum call
 * stack size exceeded") and would reject the whole batch. Then the text is parsed again by
 * `parseJsonIterative`, which uses no recursion and reads any container nested deeper than
 * `MAX_PARSE_DEPTH` as null (the item's known fields are a few levels deep; what is deeper is
 * an unknown field or `error_details`, which is bounded further on anyway).
 */

/** Containers nested deeper than this are read as null by `parseJsonIterative`. */
export const MAX_PARSE_DEPTH = 64

/** The JSON reviver context (json-parse-with-source), present on Node ≥ 21 and Deno. */
interface ReviverContext {
  readonly source?: string
}

const keepBigIntegers = function(this: unknown, _key: string, value: unknown, context?: ReviverContext) {
  return typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) &&
      context?.source !== undefined
    ? context.source
    : value
}

/** The reviver path: exact, and about six times slower than `JSON.parse` without a reviver. */
const parseWithReviver = (text: string): unknown => {
  try {
    return JSON.parse(text, keepBigIntegers)
  } catch (error) {
    if (error instanceof RangeError) return parseJsonIterative(text, MAX_PARSE_DEPTH)
    throw error
  }
}

/** Deeper texts take the reviver path, whose result at such depths this one does not match. */
const MAX_FAST_DEPTH = 256

/** A JSON number literal, exactly. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

const isDigit = (c: number) => c >= 48 && c <= 57
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13

/**
 * The text with its integer literals beyond 2^53 quoted, so that a plain parse returns their
 * digits as the reviver does. One pass over the characters: strings are skipped whole (digits
 * inside them are never touched), brackets counted for the nesting depth, and only a literal
 * with 16 or more integer digits or an exponent is looked at (anything shorter is below 2^53).
 * Null, for the reviver path, when the text nests deeper than MAX_FAST_DEPTH or has a long
 * literal that is not a JSON number or stands where a key belongs (quoting it would make
 * invalid text valid).
 */
const quoteBigIntegers = (text: string): string | null => {
  const n = text.length
  let depth = 0
  let parts: Array<string> | null = null
  let last = 0
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i)
        if (d === 92) i++
        else if (d === 34) break
      }
    } else if (c === 91 || c === 123) {
      if (++depth > MAX_FAST_DEPTH) return null
    } else if (c === 93 || c === 125) {
      depth--
    } else if (c === 45 || isDigit(c)) {
      const start = i
      let integerDigits = isDigit(c) ? 1 : 0
      let inInteger = true
      let exponent = false
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i)
        if (isDigit(d)) {
          if (inInteger) integerDigits++
        } else if (d === 46 || d === 43 || d === 45) {
          inInteger = false
        } else if (d === 101 || d === 69) {
          inInteger = false
          exponent = true
        } else break
      }
      if (integerDigits >= 16 || exponent) {
        const token = text.slice(start, i)
        const value = Number(token)
        if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
          let next = i
          while (next < n && isSpace(text.charCodeAt(next))) next++
          if (!JSON_NUMBER.test(token) || text.charCodeAt(next) === 58) return null
          parts ??= []
          parts.push(text.slice(last, start), `"${token}"`)
          last = i
        }
      }
      i--
    }
  }
  if (parts === null) return text
  parts.push(text.slice(last))
  return parts.join("")
}

/**
 * Parses JSON text; big integers keep their digits; never overflows the stack.
 *
 * Fast path: `JSON.parse` without a reviver on the text with its big integer literals quoted;
 * the result is the reviver's. Texts nested deeper than MAX_FAST_DEPTH and any failure
 * (invalid JSON) take the reviver path, so errors and the deep-nesting fallback are exactly
 * the reviver path's.
 */
export const parseJson = (text: string): unknown => {
  const quoted = quoteBigIntegers(text)
  if (quoted === null) return parseWithReviver(text)
  try {
    return JSON.parse(quoted)
  } catch {
    return parseWithReviver(text)
  }
}

/** `parseJson` without the fast path (tests compare the two). */
export const parseJsonWithReviver = parseWithReviver

interface Frame {
  readonly isArray: boolean
  /** null when the container is deeper than the limit: it is read, then dropped. */
  readonly value: Array<unknown> | Record<string, unknown> | null
  key: string
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

/**
 * A JSON parser without recursion, for any nesting depth. It accepts exactly what `JSON.parse`
 * accepts and returns the same values (integers beyond 2^53 as their source text), except that
 * a container nested deeper than `maxDepth` is read as null.
 */
export const parseJsonIterative = (text: string, maxDepth: number): unknown => {
  let i = 0
  const stack: Array<Frame> = []
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} in JSON at position ${i}`)
  }
  const skipSpace = () => {
    for (;;) {
      const c = text.charCodeAt(i)
      if (c === 32 || c === 9 || c === 10 || c === 13) i++
      else return
    }
  }
  const readString = (): string => {
    const start = i
    let escaped = false
    i++
    for (;;) {
      if (i >= text.length) fail("Unterminated string")
      const c = text.charCodeAt(i)
      if (c === 34) break
      if (c === 92) {
        escaped = true
        i += 2
      } else if (c < 0x20) {
        fail("Bad control character in string literal")
      } else {
        i++
      }
    }
    i++
    // The escapes themselves (\uXXXX, \n, …) are checked and decoded by the native parser.
    return escaped ? JSON.parse(text.slice(start, i)) as string : text.slice(start + 1, i - 1)
  }
  const readKey = (frame: Frame) => {
    skipSpace()
    if (text.charCodeAt(i) !== 34) fail("Expected property name")
    frame.key = readString()
    skipSpace()
    if (text.charCodeAt(i) !== 58) fail("Expected ':' after property name")
    i++
  }
  const readScalar = (): unknown => {
    const c = text.charCodeAt(i)
    if (c === 34) return readString()
    for (const [word, value] of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length
        return value
      }
    }
    NUMBER.lastIndex = i
    const match = NUMBER.exec(text)
    if (match === null) return fail(i >= text.length ? "Unexpected end" : "Unexpected token")
    i += match[0].length
    const n = Number(match[0])
    return Number.isInteger(n) && !Number.isSafeInteger(n) ? match[0] : n
  }
  const attach = (frame: Frame, value: unknown) => {
    if (frame.value === null) return
    if (Array.isArray(frame.value)) frame.value.push(value)
    else if (frame.key === "__proto__") {
      Object.defineProperty(frame.value, frame.key, { value, enumerable: true, writable: true, configurable: true })
    } else frame.value[frame.key] = value
  }

  for (;;) {
    // A value starts here.
    skipSpace()
    const c = text.charCodeAt(i)
    let value: unknown
    if (c === 123 || c === 91) {
      i++
      const isArray = c === 91
      const frame: Frame = { isArray, value: stack.length < maxDepth ? (isArray ? [] : {}) : null, key: "" }
      stack.push(frame)
      skipSpace()
      if (text.charCodeAt(i) !== (isArray ? 93 : 125)) {
        if (!isArray) readKey(frame)
        continue
      }
      i++
      stack.pop()
      value = frame.value
    } else {
      value = readScalar()
    }
    // A value ended: hand it to its container, and close the containers that end with it.
    for (;;) {
      const top = stack[stack.length - 1]
      if (top === undefined) {
        skipSpace()
        if (i < text.length) fail("Unexpected non-whitespace character after JSON")
        return value
      }
      attach(top, value)
      skipSpace()
      const next = text.charCodeAt(i)
      if (next === 44) {
        i++
        if (!top.isArray) readKey(top)
        break
      }
      if (next !== (top.isArray ? 93 : 125)) fail(top.isArray ? "Expected ',' or ']'" : "Expected ',' or '}'")
      i++
      stack.pop()
      value = top.value
    }
  }
}

const LITERALS: ReadonlyArray<readonly [string, unknown]> = [["true", true], ["false", false], ["null", null]]

/**
 * Splits a JSON array arriving in text chunks into the text of its elements, one at a time,
 * without holding more than one element: `analyze` reads a 150 MB batch in bounded memory.
 * Strings (with escapes) may contain brackets and commas; nesting is tracked outside them.
 */
export async function* arrayElements(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let depth = 0
  let inString = false
  let escaped = false
  let started = false
  let ended = false
  let element = ""
  let count = 0
  for await (const chunk of chunks) {
    let from = 0
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i)
      if (ended) {
        if (!isSpace(c)) throw new Error(`unexpected text after the array`)
        continue
      }
      if (!started) {
        if (c === 0x5b /* [ */) {
          started = true
          depth = 1
          from = i + 1
        } else if (!isSpace(c) && c !== 0xfeff) throw new Error("not an array")
        continue
      }
      if (inString) {
        if (escaped) escaped = false
        else if (c === 0x5c /* \ */) escaped = true
        else if (c === 0x22 /* " */) inString = false
        continue
      }
      if (c === 0x22) inString = true
      else if (c === 0x5b || c === 0x7b /* { */) depth++
      else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
        depth--
        if (depth === 0) {
          element += chunk.slice(from, i)
          if (element.trim() !== "") yield element
          else if (count > 0) throw new Error("a comma before the closing bracket")
          element = ""
          ended = true
        }
      } else if (c === 0x2c /* , */ && depth === 1) {
        element += chunk.slice(from, i)
        if (element.trim() === "") throw new Error("empty array element")
        count++
        yield element
        element = ""
        from = i + 1
      }
    }
    if (started && !ended) element += chunk.slice(from)
  }
  if (!started) throw new Error("Unexpected end of JSON input")
  if (!ended) throw new Error("Unexpected end of JSON input (the array is not closed)")
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

/** What `objectItems` finds in a top-level object. */
export type ObjectPart =
  /** The text of one element of the object's `items` array, as it arrives. */
  | { readonly _tag: "Item"; readonly text: string }
  /** The whole object's text, when it has no `items` array (one item, or not a batch at all). */
  | { readonly _tag: "Whole"; readonly text: string }

/**
 * Streams the `items` array of a top-level object (`{ "items": [ … ], … }`) element by element,
 * holding at most one element, so that form also runs in bounded memory. The object's other
 * members are skipped. An object without an `items` array is given back whole at its end, to
 * be read as one item; it is held in memory, as one item is small.
 */
export async function* objectItems(chunks: AsyncIterable<string>): AsyncGenerator<ObjectPart> {
  let depth = 0
  let inString = false
  let escaped = false
  let started = false
  let ended = false
  /** The whole text so far, until an `items` array is found (then it is not needed). */
  let whole: string | null = ""
  /** Where the object's members are: waiting for a key, a colon, a value, or after a value. */
  let phase: "key" | "colon" | "value" | "inValue" = "key"
  let key = ""
  let keyText: string | null = null
  /** Inside the `items` array (at depth 2), with the element being read. */
  let inItems = false
  let foundItems = false
  let element = ""
  let count = 0
  for await (const chunk of chunks) {
    let from = 0
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i)
      if (ended) {
        if (!isSpace(c)) throw new Error("unexpected text after the object")
        continue
      }
      if (!started) {
        if (c === 0x7b /* { */) {
          started = true
          depth = 1
        } else if (!isSpace(c) && c !== 0xfeff) throw new Error("not an object")
        continue
      }
      if (inString) {
        if (keyText !== null) keyText += chunk[i]
        if (escaped) escaped = false
        else if (c === 0x5c) escaped = true
        else if (c === 0x22) {
          inString = false
          if (keyText !== null) {
            key = JSON.parse(keyText) as string
            keyText = null
            phase = "colon"
          }
        }
        continue
      }
      if (depth === 1 && !inItems) {
        if (isSpace(c)) continue
        if (phase === "key" && c === 0x22) {
          inString = true
          keyText = "\""
          continue
        }
        if (phase === "colon" && c === 0x3a /* : */) {
          phase = "value"
          continue
        }
        if (phase === "value") {
          phase = "inValue"
          if (key === "items" && c === 0x5b /* [ */) {
            inItems = true
            foundItems = true
            whole = null
            depth = 2
            from = i + 1
            element = ""
            count = 0
            continue
          }
        }
        if (c === 0x2c /* , */ && phase === "inValue") {
          phase = "key"
          continue
        }
        if (c === 0x7d /* } */ && (phase === "inValue" || phase === "key")) {
          depth = 0
          ended = true
          if (whole !== null) whole += chunk.slice(from, i + 1)
          from = i + 1
          continue
        }
        if (phase !== "inValue") throw new Error(`unexpected '${chunk[i]}' in the object`)
      }
      if (c === 0x22) inString = true
      else if (c === 0x5b || c === 0x7b) depth++
      else if (c === 0x5d || c === 0x7d) {
        depth--
        if (inItems && depth === 1) {
          element += chunk.slice(from, i)
          if (element.trim() !== "") yield { _tag: "Item", text: element }
          else if (count > 0) throw new Error("a comma before the closing bracket")
          element = ""
          inItems = false
          from = i + 1
        }
      } else if (inItems && c === 0x2c && depth === 2) {
        element += chunk.slice(from, i)
        if (element.trim() === "") throw new Error("empty array element")
        count++
        yield { _tag: "Item", text: element }
        element = ""
        from = i + 1
      }
    }
    if (inItems) element += chunk.slice(from)
    else if (whole !== null) whole += chunk.slice(from)
  }
  if (!started) throw new Error("Unexpected end of JSON input")
  if (!ended) throw new Error("Unexpected end of JSON input (the object is not closed)")
  if (!foundItems && whole !== null) yield { _tag: "Whole", text: whole }
}

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

import { once } from "node:events"
import { createReadStream } from "node:fs"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type BatchEntry, decodeEntries, decodeEntry, parseJson, unreadableRecord } from "../domain/batch.ts"
import { noBatchContext } from "../domain/item.ts"
import { toUtcIso } from "../domain/time.ts"
import { AnalyticsPipeline } from "../ports/AnalyticsPipeline.ts"
import { nowIso } from "../ports/Clock.ts"
import { runCommand } from "./command.ts"
import { arrayElements, type ObjectPart, objectItems } from "./jsonArray.ts"
import { makeProgress, type Progress, progressFlag, progressWanted } from "./progress.ts"

/** The input as text chunks (a file or standard input), decoded as UTF-8 across chunk boundaries. */
const chunksOf = (source: string): AsyncIterable<string> => {
  if (source !== "-") return createReadStream(source, { encoding: "utf8", highWaterMark: 1 << 16 })
  if (process.stdin.isTTY) {
    process.stderr.write("smap-analytics analyze: reading JSON (a batch, an array of items or one item) from standard input; end with Ctrl-D, or give a FILE\n")
  }
  process.stdin.setEncoding("utf8")
  return process.stdin
}

type Input =
  | { readonly _tag: "Array"; readonly elements: AsyncGenerator<string> }
  | { readonly _tag: "Object"; readonly parts: AsyncGenerator<ObjectPart> }
  | { readonly _tag: "Whole"; readonly text: string }

/**
 * An array, and the `items` array of `{ "items": [ … ] }`, are read element by element (bounded
 * memory); one item is read whole, and so is anything that is not JSON (to say so).
 */
const readInput = (source: string) =>
  Effect.tryPromise({
    try: async (): Promise<Input> => {
      const iterator = chunksOf(source)[Symbol.asyncIterator]()
      let head = ""
      for (;;) {
        const next = await iterator.next()
        if (next.done === true) return { _tag: "Whole", text: head }
        head += next.value
        if (head.trim().replace(/^\uFEFF/, "") !== "") break
      }
      const rest: AsyncIterable<string> = { [Symbol.asyncIterator]: () => iterator }
      const all = async function*() {
        yield head
        yield* rest
      }
      const first = head.trimStart().replace(/^\uFEFF/, "")
      if (first.startsWith("[")) return { _tag: "Array", elements: arrayElements(all()) }
      if (first.startsWith("{")) return { _tag: "Object", parts: objectItems(all()) }
      let text = head
      for await (const chunk of rest) text += chunk
      return { _tag: "Whole", text }
    },
    catch: (e) => `cannot read ${source === "-" ? "standard input" : source}: ${e instanceof Error ? e.message : String(e)}`
  })

/**
 * Writes each record as it is made, waiting when stdout is full, so output never piles up in
 * memory. A reader that stops early (`analyze … | head -1`) ends the command quietly, exit 0.
 */
const NOT_A_BATCH = "input is neither an item (with meta), an array of items, nor an object with an 'items' array"

/** JSON, but not a form `analyze` reads. */
class NotABatch extends Error {
  constructor() {
    super(NOT_A_BATCH)
  }
}

const writeLines = (lines: Iterable<string> | AsyncIterable<string>, name: string, progress: Progress) =>
  Effect.tryPromise({
    catch: (e) => e instanceof NotABatch ? e.message : `${name} is not JSON: ${e instanceof Error ? e.message : String(e)}`,
    try: async () => {
      process.stdout.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "EPIPE") process.exit(0)
        throw error
      })
      let count = 0
      for await (const line of lines) {
        if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain")
        progress.update(`${++count} records`)
      }
      progress.done(`${count} records`)
    }
  })

/** One item, an array of items, or `{items: […]}`. */
const itemsOf = (json: unknown): ReadonlyArray<unknown> | null =>
  Array.isArray(json)
    ? json
    : typeof json === "object" && json !== null && "items" in json && Array.isArray(json.items)
    ? json.items
    : typeof json === "object" && json !== null && "meta" in json
    ? [json]
    : null

/**
 * `analyze [FILE|-] [--now ISO-8601]`: the pipeline on local input, no infrastructure.
 * Prints one JSON record per line (column names of §4 plus `record`: analytics | error).
 */
export const analyze = Command.make("analyze", {
  source: Argument.String("FILE").pipe(
    Argument.withDescription("a batch file, an array of items, one item, or - for standard input"),
    Argument.withDefault("-")
  ),
  now: Flag.String("now").pipe(
    Flag.withDescription("analysis time for every record (ISO-8601); default: now"),
    Flag.mapTryCatch((value) => {
      const parsed = toUtcIso(value)
      if (parsed === null) throw new Error(`--now needs an ISO-8601 time, got '${value}'`)
      return parsed
    }, (e) => e instanceof Error ? e.message : String(e)),
    Flag.optional
  ),
  progress: progressFlag
}, ({ source, now, progress: showProgress }) =>
  runCommand(
    "analyze",
    "one-shot",
    Effect.gen(function*() {
      const input = yield* readInput(source)
      const name = source === "-" ? "standard input" : source
      const items = input._tag === "Whole"
        ? yield* Effect.try({
          try: () => itemsOf(parseJson(input.text)),
          catch: (e) => `${name} is not JSON: ${e instanceof Error ? e.message : String(e)}`
        })
        : null
      if (input._tag === "Whole" && items === null) {
        return yield* Effect.fail(NOT_A_BATCH)
      }
      const { pipeline } = yield* Effect.promise(() => import("../main.ts"))
      const analytics = yield* Effect.provide(AnalyticsPipeline.useSync((p) => p), pipeline.standalone)
      const at = Option.getOrUndefined(now) ?? (yield* nowIso)
      const progress = makeProgress("analyze", progressWanted(showProgress))
      const record = (entry: BatchEntry) =>
        entry._tag === "Unreadable"
          ? JSON.stringify(unreadableRecord(noBatchContext, "UNKNOWN", entry.contentId, entry.reason, at, entry.code))
          : JSON.stringify(analytics.analyze(entry.item, noBatchContext, at))
      if (items !== null) {
        return yield* writeLines(function*() {
          for (const entry of decodeEntries(items, source)) yield record(entry)
        }(), name, progress)
      }
      if (input._tag === "Array") {
        return yield* writeLines(async function*() {
          let index = 0
          for await (const text of input.elements) yield record(decodeEntry(parseJson(text), index++, source))
        }(), name, progress)
      }
      if (input._tag === "Object") {
        return yield* writeLines(async function*() {
          let index = 0
          for await (const part of input.parts) {
            if (part._tag === "Item") {
              yield record(decodeEntry(parseJson(part.text), index++, source))
              continue
            }
            const items = itemsOf(parseJson(part.text))
            if (items === null) throw new NotABatch()
            for (const entry of decodeEntries(items, source)) yield record(entry)
          }
        }(), name, progress)
      }
    })
  )).pipe(Command.withDescription("Run the analytics pipeline on a batch or item file (or stdin) and print one JSON record per line."))

import { once } from "node:events"
import { readFile } from "node:fs/promises"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { decodeEntries, parseJson, unreadableRecord } from "../domain/batch.ts"
import { noBatchContext } from "../domain/item.ts"
import { toUtcIso } from "../domain/time.ts"
import { AnalyticsPipeline } from "../ports/AnalyticsPipeline.ts"
import { nowIso } from "../ports/Clock.ts"
import { runCommand } from "./command.ts"

const readInput = (source: string) =>
  Effect.tryPromise({
    try: async () => {
      if (source !== "-") return await readFile(source, "utf8")
      if (process.stdin.isTTY) {
        process.stderr.write("smap-analytics analyze: reading JSON (a batch, an array of items or one item) from standard input; end with Ctrl-D, or give a FILE\n")
      }
      const chunks: Array<Buffer> = []
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk))
      return Buffer.concat(chunks).toString("utf8")
    },
    catch: (e) => `cannot read ${source === "-" ? "standard input" : source}: ${e instanceof Error ? e.message : String(e)}`
  })

/**
 * Writes each record as it is made, waiting when stdout is full, so output never piles up in
 * memory. A reader that stops early (`analyze … | head -1`) ends the command quietly, exit 0.
 */
const writeLines = (lines: Iterable<string>) =>
  Effect.promise(async () => {
    process.stdout.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0)
      throw error
    })
    for (const line of lines) {
      if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain")
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
  )
}, ({ source, now }) =>
  runCommand(
    "analyze",
    "one-shot",
    Effect.gen(function*() {
      const text = yield* readInput(source)
      const json = yield* Effect.try({
        try: () => parseJson(text),
        catch: (e) => `${source === "-" ? "standard input" : source} is not JSON: ${e instanceof Error ? e.message : String(e)}`
      })
      const items = itemsOf(json)
      if (items === null) {
        return yield* Effect.fail("input is neither an item (with meta), an array of items, nor an object with an 'items' array")
      }
      const { pipeline } = yield* Effect.promise(() => import("../main.ts"))
      const analytics = yield* Effect.provide(AnalyticsPipeline.useSync((p) => p), pipeline.standalone)
      const at = Option.getOrUndefined(now) ?? (yield* nowIso)
      const entries = decodeEntries(items, source)
      yield* writeLines(function*() {
        for (const entry of entries) {
          yield entry._tag === "Unreadable"
            ? JSON.stringify(unreadableRecord(noBatchContext, "UNKNOWN", entry.contentId, entry.reason, at, entry.code))
            : JSON.stringify(analytics.analyze(entry.item, noBatchContext, at))
        }
      }())
    })
  )).pipe(Command.withDescription("Run the analytics pipeline on a batch or item file (or stdin) and print one JSON record per line."))

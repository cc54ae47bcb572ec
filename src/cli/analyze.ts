import { readFile } from "node:fs/promises"
import { Effect, Layer } from "effect"
import { AnalyticsPipelineLive } from "../adapters/lexicon/pipeline.ts"
import { decodeEntries, parseJson, unreadableRecord } from "../domain/batch.ts"
import { noBatchContext } from "../domain/item.ts"
import { toUtcIso } from "../domain/time.ts"
import { AnalyticsPipeline } from "../ports/AnalyticsPipeline.ts"
import { nowIso } from "../ports/Clock.ts"
import { AppConfig } from "../ports/Config.ts"
import type { Command } from "./command.ts"
import { formatStartupError } from "./errors.ts"

const readInput = (source: string) =>
  Effect.tryPromise({
    try: async () => {
      if (source !== "-") return await readFile(source, "utf8")
      const chunks: Array<Buffer> = []
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk))
      return Buffer.concat(chunks).toString("utf8")
    },
    catch: (e) => `cannot read ${source === "-" ? "standard input" : source}: ${e instanceof Error ? e.message : String(e)}`
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

const parseArgs = (args: ReadonlyArray<string>): { source: string; now: string | null } | string => {
  let source: string | null = null
  let now: string | null = null
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === "--now") {
      const value = args[++i]
      const parsed = value === undefined ? null : toUtcIso(value)
      if (parsed === null) return `--now needs an ISO-8601 time, got ${value === undefined ? "nothing" : `'${value}'`}`
      now = parsed
    } else if (arg !== undefined && (arg === "-" || !arg.startsWith("-")) && source === null) {
      source = arg
    } else {
      return `unexpected argument '${arg}'`
    }
  }
  return { source: source ?? "-", now }
}

/**
 * `analyze [FILE|-] [--now ISO-8601]`: the pipeline on local input, no infrastructure.
 * Prints one JSON record per line (column names of §4 plus `record`: analytics | error).
 */
export const command: Command = {
  name: "analyze",
  summary: "Run the analytics pipeline on a batch or item file (or stdin) and print one JSON record per line.",
  usage: "smap-analytics analyze [FILE|-] [--now ISO-8601]",
  run: (args) =>
    Effect.gen(function*() {
      const parsed = parseArgs(args)
      if (typeof parsed === "string") return yield* Effect.fail(`${parsed}\nusage: ${command.usage}`)
      const text = yield* readInput(parsed.source)
      const json = yield* Effect.try({
        try: () => parseJson(text),
        catch: (e) => `${parsed.source === "-" ? "standard input" : parsed.source} is not JSON: ${e instanceof Error ? e.message : String(e)}`
      })
      const items = itemsOf(json)
      if (items === null) {
        return yield* Effect.fail("input is neither an item (with meta), an array of items, nor an object with an 'items' array")
      }
      const pipeline = yield* AnalyticsPipeline
      const now = parsed.now ?? (yield* nowIso)
      const lines = decodeEntries(items, parsed.source).map((entry) => {
        if (entry._tag === "Unreadable") {
          return JSON.stringify(unreadableRecord(noBatchContext, "UNKNOWN", entry.contentId, entry.reason, now, entry.code))
        }
        return JSON.stringify(pipeline.analyze(entry.item, noBatchContext, now))
      })
      yield* Effect.sync(() => process.stdout.write(lines.length === 0 ? "" : `${lines.join("\n")}\n`))
      return 0
    }).pipe(
      Effect.provide(AnalyticsPipelineLive.pipe(Layer.provide(AppConfig.layer))),
      Effect.catch((error) =>
        Effect.sync(() => {
          console.error(`smap-analytics analyze: ${typeof error === "string" ? error : formatStartupError(error)}`)
          return 1
        })
      )
    )
}


import { readdir, readFile } from "node:fs/promises"
import * as path from "node:path"
import { Console, Effect, Layer, Option, type Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { uploadAndAnnounce } from "../app/announceBatch.ts"
import { drain } from "../app/drain.ts"
import {
  embeddedDatabase,
  embeddedLayers,
  memoryLayers,
  MemoryQueueControl,
  MemoryRepositoryControl,
  MetricsMemoryState,
  readSideLayers,
  readSideMemoryLayers
} from "../main.ts"
import { AnalyticsRepository } from "../ports/AnalyticsRepository.ts"
import { AppConfig } from "../ports/Config.ts"
import { runCommand, UsageError } from "./command.ts"
import { serveArgs, serveFlags, serveSettings, serveUntilInterrupted } from "./serve.ts"

const PROJECT = "a95796bc-5c7b-432b-bf99-0afa8ed81f0c"

/** Batch files in a directory, with the platform their name says (default TikTok). */
const batchFiles = (directory: string) =>
  Effect.tryPromise({
    try: async () => {
      const names = (await readdir(directory)).filter((n) => n.endsWith(".json") && n.includes("batch")).sort()
      return Promise.all(names.map(async (name) => ({
        name,
        platform: name.includes("youtube") ? "youtube" : "tiktok",
        bytes: new Uint8Array(await readFile(path.join(directory, name)))
      })))
    },
    catch: (e) => new Error(`cannot read batch files in ${directory}: ${e instanceof Error ? e.message : String(e)}`)
  })

/**
 * `local [DIR] [--memory] [--serve [--host HOST] [--port PORT]] [--once]`: the whole service on
 * the embedded default, no external services. PostgreSQL is embedded (PGlite on a loopback port,
 * migrated by the real migrator, written by the real adapter); broker and storage are in memory
 * (`--memory`: the repository too). The batches in DIR (default `examples/`) are uploaded and
 * announced the way a crawler does, the real consumer loop processes them, and a summary is
 * printed. `--serve` then serves the dashboard until Ctrl-C; `--once` wins over it.
 */
export const local = Command.make("local", {
  directory: Argument.String("DIR").pipe(Argument.withDescription("directory of *batch*.json files"), Argument.withDefault("examples")),
  memory: Flag.Boolean("memory").pipe(Flag.withDescription("every port in memory, the repository too"), Flag.withDefault(false)),
  serve: Flag.Boolean("serve").pipe(Flag.withDescription("then serve the dashboard until Ctrl-C (npm start)"), Flag.withDefault(false)),
  once: Flag.Boolean("once").pipe(Flag.withDescription("exit after the summary, even with --serve"), Flag.withDefault(false)),
  ...serveFlags
}, (flags) =>
  runCommand(
    "local",
    flags.serve && !flags.once ? "service" : "one-shot",
    Effect.gen(function*() {
      const config = yield* AppConfig
      const serve = flags.once || !flags.serve ? null : yield* serveSettings(serveArgs(flags))
      if (serve !== null && typeof serve.settings === "string") return yield* Effect.fail(new UsageError(serve.settings))
      const files = yield* batchFiles(flags.directory)
      let databaseUrl: Redacted.Redacted<string> | null = null
      const layers = flags.memory
        ? memoryLayers(config)
        : yield* Effect.map(embeddedDatabase, ({ url }) => {
          databaseUrl = url
          return embeddedLayers(config, url)
        })
      return yield* Effect.gen(function*() {
        const queue = yield* MemoryQueueControl
        const bucket = config.buckets[0] ?? "crawl-results"
        for (const [index, file] of files.entries()) {
          yield* uploadAndAnnounce({
            bucket,
            key: `${file.platform}/${PROJECT}/brand/${file.name}`,
            bytes: file.bytes,
            event: {
              event_id: `evt_local_${index}`,
              event_type: "data.collected",
              timestamp: "2025-12-06T10:15:30Z",
              payload: {
                project_id: PROJECT,
                job_id: `${PROJECT}-brand-0`,
                platform: file.platform,
                batch_index: index,
                task_type: "research_and_crawl",
                brand_name: "VinFast",
                keyword: "VinFast VF8"
              }
            }
          })
        }
        yield* drain(files.length, Effect.map(Effect.all([queue.acked, queue.deadLettered]), ([acked, dead]) => acked.length + dead.length))
        const counts = yield* (yield* AnalyticsRepository).counts()
        const metrics = yield* MetricsMemoryState
        const summary = {
          database: flags.memory ? "in memory" : "embedded PostgreSQL (PGlite)",
          batches: files.length,
          acked: metrics.counter("analytics_messages_total", { outcome: "acked" }),
          dead_lettered: metrics.counter("analytics_messages_total", { outcome: "dead_lettered" }),
          rows: counts,
          items: {
            stored: metrics.counter("analytics_items_total", { outcome: "stored" }),
            skipped: metrics.counter("analytics_items_total", { outcome: "skipped" }),
            error: metrics.counter("analytics_items_total", { outcome: "error" })
          },
          batch_size_mismatches: metrics.counter("analytics_batch_size_mismatch_total")
        }
        yield* Console.log(JSON.stringify(summary, null, 2))
        const code = summary.acked === files.length ? 0 : 1
        if (serve === null || typeof serve.settings === "string") return code
        // The dashboard over what was just stored, until Ctrl-C.
        const url: Redacted.Redacted<string> | null = databaseUrl
        const control = yield* Effect.serviceOption(MemoryRepositoryControl)
        const server = url !== null
          ? readSideLayers({ url, maxConnections: 4 }, serve.settings)
          : readSideMemoryLayers(serve.settings).pipe(Layer.provide(Layer.succeed(MemoryRepositoryControl, Option.getOrThrow(control))))
        return yield* serveUntilInterrupted(server)
      }).pipe(Effect.provide(layers))
    }).pipe(Effect.scoped, Effect.provide(AppConfig.layer))
  )).pipe(Command.withDescription(
    "Run the consumer on the embedded default over the example batches and print a summary; --serve then serves the dashboard until Ctrl-C (--once wins)."
  ))

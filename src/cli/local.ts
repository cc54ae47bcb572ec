import { readdir, readFile } from "node:fs/promises"
import * as path from "node:path"
import { Effect, Fiber, Layer, Option, type Redacted, Schedule } from "effect"
import { LoggerLive } from "../adapters/logging/logger.ts"
import { MetricsMemoryState } from "../adapters/memory/metrics.ts"
import { MemoryRepositoryControl } from "../adapters/memory/repository.ts"
import { MemoryQueueControl } from "../adapters/memory/queue.ts"
import { runConsumer } from "../app/consumer.ts"
import { embeddedLayers, memoryLayers, readSideLayers, readSideMemoryLayers } from "../main.ts"
import { embeddedPostgres } from "../adapters/postgres/embedded.ts"
import { pgLayer } from "../adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../adapters/postgres/migrator.ts"
import { AnalyticsRepository } from "../ports/AnalyticsRepository.ts"
import { BatchStorage } from "../ports/BatchStorage.ts"
import { AppConfig } from "../ports/Config.ts"
import type { Command } from "./command.ts"
import { formatStartupError } from "./errors.ts"
import { serveSettings, serveUntilInterrupted } from "./serve.ts"

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
 * `local [DIR] [--memory]`: the whole service on the embedded default, no external services.
 * PostgreSQL is embedded (PGlite on a loopback port, migrated by the real migrator, written by
 * the real adapter); broker and storage are in memory (`--memory`: the repository too). The
 * batches in DIR (default `examples/`) are uploaded and announced the way a crawler does, the
 * real consumer loop processes them, and a summary is printed.
 */
export const command: Command = {
  name: "local",
  summary: "Run the consumer on the embedded default over the example batches and print a summary; --serve then serves the dashboard until Ctrl-C (--once wins).",
  usage: "smap-analytics local [DIR] [--memory] [--serve [--host HOST] [--port PORT]] [--once]",
  run: (args) =>
    Effect.gen(function*() {
      const config = yield* AppConfig
      // `npm start` passes --serve; scripts and CI run `local` (or `npm start -- --once`) and get the exit.
      const once = args.includes("--once") || !args.includes("--serve")
      const valued = new Set(["--host", "--port"])
      const directory = args.find((a, i) => !a.startsWith("--") && !valued.has(args[i - 1] ?? "")) ?? "examples"
      const serve = once ? null : yield* serveSettings(args)
      if (serve !== null && typeof serve.settings === "string") {
        yield* Effect.sync(() => console.error(`smap-analytics local: ${serve.settings}`))
        return 2
      }
      const files = yield* batchFiles(directory)
      let databaseUrl: Redacted.Redacted<string> | null = null
      const layers = args.includes("--memory")
        ? memoryLayers(config)
        : yield* Effect.gen(function*() {
          const { url } = yield* embeddedPostgres
          yield* Effect.flatMap(loadMigrations(), (m) => migrateUp(m)).pipe(
            Effect.provide(pgLayer({ url, maxConnections: 1 }))
          )
          databaseUrl = url
          return embeddedLayers(config, url)
        })
      return yield* Effect.gen(function*() {
        const storage = yield* BatchStorage
        const queue = yield* MemoryQueueControl
        const bucket = config.buckets[0] ?? "crawl-results"
        for (const [index, file] of files.entries()) {
          const key = `${file.platform}/${PROJECT}/brand/${file.name}`
          yield* storage.put({ bucket, key }, file.bytes)
          yield* queue.publish(JSON.stringify({
            event_id: `evt_local_${index}`,
            event_type: "data.collected",
            timestamp: "2025-12-06T10:15:30Z",
            payload: {
              minio_path: `${bucket}/${key}`,
              project_id: PROJECT,
              job_id: `${PROJECT}-brand-0`,
              platform: file.platform,
              batch_index: index,
              task_type: "research_and_crawl",
              brand_name: "VinFast",
              keyword: "VinFast VF8"
            }
          }))
        }
        const consumer = yield* Effect.forkChild(runConsumer)
        const settled = Effect.map(
          Effect.all([queue.acked, queue.deadLettered]),
          ([acked, dead]) => acked.length + dead.length
        )
        yield* settled.pipe(Effect.repeat({ until: (n) => n >= files.length, schedule: Schedule.spaced("20 millis") }))
        yield* Fiber.interrupt(consumer)
        const counts = yield* (yield* AnalyticsRepository).counts()
        const metrics = yield* MetricsMemoryState
        const summary = {
          database: args.includes("--memory") ? "in memory" : "embedded PostgreSQL (PGlite)",
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
        yield* Effect.sync(() => console.log(JSON.stringify(summary, null, 2)))
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
    }).pipe(
      Effect.scoped,
      Effect.provide(LoggerLive),
      Effect.provide(AppConfig.layer),
      Effect.catch((error) =>
        Effect.sync(() => {
          console.error(`smap-analytics local: ${formatStartupError(error)}`)
          return 1
        })
      )
    )
}


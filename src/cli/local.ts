import { readdir, readFile } from "node:fs/promises"
import * as path from "node:path"
import { Console, Effect, Fiber, Layer, Option, type Redacted, Schedule } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { uploadAndAnnounce } from "../app/announceBatch.ts"
import { drain } from "../app/drain.ts"
import { INTENTS, RISK_LEVELS, SENTIMENT_LABELS } from "../domain/records.ts"
import {
  embeddedDatabase,
  embeddedLayers,
  memoryLayers,
  MemoryQueueControl,
  MemoryRepositoryControl,
  MetricsMemoryState,
  queries,
  readSideLayers,
  readSideMemoryLayers
} from "../main.ts"
import { AnalyticsQueries, type ProjectSummary } from "../ports/AnalyticsQueries.ts"
import { AnalyticsRepository } from "../ports/AnalyticsRepository.ts"
import { AppConfig } from "../ports/Config.ts"
import { runCommand, UsageError } from "./command.ts"
import { makeProgress, progressFlag, progressWanted } from "./progress.ts"
import { serveArgs, serveFlags, serveSettings, serveUntilInterrupted } from "./serve.ts"

const PROJECT = "a95796bc-5c7b-432b-bf99-0afa8ed81f0c"

/** Where `local` keeps its embedded database unless `--data-dir` says otherwise (under the cwd). */
export const DEFAULT_DATA_DIR = path.join(".smap", "embedded")

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

/** One batch's line in the summary. */
export interface BatchLine {
  readonly batch: string
  readonly items: number | null
  readonly stored: number
  readonly skipped: number
  readonly errors: number
  readonly duplicates: number
  readonly dead_lettered: number
  /** The expected size when the batch's size differs from it (PLATFORM_EXPECTED_BATCH_SIZE…), else null. */
  readonly expected_size: number | null
}

const pad = (text: string | number, width: number, left = false) => left ? String(text).padEnd(width) : String(text).padStart(width)

/**
 * The summary a person reads at a glance (stderr): one line per batch, a total, then the stored
 * posts counted by sentiment, intent and risk.
 */
export const formatSummaryTable = (
  lines: ReadonlyArray<BatchLine>,
  summary: Pick<ProjectSummary, "total" | "bySentiment" | "byIntent" | "byRisk">,
  database: string
): string => {
  const nameWidth = Math.max(5, ...lines.map((l) => l.batch.length))
  const columns = ["items", "stored", "skipped", "errors", "dup", "dead-lettered"] as const
  const row = (name: string, values: ReadonlyArray<string | number>, note = "") =>
    `${pad(name, nameWidth, true)}  ${values.map((v, i) => pad(v, columns[i]?.length ?? 6)).join("  ")}${note}`.trimEnd()
  const sum = (f: (l: BatchLine) => number) => lines.reduce((n, l) => n + f(l), 0)
  const counts = <K extends string>(labels: ReadonlyArray<K>, by: Readonly<Record<K, number>>) =>
    labels.map((label) => `${label.toLowerCase()} ${by[label] ?? 0}`).join("   ")
  return [
    row("batch", [...columns]),
    ...lines.map((l) =>
      row(
        l.batch,
        [l.items ?? "-", l.stored, l.skipped, l.errors, l.duplicates, l.dead_lettered],
        l.expected_size === null ? "" : `  (expected ${l.expected_size} items)`
      )
    ),
    row("total", [sum((l) => l.items ?? 0), sum((l) => l.stored), sum((l) => l.skipped), sum((l) => l.errors), sum((l) => l.duplicates), sum((l) => l.dead_lettered)]),
    "",
    `posts stored for the project: ${summary.total}, skipped ones included  (${database})`,
    `  sentiment  ${counts(SENTIMENT_LABELS, summary.bySentiment)}`,
    `  intent     ${counts(INTENTS, summary.byIntent)}`,
    `  risk       ${counts(RISK_LEVELS, summary.byRisk)}`
  ].join("\n")
}

/**
 * `local [DIR] [--memory] [--data-dir DIR] [--fresh] [--serve [--host HOST] [--port PORT]] [--once]`:
 * the whole service on the embedded default, no external services. PostgreSQL is embedded
 * (PGlite on a loopback port, migrated by the real migrator, written by the real adapter) and
 * kept in `--data-dir` (default `.smap/embedded`) between runs; broker and storage are in memory
 * (`--memory`: the repository too). The batches in DIR (default `examples/`) are uploaded and
 * announced the way a crawler does, the real consumer loop processes them (up to
 * MAX_CONCURRENT_BATCHES at once), and a summary is printed: a table on stderr, JSON on stdout.
 * `--serve` then serves the dashboard until Ctrl-C; `--once` wins over it.
 */
export const local = Command.make("local", {
  directory: Argument.String("DIR").pipe(Argument.withDescription("directory of *batch*.json files"), Argument.withDefault("examples")),
  memory: Flag.Boolean("memory").pipe(Flag.withDescription("every port in memory, the repository too (nothing is kept)"), Flag.withDefault(false)),
  dataDir: Flag.String("data-dir").pipe(
    Flag.withDescription(`folder the embedded database is kept in between runs (default ${DEFAULT_DATA_DIR} under the current directory)`),
    Flag.withDefault(DEFAULT_DATA_DIR)
  ),
  fresh: Flag.Boolean("fresh").pipe(Flag.withDescription("empty the embedded database first"), Flag.withDefault(false)),
  serve: Flag.Boolean("serve").pipe(Flag.withDescription("then serve the dashboard until Ctrl-C (npm start)"), Flag.withDefault(false)),
  once: Flag.Boolean("once").pipe(Flag.withDescription("exit after the summary, even with --serve"), Flag.withDefault(false)),
  progress: progressFlag,
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
        : yield* Effect.map(embeddedDatabase({ dataDir: flags.dataDir, fresh: flags.fresh }), ({ url }) => {
          databaseUrl = url
          return embeddedLayers(config, url)
        })
      const database = flags.memory ? "in memory" : "embedded PostgreSQL (PGlite)"
      const bucket = config.buckets[0] ?? "crawl-results"
      const keyOf = (file: { readonly platform: string; readonly name: string }) => `${file.platform}/${PROJECT}/brand/${file.name}`
      return yield* Effect.gen(function*() {
        const queue = yield* MemoryQueueControl
        for (const [index, file] of files.entries()) {
          yield* uploadAndAnnounce({
            bucket,
            key: keyOf(file),
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
        const settled = Effect.map(Effect.all([queue.acked, queue.deadLettered]), ([acked, dead]) => ({ acked: acked.length, dead: dead.length }))
        const progress = makeProgress("local", progressWanted(flags.progress))
        const describe = (s: { acked: number; dead: number }) =>
          `${s.acked + s.dead}/${files.length} batches (${s.acked} stored, ${s.dead} dead-lettered)`
        const reporter = yield* Effect.forkChild(
          settled.pipe(Effect.tap((s) => Effect.sync(() => progress.update(describe(s)))), Effect.repeat(Schedule.spaced("100 millis")))
        )
        yield* drain(files.length, Effect.map(settled, (s) => s.acked + s.dead))
        yield* Fiber.interrupt(reporter)
        progress.done(describe(yield* settled))

        const repository = yield* AnalyticsRepository
        const counts = yield* repository.counts()
        const metrics = yield* MetricsMemoryState
        const deadLettered = yield* queue.deadLettered
        const lines = yield* Effect.forEach(files, (file, index): Effect.Effect<BatchLine, unknown> =>
          Effect.map(repository.ledger(`${bucket}/${keyOf(file)}`), (entry) => ({
            batch: file.name,
            items: entry?.actual_size ?? null,
            stored: entry?.stored_count ?? 0,
            skipped: entry?.skipped_count ?? 0,
            errors: entry?.error_count ?? 0,
            duplicates: entry?.duplicate_count ?? 0,
            dead_lettered: deadLettered.filter((d) => d.reason.eventId === `evt_local_${index}`).length,
            expected_size: entry?.expected_size != null && entry.actual_size != null && entry.expected_size !== entry.actual_size
              ? entry.expected_size
              : null
          })))
        const control = yield* Effect.serviceOption(MemoryRepositoryControl)
        const url: Redacted.Redacted<string> | null = databaseUrl
        // The embedded database is one session: one connection, so no two statements interleave.
        const queriesLayer = url !== null
          ? queries.postgres({ url, maxConnections: 1 })
          : queries.memory.pipe(Layer.provide(Layer.succeed(MemoryRepositoryControl, Option.getOrThrow(control))))
        const project = yield* Effect.provide(AnalyticsQueries.use((q) => q.summary(PROJECT, {})), queriesLayer)
        const summary = {
          database,
          ...(flags.memory ? {} : { data_dir: path.resolve(flags.dataDir) }),
          batches: files.length,
          acked: metrics.counter("analytics_messages_total", { outcome: "acked" }),
          dead_lettered: metrics.counter("analytics_messages_total", { outcome: "dead_lettered" }),
          rows: counts,
          items: {
            stored: lines.reduce((n, l) => n + l.stored, 0),
            skipped: lines.reduce((n, l) => n + l.skipped, 0),
            error: lines.reduce((n, l) => n + l.errors, 0)
          },
          // Batches whose size differs from the expected one, each counted once however often it was attempted.
          batch_size_mismatches: lines.filter((l) => l.expected_size !== null).length,
          per_batch: lines,
          posts: { total: project.total, by_sentiment: project.bySentiment, by_intent: project.byIntent, by_risk: project.byRisk }
        }
        process.stderr.write(`${formatSummaryTable(lines, project, database)}\n`)
        yield* Console.log(JSON.stringify(summary, null, 2))
        const code = summary.acked === files.length ? 0 : 1
        if (serve === null || typeof serve.settings === "string") return code
        // The dashboard over what was just stored, until Ctrl-C.
        const server = url !== null
          ? readSideLayers({ url, maxConnections: 1 }, serve.settings)
          : readSideMemoryLayers(serve.settings).pipe(Layer.provide(Layer.succeed(MemoryRepositoryControl, Option.getOrThrow(control))))
        return yield* serveUntilInterrupted(server)
      }).pipe(Effect.provide(layers))
    }).pipe(Effect.scoped, Effect.provide(AppConfig.layer))
  )).pipe(Command.withDescription(
    "Run the consumer on the embedded default over the example batches and print a summary; --serve then serves the dashboard until Ctrl-C (--once wins)."
  ))

import { readFile } from "node:fs/promises"
import { Effect, Layer } from "effect"
import { RabbitConnection, RabbitConnectionLive } from "../adapters/rabbitmq/connection.ts"
import { publishEvent } from "../adapters/rabbitmq/tools.ts"
import { declareTopology, topologyFromConfig } from "../adapters/rabbitmq/topology.ts"
import { BatchStorageS3Live } from "../adapters/s3/BatchStorageS3.ts"
import { firstUuid } from "../domain/event.ts"
import { BatchStorage } from "../ports/BatchStorage.ts"
import { nowIso } from "../ports/Clock.ts"
import { AppConfig } from "../ports/Config.ts"
import type { Command } from "./command.ts"
import { formatStartupError } from "./errors.ts"

interface PublishArgs {
  readonly file: string
  readonly platform: "tiktok" | "youtube"
  readonly project: string
  readonly job: string | null
  readonly batchIndex: number
  readonly compress: boolean
}

const parseArgs = (args: ReadonlyArray<string>): PublishArgs | string => {
  let file: string | null = null
  const flags = new Map<string, string>()
  let compress = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ""
    if (arg === "--compress") compress = true
    else if (["--platform", "--project", "--job", "--batch-index"].includes(arg)) {
      const value = args[++i]
      if (value === undefined) return `${arg} needs a value`
      flags.set(arg, value)
    } else if (!arg.startsWith("-") && file === null) file = arg
    else return `unexpected argument '${arg}'`
  }
  const platform = flags.get("--platform")
  const project = flags.get("--project")
  const batchIndex = Number(flags.get("--batch-index") ?? "0")
  if (file === null) return "a batch FILE is required"
  if (platform !== "tiktok" && platform !== "youtube") return "--platform must be tiktok or youtube"
  if (project === undefined || firstUuid(project) === null) return "--project must be a project UUID"
  if (!Number.isInteger(batchIndex) || batchIndex < 0) return "--batch-index must be a whole number ≥ 0"
  return { file, platform, project, job: flags.get("--job") ?? null, batchIndex, compress }
}

/**
 * `publish FILE --platform tiktok|youtube --project ID [--job ID] [--batch-index N] [--compress]`:
 * what a crawler does. Uploads the batch to the first configured bucket under
 * `<platform>/<project>/brand/batch_NNN.json` (zstd with the metadata when `--compress`), then
 * publishes its `data.collected` event, persistent and confirmed by the broker.
 */
export const command: Command = {
  name: "publish",
  summary: "Upload a batch file and publish its data.collected event, as a crawler does.",
  usage: "smap-analytics publish FILE --platform tiktok|youtube --project ID [--job ID] [--batch-index N] [--compress]",
  run: (args) =>
    Effect.gen(function*() {
      const parsed = parseArgs(args)
      if (typeof parsed === "string") return yield* Effect.fail(`${parsed}\nusage: ${command.usage}`)
      const config = yield* AppConfig
      const body = yield* Effect.tryPromise({
        try: () => readFile(parsed.file),
        catch: (e) => `cannot read ${parsed.file}: ${e instanceof Error ? e.message : String(e)}`
      })
      const bucket = config.buckets[0] ?? "crawl-results"
      const key = `${parsed.platform}/${parsed.project}/brand/batch_${String(parsed.batchIndex).padStart(3, "0")}.json`
      yield* (yield* BatchStorage).put({ bucket, key }, new Uint8Array(body), { compress: parsed.compress })
      const connection = yield* RabbitConnection
      const topology = topologyFromConfig(config)
      yield* declareTopology(yield* connection.current, topology)
      const items = JSON.parse(body.toString("utf8")) as unknown
      const count = Array.isArray(items) ? items.length : null
      const eventId = `evt_${parsed.project.slice(0, 8)}_${parsed.batchIndex}_${(yield* nowIso).replace(/\D/g, "")}`
      const event = {
        event_id: eventId,
        event_type: "data.collected",
        timestamp: yield* nowIso,
        payload: {
          minio_path: `${bucket}/${key}`,
          project_id: parsed.project,
          job_id: parsed.job ?? `${parsed.project}-brand-0`,
          platform: parsed.platform,
          batch_index: parsed.batchIndex,
          content_count: count,
          task_type: "research_and_crawl"
        }
      }
      yield* publishEvent(connection, {
        exchange: topology.exchange,
        routingKey: topology.routingKey,
        body: new TextEncoder().encode(JSON.stringify(event)),
        messageId: eventId
      })
      yield* Effect.sync(() => console.log(JSON.stringify({ event_id: eventId, minio_path: `${bucket}/${key}`, items: count })))
      return 0
    }).pipe(
      Effect.provide(Layer.mergeAll(BatchStorageS3Live, RabbitConnectionLive)),
      Effect.provide(AppConfig.layer),
      Effect.catch((error) =>
        Effect.sync(() => {
          console.error(`smap-analytics publish: ${typeof error === "string" ? error : formatStartupError(error)}`)
          return 1
        })
      )
    )
}

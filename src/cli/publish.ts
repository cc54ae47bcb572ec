import { readFile } from "node:fs/promises"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { firstUuid } from "../domain/event.ts"
import { uploadAndAnnounce } from "../app/announceBatch.ts"
import { crawlerLayers } from "../main.ts"
import { nowIso } from "../ports/Clock.ts"
import { AppConfig } from "../ports/Config.ts"
import { runCommand } from "./command.ts"

/**
 * `publish FILE --platform tiktok|youtube --project ID [--job ID] [--batch-index N] [--compress]`:
 * what a crawler does. Uploads the batch to the first configured bucket under
 * `<platform>/<project>/brand/batch_NNN.json` (zstd with the metadata when `--compress`), then
 * publishes its `data.collected` event, persistent and confirmed by the broker.
 */
export const publish = Command.make("publish", {
  file: Argument.String("FILE").pipe(Argument.withDescription("the batch file (a JSON array of items)")),
  platform: Flag.Literals("platform", ["tiktok", "youtube"]),
  project: Flag.String("project").pipe(
    Flag.filter((p) => firstUuid(p) !== null, () => "--project must be a project UUID"),
    Flag.withDescription("the project UUID")
  ),
  job: Flag.String("job").pipe(Flag.withDescription("job id (default <project>-brand-0)"), Flag.optional),
  batchIndex: Flag.Int("batch-index").pipe(
    Flag.filter((n) => n >= 0, () => "--batch-index must be a whole number ≥ 0"),
    Flag.withDefault(0)
  ),
  compress: Flag.Boolean("compress").pipe(Flag.withDescription("upload zstd-compressed, with the metadata saying so"), Flag.withDefault(false))
}, (args) =>
  runCommand(
    "publish",
    "one-shot",
    Effect.gen(function*() {
      const config = yield* AppConfig
      const body = yield* Effect.tryPromise({
        try: () => readFile(args.file),
        catch: (e) => `cannot read ${args.file}: ${e instanceof Error ? e.message : String(e)}`
      })
      const bucket = config.buckets[0] ?? "crawl-results"
      const key = `${args.platform}/${args.project}/brand/batch_${String(args.batchIndex).padStart(3, "0")}.json`
      const items = JSON.parse(body.toString("utf8")) as unknown
      const count = Array.isArray(items) ? items.length : null
      const now = yield* nowIso
      const eventId = `evt_${args.project.slice(0, 8)}_${args.batchIndex}_${now.replace(/\D/g, "")}`
      yield* uploadAndAnnounce({
        bucket,
        key,
        bytes: new Uint8Array(body),
        compress: args.compress,
        event: {
          event_id: eventId,
          event_type: "data.collected",
          timestamp: now,
          payload: {
            project_id: args.project,
            job_id: Option.getOrElse(args.job, () => `${args.project}-brand-0`),
            platform: args.platform,
            batch_index: args.batchIndex,
            content_count: count,
            task_type: "research_and_crawl"
          }
        }
      })
      yield* Console.log(JSON.stringify({ event_id: eventId, minio_path: `${bucket}/${key}`, items: count }))
    }).pipe(Effect.provide(crawlerLayers), Effect.provide(AppConfig.layer))
  )).pipe(Command.withDescription("Upload a batch file and publish its data.collected event, as a crawler does."))

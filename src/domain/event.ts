import { Effect, Schema } from "effect"
import { EventRejected } from "./errors.ts"
import type { BatchContext } from "./item.ts"
import {
  cleanText,
  hasLoneSurrogate,
  int32OrNull,
  MAX_KEY_TEXT_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  utf8Length
} from "./sanitize.ts"
import { toUtcIso } from "./time.ts"

/**
 * The `data.collected` event (§1). Only `event_type` and `payload.minio_path` are required;
 * unknown fields are ignored because crawlers add fields over time.
 */
const OptionalText = Schema.optionalKey(Schema.NullOr(Schema.String))
const OptionalInt = Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.Number, Schema.String])))

export const EventEnvelope = Schema.Struct({
  event_id: OptionalText,
  event_type: Schema.Literal("data.collected"),
  timestamp: OptionalText,
  payload: Schema.Struct({
    minio_path: OptionalText,
    project_id: OptionalText,
    job_id: OptionalText,
    platform: OptionalText,
    batch_index: OptionalInt,
    content_count: OptionalInt,
    task_type: OptionalText,
    brand_name: OptionalText,
    keyword: OptionalText,
    total_batches: OptionalInt
  })
})

const decodeEnvelope = Schema.decodeUnknownEffect(EventEnvelope)

/** The wire form of a `data.collected` event (what a crawler sends), as `decodeEvent` reads it. */
export type EventEnvelope = typeof EventEnvelope.Type

/** An event's body, encoded by the same Schema that decodes it. */
export const encodeEvent = (event: EventEnvelope): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(Schema.encodeSync(EventEnvelope)(event)))

export type EventPlatform = "TIKTOK" | "YOUTUBE"

/** A decoded event: where the batch is, and the context every record of the batch carries. */
export interface CollectedEvent {
  readonly eventId: string | null
  readonly bucket: string
  readonly key: string
  /** `<bucket>/<key>`, the ledger's identity for the batch. */
  readonly objectPath: string
  readonly platform: EventPlatform | null
  readonly contentCount: number | null
  readonly totalBatches: number | null
  /** The raw project id as sent, kept for messages when it could not be used. */
  readonly rawProjectId: string | null
  /**
   * Why the event's project cannot be used (no UUID anywhere, and not a dry run), or null.
   * Such a batch is recorded as failed in the ledger and dead-lettered (`INVALID_PROJECT_ID`);
   * it is reported here rather than rejected so the caller still knows where the batch was.
   */
  readonly projectIdProblem: string | null
  readonly context: BatchContext
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i
const JOB_ID = /^(.*)-(?:brand|competitor)-\d+$/i

/** The first UUID inside a string, lower case (crawlers have sent `<uuid>-competitor`). */
export const firstUuid = (value: string | null | undefined): string | null => {
  const match = value == null ? null : UUID.exec(value)
  return match === null ? null : match[0].toLowerCase()
}

/** `project_id`, else the project part of a `<project>-<brand|competitor>-<n>` job id. */
export const resolveProjectId = (projectId: string | null, jobId: string | null): string | null => {
  const direct = firstUuid(projectId)
  if (direct !== null || (projectId !== null && projectId.trim() !== "")) return direct
  const job = jobId === null ? null : JOB_ID.exec(jobId)
  return job === null ? null : firstUuid(job[1])
}

/**
 * Longest object key accepted, in UTF-8 bytes: S3's limit. The object path is the ledger's
 * primary key and part of error rows' content ids, both indexed (an index entry holds ~2.7 kB).
 */
export const MAX_OBJECT_KEY_BYTES = 1024
/** Longest `minio_path` looked at, in UTF-16 units (`minio://`, a bucket of ≤ 63 and the key). */
const MAX_OBJECT_PATH_LENGTH = 1100

/**
 * Why an object key cannot be used, or null when it is safe. A key is used as written by the S3
 * client, so anything a server or proxy could resolve to another bucket or prefix is refused
 * before any request: `.` and `..` segments, empty segments (`a//b`, a trailing `/`), backslashes,
 * percent-encoded dots, slashes or backslashes, control characters, lone surrogates, and keys
 * over `MAX_OBJECT_KEY_BYTES`.
 */
export const objectKeyProblem = (key: string): string | null => {
  if (key.length === 0) return "the object key is empty"
  if (utf8Length(key) > MAX_OBJECT_KEY_BYTES) return `the object key is longer than ${MAX_OBJECT_KEY_BYTES} bytes`
  if (hasLoneSurrogate(key)) return "the object key contains a lone surrogate"
  if (key.includes("\\")) return "the object key contains a backslash"
  if (/%(2e|2f|5c)/i.test(key)) return "the object key contains a percent-encoded dot, slash or backslash"
  if (/[\u0000-\u001f\u007f]/.test(key)) return "the object key contains a control character"
  for (const segment of key.split("/")) {
    if (segment === "") return "the object key has an empty segment (a leading, doubled or trailing '/')"
    if (segment === "." || segment === "..") return `the object key has a '${segment}' segment`
  }
  return null
}

/**
 * Splits `minio_path` (`[minio://]<bucket>/<key>`) into bucket and key, or says why it cannot
 * (`INVALID_PATH`): a path is relative to the store, so a leading `/` is refused, the bucket
 * name has at most 63 characters, and the key must pass {@link objectKeyProblem}.
 */
export const parseObjectPath = (path: string): { bucket: string; key: string } | { problem: string } => {
  if (path.length > MAX_OBJECT_PATH_LENGTH) return { problem: `it is longer than ${MAX_OBJECT_PATH_LENGTH} characters` }
  const stripped = path.trim().replace(/^minio:\/\//i, "")
  if (stripped.startsWith("/")) return { problem: "it is an absolute path (starts with '/')" }
  const slash = stripped.indexOf("/")
  if (slash <= 0) return { problem: "it must be <bucket>/<object key> with neither empty" }
  const bucket = stripped.slice(0, slash)
  const key = stripped.slice(slash + 1)
  if (bucket.length > 63) return { problem: "the bucket name is longer than 63 characters" }
  const problem = objectKeyProblem(key)
  return problem === null ? { bucket, key } : { problem }
}

/** An integer of PostgreSQL's `integer` range (`batch_index` is stored so), else null. */
const toInt = (value: number | string | null | undefined): number | null => {
  if (value == null) return null
  return int32OrNull(typeof value === "number" ? value : Number(value.trim()))
}

/** Free text made storable (sanitize.ts); blank is null. */
const textOrNull = (value: string | null | undefined, max: number = MAX_SHORT_TEXT_LENGTH): string | null => {
  if (value == null) return null
  const clean = cleanText(value, max)
  return clean.trim() === "" ? null : clean
}

/**
 * A rejection's message may quote the event (a platform, a schema error echoing a value): it is
 * cleaned like any stored text, so NUL and lone surrogates never reach a header or a log line.
 */
const reject = (code: EventRejected["code"], message: string) => new EventRejected({ code, message: cleanText(message, 1000) })

/**
 * Parses an event body. Every rejection is permanent (§5) and says why in words:
 * `NOT_JSON`, `SCHEMA_INVALID`, `MISSING_PATH`, `INVALID_PATH`, `FOREIGN_BUCKET`.
 */
export const decodeEvent = Effect.fnUntraced(function*(body: Uint8Array, allowedBuckets: ReadonlyArray<string>) {
  const json = yield* Effect.try({
    try: (): unknown => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)),
    catch: (e) => reject("NOT_JSON", `event body is not UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`)
  })
  const envelope = yield* decodeEnvelope(json, { errors: "all" }).pipe(
    Effect.mapError((e) => reject("SCHEMA_INVALID", `event does not match data.collected: ${e.message.replaceAll("\n", " ")}`))
  )
  const p = envelope.payload
  if (p.minio_path == null || p.minio_path.trim() === "") {
    return yield* reject("MISSING_PATH", "event payload has no minio_path")
  }
  const location = parseObjectPath(p.minio_path)
  if ("problem" in location) {
    return yield* reject("INVALID_PATH", `minio_path '${cleanText(p.minio_path, 200)}' cannot be read: ${location.problem}`)
  }
  if (!allowedBuckets.includes(location.bucket)) {
    return yield* reject(
      "FOREIGN_BUCKET",
      `minio_path names bucket '${location.bucket}', but only ${allowedBuckets.map((b) => `'${b}'`).join(", ")} may be read`
    )
  }
  let platform: EventPlatform | null = null
  if (p.platform != null && p.platform.trim() !== "") {
    const upper = p.platform.trim().toUpperCase()
    if (upper !== "TIKTOK" && upper !== "YOUTUBE") {
      return yield* reject("SCHEMA_INVALID", `platform '${p.platform}' is neither tiktok nor youtube`)
    }
    platform = upper
  }
  const jobId = textOrNull(p.job_id, MAX_KEY_TEXT_LENGTH)
  const taskType = textOrNull(p.task_type)
  const rawProjectId = textOrNull(p.project_id, MAX_KEY_TEXT_LENGTH)
  const projectId = resolveProjectId(rawProjectId, jobId)
  const projectIdProblem = projectId === null && taskType !== "dryrun_keyword"
    ? rawProjectId === null
      ? "event has no project_id and its job_id names no project (only dryrun_keyword tasks may have none)"
      : `project_id '${rawProjectId}' contains no UUID`
    : null
  const event: CollectedEvent = {
    eventId: textOrNull(envelope.event_id),
    bucket: location.bucket,
    key: location.key,
    objectPath: `${location.bucket}/${location.key}`,
    platform,
    contentCount: toInt(p.content_count),
    totalBatches: toInt(p.total_batches),
    rawProjectId,
    projectIdProblem,
    context: {
      event_id: textOrNull(envelope.event_id),
      project_id: projectId,
      job_id: jobId,
      platform,
      batch_index: toInt(p.batch_index),
      task_type: taskType,
      brand_name: textOrNull(p.brand_name),
      keyword: textOrNull(p.keyword),
      event_time: toUtcIso(envelope.timestamp),
      keyword_source: null,
      pipeline_version: null
    }
  }
  return event
})

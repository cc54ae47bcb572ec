/**
 * What the fault suite publishes, and what each published event must end as: its rows stored
 * exactly once, or one dead letter with its code. Written from the contract (docs/contract.md
 * §1, §2, §4, §5), not from the service's code: nothing here imports src/.
 */
import { createHash } from "node:crypto"
import { rawItem } from "../support/crawlerBatch.ts"
import type { ExpectedBatch, ExpectedDead } from "./checker.ts"

const BUCKET = "crawl-results"
const FOREIGN_BUCKET = "other-bucket"
/** The suite runs the service with MAX_BATCH_ITEMS at this value, so an over-limit batch stays small. */
export const MAX_BATCH_ITEMS = 200
const SIZES = { TIKTOK: 50, YOUTUBE: 20 } as const

interface ObjectToUpload {
  readonly bucket: string
  readonly key: string
  readonly body: Buffer
  readonly metadata: Record<string, string>
}

export interface PlannedEvent {
  /** What kind of event this is, for the report: `tiktok`, `poison:NOT_JSON`, `hostile:giant-post`, … */
  readonly label: string
  readonly body: Buffer
  /** AMQP message-id; some poison events go without one (their dead letter is named by body hash). */
  readonly messageId: string | undefined
  /** Published twice (a crawler repeating itself): must still end as one result. */
  readonly twice: boolean
}

export interface Workload {
  readonly objects: ReadonlyArray<ObjectToUpload>
  readonly events: ReadonlyArray<PlannedEvent>
  readonly batches: ReadonlyArray<ExpectedBatch>
  readonly dead: ReadonlyArray<ExpectedDead>
}

/** A dead letter's identity as contract §5 defines it: the message-id, else the body's SHA-256. */
export const identityOf = (messageId: string | undefined | null, body: Uint8Array) =>
  typeof messageId === "string" && messageId !== "" ? messageId : `sha256:${createHash("sha256").update(body).digest("hex")}`

/** Deterministic pseudo-random numbers (mulberry32), so a run can be repeated exactly. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const projectId = (n: number) => `c4a05000-0000-4000-8000-${String(n).padStart(12, "0")}`

/** Raw JSON values the generator cannot express with JSON.stringify: placeholders replaced in the text. */
const RAW = {
  deep: (depth: number) => `${'{"x":'.repeat(depth)}null${"}".repeat(depth)}`,
  infiniteId: "1e400",
  bigId: "7576276451171884123"
}

const json = (value: unknown, raw: Record<string, string> = {}) => {
  let text = JSON.stringify(value)
  for (const [name, replacement] of Object.entries(raw)) text = text.replace(JSON.stringify(`__RAW_${name}__`), replacement)
  return Buffer.from(text)
}

export interface WorkloadOptions {
  /** Normal batches (TikTok and YouTube, full and partial). */
  readonly batches: number
  /** How often the poison and hostile sets are mixed in (each set once per round). */
  readonly rounds: number
  /** Text length of the giant post. */
  readonly giantChars: number
  readonly seed: number
}

export const makeWorkload = (options: WorkloadOptions): Workload => {
  const rand = random(options.seed)
  const objects: Array<ObjectToUpload> = []
  const events: Array<PlannedEvent> = []
  const batches: Array<ExpectedBatch> = []
  const dead: Array<ExpectedDead> = []
  let eventNo = 0
  let idNo = 0

  const event = (path: string | null, payload: Record<string, unknown>) => {
    eventNo += 1
    return {
      event_id: `chaos-evt-${eventNo}`,
      event_type: "data.collected",
      timestamp: "2026-12-01T10:15:30Z",
      payload: {
        ...(path === null ? {} : { minio_path: path }),
        task_type: "research_and_crawl",
        brand_name: "VinFast",
        keyword: "VinFast VF8",
        ...payload
      }
    }
  }

  /** A batch that must be stored: uploads it, publishes its event, records its rows. */
  const storedBatch = (
    label: string,
    spec: {
      readonly project: string
      readonly platform: "TIKTOK" | "YOUTUBE" | "OTHER"
      readonly items: ReadonlyArray<unknown>
      readonly posts: ReadonlyArray<string>
      readonly errors: ReadonlyArray<string>
      readonly duplicates?: number
      readonly payload?: Record<string, unknown>
      readonly raw?: Record<string, string>
      readonly twice?: boolean
    }
  ) => {
    const key = `${spec.platform.toLowerCase()}/${spec.project}/brand/batch_${String(eventNo + 1).padStart(6, "0")}.json`
    const path = `${BUCKET}/${key}`
    objects.push({ bucket: BUCKET, key, body: json(spec.items, spec.raw), metadata: {} })
    const body = json(event(path, { project_id: spec.project, job_id: `${spec.project}-brand-0`, batch_index: eventNo, content_count: spec.items.length, ...spec.payload }))
    events.push({ label, body, messageId: `chaos-msg-${eventNo}`, twice: spec.twice ?? false })
    batches.push({
      label,
      objectPath: path,
      posts: spec.posts.map((id) => `${spec.project}|${spec.platform}|${id}`),
      errors: spec.errors.map((id) => `${spec.project}|${spec.platform}|${id}`),
      actualSize: spec.items.length,
      duplicates: spec.duplicates ?? 0
    })
    return path
  }

  /** An event that must end as one dead letter with `code` (and a failed ledger row when it names its object). */
  const poison = (code: string, body: Buffer, ledgerPath: string | null, withMessageId: boolean, twice = false) => {
    const messageId = withMessageId ? `chaos-msg-${eventNo}-${code}` : undefined
    events.push({ label: `poison:${code}`, body, messageId, twice })
    dead.push({ label: `poison:${code}`, identity: identityOf(messageId, body), code, ledgerPath })
  }

  const normalBatch = (project: string, platform: "TIKTOK" | "YOUTUBE", size: number) => {
    const items: Array<unknown> = []
    const posts: Array<string> = []
    const errors: Array<string> = []
    const errorEvery = rand() < 0.3 ? 10 : 0
    for (let i = 0; i < size; i++) {
      idNo += 1
      const id = platform === "TIKTOK" ? String(7_400_000_000_000_000_000n + BigInt(idNo)) : `yt_chaos_${idNo}`
      const failed = errorEvery > 0 && i % errorEvery === errorEvery - 1
      items.push(rawItem(idNo, { platform, id, ...(failed ? { fetchStatus: "error" as const } : {}) }))
      ;(failed ? errors : posts).push(id)
    }
    storedBatch(platform.toLowerCase(), {
      project,
      platform,
      items,
      posts,
      errors,
      payload: { platform: platform.toLowerCase() },
      twice: rand() < 0.05
    })
  }

  const poisonRound = (round: number) => {
    const project = projectId(900 + round)
    const path = (name: string) => `${BUCKET}/tiktok/${project}/poison/${name}_${round}.json`
    const base = (p: string | null) => event(p, { project_id: project, job_id: `${project}-brand-0`, platform: "tiktok" })
    const withId = round % 2 === 0
    poison("NOT_JSON", Buffer.from(`{"event_id": "chaos-not-json-${round}", not json`), null, withId, true)
    poison("SCHEMA_INVALID", json({ ...base(path("schema")), event_type: "data.deleted" }), null, !withId)
    poison("MISSING_PATH", json(base(null)), null, withId)
    poison("INVALID_PATH", json(base(`${BUCKET}/tiktok//double_slash_${round}.json`)), null, !withId)
    poison("FOREIGN_BUCKET", json(base(`${FOREIGN_BUCKET}/secret.json`)), null, withId)
    poison("OBJECT_MISSING", json(base(path("missing"))), path("missing"), !withId)
    objects.push({ bucket: BUCKET, key: path("not_a_batch").slice(BUCKET.length + 1), body: json({ posts: [] }), metadata: {} })
    poison("NOT_A_BATCH", json(base(path("not_a_batch"))), path("not_a_batch"), withId, true)
    objects.push({
      bucket: BUCKET,
      key: path("corrupt").slice(BUCKET.length + 1),
      body: Buffer.from("this is not a zstd frame at all"),
      metadata: { "x-amz-meta-compressed": "true" }
    })
    poison("CORRUPT_COMPRESSION", json(base(path("corrupt"))), path("corrupt"), !withId)
    objects.push({
      bucket: BUCKET,
      key: path("over_limit").slice(BUCKET.length + 1),
      body: json(Array.from({ length: MAX_BATCH_ITEMS + 1 }, (_, i) => ({ meta: { id: `over_${round}_${i}` } }))),
      metadata: {}
    })
    poison("OVER_LIMIT", json(base(path("over_limit"))), path("over_limit"), withId)
    const noProject = event(path("no_project"), { project_id: "acme-corp", job_id: "acme-brand-0", platform: "tiktok" })
    poison("INVALID_PROJECT_ID", json(noProject), path("no_project"), !withId)
  }

  /** Every hostile case of issue 8, each with the end the contract promises it. */
  const hostileRound = (round: number) => {
    const project = projectId(800 + round)
    const base = (p: string | null) => event(p, { project_id: project, job_id: `${project}-brand-0`, platform: "tiktok" })
    const id = (name: string) => `hostile_${round}_${name}`
    const item = (name: string, patch: (i: Record<string, any>) => void = () => undefined) => {
      idNo += 1
      const value = rawItem(idNo, { platform: "TIKTOK", id: id(name) }) as Record<string, any>
      patch(value)
      return value
    }
    // Bucket escape: dead-lettered INVALID_PATH; the other bucket's object is never read.
    for (const [i, p] of [`${BUCKET}/../${FOREIGN_BUCKET}/secret.json`, `${BUCKET}/tiktok/%2e%2e/%2e%2e/${FOREIGN_BUCKET}/secret.json`].entries()) {
      const body = json(base(p))
      const messageId = `chaos-escape-${round}-${i}`
      events.push({ label: "hostile:bucket-escape", body, messageId, twice: false })
      dead.push({ label: "hostile:bucket-escape", identity: messageId, code: "INVALID_PATH", ledgerPath: null })
    }
    const tiktok = (label: string, items: ReadonlyArray<Record<string, any>>, extra: { payload?: Record<string, unknown>; raw?: Record<string, string>; errors?: Array<string>; posts?: Array<string>; platform?: "OTHER" } = {}) =>
      storedBatch(`hostile:${label}`, {
        project,
        platform: extra.platform ?? "TIKTOK",
        items,
        posts: extra.posts ?? items.map((i) => String(i["meta"].id)),
        errors: extra.errors ?? [],
        payload: { platform: "tiktok", ...extra.payload },
        ...(extra.raw === undefined ? {} : { raw: extra.raw })
      })
    tiktok("giant-post", [item("giant", (i) => { i["content"].text = "pin yếu quá nhưng giá rẻ ".repeat(Math.ceil(options.giantChars / 25)) }), item("giant_neighbour")])
    tiktok("nul-and-surrogates", [
      item("nul", (i) => { i["content"].text = "xe đẹp\u0000 quá"; i["content"].hashtags = ["vin\u0000fast", "vf8"] }),
      item("surrogate", (i) => { i["content"].text = "lỗi \ud800 pin"; i["content"].hashtags = ["\udc00lone", "ok"]; i["author"] = { id: "a\ud800", name: "x\u0000y", followers: 10 } }),
      item("plain")
    ])
    tiktok("out-of-range", [
      item("big_counts", (i) => { i["interaction"].views = 1e20; i["interaction"].likes = 1e300; i["author"] = { id: "a", followers: 1e19 } }),
      item("far_dates", (i) => { i["meta"].published_at = "+010000-01-01T00:00:00Z"; i["meta"].crawled_at = "-000001-01-01T00:00:00Z" }),
      item("neighbour")
    ], { payload: { batch_index: 3e9, content_count: 1e20 } })
    tiktok("deep-nesting", [item("deep", (i) => { i["meta"].unknown_field = "__RAW_deep__" }), item("deep_neighbour")], { raw: { deep: RAW.deep(10_000) } })
    // Huge ids: a 10 KB id and a non-finite one are INVALID_ID error rows named `<path>#<index>`;
    // a 19-digit number keeps every digit.
    const path = (n: number) => `${BUCKET}/tiktok/${project}/brand/batch_${String(n).padStart(6, "0")}.json`
    const hugeItems = [
      item("huge", (i) => { i["meta"].id = "9".repeat(10_240) }),
      item("infinite", (i) => { i["meta"].id = "__RAW_inf__" }),
      item("digits", (i) => { i["meta"].id = "__RAW_big__" }),
      item("normal")
    ]
    const hugePath = path(eventNo + 1)
    tiktok("huge-ids", hugeItems, {
      raw: { inf: RAW.infiniteId, big: RAW.bigId },
      posts: [RAW.bigId, id("normal")],
      errors: [`${hugePath}#0`, `${hugePath}#1`]
    })
    // Free-text platforms: no platform in the event, items naming made-up ones: stored as OTHER.
    storedBatch("hostile:free-text-platform", {
      project,
      platform: "OTHER",
      items: [item("myspace", (i) => { i["meta"].platform = "MySpace 🚀" }), item("friendster", (i) => { i["meta"].platform = "friendster" })],
      posts: [id("myspace"), id("friendster")],
      errors: []
    })
    // A batch repeating two posts: both counted as duplicates, each post stored once.
    const a = item("repeat_a")
    const b = item("repeat_b")
    tiktok("repeats-in-batch", [a, b, item("repeat_c"), a, b], { posts: [id("repeat_a"), id("repeat_b"), id("repeat_c")] })
    const last = batches[batches.length - 1]
    if (last !== undefined) batches[batches.length - 1] = { ...last, duplicates: 2 }
  }

  const rounds = Math.max(1, options.rounds)
  const every = Math.max(1, Math.floor(options.batches / rounds))
  let round = 0
  let job = 0
  let left = 0
  let platform: "TIKTOK" | "YOUTUBE" = "TIKTOK"
  let project = projectId(1)
  for (let n = 0; n < options.batches; n++) {
    if (left === 0) {
      job += 1
      project = projectId(1 + (job % 7))
      platform = rand() < 0.65 ? "TIKTOK" : "YOUTUBE"
      left = 2 + Math.floor(rand() * 6)
    }
    left -= 1
    // The last batch of a job is usually partial.
    const size = left === 0 ? 1 + Math.floor(rand() * (SIZES[platform] - 1)) : SIZES[platform]
    normalBatch(project, platform, size)
    if (n % every === Math.floor(every / 2) && round < rounds) {
      poisonRound(round)
      hostileRound(round)
      round += 1
    }
  }
  // The secret in the other bucket, which an escaping path would read.
  objects.push({ bucket: FOREIGN_BUCKET, key: "secret.json", body: json([rawItem(1, { id: "secret_should_never_be_stored" })]), metadata: {} })
  return { objects, events, batches, dead }
}

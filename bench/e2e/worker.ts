/**
 * The bench's own consumers, each run as a child process so that its CPU time and memory are
 * read from /proc like the service's. Settings arrive as JSON in BENCH_WORKER; the result
 * (timed window and per-event completion times) is written to its `out` file as JSON. Modes:
 *
 * - `ack`: the broker ceiling: consume at the same prefetch and ack, no work.
 * - `get`: the object-store ceiling: GET every fixture object with the service's S3 adapter
 *   (minio-js) at the same concurrency, no broker.
 * - `copy`: the database ceiling: the same rows the service writes per batch (post_analytics,
 *   post_keywords, crawl_errors, batch_ledger), written with COPY FROM STDIN (node-postgres and
 *   pg-copy-streams) per batch, one transaction per batch, at the same concurrency, into the migrated schema with its indexes.
 *   The rows are computed before the clock starts.
 * - `pipeline`: the pipeline ceiling: event and object decoding plus the pipeline on one core,
 *   objects already in memory.
 * - `naive`: the baseline, as the earlier Python service worked: prefetch 1; per message the
 *   object fetched, decoded and run through the pipeline; then per post its own transaction
 *   with one INSERT … ON CONFLICT (BEGIN, INSERT, COMMIT, node-postgres); ack at the end.
 */
import { writeFileSync } from "node:fs"
import { Readable } from "node:stream"
import { pipeline as pipe } from "node:stream/promises"
import * as amqp from "amqplib"
import { Effect, Redacted } from "effect"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import { ANALYTICS_COLUMNS, ERROR_COLUMNS, LEDGER_COLUMNS } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { makeBatchStorageS3 } from "../../src/adapters/s3/BatchStorage.ts"
import type { AnalyticsRecord, ErrorRecord } from "../../src/domain/records.ts"
import { BUCKET, eventFor, makeFixture } from "./fixture.ts"
import { type AnalyzedBatch, analyzeBatch } from "./work.ts"

export interface WorkerSettings {
  readonly mode: "ack" | "get" | "copy" | "pipeline" | "naive"
  readonly batches: number
  readonly seed: number
  readonly prefetch: number
  readonly concurrency: number
  /** Messages to settle before exiting (broker modes). */
  readonly expect: number
  readonly amqpUrl: string
  readonly queue: string
  readonly s3Endpoint: string
  readonly databaseUrl: string
  readonly out: string
}

export interface WorkerResult {
  readonly start: number
  readonly end: number
  readonly posts: number
  /** event id → ms since the epoch when its batch was settled (broker modes). */
  readonly completions: Record<string, number>
}

const settings = JSON.parse(process.env["BENCH_WORKER"] ?? "{}") as WorkerSettings
const NOW = "2025-12-06T10:16:00.000Z"
const fixture = makeFixture(settings.batches, settings.seed)
const encoder = new TextEncoder()

const storage = () =>
  makeBatchStorageS3({
    endpoint: new URL(settings.s3Endpoint),
    accessKey: Redacted.make("S3RVER"),
    secretKey: Redacted.make("S3RVER"),
    region: "us-east-1",
    buckets: [BUCKET],
    timeoutMs: 30_000
  })
const MAX_BYTES = 64 * 2 ** 20

const finish = (result: WorkerResult) => {
  writeFileSync(settings.out, JSON.stringify(result))
  process.exit(0)
}

/** Runs `work` over `items` with `n` loops in parallel. */
const parallel = async <A>(items: ReadonlyArray<A>, n: number, work: (a: A) => Promise<void>) => {
  let next = 0
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await work(items[next++] as A)
  }))
}

// COPY text format: \N for null; backslash, tab, newline and carriage return escaped.
const copyValue = (type: string, value: unknown): string => {
  if (value === null || value === undefined) return "\\N"
  const text = type === "jsonb" ? JSON.stringify(value) : typeof value === "string" ? value : String(value)
  return text.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"))
}
const copyRows = (columns: ReadonlyArray<readonly [string, string]>, rows: ReadonlyArray<Readonly<Record<string, unknown>>>) =>
  rows.map((row) => columns.map(([name, type]) => copyValue(type, row[name])).join("\t")).join("\n") + "\n"

const KEYWORD_COLUMNS = [
  ["published_at", "timestamptz"], ["ord", "integer"], ["project_id", "uuid"], ["platform", "text"],
  ["post_id", "text"], ["keyword", "text"], ["aspect", "text"]
] as const
const keywordRows = (analytics: ReadonlyArray<AnalyticsRecord>) =>
  analytics.flatMap((a) =>
    (Array.isArray(a.keywords) ? a.keywords : []).map((k, i) => {
      const kw = k as { readonly keyword?: unknown; readonly aspect?: unknown }
      return { published_at: a.published_at, ord: i + 1, project_id: a.project_id, platform: a.platform, post_id: a.id, keyword: kw.keyword ?? null, aspect: kw.aspect ?? null }
    })
  )

interface CopyBatch {
  readonly analytics: string | null
  readonly keywords: string | null
  readonly errors: string | null
  readonly ledger: string
  readonly posts: number
}
const toCopy = (b: AnalyzedBatch): CopyBatch => {
  const kw = keywordRows(b.analytics)
  const ledger = { ...b.ledger, first_attempt_at: b.ledger.attempted_at, last_attempt_at: b.ledger.attempted_at, attempts: 1 }
  return {
    analytics: b.analytics.length === 0 ? null : copyRows(ANALYTICS_COLUMNS, b.analytics as ReadonlyArray<Record<string, unknown>>),
    keywords: kw.length === 0 ? null : copyRows(KEYWORD_COLUMNS, kw),
    errors: b.errors.length === 0 ? null : copyRows(ERROR_COLUMNS, b.errors as ReadonlyArray<Record<string, unknown>>),
    ledger: copyRows(LEDGER_COLUMNS, [ledger as Record<string, unknown>]),
    posts: b.analytics.length + b.errors.length
  }
}
const names = (columns: ReadonlyArray<readonly [string, string]>) => columns.map(([n]) => n).join(", ")

const eventBody = (i: number) => encoder.encode(JSON.stringify(eventFor(fixture[i]!, `evt_${i}`)))

/** One row per statement, as a per-row ORM or psycopg loop writes it. */
const insertOne = (table: string, columns: ReadonlyArray<readonly [string, string]>, conflict: string) =>
  `INSERT INTO ${table} (${names(columns)}) VALUES (${columns.map(([, t], i) => `$${i + 1}::${t}`).join(", ")}) ${conflict}`
const INSERT_POST = insertOne(
  "post_analytics",
  ANALYTICS_COLUMNS,
  `ON CONFLICT ON CONSTRAINT post_analytics_identity DO UPDATE SET ${
    ANALYTICS_COLUMNS.filter(([n]) => !["id", "project_id", "platform"].includes(n)).map(([n]) => `${n} = EXCLUDED.${n}`).join(", ")
  }`
)
const INSERT_ERROR = insertOne("crawl_errors", ERROR_COLUMNS, "ON CONFLICT ON CONSTRAINT crawl_errors_identity DO NOTHING")
const params = (columns: ReadonlyArray<readonly [string, string]>, row: Readonly<Record<string, unknown>>) =>
  columns.map(([n, t]) => {
    const v = row[n]
    return v === null || v === undefined ? null : t === "jsonb" ? JSON.stringify(v) : typeof v === "string" ? v : String(v)
  })

const consume = async (prefetch: number, onMessage: (body: Buffer) => Promise<void>) => {
  const connection = await amqp.connect(settings.amqpUrl)
  const channel = await connection.createChannel()
  await channel.prefetch(prefetch)
  const completions: Record<string, number> = {}
  let settled = 0
  let start = 0
  const done = new Promise<void>((resolve) => {
    void channel.consume(settings.queue, (message) => {
      if (message === null) return
      if (start === 0) start = Date.now()
      void onMessage(message.content).then(() => {
        channel.ack(message)
        const id = (JSON.parse(message.content.toString()) as { event_id: string }).event_id
        completions[id] = Date.now()
        if (++settled === settings.expect) resolve()
      })
    })
  })
  console.log("ready")
  await done
  const end = Date.now()
  await connection.close()
  return { start, end, completions }
}

const main = async () => {
  switch (settings.mode) {
    case "ack": {
      const r = await consume(settings.prefetch, async () => undefined)
      return finish({ ...r, posts: 0 })
    }
    case "get": {
      const s = storage()
      console.log("ready")
      const start = Date.now()
      await parallel(fixture, settings.concurrency, async (b) => {
        await Effect.runPromise(s.get({ bucket: BUCKET, key: b.key }, MAX_BYTES))
      })
      return finish({ start, end: Date.now(), posts: fixture.reduce((n, b) => n + b.items, 0), completions: {} })
    }
    case "pipeline": {
      const bodies = fixture.map((_, i) => eventBody(i))
      console.log("ready")
      const start = Date.now()
      let posts = 0
      fixture.forEach((b, i) => {
        const r = analyzeBatch(bodies[i]!, b.bytes, NOW)
        posts += r.analytics.length + r.errors.length
      })
      return finish({ start, end: Date.now(), posts, completions: {} })
    }
    case "copy": {
      const batches = fixture.map((b, i) => toCopy(analyzeBatch(eventBody(i), b.bytes, NOW)))
      const clients = await Promise.all(Array.from({ length: settings.concurrency }, async () => {
        const c = new pg.Client(settings.databaseUrl)
        await c.connect()
        return c
      }))
      console.log("ready")
      const start = Date.now()
      const copy = async (c: pg.Client, table: string, columns: string, text: string | null) => {
        if (text === null) return
        await pipe(Readable.from([text]), c.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`)))
      }
      let next = 0
      await Promise.all(clients.map(async (c) => {
        while (next < batches.length) {
          const b = batches[next++]!
          // post_analytics last: its statement trigger upserts the project's rollup rows (0013),
          // which every concurrent batch of the project also updates, and those row locks are
          // held to COMMIT. Copied first, every batch held them across three more round trips
          // and the batches queued on each other (674 posts/s at 16 connections, load 3).
          await c.query("BEGIN")
          await copy(c, "post_keywords", names(KEYWORD_COLUMNS), b.keywords)
          await copy(c, "crawl_errors", names(ERROR_COLUMNS), b.errors)
          await copy(c, "batch_ledger", names(LEDGER_COLUMNS), b.ledger)
          await copy(c, "post_analytics", names(ANALYTICS_COLUMNS), b.analytics)
          await c.query("COMMIT")
        }
      }))
      const end = Date.now()
      await Promise.all(clients.map((c) => c.end()))
      return finish({ start, end, posts: batches.reduce((n, b) => n + b.posts, 0), completions: {} })
    }
    case "naive": {
      const s = storage()
      const db = new pg.Client(settings.databaseUrl)
      await db.connect()
      /** BEGIN, one INSERT, COMMIT: a transaction per row, as the earlier service committed per item. */
      const transaction = async (text: string, values: Array<string | null>) => {
        await db.query("BEGIN")
        await db.query(text, values)
        await db.query("COMMIT")
      }
      const r = await consume(1, async (body) => {
        const event = JSON.parse(body.toString()) as { payload: { minio_path: string } }
        const key = event.payload.minio_path.slice(BUCKET.length + 1)
        const object = await Effect.runPromise(s.get({ bucket: BUCKET, key }, MAX_BYTES))
        const batch = analyzeBatch(body, object.bytes, NOW)
        for (const post of batch.analytics) {
          await transaction(INSERT_POST, params(ANALYTICS_COLUMNS, post as Readonly<Record<string, unknown>>))
        }
        for (const error of batch.errors as ReadonlyArray<ErrorRecord>) {
          await transaction(INSERT_ERROR, params(ERROR_COLUMNS, error as Readonly<Record<string, unknown>>))
        }
      })
      await db.end()
      return finish({ ...r, posts: 0 })
    }
  }
}

await main()

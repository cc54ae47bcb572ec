/**
 * What each variant runs in: a fresh database (created, migrated, with a commit-time recorder),
 * a fresh exchange and queue on the machine's RabbitMQ, the shared s3rver with the fixture, and
 * the consumer processes (the service or a bench worker) as children.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as amqp from "amqplib"
import * as Minio from "minio"
import { Effect, Redacted, References } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import pg from "pg"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../../src/adapters/postgres/migrator.ts"
import { eventFor, type FixtureBatch } from "./fixture.ts"
import type { WorkerResult, WorkerSettings } from "./worker.ts"
import { freePort } from "../../test/support/ports.ts"

export const ROOT = fileURLToPath(new URL("../../", import.meta.url))
/** A node-postgres client, connected; `unsafe` runs SQL text, `rows` returns its rows. */
const connect = async (url: string) => {
  const client = new pg.Client(url)
  client.on("error", () => undefined)
  await client.connect()
  return {
    unsafe: async (text: string) => { await client.query(text) },
    rows: async <R>(text: string, values: ReadonlyArray<unknown> = []): Promise<Array<R>> => (await client.query(text, [...values])).rows as Array<R>,
    end: () => client.end()
  }
}

const ADMIN_URL = process.env["SMAP_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
const AMQP_URL = process.env["SMAP_TEST_RABBITMQ_URL"] ?? "amqp://guest:guest@127.0.0.1:5672"
const ROUTING_KEY = "data.collected"


export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `--name N` from the command line, or `fallback`. */
export const numberOption = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

/** `--service-node-args "…"`: extra arguments for the service's node (memory experiments). */
export const serviceNodeArgs = (): ReadonlyArray<string> => {
  const i = process.argv.indexOf("--service-node-args")
  return i >= 0 ? (process.argv[i + 1] ?? "").split(" ").filter((a) => a !== "") : []
}

/**
 * An s3rver in a process of its own (s3rverMain.ts) with `bucket` holding `objects`, uploaded
 * eight at a time; it is killed and its directory removed when this process exits.
 */
export const startS3rver = async (name: string, bucket: string, objects: ReadonlyArray<{ readonly key: string; readonly bytes: Uint8Array }> = []) => {
  const dir = mkdtempSync(join(tmpdir(), `smap-bench-${name}-s3-`))
  const child = spawn(process.execPath, [`${ROOT}bench/e2e/s3rverMain.ts`, dir, bucket], { stdio: ["ignore", "pipe", "inherit"] })
  process.on("exit", () => {
    child.kill("SIGKILL")
    rmSync(dir, { recursive: true, force: true })
  })
  const port = await new Promise<number>((resolve) => child.stdout.once("data", (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port)))
  const client = new Minio.Client({ endPoint: "127.0.0.1", port, useSSL: false, accessKey: "S3RVER", secretKey: "S3RVER", region: "us-east-1", pathStyle: true })
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < objects.length) {
      const o = objects[next++]!
      await client.putObject(bucket, o.key, Buffer.from(o.bytes), o.bytes.length, { "Content-Type": "application/json" })
    }
  }))
  return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid ?? 0 }
}

/**
 * Every batch_ledger insert or update also inserts the event id and `clock_timestamp()` into
 * bench_commits, in the same statement and transaction as the batch's rows: the publish-to-
 * commit latency's end (the commit follows within the same round trip).
 */
const COMMIT_RECORDER = [
  `CREATE TABLE bench_commits (event_id text, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  `CREATE FUNCTION bench_commit() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN INSERT INTO bench_commits (event_id) VALUES (NEW.event_id); RETURN NULL; END $$`,
  `CREATE TRIGGER bench_commit AFTER INSERT OR UPDATE ON batch_ledger FOR EACH ROW EXECUTE FUNCTION bench_commit()`
]

const TEMPLATE = `bench_e2e_template_${process.pid}`

/**
 * Creates the template every world's database is copied from: migrated, with the commit
 * recorder. `CREATE DATABASE … TEMPLATE` then gives each variant a fresh database in a fraction
 * of a migration's time. Returns a function that drops it.
 */
export const prepareTemplate = async () => {
  const admin = await connect(ADMIN_URL)
  await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE}`)
  await admin.unsafe(`CREATE DATABASE ${TEMPLATE}`)
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${TEMPLATE}`)
  await Effect.runPromise(
    Effect.provide(
      Effect.flatMap(SqlClient, () => Effect.flatMap(loadMigrations(), (m) => migrateUp(m))),
      layerPgClient({ url: Redacted.make(url), maxConnections: 1 })
    ).pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "Warn"))
  )
  const db = await connect(url)
  for (const statement of COMMIT_RECORDER) await db.unsafe(statement)
  await db.end()
  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`)
    await admin.end()
  }
}

export const makeWorld = async (label: string) => {
  const id = `${label}_${randomBytes(3).toString("hex")}`
  const database = `bench_e2e_${id}`
  const admin = await connect(ADMIN_URL)
  await admin.unsafe(`CREATE DATABASE ${database} TEMPLATE ${TEMPLATE}`)
  const databaseUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${database}`)
  const db = await connect(databaseUrl)

  const names = {
    EVENT_EXCHANGE: `bench.${id}.events`,
    EVENT_QUEUE_NAME: `bench.${id}.analytics`,
    DEAD_LETTER_EXCHANGE: `bench.${id}.dlx`,
    DEAD_LETTER_QUEUE: `bench.${id}.dlq`
  }
  const broker = await amqp.connect(AMQP_URL)
  const setup = await broker.createChannel()
  // The service's own declaration (src/adapters/rabbitmq/topology.ts), so its re-declaration matches.
  await setup.assertExchange(names.EVENT_EXCHANGE, "topic", { durable: true })
  await setup.assertExchange(names.DEAD_LETTER_EXCHANGE, "topic", { durable: true })
  await setup.assertQueue(names.DEAD_LETTER_QUEUE, { durable: true })
  await setup.bindQueue(names.DEAD_LETTER_QUEUE, names.DEAD_LETTER_EXCHANGE, "#")
  await setup.assertQueue(names.EVENT_QUEUE_NAME, { durable: true, arguments: { "x-dead-letter-exchange": names.DEAD_LETTER_EXCHANGE } })
  await setup.bindQueue(names.EVENT_QUEUE_NAME, names.EVENT_EXCHANGE, ROUTING_KEY)
  const publisher = await broker.createConfirmChannel()

  const children: Array<ChildProcess> = []
  const publishedAt = new Map<string, number>()

  /** Publishes the events (persistent, with confirms) as fast as the broker takes them. */
  const publishAll = async (events: ReadonlyArray<{ readonly id: string; readonly batch: FixtureBatch }>) => {
    for (const e of events) {
      publishedAt.set(e.id, Date.now())
      const ok = publisher.publish(names.EVENT_EXCHANGE, ROUTING_KEY, Buffer.from(JSON.stringify(eventFor(e.batch, e.id))), {
        persistent: true,
        contentType: "application/json"
      })
      if (!ok) await new Promise((r) => publisher.once("drain", r))
    }
    await publisher.waitForConfirms()
  }

  /** Publishes one event every `intervalMs` (paced load), confirms awaited every 50 events. */
  const publishPaced = async (events: ReadonlyArray<{ readonly id: string; readonly batch: FixtureBatch }>, intervalMs: number) => {
    const start = performance.now()
    for (const [i, e] of events.entries()) {
      const due = start + i * intervalMs
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      publishedAt.set(e.id, Date.now())
      publisher.publish(names.EVENT_EXCHANGE, ROUTING_KEY, Buffer.from(JSON.stringify(eventFor(e.batch, e.id))), {
        persistent: true,
        contentType: "application/json"
      })
      if (i % 50 === 49) await publisher.waitForConfirms()
    }
    await publisher.waitForConfirms()
  }

  const childEnv = (extra: Record<string, string>) => {
    const base: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v
    return { ...base, ...extra }
  }

  /** `node bin/smap-analytics.js consume` with this world's names and the given settings. */
  const startService = async (s3Endpoint: string, settings: Record<string, string>, nodeArgs: ReadonlyArray<string> = []) => {
    const metricsPort = await freePort()
    const child = spawn(process.execPath, [...nodeArgs, `${ROOT}bin/smap-analytics.js`, "consume"], {
      cwd: ROOT,
      env: childEnv({
        ...names,
        DATABASE_URL: databaseUrl,
        RABBITMQ_URL: AMQP_URL,
        MINIO_ENDPOINT: s3Endpoint,
        MINIO_ACCESS_KEY: "S3RVER",
        MINIO_SECRET_KEY: "S3RVER",
        MINIO_CRAWL_RESULTS_BUCKET: "crawl-results",
        METRICS_HOST: "127.0.0.1",
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: "warn",
        LOG_FORMAT: "json",
        ...settings
      }),
      stdio: ["ignore", "pipe", "pipe"]
    })
    children.push(child)
    let logs = ""
    child.stdout.on("data", (d: Buffer) => { logs = (logs + d.toString()).slice(-20_000) })
    child.stderr.on("data", (d: Buffer) => { logs = (logs + d.toString()).slice(-20_000) })
    const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    const deadline = performance.now() + 60_000
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then((r) => r.status, () => 0)
      if (status === 200) break
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`the service did not become ready:\n${logs}`)
      await sleep(100)
    }
    return { child, pid: child.pid ?? 0, metrics, logs: () => logs }
  }

  /** A bench worker (worker.ts); resolves once it is subscribed or has loaded its data. */
  const startWorker = async (settings: Omit<WorkerSettings, "queue" | "databaseUrl" | "amqpUrl" | "out">) => {
    const out = `/tmp/smap-bench-e2e-${id}-${settings.mode}-${children.length}.json`
    const full: WorkerSettings = { ...settings, queue: names.EVENT_QUEUE_NAME, databaseUrl, amqpUrl: AMQP_URL, out }
    const child = spawn(process.execPath, [`${ROOT}bench/e2e/worker.ts`], {
      cwd: ROOT,
      env: childEnv({ BENCH_WORKER: JSON.stringify(full) }),
      stdio: ["ignore", "pipe", "pipe"]
    })
    children.push(child)
    let logs = ""
    child.stderr.on("data", (d: Buffer) => { logs = (logs + d.toString()).slice(-20_000) })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => { if (d.toString().includes("ready")) resolve() })
      void exited.then((code) => reject(new Error(`worker ${settings.mode} exited (${code}) before it was ready:\n${logs}`)))
    })
    const result = async (): Promise<WorkerResult> => {
      const code = await exited
      if (code !== 0) throw new Error(`worker ${settings.mode} failed (${code}):\n${logs}`)
      return JSON.parse(readFileSync(out, "utf8")) as WorkerResult
    }
    return { child, pid: child.pid ?? 0, result }
  }

  /** Event id → commit time (ms since the epoch), from bench_commits. */
  const commits = async () => {
    const rows = await db.rows<{ event_id: string; at: number }>(
      `SELECT event_id, (extract(epoch FROM at) * 1000)::float8 AS at FROM bench_commits`
    )
    return new Map(rows.map((r) => [r.event_id, Number(r.at)]))
  }
  const commitCount = async () => Number((await db.rows<{ n: string }>(`SELECT count(DISTINCT event_id)::text AS n FROM bench_commits`))[0]?.n ?? 0)

  /** Active sessions of this database by wait event (one sample). */
  const waitEvents = async () =>
    db.rows<{ wait: string }>(
      `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU (no wait event)') AS wait
       FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()`,
      [database]
    )

  const deadLetters = async () => (await setup.checkQueue(names.DEAD_LETTER_QUEUE)).messageCount

  const close = async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL")
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : undefined)))
    for (const q of [names.EVENT_QUEUE_NAME, names.DEAD_LETTER_QUEUE]) await setup.deleteQueue(q).catch(() => undefined)
    for (const x of [names.EVENT_EXCHANGE, names.DEAD_LETTER_EXCHANGE]) await setup.deleteExchange(x).catch(() => undefined)
    await broker.close().catch(() => undefined)
    await db.end()
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  }

  return { id, database, databaseUrl, names, db, publishAll, publishPaced, publishedAt, startService, startWorker, commits, commitCount, waitEvents, deadLetters, close }
}

export type World = Awaited<ReturnType<typeof makeWorld>>

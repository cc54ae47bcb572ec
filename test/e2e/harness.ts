import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"
import * as amqp from "amqplib"
import * as Minio from "minio"
import { Effect, Exit, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../../src/adapters/postgres/migrator.ts"
import { makeBatchStorageS3 } from "../../src/adapters/s3/BatchStorage.ts"
import type { BatchStorage } from "../../src/ports/BatchStorage.ts"
import { TEST_DATABASE_URL } from "../postgres/testDatabase.ts"
import { rabbitUrl } from "../support/rabbit.ts"
import { s3TestServer } from "../support/s3server.ts"
import { freePort } from "../support/ports.ts"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const BIN = `${ROOT}bin/smap-analytics.js`

/** How to start the CLI: Node (the one running the tests) or Deno. */
export type Runtime = "node" | "deno"


/**
 * One isolated world for end-to-end tests: its own database (created and migrated), its own
 * exchange/queue names, its own s3rver and bucket, and the real CLI run as a child process.
 */
export const makeWorld = async () => {
  const id = randomBytes(4).toString("hex")
  const scope = await Effect.runPromise(Scope.make())
  const bucket = "crawl-results"
  /** A bucket on the same server that the service is not configured to read. */
  const foreignBucket = "other-bucket"
  const s3 = await Effect.runPromise(s3TestServer([bucket, foreignBucket]).pipe(Scope.provide(scope)))
  const database = `e2e_${id}`
  const adminUrl = Redacted.make(TEST_DATABASE_URL)
  const sql = <A>(f: (client: SqlClient) => Effect.Effect<A, unknown, SqlClient>, url = adminUrl) =>
    Effect.runPromise(Effect.provide(Effect.flatMap(SqlClient, f), layerPgClient({ url, maxConnections: 1 })).pipe(Effect.scoped))
  await sql((c) => c.unsafe(`CREATE DATABASE ${database}`))
  const databaseUrl = TEST_DATABASE_URL.replace(/\/[^/]*$/, `/${database}`)
  await sql(() => Effect.flatMap(loadMigrations(), (m) => migrateUp(m)), Redacted.make(databaseUrl))
  const metricsPort = await freePort()
  const names = {
    EVENT_EXCHANGE: `e2e.${id}.events`,
    EVENT_QUEUE_NAME: `e2e.${id}.analytics`,
    DEAD_LETTER_EXCHANGE: `e2e.${id}.dlx`,
    DEAD_LETTER_QUEUE: `e2e.${id}.dlq`
  }
  const env: Record<string, string> = {
    ...names,
    DATABASE_URL: databaseUrl,
    RABBITMQ_URL: rabbitUrl,
    MINIO_ENDPOINT: s3.endpoint.href,
    MINIO_ACCESS_KEY: "S3RVER",
    MINIO_SECRET_KEY: "S3RVER",
    MINIO_CRAWL_RESULTS_BUCKET: bucket,
    METRICS_HOST: "127.0.0.1",
    METRICS_PORT: String(metricsPort),
    LOG_FORMAT: "json",
    SHUTDOWN_GRACE_SECONDS: "20"
  }
  const broker = await amqp.connect(rabbitUrl)
  broker.on("error", () => undefined)
  const storage: BatchStorage["Service"] = makeBatchStorageS3(s3.storageOptions())
  const foreignStorage: BatchStorage["Service"] = makeBatchStorageS3(s3.storageOptions({ buckets: [foreignBucket] }))
  const children: Array<ChildProcess> = []

  const cliEnv = (extra: Record<string, string>) => {
    const base: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v
    return { ...base, ...env, ...extra }
  }

  /** Runs a CLI command to completion; returns its exit code and output. */
  const cli = (args: ReadonlyArray<string>, extra: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(extra), cwd: ROOT })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d: Buffer) => { stdout += d.toString() })
      child.stderr.on("data", (d: Buffer) => { stderr += d.toString() })
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })

  /** Starts `consume` (under Node or Deno); returns the process and a promise of its exit. */
  const startConsumer = (runtime: Runtime = "node", extra: Record<string, string> = {}) => {
    const [command, args] = runtime === "node"
      ? [process.execPath, [BIN, "consume"]]
      : [`${ROOT}node_modules/.bin/deno`, ["run", "--allow-all", BIN, "consume"]]
    const child = spawn(command, args, { env: cliEnv(extra), cwd: ROOT })
    children.push(child)
    let logs = ""
    child.stdout?.on("data", (d: Buffer) => { logs += d.toString() })
    child.stderr?.on("data", (d: Buffer) => { logs += d.toString() })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    return { child, exited, logs: () => logs }
  }

  const query = <Row extends object>(text: string) =>
    sql((c) => c.unsafe<Row>(text), Redacted.make(databaseUrl))

  /** Rows of a table matching a condition (SQL written by the test, never from input). */
  const count = async (table: string, where = "true") =>
    Number((await query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`))[0]?.n ?? "0")

  const publish = async (body: unknown) => {
    const channel = await broker.createConfirmChannel()
    channel.on("error", () => undefined)
    channel.publish(names.EVENT_EXCHANGE, "data.collected", Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), {
      persistent: true,
      contentType: "application/json"
    })
    await channel.waitForConfirms()
    await channel.close()
  }

  const upload = (key: string, body: unknown, compress = false) =>
    Effect.runPromise(storage.put({ bucket, key }, new TextEncoder().encode(JSON.stringify(body)), { compress }))

  /** Stores an object in the bucket the service must never read. */
  const uploadForeign = (key: string, body: unknown) =>
    Effect.runPromise(foreignStorage.put({ bucket: foreignBucket, key }, new TextEncoder().encode(JSON.stringify(body))))

  /** Stores bytes as given, with the given metadata (for objects a crawler got wrong). */
  const uploadRaw = async (key: string, bytes: Uint8Array, metadata: Record<string, string>) => {
    const client = new Minio.Client({
      endPoint: s3.endpoint.hostname,
      port: Number(s3.endpoint.port),
      useSSL: false,
      accessKey: "S3RVER",
      secretKey: "S3RVER",
      region: "us-east-1",
      pathStyle: true
    })
    await client.putObject(bucket, key, Buffer.from(bytes), bytes.length, metadata)
  }

  const deadLetters = async () => {
    const channel = await broker.createChannel()
    const letters: Array<amqp.GetMessage> = []
    for (;;) {
      const message = await channel.get(names.DEAD_LETTER_QUEUE, { noAck: false })
      if (message === false) break
      letters.push(message)
    }
    await channel.close() // unacked messages go back: looking loses nothing
    return letters
  }

  const queueDepth = async () => {
    const channel = await broker.createChannel()
    const depth = (await channel.checkQueue(names.EVENT_QUEUE_NAME)).messageCount
    await channel.close()
    return depth
  }

  const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
  const ready = async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status

  const close = async () => {
    // A child ended by a signal has a null exitCode but a signalCode: it is not waited for.
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null)
    for (const child of running) child.kill("SIGKILL")
    await Promise.all(running.map((c) => c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined))
    const channel = await broker.createChannel()
    for (const q of [names.EVENT_QUEUE_NAME, names.DEAD_LETTER_QUEUE]) await channel.deleteQueue(q).catch(() => undefined)
    for (const x of [names.EVENT_EXCHANGE, names.DEAD_LETTER_EXCHANGE]) await channel.deleteExchange(x).catch(() => undefined)
    await broker.close().catch(() => undefined)
    await sql((c) => c.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }

  return { id, bucket, foreignBucket, env, names, cli, startConsumer, query, count, publish, upload, uploadForeign, uploadRaw, deadLetters, queueDepth, metrics, ready, close }
}

export type World = Awaited<ReturnType<typeof makeWorld>>

/** Polls until `check` returns true or `timeoutMs` passes. */
export const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = performance.now() + timeoutMs
  let last: unknown = null
  while (performance.now() < deadline) {
    try {
      if (await check()) return
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}${last === null ? "" : `: ${String(last)}`}`)
}

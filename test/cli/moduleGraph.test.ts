import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Scope } from "effect"
import type { Topology } from "../../src/adapters/rabbitmq/topology.ts"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort } from "../support/ports.ts"
import { adminConnection, testTopology } from "../support/rabbit.ts"
import { s3TestServer } from "../support/s3server.ts"
import { testSettings } from "../support/testServices.ts"

/**
 * What each command loads is part of its memory footprint (docs/benchmarks.md, "Idle
 * footprint"): every module costs resident memory for as long as the process lives. These tests
 * run the real binary with a preload that records every module it loads, and check that a
 * command loads none of the code only other commands need: `consume` (whose footprint has a
 * budget) loads neither the embedded database, nor the read API and dashboard, nor the Redis
 * client that `@effect/platform-node`'s index drags in; `--help`, `analyze` (also run under Deno)
 * and `local --memory` load no database, broker or storage client at all.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const BIN = join(ROOT, "bin/smap-analytics.js")
const RECORDER = join(ROOT, "test/cli/support/loadedModules.mjs")
const scratch = mkdtempSync(join(tmpdir(), "smap-modules-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let runs = 0
const recordedArgs = () => {
  const file = join(scratch, `modules-${runs++}.txt`)
  return { file, args: ["--import", RECORDER] }
}
const modulesIn = (file: string) => readFileSync(file, "utf8").trim().split("\n")

/** Module URLs matching any of `patterns`, so that a failure names what was loaded. */
const offenders = (modules: ReadonlyArray<string>, patterns: ReadonlyArray<RegExp>) =>
  modules.filter((m) => patterns.some((p) => p.test(m)))

/** Code that only `local` (embedded database), `serve`/`local --serve` (read API) or nobody needs. */
const NOT_FOR_CONSUME = [
  /\/node_modules\/@electric-sql\/pglite/,
  /\/node_modules\/@redis\//,
  /\/src\/adapters\/postgres\/(embedded|AnalyticsQueries|readOnlyClient|migrator)\.ts$/,
  /\/src\/adapters\/http\/api(Server)?\.ts$/
]

/** Infrastructure clients: a command that talks to no service loads none of them. */
const CLIENTS = [
  /\/node_modules\/(minio|amqplib|pg|postgres|prom-client|@effect\/sql-pg|@electric-sql\/pglite|@redis\/[^/]+)\//,
  /\/src\/adapters\/(postgres|rabbitmq|s3|prometheus|http)\//
]

const runSync = (args: ReadonlyArray<string>) => {
  const { file, args: preload } = recordedArgs()
  const result = spawnSync(process.execPath, [...preload, BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, SMAP_LOADED_MODULES_FILE: file }
  })
  expect(result.status, result.stderr).toBe(0)
  return modulesIn(file)
}

describe("the modules a command loads", () => {
  it("the recorder sees ES modules, CommonJS files and JSON (so an empty finding means something)", () => {
    const modules = runSync(["analyze", "examples/tiktok_batch_000.json"])
    expect(modules.some((m) => m.endsWith("/src/cli/analyze.ts"))).toBe(true)
    expect(modules.some((m) => m.endsWith("/data/lexicon/sentiment_en.json"))).toBe(true)
    expect(modules.some((m) => /\/node_modules\/effect\/dist\/Effect\.js$/.test(m))).toBe(true)
  })

  it("--help loads no infrastructure client", () => {
    expect(offenders(runSync(["--help"]), CLIENTS)).toEqual([])
  })

  it("analyze loads no infrastructure client", () => {
    const modules = runSync(["analyze", "examples/tiktok_batch_000.json"])
    expect(offenders(modules, CLIENTS)).toEqual([])
  })

  it("local --memory (no database, no dashboard) loads no infrastructure client", () => {
    expect(offenders(runSync(["local", "--memory"]), CLIENTS)).toEqual([])
  })
})

/**
 * `consume` against the test PostgreSQL (a database of its own, migrated), RabbitMQ (exchanges
 * and queues of its own) and an s3rver, until it is ready; then SIGTERM. By then every production adapter has
 * been loaded, so what is not in the list is not loaded at all.
 */
describe("consume, running and ready", () => {
  const database = `smap_modules_${process.pid}`
  const scope = Effect.runSync(Scope.make())
  let databaseUrl = ""
  let s3Endpoint = ""
  let topology: Topology | undefined
  const admin = new pg.Client({ connectionString: testSettings.database.value })

  beforeAll(async () => {
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${database}`)
    const url = new URL(testSettings.database.value)
    url.pathname = `/${database}`
    databaseUrl = url.toString()
    const server = await Effect.runPromise(Scope.provide(s3TestServer(["crawl-results"]), scope))
    s3Endpoint = server.endpoint.toString()
    // Names of its own, deleted when the scope closes.
    topology = await Effect.runPromise(Scope.provide(Effect.flatMap(adminConnection, (model) => testTopology(model)), scope))
    const migrated = spawnSync(process.execPath, [BIN, "migrate", "up"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, DATABASE_URL: databaseUrl }
    })
    expect(migrated.status, migrated.stderr).toBe(0)
  }, 90_000)

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  })

  it("loads neither the embedded database, nor the read API, nor Redis", async () => {
    const { file, args } = recordedArgs()
    const metricsPort = await freePort()
    const names = topology
    if (names === undefined) throw new Error("the broker topology was not set up")
    const child = spawn(process.execPath, [...args, BIN, "consume"], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        SMAP_LOADED_MODULES_FILE: file,
        DATABASE_URL: databaseUrl,
        RABBITMQ_URL: testSettings.rabbitmq.value,
        EVENT_EXCHANGE: names.exchange,
        EVENT_QUEUE_NAME: names.queue,
        DEAD_LETTER_EXCHANGE: names.deadLetterExchange,
        DEAD_LETTER_QUEUE: names.deadLetterQueue,
        MINIO_ENDPOINT: s3Endpoint,
        MINIO_ACCESS_KEY: "S3RVER",
        MINIO_SECRET_KEY: "S3RVER",
        MINIO_CRAWL_RESULTS_BUCKET: "crawl-results",
        METRICS_HOST: "127.0.0.1",
        METRICS_PORT: String(metricsPort),
        LOG_FORMAT: "json",
        LOG_LEVEL: "warn"
      }
    })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const deadline = performance.now() + 60_000
    let ready = false
    while (!ready && child.exitCode === null && performance.now() < deadline) {
      ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then((r) => r.status === 200, () => false)
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 200))
    }
    child.kill("SIGTERM")
    expect(await exited, stderr.slice(-2000)).toBe(0)
    expect(ready, `consume did not become ready:\n${stderr.slice(-2000)}`).toBe(true)
    const modules = modulesIn(file)
    // It did load the production adapters, so the list below is a finding, not an accident.
    for (const adapter of ["rabbitmq/EventQueue", "s3/BatchStorage", "postgres/AnalyticsRepository", "http/server"]) {
      expect(modules.some((m) => m.endsWith(`/src/adapters/${adapter}.ts`)), adapter).toBe(true)
    }
    expect(offenders(modules, NOT_FOR_CONSUME)).toEqual([])
  }, 90_000)
})

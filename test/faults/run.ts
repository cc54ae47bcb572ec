/**
 * `npm run chaos [-- --fast] [-- --seed N] [-- --keep]`: the fault suite (docs/operations.md,
 * "Fault suite"). Starts its own PostgreSQL, RabbitMQ node and s3rver behind TCP proxies, runs
 * the real `smap-analytics consume` as child processes, publishes a known workload with
 * publisher confirms while it injects faults on a printed schedule, drains, and lets the
 * independent checker count. Exits 1 unless every count is 0 or equal to its expectation.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, open, rm } from "node:fs/promises"
import { join } from "node:path"
import * as amqp from "amqplib"
import * as Minio from "minio"
import pg from "pg"
import { evaluate, type FaultRecovery, failures, formatReport, observeDatabase, observeDeadLetters } from "./checker.ts"
import { type Proxy, ROOT, run, sleep, startObjectStore, startPostgres, startRabbit, tcpProxy } from "./cluster.ts"
import { identityOf, makeWorkload, MAX_BATCH_ITEMS, type PlannedEvent } from "./workload.ts"
import { freePort } from "../support/ports.ts"

const args = process.argv.slice(2)
const fast = args.includes("--fast")
const keep = args.includes("--keep")
const seedArg = args.indexOf("--seed")
const seed = seedArg >= 0 ? Number(args[seedArg + 1]) : 20261203
const started = performance.now()
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1).padStart(6)
const say = (line: string) => process.stdout.write(`[${elapsed()} s] ${line}\n`)

const TOPOLOGY = {
  exchange: "smap.events",
  routingKey: "data.collected",
  queue: "analytics.data.collected",
  deadLetterExchange: "smap.events.dlx",
  deadLetterQueue: "analytics.data.collected.dlq"
}
const HOLD_MS = fast ? 3_000 : 6_000
const RECOVERY_TIMEOUT_MS = 90_000

const dir = await mkdtemp("/tmp/smap-chaos-")
say(`run directory ${dir} (servers' data and logs, consumer logs)`)
const cleanups: Array<() => Promise<unknown>> = []

const main = async (): Promise<number> => {
  const workload = makeWorkload(fast
    ? { batches: 160, rounds: 1, giantChars: 512 * 1024, seed }
    : { batches: 3000, rounds: 6, giantChars: 2 * 1024 * 1024, seed })

  const [postgres, rabbit, store] = await Promise.all([startPostgres(dir), startRabbit(dir), startObjectStore(dir)])
  cleanups.push(() => postgres.stop(), () => rabbit.stop(), () => store.stop())
  say(`PostgreSQL on ${postgres.port}, RabbitMQ ${rabbit.url.replace(/\/\/.*@/, "//")} (node ${process.env["CHAOS_RABBITMQ_NODENAME"] ?? "chaos@localhost"}), s3rver on ${store.port}`)

  const admin = new pg.Client({ connectionString: postgres.url("postgres") })
  await admin.connect()
  await admin.query("CREATE DATABASE chaos")
  await admin.end()
  const databaseUrl = postgres.url("chaos")
  await run(process.execPath, [join(ROOT, "bin/smap-analytics.js"), "migrate", "up"], { DATABASE_URL: databaseUrl })

  const proxies: Record<"database" | "broker" | "storage", Proxy> = {
    database: await tcpProxy(postgres.port),
    broker: await tcpProxy(rabbit.port),
    storage: await tcpProxy(store.port)
  }
  cleanups.push(...Object.values(proxies).map((p) => () => p.close()))

  // The topology this suite needs, declared here and asked of the service explicitly
  // (EVENT_QUEUE_TYPE=classic): whatever the service's default, the run is the same.
  const declare = await amqp.connect(rabbit.url)
  const ch = await declare.createChannel()
  await ch.assertExchange(TOPOLOGY.exchange, "topic", { durable: true })
  await ch.assertExchange(TOPOLOGY.deadLetterExchange, "topic", { durable: true })
  await ch.assertQueue(TOPOLOGY.deadLetterQueue, { durable: true })
  await ch.bindQueue(TOPOLOGY.deadLetterQueue, TOPOLOGY.deadLetterExchange, "#")
  await ch.assertQueue(TOPOLOGY.queue, { durable: true, arguments: { "x-dead-letter-exchange": TOPOLOGY.deadLetterExchange } })
  await ch.bindQueue(TOPOLOGY.queue, TOPOLOGY.exchange, TOPOLOGY.routingKey)
  await declare.close()

  // Objects go straight to s3rver, not through the proxy.
  const minio = new Minio.Client({ endPoint: "127.0.0.1", port: store.port, useSSL: false, accessKey: "S3RVER", secretKey: "S3RVER", region: "us-east-1", pathStyle: true })
  const uploadAll = async () => {
    let uploaded = 0
    const queue = [...workload.objects]
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let o = queue.shift(); o !== undefined; o = queue.shift()) {
        await minio.putObject(o.bucket, o.key, o.body, o.body.length, o.metadata)
        uploaded += 1
      }
    }))
    say(`uploaded ${uploaded} objects; ${workload.events.length} events to publish (${workload.batches.length} batches to store, ${workload.dead.length} to dead-letter)`)
  }

  // ---- consumers ----
  const consumers = new Map<number, { child: ChildProcess; metricsPort: number }>()
  let consumerNo = 0
  const startConsumer = async () => {
    consumerNo += 1
    const n = consumerNo
    const metricsPort = await freePort()
    const log = await open(join(dir, `consumer-${n}.log`), "a")
    const child = spawn(process.execPath, [join(ROOT, "bin/smap-analytics.js"), "consume"], {
      cwd: ROOT,
      stdio: ["ignore", log.fd, log.fd],
      env: {
        ...process.env,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${proxies.database.port}/chaos`,
        RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${proxies.broker.port}`,
        MINIO_ENDPOINT: `http://127.0.0.1:${proxies.storage.port}`,
        MINIO_ACCESS_KEY: "S3RVER",
        MINIO_SECRET_KEY: "S3RVER",
        MINIO_CRAWL_RESULTS_BUCKET: "crawl-results",
        MINIO_TIMEOUT_MS: "3000",
        EVENT_QUEUE_TYPE: "classic",
        EVENT_EXCHANGE: TOPOLOGY.exchange,
        EVENT_QUEUE_NAME: TOPOLOGY.queue,
        DEAD_LETTER_EXCHANGE: TOPOLOGY.deadLetterExchange,
        DEAD_LETTER_QUEUE: TOPOLOGY.deadLetterQueue,
        MAX_BATCH_ITEMS: String(MAX_BATCH_ITEMS),
        DATABASE_STATEMENT_TIMEOUT_MS: "3000",
        METRICS_HOST: "127.0.0.1",
        METRICS_PORT: String(metricsPort),
        LOG_FORMAT: "json",
        SHUTDOWN_GRACE_SECONDS: "10"
      }
    })
    child.once("exit", () => void log.close())
    consumers.set(n, { child, metricsPort })
    return n
  }
  const signalAll = async (signal: NodeJS.Signals, which: ReadonlyArray<number> = [...consumers.keys()]) => {
    await Promise.all(which.map(async (n) => {
      const c = consumers.get(n)
      consumers.delete(n)
      if (c === undefined || c.child.exitCode !== null || c.child.signalCode !== null) return
      const exited = new Promise((r) => c.child.once("exit", r))
      c.child.kill(signal)
      await exited
    }))
  }
  cleanups.push(() => signalAll("SIGKILL"))
  const inflight = async () => {
    let total = 0
    for (const c of consumers.values()) {
      const text = await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`).then((r) => r.text()).catch(() => "")
      const m = /^analytics_inflight_batches(?:\{[^}]*\})? (\d+)/m.exec(text)
      total += Number(m?.[1] ?? 0)
    }
    return total
  }

  // Started before the objects are uploaded, so its start-up overlaps the upload.
  await startConsumer()
  await uploadAll()

  // ---- progress, seen by the checker's own connection ----
  const progressPool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 2_000 })
  progressPool.on("error", () => undefined)
  cleanups.push(() => progressPool.end())
  const progress = async () => {
    const r = await progressPool.query<{ n: string }>("SELECT (count(*) + coalesce(sum(attempts), 0))::text AS n FROM batch_ledger")
    return Number(r.rows[0]?.n ?? 0)
  }
  const progressEventually = async () => {
    for (;;) {
      try {
        return await progress()
      } catch {
        await sleep(200)
      }
    }
  }
  /** Seconds from now to the first batch committed after now; null when none within the timeout. */
  const timeToProgress = async (from: number, baseline: number): Promise<number | null> => {
    while (performance.now() - from < RECOVERY_TIMEOUT_MS) {
      const now = await progress().catch(() => baseline)
      if (now !== baseline) return (performance.now() - from) / 1000
      await sleep(100)
    }
    return null
  }

  // ---- publisher with confirms, reconnecting through broker restarts ----
  let publisher: { model: amqp.ChannelModel; channel: amqp.ConfirmChannel } | null = null
  let published = 0
  const connectPublisher = async () => {
    for (;;) {
      try {
        const model = await amqp.connect(rabbit.url)
        model.on("error", () => undefined)
        const channel = await model.createConfirmChannel()
        channel.on("error", () => undefined)
        model.on("close", () => { if (publisher?.model === model) publisher = null })
        publisher = { model, channel }
        return publisher
      } catch {
        await sleep(300)
      }
    }
  }
  cleanups.push(async () => publisher?.model.close().catch(() => undefined))
  const publishAll = async (events: ReadonlyArray<PlannedEvent>) => {
    for (let i = 0; i < events.length; i += 50) {
      const window = events.slice(i, i + 50)
      for (;;) {
        const p = publisher ?? await connectPublisher()
        try {
          for (const e of window) {
            p.channel.publish(TOPOLOGY.exchange, TOPOLOGY.routingKey, e.body, {
              persistent: true,
              contentType: "application/json",
              ...(e.messageId === undefined ? {} : { messageId: e.messageId })
            })
          }
          await p.channel.waitForConfirms()
          published += window.length
          break
        } catch {
          // Not confirmed (the broker went away): published again. The consumer's writes are
          // idempotent and a dead letter is named by identity, so a repeat is harmless.
          publisher = null
          await p.model.close().catch(() => undefined)
          await sleep(300)
        }
      }
    }
  }

  // Publications: every event, and a second copy of those published twice, some chunks later.
  const publications: Array<PlannedEvent> = []
  const repeats: Array<[number, PlannedEvent]> = []
  for (const [i, e] of workload.events.entries()) {
    publications.push(e)
    if (e.twice) repeats.push([i + 37, e])
  }
  for (const [at, e] of repeats.reverse()) publications.splice(Math.min(at, publications.length), 0, e)

  // ---- the schedule ----
  interface Fault {
    readonly name: string
    readonly inject: () => Promise<void>
    readonly restore: () => Promise<void>
    /** Recovery counted from the start (a stall the service must detect itself) or the end. */
    readonly from: "start" | "end"
    readonly holdMs: number
  }
  const sigkill = (label: string): Fault => ({
    name: `SIGKILL ${label} mid-batch, restart one`,
    inject: async () => {
      const deadline = performance.now() + 15_000
      while ((await inflight()) === 0 && performance.now() < deadline) await sleep(20)
      await signalAll("SIGKILL")
    },
    restore: async () => void await startConsumer(),
    from: "end",
    holdMs: 500
  })
  const cut = (dependency: keyof typeof proxies): Fault => ({
    name: `network cut: ${dependency}`,
    inject: () => proxies[dependency].cut(),
    restore: () => proxies[dependency].restore(),
    from: "end",
    holdMs: HOLD_MS
  })
  const stall = (dependency: "database" | "storage"): Fault => ({
    name: `stalled connections: ${dependency}`,
    inject: async () => proxies[dependency].freeze(),
    restore: async () => undefined,
    from: "start",
    holdMs: 0
  })
  let slowClient: pg.Client | null = null
  let slowSleep: Promise<unknown> = Promise.resolve()
  const faults: ReadonlyArray<Fault> = [
    sigkill("the consumer"),
    { name: "RabbitMQ: close all connections", inject: async () => void await rabbit.ctl("close_all_connections", "chaos fault"), restore: async () => undefined, from: "end", holdMs: 0 },
    ...(fast ? [] : [sigkill("the consumer")]),
    { name: "RabbitMQ restart", inject: () => rabbit.stop(), restore: () => rabbit.start(), from: "end", holdMs: 1_000 },
    { name: "PostgreSQL restart", inject: () => postgres.restart(), restore: async () => undefined, from: "end", holdMs: 0 },
    { name: "object store stopped, started", inject: () => store.stop(), restore: () => store.start(), from: "end", holdMs: HOLD_MS },
    {
      name: `database slow: table locked, statement stalled ${HOLD_MS / 1000 + 2} s`,
      inject: async () => {
        slowClient = new pg.Client({ connectionString: databaseUrl })
        await slowClient.connect()
        await slowClient.query("BEGIN")
        await slowClient.query("LOCK TABLE post_analytics IN ACCESS EXCLUSIVE MODE")
        slowSleep = slowClient.query(`SELECT pg_sleep(${HOLD_MS / 1000 + 2})`)
      },
      restore: async () => {
        await slowSleep
        await slowClient?.query("COMMIT")
        await slowClient?.end()
      },
      from: "end",
      holdMs: 0
    },
    cut("database"),
    cut("broker"),
    cut("storage"),
    stall("database"),
    stall("storage"),
    { name: "two consumers competing", inject: async () => void await startConsumer(), restore: async () => undefined, from: "end", holdMs: HOLD_MS },
    { name: "three consumers competing", inject: async () => void await startConsumer(), restore: async () => undefined, from: "end", holdMs: HOLD_MS },
    sigkill("all three consumers"),
    ...(fast ? [] : [sigkill("the consumer"), cut("database"), { name: "PostgreSQL restart (again)", inject: () => postgres.restart(), restore: async () => undefined, from: "end" as const, holdMs: 0 }, sigkill("the consumer"), cut("broker"), sigkill("the consumer")])
  ]
  say("fault schedule (each after a share of the events is published; recovery = seconds to the next committed batch):")
  for (const [i, f] of faults.entries()) say(`  ${String(i + 1).padStart(2)}. ${f.name}${f.holdMs > 0 ? ` (held ${f.holdMs / 1000} s)` : ""}`)

  const chunks = faults.length * 2 + 2
  // Chunks as even as the count allows (none empty while there are more events than chunks), so
  // every fault, the last included, has events published after it to show recovery with.
  const bound = (k: number) => Math.floor((k * publications.length) / chunks)
  const chunk = (k: number) => publications.slice(bound(k), bound(k + 1))

  await publishAll(chunk(0))
  const recoveries: Array<FaultRecovery> = []
  for (const [i, fault] of faults.entries()) {
    await publishAll(chunk(2 * i + 1))
    await sleep(fast ? 500 : 2_000)
    const before = fault.from === "start" ? await progressEventually() : 0
    const injected = performance.now()
    say(`fault ${i + 1}: ${fault.name}`)
    await fault.inject()
    if (fault.holdMs > 0) await sleep(fault.holdMs)
    await fault.restore()
    const [from, baseline] = fault.from === "start" ? [injected, before] : [performance.now(), await progressEventually()]
    const more = publishAll(chunk(2 * i + 2))
    const recovery = await timeToProgress(from, baseline)
    await more
    say(`  recovered in ${recovery === null ? "NEVER" : `${recovery.toFixed(1)} s`}; published ${published}`)
    recoveries.push({ name: fault.name, recoverySeconds: recovery })
  }
  await publishAll(chunk(chunks - 1))
  say(`all ${published} publications confirmed; draining`)

  // ---- drain: the main queue empty and nothing committed for a while ----
  const drainDeadline = performance.now() + (fast ? 120_000 : 600_000)
  let stableSince = performance.now()
  let last = -1
  while (performance.now() < drainDeadline) {
    const out = await rabbit.ctl("list_queues", "-q", "--no-table-headers", "name", "messages").catch(() => "")
    const messages = Number(/analytics\.data\.collected\s+(\d+)/.exec(out)?.[1] ?? -1)
    const now = await progress().catch(() => -2)
    if (now !== last) {
      last = now
      stableSince = performance.now()
    }
    if (messages === 0 && performance.now() - stableSince > 3_000) break
    await sleep(500)
  }
  say("drained; stopping the consumers (SIGTERM)")
  await signalAll("SIGTERM")

  // ---- the checker ----
  const database = await observeDatabase(databaseUrl)
  const deadLetters = await observeDeadLetters(rabbit.url, TOPOLOGY.deadLetterQueue, identityOf)
  const inspect = await amqp.connect(rabbit.url)
  const ic = await inspect.createChannel()
  const leftInQueue = (await ic.checkQueue(TOPOLOGY.queue)).messageCount
  await inspect.close()
  const report = evaluate(
    { published, events: workload.events.length, batches: workload.batches, dead: workload.dead },
    { ...database, deadLetters, leftInQueue },
    recoveries
  )
  process.stdout.write(`\n${formatReport(report)}\n`)
  const problems = failures(report)
  process.stdout.write(`\n${problems.length === 0 ? "PASS" : `FAIL: ${problems.join("; ")}`} (${elapsed().trim()} s, ${fast ? "--fast" : "full run"}, seed ${seed})\n`)
  return problems.length === 0 ? 0 : 1
}

let code = 1
try {
  code = await main()
} catch (error) {
  process.stderr.write(`fault suite failed to run: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
} finally {
  // Each step bounded: a stuck close must not keep the run from reporting.
  for (const cleanup of cleanups.reverse()) await Promise.race([cleanup().catch(() => undefined), sleep(10_000)])
  if (!keep) await rm(dir, { recursive: true, force: true }).catch(() => undefined)
}
process.exit(code)

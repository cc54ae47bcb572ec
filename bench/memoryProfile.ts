/**
 * What in-flight batches cost `consume` in memory, and whether a heap cap survives them
 * (issue 12, docs/operations.md "Memory"). Uploads `--batches` TikTok batches of `--mib` MiB
 * each (fixture.ts `makeSizedBatch`: posts with many comments, at most MAX_BATCH_ITEMS of them),
 * publishes them all, then starts the real service (`node bin/smap-analytics.js consume`, as the
 * e2e bench does) with MAX_BATCH_BYTES = `--mib` MiB, MAX_CONCURRENT_BATCHES = `--concurrency`
 * and the given node arguments, so that it starts with `--concurrency` worst-case batches in
 * flight at once. While it drains, its RSS (/proc) and V8 heap in use (`/metrics`,
 * nodejs_heap_size_used_bytes) are sampled every 100 ms.
 *
 * If the service dies, it is started again (`--restarts`, as an orchestrator would), against a
 * quorum queue with the service's own delivery limit (MAX_DELIVERY_ATTEMPTS, default 5), so a
 * batch that keeps killing it ends in the dead-letter queue. Prints one JSON line per life and a
 * summary line.
 *
 *   npm run bench:memory -- --mib 4 --batches 8
 *   npm run bench:memory -- --mib 8 --batches 8 --service-node-args "--max-old-space-size=128"
 *   MALLOC_ARENA_MAX=2 NODE_OPTIONS=--max-semi-space-size=4 npm run bench:memory -- --mib 2
 */
import { loadavg } from "node:os"
import * as amqp from "amqplib"
import { BUCKET, makeSizedBatch } from "./e2e/fixture.ts"
import { peakRssBytes, rssBytes } from "./e2e/proc.ts"
import { makeWorld, numberOption as option, prepareTemplate, serviceNodeArgs, sleep, startS3rver } from "./e2e/world.ts"

const MIB = option("--mib", 1)
const BATCHES = option("--batches", 8)
const CONCURRENCY = option("--concurrency", 4)
const PREFETCH = option("--prefetch", 16)
const RESTARTS = option("--restarts", 6)
const MAX_ITEMS = option("--max-items", 1000)
const DELIVERY_LIMIT = option("--delivery-limit", 5)
const NODE_ARGS = serviceNodeArgs()
const AMQP_URL = process.env["SMAP_TEST_RABBITMQ_URL"] ?? "amqp://guest:guest@127.0.0.1:5672"

const maxBatchBytes = Math.round(MIB * 2 ** 20)
// 1 % under the limit, so the object's size never trips MAX_BATCH_BYTES.
const batches = Array.from({ length: BATCHES }, (_, i) => makeSizedBatch(i, Math.floor(maxBatchBytes * 0.99), MAX_ITEMS))
const largest = Math.max(...batches.map((b) => b.bytes.length))
if (largest > maxBatchBytes) throw new Error(`a generated batch (${largest} B) exceeds ${maxBatchBytes} B`)

const { endpoint: s3Endpoint } = await startS3rver("memory", BUCKET, batches)
const dropTemplate = await prepareTemplate()

const world = await makeWorld("memory")
const loadBefore = loadavg()
const lives: Array<Record<string, unknown>> = []
try {
  // The queue again as a quorum queue with the service's delivery limit (its own declaration,
  // src/adapters/rabbitmq/topology.ts), so redeliveries after a crash are counted.
  const broker = await amqp.connect(AMQP_URL)
  const ch = await broker.createChannel()
  await ch.deleteQueue(world.names.EVENT_QUEUE_NAME)
  await ch.assertQueue(world.names.EVENT_QUEUE_NAME, {
    durable: true,
    arguments: { "x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT, "x-dead-letter-exchange": world.names.DEAD_LETTER_EXCHANGE }
  })
  await ch.bindQueue(world.names.EVENT_QUEUE_NAME, world.names.EVENT_EXCHANGE, "data.collected")
  await broker.close()

  await world.publishAll(batches.map((batch) => ({ id: `memory_${batch.index}_${world.id}`, batch })))
  const settings = {
    EVENT_QUEUE_TYPE: "quorum",
    MAX_DELIVERY_ATTEMPTS: String(DELIVERY_LIMIT),
    MAX_BATCH_BYTES: String(maxBatchBytes),
    MAX_BATCH_ITEMS: String(MAX_ITEMS),
    MAX_CONCURRENT_BATCHES: String(CONCURRENCY),
    RABBITMQ_PREFETCH_COUNT: String(PREFETCH)
  }
  const settled = async () => (await world.commitCount()) + (await world.deadLetters())
  for (let life = 0; life <= RESTARTS && (await settled()) < BATCHES; life++) {
    const service = await world.startService(s3Endpoint, settings, NODE_ARGS)
    const t0 = Date.now()
    let peakRss = 0
    let idleHeap = 0
    let peakHeap = 0
    const deadline = t0 + 10 * 60_000
    while ((await settled()) < BATCHES && service.child.exitCode === null && service.child.signalCode === null && Date.now() < deadline) {
      peakRss = Math.max(peakRss, peakRssBytes(service.pid) ?? rssBytes(service.pid) ?? 0)
      const text = await Promise.race([service.metrics().catch(() => ""), sleep(500).then(() => "")])
      const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)
      if (m !== null) {
        const heap = Number(m[1])
        if (idleHeap === 0) idleHeap = heap
        peakHeap = Math.max(peakHeap, heap)
      }
      await sleep(100)
    }
    const survived = service.child.exitCode === null && service.child.signalCode === null
    peakRss = Math.max(peakRss, survived ? peakRssBytes(service.pid) ?? 0 : 0)
    const logs = service.logs()
    const fatal = /FATAL ERROR[^\n]*|JavaScript heap out of memory[^\n]*/.exec(logs)?.[0] ?? null
    if (survived) {
      service.child.kill("SIGTERM")
      await new Promise((r) => service.child.once("exit", r))
    } else await sleep(200)
    const [ledger] = await world.db.rows<{ n: string; redelivered: string }>(
      `SELECT count(*)::text AS n, count(*) FILTER (WHERE attempts > 1)::text AS redelivered FROM batch_ledger`
    )
    const record = {
      life,
      mib: MIB,
      concurrency: CONCURRENCY,
      nodeArgs: [process.env["NODE_OPTIONS"] ?? "", ...NODE_ARGS].join(" ").trim(),
      mallocArenaMax: process.env["MALLOC_ARENA_MAX"] ?? null,
      survived,
      exit: service.child.exitCode ?? service.child.signalCode,
      fatal,
      seconds: (Date.now() - t0) / 1000,
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      heapUsedMiB: { first: Math.round(idleHeap / 2 ** 20), peak: Math.round(peakHeap / 2 ** 20) },
      stored: await world.commitCount(),
      deadLettered: await world.deadLetters(),
      ledgerRows: Number(ledger?.n),
      ledgerRedelivered: Number(ledger?.redelivered)
    }
    lives.push(record)
    console.log(JSON.stringify(record))
  }
  const settledCount = await settled()
  console.log(JSON.stringify({
    summary: true,
    mib: MIB,
    batchBytes: { min: Math.min(...batches.map((b) => b.bytes.length)), max: largest },
    itemsPerBatch: batches[0]?.items,
    batches: BATCHES,
    lives: lives.length,
    crashes: lives.filter((l) => l["survived"] !== true).length,
    stored: await world.commitCount(),
    deadLettered: await world.deadLetters(),
    unsettled: BATCHES - settledCount,
    maxPeakRssMiB: Math.max(...lives.map((l) => Number(l["peakRssMiB"]))),
    load: { before: loadBefore.map((x) => x.toFixed(2)).join(" "), after: loadavg().map((x) => x.toFixed(2)).join(" ") }
  }))
} finally {
  await world.close()
  await dropTemplate()
}
process.exit(0)

/**
 * End-to-end throughput and memory of `smap-analytics consume` against the machine's RabbitMQ
 * and PostgreSQL and an s3rver on loopback: N TikTok batches of 50 posts are uploaded and
 * announced up front (a backlog), then one consumer drains them. Each configuration runs in a
 * fresh world; the first (one batch at a time, prefetch 1) is the baseline for the ratios.
 *
 *   npx tsx bench/consume.ts [BATCHES=200]
 *
 * Reports batches/s and posts/s from the first publish to the last batch stored (publishing
 * overlaps with consuming, as it does in production), and the consumer's idle and peak
 * resident memory as sampled from its own /metrics (process_resident_memory_bytes): the peak
 * should follow prefetch × batch size, not the backlog.
 */
import { eventFor, PROJECT_ID, rawBatch } from "../test/support/crawlerBatch.ts"
import { makeWorld, waitFor } from "../test/e2e/harness.ts"

const batches = Number(process.argv[2] ?? "200")
const configurations = [
  { name: "prefetch 1, 1 batch at a time", env: { RABBITMQ_PREFETCH_COUNT: "1", MAX_CONCURRENT_BATCHES: "1" } },
  { name: "prefetch 16, 4 batches at a time (default)", env: { RABBITMQ_PREFETCH_COUNT: "16", MAX_CONCURRENT_BATCHES: "4" } },
  { name: "prefetch 64, 8 batches at a time", env: { RABBITMQ_PREFETCH_COUNT: "64", MAX_CONCURRENT_BATCHES: "8" } }
]

const rss = (metrics: string) => Number(/^process_resident_memory_bytes (\d+)/m.exec(metrics)?.[1] ?? "0")

const run = async (configuration: (typeof configurations)[number]) => {
  const world = await makeWorld()
  try {
    const consumer = world.startConsumer("node", { ...configuration.env, LOG_LEVEL: "warn" })
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
    const idleRss = rss(await world.metrics())
    for (let i = 0; i < batches; i++) {
      const key = `tiktok/${PROJECT_ID}/brand/bench_${i}.json`
      await world.upload(key, rawBatch(50, { offset: i * 50, errorEvery: 25 }))
    }
    const count = async () =>
      Number((await world.query<{ n: string }>("SELECT count(*)::text AS n FROM batch_ledger"))[0]?.n ?? "0")
    let peak = idleRss
    const started = performance.now()
    for (let i = 0; i < batches; i++) {
      await world.publish(eventFor(`${world.bucket}/tiktok/${PROJECT_ID}/brand/bench_${i}.json`))
    }
    await waitFor("every batch stored", async () => {
      peak = Math.max(peak, rss(await world.metrics()))
      return (await count()) === batches
    }, 600_000)
    const seconds = (performance.now() - started) / 1000
    consumer.child.kill("SIGTERM")
    await consumer.exited
    return { seconds, peakMiB: peak / 2 ** 20, idleMiB: idleRss / 2 ** 20 }
  } finally {
    await world.close()
  }
}

const results: Array<{ name: string; seconds: number; peakMiB: number; idleMiB: number }> = []
for (const configuration of configurations) {
  results.push({ name: configuration.name, ...(await run(configuration)) })
}
const base = results[0]
console.log(`consume bench: ${batches} TikTok batches × 50 posts, backlog published up front, one consumer process`)
for (const r of results) {
  const postsPerSecond = (batches * 50) / r.seconds
  console.log(
    `${r.name.padEnd(44)} ${(batches / r.seconds).toFixed(1).padStart(7)} batches/s ${postsPerSecond.toFixed(0).padStart(7)} posts/s` +
      `  ×${(base === undefined ? 1 : base.seconds / r.seconds).toFixed(2)}  RSS idle ${r.idleMiB.toFixed(0)} MiB, peak ${r.peakMiB.toFixed(0)} MiB`
  )
}

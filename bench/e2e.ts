/**
 * The whole path measured side by side with a naive baseline and the servers' own ceilings
 * (issue 12): one fixed fixture pre-uploaded to an s3rver started here, events published with
 * confirms to the machine's RabbitMQ, rows written to the machine's PostgreSQL; every variant in
 * a fresh database and queue, a warm-up, then repetitions; all in one run.
 *
 *   npm run bench:e2e                       # 1000 batches, 3 repetitions, charts into docs/img/
 *   npm run bench:e2e -- --smoke            # a few batches per variant, no timing assertion (CI)
 *   npm run bench:e2e -- --batches 300 --reps 2 --profile
 *
 * Variants: the ceilings (broker: consume-and-ack; object store: GET loop with the service's
 * S3 adapter; database: COPY of the same rows per batch; the pipeline alone), the naive
 * baseline (bench/e2e/worker.ts), the service with its defaults and with the best settings of
 * a short sweep, the service paced at half its maximum (latency), a drain of a 10 000-event
 * backlog (memory over the drain) and 1, 2 and 3 service processes on one queue (scale-out).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, totalmem, tmpdir } from "node:os"
import { join } from "node:path"
import { BUCKET, type FixtureBatch, makeFixture } from "./e2e/fixture.ts"
import { beamPid, cpuDelta, type CpuGroups, type CpuSample, peakRssBytes, postgresPids, rssBytes, sampleCpu } from "./e2e/proc.ts"
import { barsChart, lineChart } from "./e2e/svg.ts"
import { fmt, median, quantile, spread } from "./e2e/stats.ts"
import { makeWorld, numberOption, prepareTemplate, ROOT, serviceNodeArgs, sleep, startS3rver, type World } from "./e2e/world.ts"
import type { WorkerSettings } from "./e2e/worker.ts"

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(name)
const option = numberOption
const SMOKE = flag("--smoke")
const SEED = 20251206
const BATCHES = option("--batches", SMOKE ? 12 : 1000)
/** `--run-batches N`: each variant drains the first N batches of the fixture (all by default). */
const RUN_BATCHES = Math.min(BATCHES, option("--run-batches", BATCHES))
/** `--no-warmup`: skip the per-variant warm-up (one warm-up run of the service happens first regardless). */
const WARMUP = !SMOKE && !flag("--no-warmup")
const REPS = option("--reps", SMOKE ? 1 : 3)
const BASELINE_BATCHES = Math.min(BATCHES, option("--baseline-batches", SMOKE ? 4 : 60))
const DRAIN_EVENTS = option("--drain", SMOKE ? 30 : 10_000)
const WARMUP_BATCHES = 40
const PROFILE = flag("--profile") && !SMOKE
/** `--drain-only`: only the drain, with `--service-node-args "…"` given to the service's node (memory experiments). */
const DRAIN_ONLY = flag("--drain-only")
const SERVICE_NODE_ARGS = serviceNodeArgs()
/** Batches per scale-out run and per profile run (all of the fixture by default). */
const SCALE_BATCHES = Math.min(BATCHES, option("--scale-batches", BATCHES))
const PROFILE_BATCHES = Math.min(BATCHES, option("--profile-batches", BATCHES))
const DEFAULTS = { prefetch: 16, concurrency: 4 }
/** `--no-sweep`: the defaults are taken as the best settings (the sweep's last result says why). */
const CANDIDATES = SMOKE || flag("--no-sweep") ? [] : [DEFAULTS, { prefetch: 8, concurrency: 2 }, { prefetch: 32, concurrency: 8 }, { prefetch: 64, concurrency: 16 }]

const log = (...xs: Array<unknown>) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...xs)

// --- the fixture on an s3rver of its own -------------------------------------------------------
const fixture = makeFixture(BATCHES, SEED)
const itemsOf = (bs: ReadonlyArray<FixtureBatch>) => bs.reduce((n, b) => n + b.items, 0)
const s3 = await startS3rver("e2e", BUCKET, fixture)
const s3Endpoint = s3.endpoint
const s3Pid = s3.pid
const dropTemplate = await prepareTemplate()
const fixtureBytes = fixture.reduce((n, b) => n + b.bytes.length, 0)
log(`fixture: ${fixture.length} batches, ${itemsOf(fixture)} items, ${(fixtureBytes / 2 ** 20).toFixed(1)} MiB, uploaded to s3rver at ${s3Endpoint}`)

// --- one run -------------------------------------------------------------------------------------
interface Run {
  readonly posts: number
  readonly seconds: number
  readonly postsPerSecond: number
  readonly latencies: ReadonlyArray<number>
  /** CPU seconds per group (consumer, postgres, rabbitmq, s3rver) over the run. */
  readonly cpu: Readonly<Record<string, number>>
  readonly peakRssMiB: number | null
  readonly rssSeries: ReadonlyArray<readonly [number, number, number]>
  readonly waits: Readonly<Record<string, number>>
  readonly eventLoopP99Ms: number | null
  readonly deadLetters: number
  readonly check?: { readonly analytics: number; readonly errors: number; readonly keywords: number; readonly duplicates: number; readonly redelivered: number }
}

const groups = (world: World, consumers: () => ReadonlyArray<number>): CpuGroups => ({
  consumer: consumers,
  postgres: () => postgresPids(world.database),
  rabbitmq: () => {
    const p = beamPid()
    return p === null ? [] : [p]
  },
  s3rver: () => [s3Pid]
})

const eventsFor = (label: string, count: number, batches: ReadonlyArray<FixtureBatch>) =>
  Array.from({ length: count }, (_, i) => ({ id: `evt_${label}_${i}`, batch: batches[i % batches.length]! }))

const metricValue = (text: string, name: string) => {
  const m = new RegExp(`^${name} ([0-9.eE+-]+)$`, "m").exec(text)
  return m === null ? null : Number(m[1])
}

type ServiceSettings = { readonly prefetch: number; readonly concurrency: number }
const serviceEnv = (s: ServiceSettings) => ({ RABBITMQ_PREFETCH_COUNT: String(s.prefetch), MAX_CONCURRENT_BATCHES: String(s.concurrency) })

/**
 * The service (or `processes` of it) consuming `events` published after it is ready
 * (`backlog: false`, the default: publishing overlaps with consuming, as in production), or
 * published before it starts (`backlog: true`: a drain), or paced at `intervalMs`.
 */
const runService = async (label: string, settings: ServiceSettings, events: number, batches: ReadonlyArray<FixtureBatch>, o: { processes?: number; backlog?: boolean; intervalMs?: number; nodeArgs?: ReadonlyArray<string>; check?: boolean; warmup?: ReadonlyArray<FixtureBatch> } = {}): Promise<Run> => {
  const world = await makeWorld(label)
  try {
    const list = eventsFor(label, events, batches)
    if (o.backlog === true) await world.publishAll(list)
    const services: Array<Awaited<ReturnType<World["startService"]>>> = []
    for (let i = 0; i < (o.processes ?? 1); i++) services.push(await world.startService(s3Endpoint, serviceEnv(settings), o.nodeArgs))
    // `warmup`: batches stored (and not measured) before the measured events are published, so
    // a fresh process's first batches (JIT, connection pools, caches) are not in the figures.
    const warm = eventsFor(`${label}_warmup`, o.warmup?.length ?? 0, o.warmup ?? [])
    if (warm.length > 0) {
      await world.publishAll(warm)
      while ((await world.commitCount()) < warm.length) await sleep(50)
    }
    /** Commits to wait for: the warm-up's and the measured events'. */
    const commitsExpected = warm.length + list.length
    const pids = () => services.map((s) => s.pid)
    const g = groups(world, pids)
    const t0 = Date.now()
    const before = sampleCpu(g)
    const rssSeries: Array<readonly [number, number, number]> = []
    const waits: Record<string, number> = {}
    let done = false
    const sampler = (async () => {
      while (!done) {
        const n = await world.commitCount()
        rssSeries.push([(Date.now() - t0) / 1000, n, pids().reduce((s, p) => s + (rssBytes(p) ?? 0), 0) / 2 ** 20])
        for (const w of await world.waitEvents()) waits[w.wait] = (waits[w.wait] ?? 0) + 1
        if (n >= commitsExpected) break
        await sleep(o.backlog === true ? 250 : 100)
      }
    })()
    if (o.intervalMs !== undefined) await world.publishPaced(list, o.intervalMs)
    else if (o.backlog !== true) await world.publishAll(list)
    const deadline = Date.now() + 30 * 60_000
    while ((await world.commitCount()) < commitsExpected) {
      if (Date.now() > deadline) throw new Error(`${label}: not every batch stored in time`)
      if (services.some((s) => s.child.exitCode !== null)) throw new Error(`${label}: the service exited:\n${services[0]?.logs()}`)
      if ((await world.deadLetters()) > 0) throw new Error(`${label}: dead-lettered batches:\n${services[0]?.logs()}`)
      await sleep(50)
    }
    done = true
    await sampler
    const after = sampleCpu(g)
    const metrics = await services[0]!.metrics()
    const lag = metricValue(metrics, "nodejs_eventloop_lag_p99_seconds")
    const peak = services.reduce((m, s) => Math.max(m, peakRssBytes(s.pid) ?? 0), 0)
    const commits = await world.commits()
    const start = o.backlog === true ? t0 : Math.min(...list.map((e) => world.publishedAt.get(e.id) ?? t0))
    const end = Math.max(...commits.values())
    const posts = itemsOf(list.map((e) => e.batch))
    const latencies = list.map((e) => (commits.get(e.id) ?? end) - (world.publishedAt.get(e.id) ?? start))
    let check: Run["check"]
    if (o.check === true) {
      const [row] = await world.db.rows<{ analytics: string; errors: string; keywords: string; duplicates: string; redelivered: string }>(`SELECT
        (SELECT count(*) FROM post_analytics)::text AS analytics,
        (SELECT count(*) FROM crawl_errors)::text AS errors,
        (SELECT count(*) FROM post_keywords)::text AS keywords,
        (SELECT count(*) FROM (SELECT 1 FROM post_analytics GROUP BY project_id, platform, id HAVING count(*) > 1) d)::text AS duplicates,
        (SELECT count(*) FROM batch_ledger WHERE attempts > 1)::text AS redelivered`)
      check = { analytics: Number(row?.analytics), errors: Number(row?.errors), keywords: Number(row?.keywords), duplicates: Number(row?.duplicates), redelivered: Number(row?.redelivered) }
    }
    for (const s of services) s.child.kill("SIGTERM")
    await Promise.all(services.map((s) => new Promise((r) => (s.child.exitCode === null ? s.child.once("exit", r) : r(null)))))
    return {
      posts,
      seconds: (end - start) / 1000,
      postsPerSecond: posts / ((end - start) / 1000),
      latencies,
      cpu: cpuDelta(before, after),
      peakRssMiB: peak / 2 ** 20,
      rssSeries,
      waits,
      eventLoopP99Ms: lag === null ? null : lag * 1000,
      deadLetters: await world.deadLetters(),
      ...(check === undefined ? {} : { check })
    }
  } finally {
    await world.close()
  }
}

/** A bench worker (worker.ts): the ceilings and the naive baseline. */
const runWorker = async (label: string, mode: WorkerSettings["mode"], settings: ServiceSettings, batches: ReadonlyArray<FixtureBatch>): Promise<Run> => {
  const world = await makeWorld(label)
  try {
    const broker = mode === "ack" || mode === "naive"
    const list = eventsFor(label, broker ? batches.length : 0, batches)
    const worker = await world.startWorker({ mode, batches: batches.length, seed: SEED, prefetch: settings.prefetch, concurrency: settings.concurrency, expect: list.length, s3Endpoint })
    const g = groups(world, () => [worker.pid])
    const before = sampleCpu(g)
    let peak = 0
    let done = false
    const sampler = (async () => {
      while (!done) {
        peak = Math.max(peak, rssBytes(worker.pid) ?? 0)
        await sleep(100)
      }
    })()
    // The latest CPU figure of every process seen: the worker and its database sessions exit
    // once it is done, so their last figures are read while they still exist.
    const after: CpuSample = {}
    const merge = (s: CpuSample) => {
      for (const [k, m] of Object.entries(s)) {
        const into = (after[k] ??= new Map())
        for (const [pid, v] of m) into.set(pid, v)
      }
    }
    merge(before)
    let hwm = 0
    const watch = (async () => {
      for (;;) {
        const s = sampleCpu(g)
        if ((s["consumer"]?.size ?? 0) === 0) break
        merge(s)
        hwm = Math.max(hwm, peakRssBytes(worker.pid) ?? 0)
        await sleep(20)
      }
    })()
    if (broker) await world.publishAll(list)
    const r = await worker.result()
    done = true
    await sampler
    await watch
    const final = sampleCpu(g)
    delete final["consumer"]
    merge(final)
    const start = broker ? Math.min(...list.map((e) => world.publishedAt.get(e.id) ?? r.start)) : r.start
    const end = r.end
    const posts = broker ? itemsOf(batches) : r.posts
    return {
      posts,
      seconds: (end - start) / 1000,
      postsPerSecond: posts / ((end - start) / 1000),
      latencies: broker ? list.map((e) => (r.completions[e.id] ?? end) - (world.publishedAt.get(e.id) ?? start)) : [],
      cpu: cpuDelta(before, after),
      peakRssMiB: Math.max(peak, hwm) / 2 ** 20,
      rssSeries: [],
      waits: {},
      eventLoopP99Ms: null,
      deadLetters: 0
    }
  } finally {
    await world.close()
  }
}

// --- variants -----------------------------------------------------------------------------------
interface Variant {
  readonly name: string
  readonly kind: "ceiling" | "baseline" | "service"
  readonly runs: ReadonlyArray<Run>
  readonly note?: string
}
const variants: Array<Variant> = []

const repeat = async (name: string, kind: Variant["kind"], run: (label: string) => Promise<Run>, warmup: (label: string) => Promise<Run>, note?: string) => {
  if (WARMUP) {
    log(`${name}: warm-up`)
    await warmup(`w${variants.length}`)
  }
  const runs: Array<Run> = []
  for (let r = 0; r < REPS; r++) {
    runs.push(await run(`v${variants.length}r${r}`))
    log(`${name}: repetition ${r + 1}: ${runs[r]!.postsPerSecond.toFixed(0)} posts/s in ${runs[r]!.seconds.toFixed(1)} s`)
  }
  const v: Variant = { name, kind, runs, ...(note === undefined ? {} : { note }) }
  variants.push(v)
  log(`ROW ${row(v)}`)
  return v
}
const mps = (v: Variant) => median(v.runs.map((r) => r.postsPerSecond))
const cpuPerPost = (v: Variant, k: string) => median(v.runs.map((r) => (r.cpu[k] ?? 0) / r.posts)) * 1e3
/** One line of the report's table. */
const row = (v: Variant) => {
  const lat = v.runs.flatMap((r) => r.latencies)
  return `| ${v.name}${v.note === undefined ? "" : ` (${v.note})`} | ${fmt(mps(v))} | ${v.runs.map((r) => r.postsPerSecond.toFixed(0)).join(", ")} | ±${fmt(spread(v.runs.map((r) => r.postsPerSecond)) * 50, 0)}% | ${lat.length === 0 ? "–" : `${fmt(quantile(lat, 0.5))} / ${fmt(quantile(lat, 0.99))}`} | ${fmt(cpuPerPost(v, "consumer"), 3)} | ${fmt(cpuPerPost(v, "postgres"), 3)} | ${fmt(cpuPerPost(v, "rabbitmq"), 3)} | ${fmt(cpuPerPost(v, "s3rver"), 3)} | ${fmt(median(v.runs.map((r) => r.peakRssMiB ?? NaN)))} |`
}

if (DRAIN_ONLY) {
  const r = await runService("drain", DEFAULTS, DRAIN_EVENTS, fixture, { backlog: true, nodeArgs: SERVICE_NODE_ARGS })
  console.log(`drain of ${DRAIN_EVENTS} events, node ${SERVICE_NODE_ARGS.join(" ")}: ${fmt(r.postsPerSecond)} posts/s, peak RSS ${fmt(r.peakRssMiB ?? NaN)} MiB, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`)
  console.log(r.rssSeries.filter((_, i) => i % 8 === 0).map(([t, n, m]) => `${t.toFixed(0)} s / ${n} stored: ${m.toFixed(0)} MiB`).join("; "))
  await dropTemplate()
  process.exit()
}
const warm = fixture.slice(0, WARMUP_BATCHES)
const runSet = fixture.slice(0, RUN_BATCHES)
if (!WARMUP && !SMOKE) {
  log("one warm-up run of the service (servers' caches)")
  await runService("warm", DEFAULTS, WARMUP_BATCHES, warm)
}
const load = loadavg()
log(`load average at start: ${load.map((x) => x.toFixed(2)).join(" ")}`)

// The best settings: a short sweep of prefetch × concurrent batches, one run each.
const sweepBatches = fixture.slice(0, Math.min(BATCHES, SMOKE ? BATCHES : 300))
const sweep: Array<{ settings: ServiceSettings; postsPerSecond: number; peakRssMiB: number | null }> = []
for (const c of CANDIDATES) {
  await runService(`sw${sweep.length}w`, c, WARMUP_BATCHES, warm)
  const r = await runService(`sw${sweep.length}`, c, sweepBatches.length, sweepBatches)
  sweep.push({ settings: c, postsPerSecond: r.postsPerSecond, peakRssMiB: r.peakRssMiB })
  log(`sweep prefetch ${c.prefetch}, ${c.concurrency} batches at a time: ${r.postsPerSecond.toFixed(0)} posts/s, peak RSS ${fmt(r.peakRssMiB ?? NaN)} MiB`)
}
const best = sweep.length === 0 ? DEFAULTS : [...sweep].sort((a, b) => b.postsPerSecond - a.postsPerSecond)[0]!.settings
const same = `prefetch ${best.prefetch}, concurrency ${best.concurrency}`

await repeat(`ceiling: broker (consume + ack, ${same})`, "ceiling", (l) => runWorker(l, "ack", best, runSet), (l) => runWorker(l, "ack", best, warm))
await repeat(`ceiling: object store (GET ×${best.concurrency}, s3rver)`, "ceiling", (l) => runWorker(l, "get", best, runSet), (l) => runWorker(l, "get", best, warm))
await repeat(`ceiling: database (COPY per batch ×${best.concurrency})`, "ceiling", (l) => runWorker(l, "copy", best, runSet), (l) => runWorker(l, "copy", best, warm))
await repeat("ceiling: pipeline alone (1 core)", "ceiling", (l) => runWorker(l, "pipeline", best, runSet), (l) => runWorker(l, "pipeline", best, warm))
const baselineBatches = fixture.slice(0, BASELINE_BATCHES)
await repeat(`baseline: naive (prefetch 1, row per transaction)`, "baseline", (l) => runWorker(l, "naive", best, baselineBatches), (l) => runWorker(l, "naive", best, warm.slice(0, 4)), `first ${BASELINE_BATCHES} batches`)
const serviceDefault = await repeat(`service, defaults (prefetch ${DEFAULTS.prefetch}, ${DEFAULTS.concurrency} at a time)`, "service", (l) => runService(l, DEFAULTS, runSet.length, runSet), (l) => runService(l, DEFAULTS, WARMUP_BATCHES, warm))
const serviceBest = best === DEFAULTS ? serviceDefault : await repeat(`service, best (${same})`, "service", (l) => runService(l, best, runSet.length, runSet), (l) => runService(l, best, WARMUP_BATCHES, warm))

// Latency at half the maximum throughput.
const maxPps = Math.max(mps(serviceDefault), mps(serviceBest))
const postsPerBatch = itemsOf(fixture) / fixture.length
const halfBatchesPerSecond = maxPps / 2 / postsPerBatch
const pacedCount = Math.min(RUN_BATCHES, SMOKE ? BATCHES : Math.max(100, Math.round(halfBatchesPerSecond * 30)))
log(`paced: ${pacedCount} batches at ${halfBatchesPerSecond.toFixed(1)} batches/s (half of ${maxPps.toFixed(0)} posts/s)`)
// The paced service first stores batches from the fixture's far end (not among the paced ones),
// unmeasured: latency at half the maximum is a steady-state figure, not a cold start's.
const pacedWarmup = SMOKE ? [] : fixture.slice(Math.max(pacedCount, fixture.length - WARMUP_BATCHES))
const paced = await runService("paced", best, pacedCount, fixture, { intervalMs: 1000 / halfBatchesPerSecond, warmup: pacedWarmup })

// Memory over a drain of a backlog published before the consumer starts.
log(`drain: ${DRAIN_EVENTS} events over the ${fixture.length} objects, published before the service starts`)
const drain = await runService("drain", best, DRAIN_EVENTS, fixture, { backlog: true })

// Scale-out: 1, 2, 3 processes on one queue.
const scale: Array<{ processes: number; runs: Array<Run> }> = []
for (const processes of SMOKE ? [2] : [1, 2, 3]) {
  const runs: Array<Run> = []
  const batches = fixture.slice(0, SCALE_BATCHES)
  for (let r = 0; r < option("--scale-reps", Math.min(REPS, 2)); r++) runs.push(await runService(`sc${processes}r${r}`, best, batches.length, batches, { processes, check: true }))
  scale.push({ processes, runs })
  log(`scale-out ${processes}: ${median(runs.map((x) => x.postsPerSecond)).toFixed(0)} posts/s`)
}

// CPU profile of one drain by the service (not timed: profiling slows it).
let profile: Array<string> = []
if (PROFILE) {
  const dir = mkdtempSync(join(tmpdir(), "smap-bench-e2e-prof-"))
  await runService("prof", best, PROFILE_BATCHES, fixture, { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`] })
  await sleep(1000)
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))
  if (file !== undefined) profile = summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile)
  rmSync(dir, { recursive: true, force: true })
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly hitCount: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }>
}
function summarizeProfile(p: CpuProfile): Array<string> {
  const total = p.nodes.reduce((n, x) => n + x.hitCount, 0)
  const byFunction = new Map<string, number>()
  const byArea = new Map<string, number>()
  for (const n of p.nodes) {
    const url = n.callFrame.url.replace(`file://${ROOT}`, "")
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${url === "" ? "" : `${url}:${n.callFrame.lineNumber + 1}`}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + n.hitCount)
    const area = url === "" ? n.callFrame.functionName : url.startsWith("node_modules/") ? url.split("/").slice(0, url.startsWith("node_modules/@") ? 3 : 2).join("/") : url.startsWith("src/") ? url.split("/").slice(0, 3).join("/") : url.startsWith("node:") ? "node internals" : url
    byArea.set(area, (byArea.get(area) ?? 0) + n.hitCount)
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, hits]) => `${(100 * hits / total).toFixed(1).padStart(5)}%  ${name}`)
  return ["by area:", ...top(byArea, 14), "by function (self time):", ...top(byFunction, 20)]
}

// --- report -------------------------------------------------------------------------------------
const endLoad = loadavg()
const lines: Array<string> = []
const out = (s = "") => { lines.push(s); console.log(s) }
out(`# bench:e2e ${SMOKE ? "(smoke) " : ""}— ${new Date().toISOString()}`)
out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`)
out(`load average: start ${load.map((x) => x.toFixed(2)).join(" ")}, end ${endLoad.map((x) => x.toFixed(2)).join(" ")}`)
out(`fixture: ${fixture.length} batches (2 TikTok × 50 : 1 YouTube × 20), ${itemsOf(fixture)} items, ${(fixtureBytes / 2 ** 20).toFixed(1)} MiB; seed ${SEED}; each variant drains the first ${RUN_BATCHES} batches (${itemsOf(runSet)} items); ${REPS} repetitions${WARMUP ? ` after a warm-up of ${WARMUP_BATCHES} batches` : ", one service warm-up run first"}`)
out(sweep.length === 0 ? "sweep: not run (--no-sweep or --smoke): the defaults are the settings called best" : `sweep (${sweepBatches.length} batches, one run each): ${sweep.map((s) => `prefetch ${s.settings.prefetch}/×${s.settings.concurrency}: ${s.postsPerSecond.toFixed(0)} posts/s, ${fmt(s.peakRssMiB ?? NaN)} MiB`).join("; ")}`)
out(`command: npm run bench:e2e -- ${argv.join(" ")}`)
out()
out("| variant | posts/s (median) | runs | spread | publish→commit p50 / p99 ms | CPU ms/post: consumer | postgres | rabbitmq | s3rver | peak RSS MiB |")
out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (const v of variants) out(row(v))
const ceilings = variants.filter((v) => v.kind === "ceiling")
const slowest = [...ceilings].sort((a, b) => mps(a) - mps(b))[0]!
const baseline = variants.find((v) => v.kind === "baseline")!
out()
for (const s of new Set([serviceDefault, serviceBest])) {
  out(`${s.name}: ×${(mps(s) / mps(baseline)).toFixed(1)} the baseline (target ≥ 10), ×${(mps(s) / mps(slowest)).toFixed(2)} the slowest ceiling, ${slowest.name} (target ≥ 0.7)`)
}
const pacedP99 = quantile(paced.latencies, 0.99)
out(`paced at half the maximum (${halfBatchesPerSecond.toFixed(1)} batches/s, ${pacedCount} batches): publish→commit p50 ${fmt(quantile(paced.latencies, 0.5))} ms, p99 ${fmt(pacedP99)} ms (target ≤ 250); event-loop delay p99 ${fmt(paced.eventLoopP99Ms ?? NaN, 1)} ms`)
out(`drain of ${DRAIN_EVENTS} events (backlog published first): ${fmt(drain.postsPerSecond)} posts/s, peak RSS ${fmt(drain.peakRssMiB ?? NaN)} MiB (target ≤ 200); event-loop delay p99 ${fmt(drain.eventLoopP99Ms ?? NaN, 1)} ms`)
const tenths = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((f) => drain.rssSeries.find((p) => p[1] >= f * DRAIN_EVENTS) ?? drain.rssSeries[drain.rssSeries.length - 1]!)
out(`RSS over the drain: ${tenths.map(([t, n, m]) => `${t.toFixed(0)} s / ${n} stored: ${m.toFixed(0)} MiB`).join("; ")}`)
const waitTotal = Object.values(serviceBest.runs[0]?.waits ?? {}).reduce((a, b) => a + b, 0)
out(`database wait events of the service's sessions (best settings, repetition 1, ${waitTotal} active-session samples): ${Object.entries(serviceBest.runs[0]?.waits ?? {}).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${(100 * n / Math.max(1, waitTotal)).toFixed(0)}%`).join(", ")}`)
out(`event-loop delay p99 (service, best, per repetition): ${serviceBest.runs.map((r) => fmt(r.eventLoopP99Ms ?? NaN, 1)).join(", ")} ms`)
out()
out(`scale-out: ${SCALE_BATCHES} batches per run`)
out("| consumer processes | posts/s (median) | runs | post_analytics rows | crawl_errors | post_keywords | duplicated posts | batches redelivered | CPU ms/post consumers | postgres |")
out("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (const s of scale) {
  const c = s.runs[0]?.check
  out(`| ${s.processes} | ${fmt(median(s.runs.map((r) => r.postsPerSecond)))} | ${s.runs.map((r) => r.postsPerSecond.toFixed(0)).join(", ")} | ${c?.analytics} | ${c?.errors} | ${c?.keywords} | ${s.runs.map((r) => r.check?.duplicates).join(", ")} | ${s.runs.map((r) => r.check?.redelivered).join(", ")} | ${fmt(median(s.runs.map((r) => (r.cpu["consumer"] ?? 0) / r.posts)) * 1e3, 3)} | ${fmt(median(s.runs.map((r) => (r.cpu["postgres"] ?? 0) / r.posts)) * 1e3, 3)} |`)
}
if (profile.length > 0) {
  out()
  out("CPU profile of the service (best settings, one drain of the fixture, node --cpu-prof):")
  for (const l of profile) out(`  ${l}`)
}
for (const s of scale) {
  const total = (s.runs[0]?.check?.analytics ?? 0) + (s.runs[0]?.check?.errors ?? 0)
  if (s.runs.some((r) => r.check?.duplicates !== 0) || total !== itemsOf(fixture.slice(0, SCALE_BATCHES))) {
    out(`scale-out ${s.processes}: rows do not add up (${total} rows for ${itemsOf(fixture.slice(0, SCALE_BATCHES))} items)`)
    process.exitCode = 1
  }
}

const imgDir = SMOKE ? tmpdir() : `${ROOT}docs/img`
const chartVariants = [...variants, { name: `service, drain of ${DRAIN_EVENTS} (${same})`, kind: "service" as const, runs: [drain] }]
writeFileSync(join(imgDir, "bench-e2e-variants.svg"), barsChart(
  `bench:e2e — ${runSet.length} of ${fixture.length} fixture batches per variant (${itemsOf(runSet)} items), ${cpus().length} cores shared by consumer, broker, database, object store`,
  { unit: "posts/s (median, whisker min–max)", bars: chartVariants.map((v) => ({ label: v.name, value: mps(v), low: Math.min(...v.runs.map((r) => r.postsPerSecond)), high: Math.max(...v.runs.map((r) => r.postsPerSecond)) })) },
  { unit: "consumer peak RSS, MiB", bars: chartVariants.map((v) => ({ label: v.name, value: median(v.runs.map((r) => r.peakRssMiB ?? 0)) })) },
  `npm run bench:e2e, ${new Date().toISOString().slice(0, 10)}; load average ${load.map((x) => x.toFixed(1)).join(" ")} → ${endLoad.map((x) => x.toFixed(1)).join(" ")}`
))
writeFileSync(join(imgDir, "bench-e2e-drain-rss.svg"), lineChart(
  `Service RSS while draining a backlog of ${DRAIN_EVENTS} events (${same})`,
  "batches stored", "resident memory, MiB",
  drain.rssSeries.map(([, n, m]) => [n, m] as const),
  `npm run bench:e2e, ${new Date().toISOString().slice(0, 10)}; sampled every 250 ms from /proc/<pid>/status`,
  200
))
writeFileSync(join(SMOKE ? tmpdir() : ROOT, SMOKE ? "bench-e2e-smoke.md" : "bench/e2e-last-run.md"), lines.join("\n") + "\n")
log(`charts: ${imgDir}/bench-e2e-variants.svg, ${imgDir}/bench-e2e-drain-rss.svg`)
await dropTemplate()
process.exit()

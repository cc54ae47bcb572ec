/**
 * The read API at scale: 1 000 000 posts over 50 projects (20 000 each), 10 concurrent clients,
 * p50 and p99 per endpoint over HTTP (`smap-analytics serve` in a child process, as deployed),
 * next to the same AnalyticsQueries calls (the same SQL, through the same adapter and a pool of
 * the same size) run directly from this process in the same run.
 *
 *   npm run bench:api                         (DATABASE_URL: a server to create the bench database on;
 *                                              default the local one; ROWS=1000000 REQUESTS=1000)
 *
 * Creates the database smap_bench_api (dropped and recreated each run; KEEP=1 reuses a seeded one,
 * applying any migration added since; SEED_ONLY=1 stops after seeding/migrating, measuring nothing;
 * SERVE_CPU_PROF=DIR writes the servers' V8 CPU profiles there).
 */
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { Agent, get } from "node:http"
import { loadavg } from "node:os"
import { performance } from "node:perf_hooks"
import { AnalyticsQueriesLive } from "../src/adapters/postgres/AnalyticsQueries.ts"
import { layerPgClient } from "../src/adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../src/adapters/postgres/migrator.ts"
import { layerPgReadOnlyClient } from "../src/adapters/postgres/readOnlyClient.ts"
import { AnalyticsQueries, type AnalyticsQueriesShape } from "../src/ports/AnalyticsQueries.ts"

const ADMIN_URL = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
const DB = "smap_bench_api"
const benchUrl = (() => {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${DB}`
  return u.toString()
})()
const ROWS = Number(process.env["ROWS"] ?? 1_000_000)
const PROJECTS = 50
const REQUESTS = Number(process.env["REQUESTS"] ?? 1000)
const CONCURRENCY = Number(process.env["CONCURRENCY"] ?? 10)
const NOW = "2025-12-06T12:00:00.000Z"
const CHUNK = 100_000

const projectId = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`
const hoursBefore = (h: number) => new Date(Date.parse(NOW) - h * 3_600_000).toISOString()

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)

// ---------------------------------------------------------------------------------------------
// Seeding: posts, their keywords, ledger rows (one per 50 posts) and crawl errors, all by generate_series.

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient
  for (let offset = 0; offset < ROWS; offset += CHUNK) {
    const n = Math.min(CHUNK, ROWS - offset)
    yield* sql.unsafe(
      `WITH seeded AS (INSERT INTO post_analytics (id, project_id, platform, published_at, analyzed_at, crawled_at, overall_sentiment,
        overall_sentiment_score, overall_confidence, primary_intent, intent_confidence, impact_score, risk_level, is_viral,
        is_kol, aspects_breakdown, keywords, sentiment_probabilities, impact_breakdown, view_count, like_count, comment_count,
        share_count, save_count, follower_count, processing_time_ms, model_version, job_id, batch_index, task_type,
        keyword_source, pipeline_version, fetch_status, brand_name, keyword, content_text, permalink, author_id, author_name,
        author_username, author_is_verified, hashtags)
      SELECT (7000000000000000000 + g)::text,
        ('00000000-0000-4000-8000-' || lpad(to_hex((g / 50) % $2), 12, '0'))::uuid,
        CASE WHEN g % 3 = 0 THEN 'YOUTUBE' ELSE 'TIKTOK' END,
        $3::timestamptz - ((g * 7919) % 43200) * interval '1 minute',
        $3::timestamptz, $3::timestamptz,
        (ARRAY['POSITIVE', 'NEGATIVE', 'NEUTRAL'])[1 + (g / 7) % 3],
        ((g % 200) - 100) / 100.0, 0.8,
        (ARRAY['CRISIS', 'SEEDING', 'SPAM', 'COMPLAINT', 'LEAD', 'SUPPORT', 'DISCUSSION'])[1 + (g / 11) % 7], 0.7,
        ((g * 37) % 10000) / 100.0,
        CASE WHEN g % 50 = 0 THEN 'CRITICAL' WHEN g % 20 = 0 THEN 'HIGH' WHEN g % 5 = 0 THEN 'MEDIUM' ELSE 'LOW' END,
        g % 40 = 0, g % 25 = 0,
        jsonb_build_object((ARRAY['PRICE', 'DESIGN', 'PERFORMANCE', 'SERVICE'])[1 + g % 4],
          jsonb_build_object('label', (ARRAY['POSITIVE', 'NEGATIVE', 'NEUTRAL'])[1 + (g / 7) % 3], 'score', 0.5, 'confidence', 0.8, 'mentions', 1, 'keywords', '[]'::jsonb)),
        jsonb_build_array(
          jsonb_build_object('keyword', (ARRAY['giá', 'thiết kế', 'pin', 'sạc', 'bảo hành', 'showroom'])[1 + g % 6],
            'aspect', (ARRAY['PRICE', 'DESIGN', 'PERFORMANCE', 'PERFORMANCE', 'SERVICE', 'SERVICE'])[1 + g % 6], 'score', 1, 'source', 'dictionary'),
          jsonb_build_object('keyword', 'từ khóa ' || (g % 97), 'aspect', 'GENERAL', 'score', 1, 'source', 'dictionary')),
        '{"POSITIVE": 0.3, "NEGATIVE": 0.3, "NEUTRAL": 0.4}'::jsonb,
        '{"engagement_score": 12, "reach_score": 2.5, "platform_multiplier": 1, "sentiment_amplifier": 1.1, "raw_impact": 33}'::jsonb,
        g % 100000, g % 1000, g % 100, g % 10, g % 10, g % 60000, 1.5, 'seed', 'job-' || (g / 50), (g / 50) % 12,
        'research_and_crawl', 'VinFast VF8', 'seed', 'success', 'VinFast', 'VinFast VF8',
        'Bài viết ' || g || ': ' || (ARRAY['giá xe quá cao so với đối thủ', 'thiết kế đẹp, nội thất sang', 'pin yếu, sạc chậm', 'dịch vụ bảo hành tốt', 'showroom tư vấn nhiệt tình'])[1 + g % 5],
        'https://www.tiktok.com/@u/video/' || g, 'a' || (g % 5000), 'Người dùng ' || (g % 5000), 'user' || (g % 5000), false, '[]'::jsonb
      FROM generate_series($4::bigint + 1, $4::bigint + $1) AS g
      RETURNING project_id, platform, id, published_at, keywords)
      INSERT INTO post_keywords (published_at, ord, project_id, platform, post_id, keyword, aspect)
      SELECT s.published_at, e.ord, s.project_id, s.platform, s.id, e.k->>'keyword', e.k->>'aspect'
      FROM seeded s CROSS JOIN LATERAL jsonb_array_elements(s.keywords) WITH ORDINALITY AS e(k, ord)`,
      [n, PROJECTS, NOW, offset]
    )
    log(`seeded ${offset + n} posts`)
  }
  yield* sql.unsafe(
    `INSERT INTO batch_ledger (object_path, event_id, project_id, job_id, platform, batch_index, expected_size, actual_size,
       stored_count, skipped_count, error_count, status, first_attempt_at, last_attempt_at, attempts, failure_reason)
     SELECT 'crawl-results/tiktok/' || b || '.json', 'evt_' || b, ('00000000-0000-4000-8000-' || lpad(to_hex(b % $2), 12, '0'))::uuid,
       'job-' || b, 'TIKTOK', b % 12, 50, CASE WHEN b % 30 = 0 THEN 41 ELSE 50 END, 48, 1, 1,
       CASE WHEN b % 200 = 0 THEN 'failed' ELSE 'completed' END,
       $3::timestamptz - (b % 43200) * interval '1 minute', $3::timestamptz - (b % 43200) * interval '1 minute',
       1 + (b % 17 = 0)::int, CASE WHEN b % 200 = 0 THEN 'invalid JSON' END
     FROM generate_series(0, $1::bigint / 50 - 1) AS b`,
    [ROWS, PROJECTS, NOW]
  )
  yield* sql.unsafe(
    `INSERT INTO crawl_errors (content_id, project_id, job_id, platform, error_code, error_category, error_message, created_at)
     SELECT 'e' || e, ('00000000-0000-4000-8000-' || lpad(to_hex(e % $2), 12, '0'))::uuid, 'job-' || e, 'TIKTOK',
       'CONTENT_REMOVED', (ARRAY['content', 'network', 'rate_limiting', 'parsing'])[1 + e % 4], 'removed',
       $3::timestamptz - (e % 43200) * interval '1 minute'
     FROM generate_series(1, $1::bigint / 50) AS e`,
    [ROWS, PROJECTS, NOW]
  )
  log("VACUUM ANALYZE")
  yield* sql.unsafe("VACUUM ANALYZE")
})

const prepareDatabase = Effect.gen(function*() {
  const keep = process.env["KEEP"] === "1"
  const exists = yield* Effect.flatMap(SqlClient, (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${DB}`)
  if (keep && (exists[0]?.n ?? 0) > 0) return false
  yield* Effect.flatMap(SqlClient, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${DB}`))
  yield* Effect.flatMap(SqlClient, (sql) => sql.unsafe(`CREATE DATABASE ${DB}`))
  return true
}).pipe(Effect.provide(layerPgClient({ url: Redacted.make(ADMIN_URL), maxConnections: 1 })))

// ---------------------------------------------------------------------------------------------
// Scenarios: one per endpoint (posts three ways), a fresh project for every request.

interface Scenario {
  readonly name: string
  readonly path: (project: string, i: number) => string
  readonly direct: (q: AnalyticsQueriesShape, project: string, i: number) => Effect.Effect<unknown, unknown>
}

const cursors = new Map<string, string>()
const rawCursors = new Map<string, { published_at: string; platform: string; id: string }>()

const scenarios: ReadonlyArray<Scenario> = [
  // The floor: an HTTP round trip through the same server and middleware with no query at all.
  { name: "GET /healthz (no query)", path: () => "/healthz", direct: () => Effect.void },
  { name: "GET /api/projects", path: () => "/api/projects", direct: (q) => q.projects },
  { name: "summary", path: (p) => `/api/projects/${p}/summary`, direct: (q, p) => q.summary(p, {}) },
  { name: "posts (page 1)", path: (p) => `/api/projects/${p}/posts?limit=50`, direct: (q, p) => q.posts({ projectId: p, limit: 50 }) },
  {
    name: "posts (next page)",
    path: (p) => `/api/projects/${p}/posts?limit=50&cursor=${cursors.get(p)}`,
    direct: (q, p) => q.posts({ projectId: p, limit: 50, after: rawCursors.get(p) })
  },
  {
    name: "posts (NEGATIVE, TIKTOK, 7 d)",
    path: (p) => `/api/projects/${p}/posts?limit=50&sentiment=NEGATIVE&platform=TIKTOK&from=${hoursBefore(168)}`,
    direct: (q, p) => q.posts({ projectId: p, limit: 50, sentiment: "NEGATIVE", platform: "TIKTOK", from: hoursBefore(168) })
  },
  {
    name: "posts (text search)",
    path: (p) => `/api/projects/${p}/posts?limit=50&q=${encodeURIComponent("sạc chậm")}`,
    direct: (q, p) => q.posts({ projectId: p, limit: 50, text: "sạc chậm" })
  },
  {
    name: "trend by day (30 d, Asia/Ho_Chi_Minh)",
    path: (p) => `/api/projects/${p}/trend?bucket=day&tz=Asia/Ho_Chi_Minh&from=${hoursBefore(720)}&to=${NOW}`,
    direct: (q, p) => q.trend({ projectId: p, bucket: "day", timeZone: "Asia/Ho_Chi_Minh", from: hoursBefore(720), to: NOW })
  },
  {
    name: "trend by hour (48 h)",
    path: (p) => `/api/projects/${p}/trend?bucket=hour&tz=Asia/Ho_Chi_Minh&from=${hoursBefore(48)}&to=${NOW}`,
    direct: (q, p) => q.trend({ projectId: p, bucket: "hour", timeZone: "Asia/Ho_Chi_Minh", from: hoursBefore(48), to: NOW })
  },
  { name: "keywords (top 20)", path: (p) => `/api/projects/${p}/keywords?limit=20`, direct: (q, p) => q.topKeywords(p, {}, 20) },
  { name: "aspects", path: (p) => `/api/projects/${p}/aspects`, direct: (q, p) => q.aspects(p, {}) },
  { name: "crisis (top 20)", path: (p) => `/api/projects/${p}/crisis?limit=20`, direct: (q, p) => q.crisis({ projectId: p, limit: 20 }) },
  { name: "errors", path: (p) => `/api/projects/${p}/errors?limit=50`, direct: (q, p) => q.crawlErrors(p, 50) },
  { name: "batches", path: (p) => `/api/projects/${p}/batches?limit=50`, direct: (q, p) => q.batchHealth(p, 50) }
]

/**
 * The load generator's client: node:http over kept-alive connections, one per concurrent client.
 * It shares the machine's cores with the server and PostgreSQL, so it should take as little of
 * them as it can: per request it costs about a third of what `fetch` (undici) does here.
 */
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
const httpGet = (url: string) =>
  new Promise<void>((resolve, reject) => {
    get(url, { agent }, (res) => {
      res.on("data", () => {})
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`))))
      res.on("error", reject)
    }).on("error", reject)
  })

/**
 * CPU time (ms) used so far by PostgreSQL's processes, a process by pid, and this process, from
 * /proc (Linux; elsewhere the CPU columns read "–"). Where the cores went per request is what
 * says whether a latency is the query's, the server's or the machine's.
 */
/** /proc/<pid>/stat counts in clock ticks of USER_HZ, 100 per second on Linux. */
const TICK_MS = 10
const procCpu = (pid: number | string): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return NaN
  }
}
const postgresCpu = (): number => {
  try {
    return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).reduce((sum, pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("postgres") ? sum + procCpu(pid) : sum
      } catch {
        return sum
      }
    }, 0)
  } catch {
    return NaN
  }
}
const ownCpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const cpuSnapshot = (serverPid: number) => ({ pg: postgresCpu(), server: procCpu(serverPid), client: ownCpu() })

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

/** `count` runs of `one(i)` from `CONCURRENCY` workers; the duration of each (failures included), sorted, and the failures. */
const load = async (count: number, one: (i: number) => Promise<void>) => {
  const times: Array<number> = [] as Array<number> & { failures?: number }
  let failures = 0
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      const i = next++
      const start = performance.now()
      await one(i).catch(() => { failures += 1 })
      times.push(performance.now() - start)
    }
  }))
  return Object.assign(times.sort((a, b) => a - b), { failures })
}

/** The serve children still running: killed when the bench ends, however it ends. */
const children = new Set<ChildProcess>()
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL")
})
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill("SIGKILL")
    process.exit(130)
  })
}

const spawnServer = (cacheSeconds: number) =>
  new Promise<{ url: string; child: ChildProcess }>((resolve, reject) => {
    // SERVE_CPU_PROF=DIR: each server writes a V8 CPU profile there when it stops (node --cpu-prof).
    const profile = process.env["SERVE_CPU_PROF"]
    const node = profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profile}`, `--cpu-prof-name=serve-cache${cacheSeconds}.cpuprofile`]
    const child = spawn(process.execPath, [...node, "bin/smap-analytics.js", "serve", "--port", "0"], {
      env: { ...process.env, DATABASE_URL: benchUrl, LOG_LEVEL: "warning", API_CACHE_SECONDS: String(cacheSeconds) },
      stdio: ["ignore", "pipe", "inherit"]
    })
    children.add(child)
    let out = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      const m = /dashboard: (http:\/\/[^/\s]+)\//.exec(out)
      if (m?.[1] !== undefined) resolve({ url: m[1], child })
    })
    child.on("exit", (code) => {
      children.delete(child)
      reject(new Error(`serve exited with ${code}`))
    })
  })

const stopServer = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done()
    child.on("exit", () => done())
    child.kill("SIGINT")
  })

/** `smap-analytics serve` in a child process, stopped when the scope closes (on failure too). */
const startServer = (cacheSeconds: number) =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => spawnServer(cacheSeconds), catch: (e) => e }),
    ({ child }) => Effect.promise(() => stopServer(child))
  ).pipe(Effect.map(({ url, child }) => ({ url, pid: child.pid ?? -1 })))

/** GET and parse JSON; anything but 200 is an error naming the status and body. */
const getJson = <A>(url: string) =>
  Effect.tryPromise({
    try: async () => {
      const r = await fetch(url)
      const body = await r.text()
      if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status} ${body.slice(0, 300)}`)
      return JSON.parse(body) as A
    },
    catch: (e) => e
  })

const main = Effect.gen(function*() {
  const fresh = yield* prepareDatabase
  const url = Redacted.make(benchUrl)
  if (fresh) {
    log(`seeding ${ROWS} posts over ${PROJECTS} projects in ${DB}`)
    yield* Effect.flatMap(loadMigrations(), (m) => migrateUp(m)).pipe(Effect.andThen(seed), Effect.provide(layerPgClient({ url, maxConnections: 1 })))
  } else {
    // A kept database gets the migrations added since it was seeded (new indexes).
    yield* Effect.flatMap(loadMigrations(), (m) => migrateUp(m)).pipe(Effect.provide(layerPgClient({ url, maxConnections: 1 })))
  }
  if (process.env["SEED_ONLY"] === "1") return
  yield* measure.pipe(Effect.scoped, Effect.provide(AnalyticsQueriesLive.pipe(Layer.provide(layerPgReadOnlyClient({ url, maxConnections: CONCURRENCY })))))
})

const load1 = () => loadavg().map((n) => n.toFixed(2)).join(", ")

const measure = Effect.gen(function*() {
  const loadBefore = load1()
  const queries = yield* AnalyticsQueries
  // Two servers: without the response cache (every request runs its query: the API's own cost next
  // to the SQL's) and with the default 10 s cache (what a dashboard refreshed by many people sees).
  const server = yield* startServer(0)
  const cachedServer = yield* startServer(10)
  log(`serve at ${server.url} (no cache), ${cachedServer.url} (10 s cache)`)
  const projects = Array.from({ length: PROJECTS }, (_, n) => projectId(n))
  for (const p of projects) {
    const page = yield* getJson<{ next: string }>(`${server.url}/api/projects/${p}/posts?limit=50`)
    cursors.set(p, page.next)
    const direct = yield* queries.posts({ projectId: p, limit: 50 })
    if (direct.next !== null) rawCursors.set(p, direct.next)
  }

  const rows: Array<string> = []
  for (const s of scenarios) {
    const project = (i: number) => projects[(i * 7) % PROJECTS] ?? projects[0] ?? ""
    const httpOn = (base: string) => (i: number) => httpGet(base + s.path(project(i), i))
    const http = httpOn(server.url)
    const cachedHttp = httpOn(cachedServer.url)
    const direct = (i: number) => Effect.runPromise(s.direct(queries, project(i), i) as Effect.Effect<unknown>).then(() => undefined)
    // Warm both paths, then measure them one after the other.
    yield* Effect.promise(() => load(100, http))
    yield* Effect.promise(() => load(100, direct))
    const before = cpuSnapshot(server.pid)
    const h = yield* Effect.promise(() => load(REQUESTS, http))
    const after = cpuSnapshot(server.pid)
    const cpu = (k: keyof typeof before) => {
      const ms = (after[k] - before[k]) / REQUESTS
      return Number.isNaN(ms) ? "–" : ms.toFixed(2)
    }
    const d = yield* Effect.promise(() => load(REQUESTS, direct))
    yield* Effect.promise(() => load(100, cachedHttp))
    const c = yield* Effect.promise(() => load(REQUESTS, cachedHttp))
    const f = (n: number) => n.toFixed(1)
    const failed = (t: { failures: number }) => (t.failures === 0 ? "" : ` (${t.failures} failed)`)
    const row = `| ${s.name} | ${f(percentile(h, 50))} | ${f(percentile(h, 99))}${failed(h)} | ${f(percentile(d, 50))} | ${f(percentile(d, 99))}${failed(d)} | ${f(percentile(h, 50) - percentile(d, 50))} | ${f(percentile(c, 50))} | ${f(percentile(c, 99))}${failed(c)} | ${cpu("pg")} | ${cpu("server")} | ${cpu("client")} |`
    rows.push(row)
    log(row)
  }
  const header = [
    `${ROWS.toLocaleString("en-US")} posts, ${PROJECTS} projects, ${CONCURRENCY} concurrent clients, ${REQUESTS} requests per endpoint after 100 warm-up; times in ms`,
    `load average (1, 5, 15 min) ${loadBefore} before, ${load1()} after`,
    "",
    "CPU columns: ms of CPU per request during the uncached HTTP run, used by PostgreSQL, the server, and this load generator",
    "",
    "| endpoint | HTTP p50 | HTTP p99 | SQL p50 | SQL p99 | API overhead at p50 | HTTP, 10 s cache, p50 | p99 | CPU PostgreSQL | CPU server | CPU client |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  ]
  console.log([...header, ...rows].join("\n"))
})

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exitCode = 1
})

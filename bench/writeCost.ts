/**
 * Write cost at scale (issue 12, point 3): the service's own batch write (the PostgreSQL
 * `AnalyticsRepository.writeBatch`, through `layerPgClient`) timed and its WAL measured for
 * batches of 50 posts carrying 30 keywords each, with 0, 1 M and 10 M posts already stored,
 * with and without the summary index (migration 0009), `post_keywords`' keyword index (0008) and
 * `post_keywords` itself, and with autovacuum off or made to act during the writes.
 *
 *   npm run bench:writecost -- --levels 0,1000000,10000000 --batches 100 --vacuum-seconds 75
 *   npm run bench:writecost -- --levels 1000 --batches 3 --vacuum-seconds 0      (smoke, seconds)
 *
 * Flags: --levels (existing posts, ascending), --batches N (measured batches per variant, after 3
 * unmeasured warm-up batches), --vacuum-seconds S (how long the autovacuum variants wait for a
 * worker), --seed-keywords K (keywords per seeded post, default 3: 10 M posts × 30 would be 300 M
 * `post_keywords` rows), --database NAME (default smap_bench_writecost, dropped and recreated),
 * --keep (leave the database; default: dropped at the end). DATABASE_URL: the server (default
 * the local one, superuser postgres).
 *
 * Existing rows are seeded in SQL (generate_series) with the tables' indexes and identity
 * constraints dropped, then rebuilt and `VACUUM ANALYZE`d, as a long-lived table would be. One
 * seeded database serves every variant of a level: a variant without an index drops it and the
 * next one rebuilds it from its captured definition.
 *
 * WAL per batch: with pg_walinspect, the bytes of the batch's own transaction (found by its
 * `batch_ledger` row), of which full-page images; without it, only the server-wide
 * pg_current_wal_insert_lsn() difference (which counts other sessions' WAL on a shared server).
 */
import { Effect, Layer, Redacted, References } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { cpus, loadavg, totalmem } from "node:os"
import { performance } from "node:perf_hooks"
import { parseArgs } from "node:util"
import {
  ANALYTICS_COLUMNS,
  AnalyticsRepositoryLive,
  textArray,
  UPSERT_ANALYTICS_SQL,
  unnestParams
} from "../src/adapters/postgres/AnalyticsRepository.ts"
import { layerPgClient } from "../src/adapters/postgres/client.ts"
import { loadMigrations, migrateUp } from "../src/adapters/postgres/migrator.ts"
import type { AnalyticsRecord, Aspect, KeywordHit } from "../src/domain/records.ts"
import { AnalyticsRepository, type BatchWrite } from "../src/ports/AnalyticsRepository.ts"
import { analyticsRecord, errorRecord, ledgerEntry } from "../test/support/records.ts"

// ---------------------------------------------------------------------------------------------
// Options

const { values: flags } = parseArgs({
  options: {
    levels: { type: "string", default: "0,1000000,10000000" },
    batches: { type: "string", default: "100" },
    "vacuum-seconds": { type: "string", default: "75" },
    "seed-keywords": { type: "string", default: "3" },
    database: { type: "string", default: "smap_bench_writecost" },
    keep: { type: "boolean", default: false }
  }
})

const LEVELS = flags.levels.split(",").map((s) => Number(s.trim())).sort((a, b) => a - b)
const BATCHES = Number(flags.batches)
const VACUUM_SECONDS = Number(flags["vacuum-seconds"])
const SEED_KEYWORDS = Number(flags["seed-keywords"])
const DB = flags.database
if (!/^[a-z_][a-z0-9_]*$/.test(DB)) throw new Error(`--database: ${DB} is not a plain identifier`)
if (LEVELS.some((l) => !Number.isInteger(l) || l < 0) || !(BATCHES >= 1) || !(VACUUM_SECONDS >= 0) || !(SEED_KEYWORDS >= 0)) {
  throw new Error("--levels are non-negative integers, --batches ≥ 1, --vacuum-seconds ≥ 0, --seed-keywords ≥ 0")
}

const ADMIN_URL = process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
const benchUrl = (() => {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${DB}`
  return u.toString()
})()

const POSTS_PER_BATCH = 50
const KEYWORDS_PER_POST = 30
const WARMUP = 3
const PROJECTS = 50
const SEED_CHUNK = 500_000
const NOW = Date.parse("2025-12-06T12:00:00.000Z")
const TABLES = ["post_analytics", "post_keywords", "batch_ledger", "crawl_errors"] as const
const SUMMARY_INDEX = "idx_post_analytics_project_summary"
const KEYWORD_INDEX = "idx_post_keywords_project_keyword"

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
const projectId = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

// ---------------------------------------------------------------------------------------------
// Vocabulary: Vietnamese keywords with their aspect, shared by the seed (SQL) and the batches.

const TERMS: ReadonlyArray<readonly [string, Aspect]> = [
  ["giá", "PRICE"], ["giá lăn bánh", "PRICE"], ["trả góp", "PRICE"], ["khuyến mãi", "PRICE"], ["đắt", "PRICE"], ["rẻ", "PRICE"],
  ["thiết kế", "DESIGN"], ["nội thất", "DESIGN"], ["ngoại thất", "DESIGN"], ["màu sơn", "DESIGN"], ["đèn pha", "DESIGN"], ["mâm xe", "DESIGN"],
  ["pin", "PERFORMANCE"], ["sạc", "PERFORMANCE"], ["quãng đường", "PERFORMANCE"], ["tăng tốc", "PERFORMANCE"], ["động cơ", "PERFORMANCE"],
  ["cách âm", "PERFORMANCE"], ["phanh", "PERFORMANCE"], ["hệ thống treo", "PERFORMANCE"],
  ["bảo hành", "SERVICE"], ["showroom", "SERVICE"], ["tư vấn", "SERVICE"], ["giao xe", "SERVICE"], ["trạm sạc", "SERVICE"], ["cứu hộ", "SERVICE"],
  ["vinfast", "GENERAL"], ["vf8", "GENERAL"], ["vf9", "GENERAL"], ["xe điện", "GENERAL"]
]
/** 30 base terms × 10 suffixes: 300 distinct keywords, as a project's vocabulary of brands, models and places would be. */
const SUFFIXES = ["", " tốt", " kém", " ổn", " quá", " hà nội", " sài gòn", " đà nẵng", " 2025", " mới"]
const VOCAB: ReadonlyArray<readonly [string, Aspect]> = SUFFIXES.flatMap((s) => TERMS.map(([t, a]) => [t + s, a] as const))

const TEXT = "Mình vừa lái thử chiếc VF8 ở showroom Hà Nội: thiết kế đẹp, nội thất rộng, cách âm khá ổn nhưng pin " +
  "sạc chậm hơn quảng cáo và giá lăn bánh vẫn còn cao so với đối thủ. Nhân viên tư vấn nhiệt tình, bảo hành 10 năm là điểm cộng. "

// ---------------------------------------------------------------------------------------------
// Batches: one project per batch (a crawl batch belongs to one project), ids spread over the key
// space and published times over 30 days, so index insertions land all over the indexes.

let sequence = 0
const postId = (n: number) => String(7_400_000_000_000_000_000n + ((BigInt(n) * 2_654_435_761n) % 599_999_999_999_999_999n))

const keywordsOf = (n: number): Array<KeywordHit> =>
  Array.from({ length: KEYWORDS_PER_POST }, (_, j) => {
    const [keyword, aspect] = VOCAB[(n * 7 + j * 13) % VOCAB.length]!
    return { keyword, aspect, score: 1, source: "dictionary" }
  })

const newBatch = (): BatchWrite => {
  const b = sequence++
  const project = projectId(b % PROJECTS)
  const analytics = Array.from({ length: POSTS_PER_BATCH }, (_, i): AnalyticsRecord => {
    const n = b * POSTS_PER_BATCH + i
    const id = postId(n)
    return analyticsRecord({
      id,
      project_id: project,
      platform: n % 3 === 0 ? "YOUTUBE" : "TIKTOK",
      published_at: new Date(NOW - ((n * 7919) % 43_200) * 60_000).toISOString(),
      analyzed_at: new Date(NOW).toISOString(),
      crawled_at: new Date(NOW).toISOString(),
      overall_sentiment: (["POSITIVE", "NEGATIVE", "NEUTRAL"] as const)[n % 3]!,
      overall_sentiment_score: ((n % 200) - 100) / 100,
      risk_level: (["LOW", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const)[n % 5]!,
      impact_score: (n * 37 % 10_000) / 100,
      keywords: keywordsOf(n),
      view_count: n % 100_000,
      like_count: n % 1000,
      comment_count: n % 100,
      job_id: `job-${b}`,
      batch_index: b,
      content_text: `${TEXT}#${n}`,
      permalink: `https://www.tiktok.com/@u/video/${id}`,
      author_id: `a${n % 5000}`,
      author_name: `Người dùng ${n % 5000}`,
      author_username: `user${n % 5000}`,
      hashtags: ["vinfast", "vf8", "xedien"]
    })
  })
  return {
    ledger: ledgerEntry({
      object_path: `crawl-results/tiktok/${project}/bench/batch_${b}.json`,
      event_id: `evt_${b}`,
      project_id: project,
      job_id: `job-${b}`,
      platform: "TIKTOK",
      batch_index: b,
      expected_size: POSTS_PER_BATCH + 1,
      actual_size: POSTS_PER_BATCH + 1,
      stored_count: POSTS_PER_BATCH,
      error_count: 1,
      attempted_at: new Date(NOW).toISOString()
    }),
    analytics,
    errors: [errorRecord({ content_id: `e${b}`, project_id: project, job_id: `job-${b}`, created_at: new Date(NOW).toISOString() })]
  }
}

/** The same posts crawled an hour later with new counts: updates of stored rows, keywords unchanged. */
const recrawl = (batch: BatchWrite): BatchWrite => {
  const later = new Date(NOW + 3_600_000).toISOString()
  return {
    ledger: { ...batch.ledger, object_path: batch.ledger.object_path.replace(".json", "_recrawl.json"), attempted_at: later },
    analytics: batch.analytics.map((p) => ({
      ...p,
      crawled_at: later,
      analyzed_at: later,
      view_count: p.view_count + 1000,
      like_count: p.like_count + 10,
      comment_count: p.comment_count + 1,
      impact_score: p.impact_score + 0.5
    })),
    errors: batch.errors
  }
}

// ---------------------------------------------------------------------------------------------
// Database: creation, migrations, the index definitions, seeding.

const admin = <A, E>(f: (sql: SqlClient) => Effect.Effect<A, E>) =>
  Effect.provide(Effect.flatMap(SqlClient, f), layerPgClient({ url: Redacted.make(ADMIN_URL), maxConnections: 1 }))

const createDatabase = admin((sql) =>
  Effect.gen(function*() {
    yield* sql.unsafe(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
    yield* sql.unsafe(`CREATE DATABASE ${DB}`)
    // Index rebuilds after seeding: a larger sort memory than the 64 MB default.
    yield* sql.unsafe(`ALTER DATABASE ${DB} SET maintenance_work_mem = '512MB'`)
  })
)

const dropDatabase = admin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`))

interface Rebuildable {
  readonly name: string
  readonly drop: string
  readonly create: string
}

/** Every index and identity constraint of the written tables, as the migrations made them (batch_ledger's key stays). */
const captureIndexes = Effect.gen(function*() {
  const sql = yield* SqlClient
  const constraints = yield* sql<{ name: string; tbl: string; def: string }>`
    SELECT conname AS name, conrelid::regclass::text AS tbl, pg_get_constraintdef(oid) AS def
    FROM pg_constraint WHERE contype = 'u' AND conrelid IN ('post_analytics'::regclass, 'post_keywords'::regclass)`
  const indexes = yield* sql<{ name: string; def: string }>`
    SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
    WHERE i.schemaname = 'public' AND i.tablename IN ('post_analytics', 'post_keywords', 'crawl_errors', 'batch_ledger')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`
  return [
    ...constraints.map((c): Rebuildable => ({
      name: c.name,
      drop: `ALTER TABLE ${c.tbl} DROP CONSTRAINT IF EXISTS ${c.name}`,
      create: `ALTER TABLE ${c.tbl} ADD CONSTRAINT ${c.name} ${c.def}`
    })),
    ...indexes.map((i): Rebuildable => ({ name: i.name, drop: `DROP INDEX IF EXISTS ${i.name}`, create: i.def }))
  ]
})

const exists = (name: string) =>
  Effect.flatMap(SqlClient, (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_class WHERE relname = ${name}`).pipe(
    Effect.map((rows) => (rows[0]?.n ?? 0) > 0)
  )

const dropIndex = (all: ReadonlyArray<Rebuildable>, name: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const index = all.find((i) => i.name === name)
    if (index === undefined) throw new Error(`no index ${name} in the migrated schema`)
    yield* sql.unsafe(index.drop)
  })

/** Rebuilds whatever of `all` is missing; returns the seconds it took. */
const rebuildMissing = (all: ReadonlyArray<Rebuildable>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const t0 = performance.now()
    for (const index of all) {
      if (yield* exists(index.name)) continue
      const t = performance.now()
      yield* sql.unsafe(index.create)
      log(`  built ${index.name} (${((performance.now() - t) / 1000).toFixed(0)} s)`)
    }
    return (performance.now() - t0) / 1000
  })

const postCount = Effect.flatMap(SqlClient, (sql) => sql<{ n: string }>`SELECT count(*) AS n FROM post_analytics`).pipe(
  Effect.map((rows) => Number(rows[0]?.n ?? 0))
)

/** Appends posts until `level` are stored: indexes dropped, rows inserted by generate_series, indexes rebuilt, VACUUM ANALYZE. */
const seedTo = (level: number, all: ReadonlyArray<Rebuildable>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const have = yield* postCount
    if (have >= level) return
    const t0 = performance.now()
    log(`seeding ${level - have} posts (${SEED_KEYWORDS} keywords each) onto ${have}`)
    for (const index of all) yield* sql.unsafe(index.drop)
    const vocabWords = textArray(VOCAB.map(([k]) => k))
    const vocabAspects = textArray(VOCAB.map(([, a]) => a))
    // Seeded ids (6…) never collide with the batches' (74…-80…).
    for (let from = have; from < level; from += SEED_CHUNK) {
      const to = Math.min(level, from + SEED_CHUNK)
      yield* sql.unsafe(
        `INSERT INTO post_analytics (id, project_id, platform, published_at, analyzed_at, crawled_at, overall_sentiment,
          overall_sentiment_score, overall_confidence, primary_intent, intent_confidence, impact_score, risk_level, is_viral,
          is_kol, aspects_breakdown, keywords, sentiment_probabilities, impact_breakdown, view_count, like_count, comment_count,
          share_count, save_count, follower_count, processing_time_ms, model_version, job_id, batch_index, task_type,
          keyword_source, pipeline_version, fetch_status, brand_name, keyword, content_text, permalink, author_id, author_name,
          author_username, author_is_verified, hashtags)
        SELECT (6000000000000000000 + g)::text,
          ('00000000-0000-4000-8000-' || lpad(to_hex((g / 50) % $3), 12, '0'))::uuid,
          CASE WHEN g % 3 = 0 THEN 'YOUTUBE' ELSE 'TIKTOK' END,
          $4::timestamptz - ((g * 7919) % 43200) * interval '1 minute', $4::timestamptz, $4::timestamptz,
          (ARRAY['POSITIVE', 'NEGATIVE', 'NEUTRAL'])[1 + g % 3], ((g % 200) - 100) / 100.0, 0.8,
          (ARRAY['CRISIS', 'SEEDING', 'SPAM', 'COMPLAINT', 'LEAD', 'SUPPORT', 'DISCUSSION'])[1 + (g / 11) % 7], 0.7,
          ((g * 37) % 10000) / 100.0,
          (ARRAY['LOW', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[1 + g % 5], g % 40 = 0, g % 25 = 0,
          jsonb_build_object('PRICE', jsonb_build_object('label', 'NEGATIVE', 'score', -0.4, 'confidence', 0.8, 'mentions', 1, 'keywords', jsonb_build_array('giá'))),
          COALESCE((SELECT jsonb_agg(jsonb_build_object('keyword', ($5::text[])[1 + (g * 7 + j * 13) % $7::int], 'aspect',
              ($6::text[])[1 + (g * 7 + j * 13) % $7::int], 'score', 1, 'source', 'dictionary') ORDER BY j)
            FROM generate_series(0, $8::int - 1) AS j), '[]'::jsonb),
          '{"POSITIVE": 0.3, "NEGATIVE": 0.3, "NEUTRAL": 0.4}'::jsonb,
          '{"engagement_score": 120, "reach_score": 2.3, "platform_multiplier": 1, "sentiment_amplifier": 1, "raw_impact": 276}'::jsonb,
          g % 100000, g % 1000, g % 100, g % 10, g % 10, g % 60000, 1.5, 'seed', 'job-' || (g / 50), (g / 50) % 12,
          'research_and_crawl', 'VinFast VF8', 'crawler_tiktok_v3', 'success', 'VinFast', 'VinFast VF8',
          $9 || '#' || g, 'https://www.tiktok.com/@u/video/' || g, 'a' || (g % 5000), 'Người dùng ' || (g % 5000),
          'user' || (g % 5000), false, '["vinfast", "vf8"]'::jsonb
        FROM generate_series($1::bigint, $2::bigint - 1) AS g`,
        [from, to, PROJECTS, new Date(NOW).toISOString(), vocabWords, vocabAspects, VOCAB.length, SEED_KEYWORDS, TEXT]
      )
      yield* sql.unsafe(
        `INSERT INTO post_keywords (published_at, ord, project_id, platform, post_id, keyword, aspect)
        SELECT $4::timestamptz - ((g * 7919) % 43200) * interval '1 minute', j + 1,
          ('00000000-0000-4000-8000-' || lpad(to_hex((g / 50) % $3), 12, '0'))::uuid,
          CASE WHEN g % 3 = 0 THEN 'YOUTUBE' ELSE 'TIKTOK' END, (6000000000000000000 + g)::text,
          ($5::text[])[1 + (g * 7 + j * 13) % $7::int], ($6::text[])[1 + (g * 7 + j * 13) % $7::int]
        FROM generate_series($1::bigint, $2::bigint - 1) AS g CROSS JOIN generate_series(0, $8::int - 1) AS j`,
        [from, to, PROJECTS, new Date(NOW).toISOString(), vocabWords, vocabAspects, VOCAB.length, SEED_KEYWORDS]
      )
      // One ledger row per 50 seeded posts, as the writer leaves.
      yield* sql.unsafe(
        `INSERT INTO batch_ledger (object_path, event_id, project_id, job_id, platform, batch_index, expected_size, actual_size,
           stored_count, skipped_count, error_count, status, first_attempt_at, last_attempt_at, attempts)
         SELECT 'crawl-results/tiktok/seed/' || b || '.json', 'evt_seed_' || b,
           ('00000000-0000-4000-8000-' || lpad(to_hex(b % $3), 12, '0'))::uuid, 'job-' || b, 'TIKTOK', b % 12, 50, 50, 50, 0, 0,
           'completed', $4::timestamptz, $4::timestamptz, 1
         FROM generate_series(($1::bigint + 49) / 50, ($2::bigint + 49) / 50 - 1) AS b`,
        [from, to, PROJECTS, new Date(NOW).toISOString()]
      )
      log(`  ${to} posts`)
    }
    const built = yield* rebuildMissing(all)
    const v0 = performance.now()
    for (const table of TABLES) yield* sql.unsafe(`VACUUM ANALYZE ${table}`)
    log(`seeded to ${level} in ${((performance.now() - t0) / 1000).toFixed(0)} s (index builds ${built.toFixed(0)} s, VACUUM ANALYZE ${((performance.now() - v0) / 1000).toFixed(0)} s)`)
  })

// ---------------------------------------------------------------------------------------------
// Measuring one variant

interface WalOfBatch {
  readonly bytes: number
  readonly fpi: number
  /** Bytes per `resource manager/record type`. */
  readonly kinds: ReadonlyMap<string, number>
}

interface Sample {
  readonly ms: number
  readonly clusterWal: number
  /** Null without pg_walinspect, or when the segment was recycled before it could be read. */
  readonly wal: WalOfBatch | null
  readonly vacuumRunning: boolean
}

const lsn = (name: "insert" | "flush") =>
  Effect.flatMap(SqlClient, (sql) =>
    name === "insert"
      ? sql<{ lsn: string }>`SELECT pg_current_wal_insert_lsn()::text AS lsn`
      : sql<{ lsn: string }>`SELECT pg_current_wal_flush_lsn()::text AS lsn`
  ).pipe(Effect.map((rows) => rows[0]!.lsn))

const lsnBytes = (value: string) => {
  const [hi, lo] = value.split("/")
  return Number((BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`))
}

/** Whether a VACUUM or ANALYZE (autovacuum's or anyone's) is working in the bench database. */
const vacuumRunning = Effect.flatMap(SqlClient, (sql) =>
  sql<{ n: number }>`SELECT (SELECT count(*) FROM pg_stat_progress_vacuum WHERE datname = current_database())
      + (SELECT count(*) FROM pg_stat_progress_analyze WHERE datname = current_database()) AS n`
).pipe(Effect.map((rows) => Number(rows[0]?.n ?? 0) > 0))

type Writer = (batch: BatchWrite) => Effect.Effect<void, unknown, SqlClient | AnalyticsRepository>

/** The service's write: `AnalyticsRepository.writeBatch`. */
const serviceWrite: Writer = (batch) =>
  Effect.gen(function*() {
    const repo = yield* AnalyticsRepository
    yield* repo.writeBatch(batch)
  })

/**
 * The same transaction without `post_keywords`: the adapter's own post_analytics upsert
 * (UPSERT_ANALYTICS_SQL, the first part of its statement) and the ledger row, nothing else.
 */
const upsertOnlyWrite: Writer = (batch) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql.withTransaction(
      Effect.andThen(
        sql.unsafe(UPSERT_ANALYTICS_SQL, unnestParams(ANALYTICS_COLUMNS, batch.analytics)),
        sql`INSERT INTO batch_ledger (object_path, event_id, project_id, job_id, platform, batch_index, expected_size, actual_size,
            stored_count, skipped_count, error_count, status, first_attempt_at, last_attempt_at)
          VALUES (${batch.ledger.object_path}, ${batch.ledger.event_id}, ${batch.ledger.project_id}::uuid, ${batch.ledger.job_id},
            ${batch.ledger.platform}, ${batch.ledger.batch_index}, ${batch.ledger.expected_size}, ${batch.ledger.actual_size},
            ${batch.ledger.stored_count}, ${batch.ledger.skipped_count}, ${batch.ledger.error_count}, ${batch.ledger.status},
            ${batch.ledger.attempted_at}::timestamptz, ${batch.ledger.attempted_at}::timestamptz)`
      )
    )
  )

/**
 * The WAL of one batch's own transaction: the xid that wrote the batch's `batch_ledger` row,
 * all its records (heap, index, commit), read right after the batch so that a checkpoint cannot
 * recycle the segment first (one that does anyway gives null).
 */
const walOfBatch = (startLsn: string, endLsn: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const [ids] = yield* sql<{ db: number; ledger: number }>`
      SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::int AS db, pg_relation_filenode('batch_ledger')::int AS ledger`
    const pattern = `rel \\d+/${ids!.db}/${ids!.ledger} `
    const rows = yield* sql<{ xid: string; len: number; fpi: number; ledger: boolean; kind: string }>`
      SELECT xid::text AS xid, record_length AS len, fpi_length AS fpi, resource_manager || '/' || record_type AS kind,
        COALESCE(block_ref ~ ${pattern}, false) AS ledger
      FROM pg_get_wal_records_info(${startLsn}::pg_lsn, ${endLsn}::pg_lsn)`
    const xids = new Set(rows.filter((r) => r.ledger && r.xid !== "0").map((r) => r.xid))
    const own = rows.filter((r) => xids.has(r.xid))
    const kinds = new Map<string, number>()
    for (const r of own) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + Number(r.len))
    return {
      bytes: own.reduce((a, r) => a + Number(r.len), 0),
      fpi: own.reduce((a, r) => a + Number(r.fpi), 0),
      kinds
    } satisfies WalOfBatch as WalOfBatch | null
  }).pipe(
    Effect.catch((error) =>
      Effect.as(Effect.sync(() => log(`  WAL of a batch not read: ${String(error).slice(0, 200)}`)), null)
    )
  )

const runBatches = (batches: ReadonlyArray<BatchWrite>, write: Writer, walinspect: boolean) =>
  Effect.gen(function*() {
    const samples: Array<Sample> = []
    for (const batch of batches) {
      const before = yield* vacuumRunning
      const startLsn = yield* lsn("insert")
      const t0 = performance.now()
      yield* write(batch)
      const ms = performance.now() - t0
      const endInsert = yield* lsn("insert")
      const endLsn = yield* lsn("flush")
      const wal = walinspect ? yield* walOfBatch(startLsn, endLsn) : null
      const after = yield* vacuumRunning
      samples.push({ ms, clusterWal: lsnBytes(endInsert) - lsnBytes(startLsn), wal, vacuumRunning: before || after })
    }
    return samples
  })

interface Result {
  readonly level: number
  readonly existing: number
  readonly variant: string
  readonly p50: number
  readonly p99: number
  readonly mean: number
  readonly walBytes: number | null
  readonly fpiShare: number | null
  readonly clusterWal: number
  readonly vacuumBatches: number
  readonly batches: number
  /** Batches whose WAL was read with pg_walinspect. */
  readonly walRead: number
  /** The largest WAL record kinds of the batches' transactions, with their share. */
  readonly walKinds: string
  readonly note: string
}

const topKinds = (wal: ReadonlyArray<WalOfBatch>) => {
  const total = new Map<string, number>()
  for (const w of wal) for (const [k, v] of w.kinds) total.set(k, (total.get(k) ?? 0) + v)
  const sum = [...total.values()].reduce((a, b) => a + b, 0)
  return [...total.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4)
    .map(([k, v]) => `${k} ${((v / Math.max(1, sum)) * 100).toFixed(0)} %`).join(", ")
}

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
const median = (xs: ReadonlyArray<number>) => percentile([...xs].sort((a, b) => a - b), 50)

const measure = (
  level: number,
  variant: string,
  batches: ReadonlyArray<BatchWrite>,
  write: Writer,
  walinspect: boolean,
  note = ""
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const existing = yield* postCount
    // Every variant starts right after a checkpoint, so each pays the same full-page images.
    yield* sql.unsafe("CHECKPOINT")
    const samples = yield* runBatches(batches, write, walinspect)
    const read = samples.flatMap((s) => (s.wal === null ? [] : [s.wal]))
    const wal = read.length === 0 ? null : read
    const times = samples.map((s) => s.ms).sort((a, b) => a - b)
    const result: Result = {
      level,
      existing,
      variant,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      mean: times.reduce((a, b) => a + b, 0) / times.length,
      walBytes: wal === null ? null : median(wal.map((w) => w.bytes)),
      fpiShare: wal === null ? null : wal.reduce((a, w) => a + w.fpi, 0) / Math.max(1, wal.reduce((a, w) => a + w.bytes, 0)),
      clusterWal: median(samples.map((s) => s.clusterWal)),
      vacuumBatches: samples.filter((s) => s.vacuumRunning).length,
      batches: samples.length,
      walRead: read.length,
      walKinds: wal === null ? "" : topKinds(wal),
      note: walinspect && read.length < samples.length ? `WAL read for ${read.length}/${samples.length} batches only (segments recycled)` : note
    }
    log(
      `  ${variant.padEnd(34)} p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  WAL ${
        result.walBytes === null ? "-" : `${(result.walBytes / 1024).toFixed(0)} KiB (FPI ${((result.fpiShare ?? 0) * 100).toFixed(0)} %)`
      }  server-wide ${(result.clusterWal / 1024).toFixed(0)} KiB  vacuum during ${result.vacuumBatches}/${result.batches}`
    )
    return result
  })

const fresh = (n: number) => Array.from({ length: n }, newBatch)
const warmUp = (write: Writer) => runBatches(fresh(WARMUP), write, false)

const setAutovacuum = (options: string) =>
  Effect.flatMap(SqlClient, (sql) => Effect.forEach(TABLES, (t) => sql.unsafe(`ALTER TABLE ${t} ${options}`), { discard: true }))

const AUTOVACUUM_OPTIONS = [
  "autovacuum_enabled",
  "autovacuum_vacuum_threshold",
  "autovacuum_vacuum_scale_factor",
  "autovacuum_vacuum_insert_threshold",
  "autovacuum_vacuum_insert_scale_factor",
  "autovacuum_analyze_threshold",
  "autovacuum_analyze_scale_factor"
]
const resetAutovacuum = setAutovacuum(`RESET (${AUTOVACUUM_OPTIONS.join(", ")})`)

const autovacuumCounts = Effect.flatMap(SqlClient, (sql) =>
  sql<{ vacuums: string; analyzes: string }>`SELECT COALESCE(sum(autovacuum_count), 0)::text AS vacuums, COALESCE(sum(autoanalyze_count), 0)::text AS analyzes
    FROM pg_stat_user_tables WHERE relname IN ('post_analytics', 'post_keywords', 'batch_ledger', 'crawl_errors')`
).pipe(Effect.map((rows) => ({ vacuums: Number(rows[0]?.vacuums ?? 0), analyzes: Number(rows[0]?.analyzes ?? 0) })))

/** Waits up to --vacuum-seconds for an autovacuum worker to start on the bench's tables, writing a batch every second meanwhile. */
const waitForAutovacuum = Effect.gen(function*() {
  const deadline = performance.now() + VACUUM_SECONDS * 1000
  const start = yield* autovacuumCounts
  while (performance.now() < deadline) {
    if (yield* vacuumRunning) return "a worker started"
    const now = yield* autovacuumCounts
    if (now.vacuums + now.analyzes > start.vacuums + start.analyzes) return "a worker ran"
    yield* runBatches(fresh(1), serviceWrite, false)
    yield* Effect.sleep("1 second")
  }
  return "no worker within the wait"
})

const levelVariants = (level: number, all: ReadonlyArray<Rebuildable>, walinspect: boolean) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const results: Array<Result> = []
    const truncateAtZero = level === 0
      ? Effect.asVoid(sql.unsafe(`TRUNCATE ${TABLES.join(", ")}`))
      : Effect.void
    const run = (variant: string, batches: ReadonlyArray<BatchWrite>, write: Writer, note = "") =>
      Effect.tap(measure(level, variant, batches, write, walinspect, note), (r) => Effect.sync(() => results.push(r)))

    log(`level ${level}: variants`)
    yield* rebuildMissing(all)
    yield* resetAutovacuum

    // 1. All indexes, autovacuum with the server's defaults: new posts, then the same posts re-crawled.
    yield* warmUp(serviceWrite)
    yield* truncateAtZero
    const written = fresh(BATCHES)
    yield* run("all indexes: new posts", written, serviceWrite)
    yield* run("all indexes: re-crawl (updates)", written.map(recrawl), serviceWrite)

    // 2. post_keywords not written at all: the upsert alone plus the ledger row.
    yield* warmUp(upsertOnlyWrite)
    yield* truncateAtZero
    yield* run("no post_keywords (upsert + ledger only)", fresh(BATCHES), upsertOnlyWrite)

    // 3. Without post_keywords' keyword index (0008): the table keeps only its identity index.
    yield* dropIndex(all, KEYWORD_INDEX)
    yield* warmUp(serviceWrite)
    yield* truncateAtZero
    yield* run("no post_keywords keyword index (0008)", fresh(BATCHES), serviceWrite)
    yield* rebuildMissing(all)

    // 4. Without the summary index (0009): new posts, then re-crawled (HOT updates become possible).
    yield* dropIndex(all, SUMMARY_INDEX)
    yield* warmUp(serviceWrite)
    yield* truncateAtZero
    const withoutSummary = fresh(BATCHES)
    yield* run("no summary index (0009): new posts", withoutSummary, serviceWrite)
    yield* run("no summary index (0009): re-crawl", withoutSummary.map(recrawl), serviceWrite)
    yield* rebuildMissing(all)

    // 5. Autovacuum off on the written tables, after the same wait.
    yield* setAutovacuum("SET (autovacuum_enabled = false)")
    yield* warmUp(serviceWrite)
    yield* truncateAtZero
    if (VACUUM_SECONDS > 0) yield* Effect.sleep(`${VACUUM_SECONDS} seconds`)
    const offBefore = yield* autovacuumCounts
    yield* run("autovacuum off", fresh(BATCHES), serviceWrite)
    const offAfter = yield* autovacuumCounts
    results[results.length - 1] = {
      ...results[results.length - 1]!,
      note: `${results[results.length - 1]!.note} autovacuum runs on the tables during it: ${offAfter.vacuums - offBefore.vacuums} vacuum, ${offAfter.analyzes - offBefore.analyzes} analyze`
    }
    yield* resetAutovacuum

    // 6. Autovacuum made to act: thresholds of 100 rows (instead of 20 % of the table), so a
    //    worker vacuums and analyzes the tables while the batches are written.
    yield* truncateAtZero
    yield* setAutovacuum(
      "SET (autovacuum_vacuum_threshold = 100, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_insert_threshold = 100, " +
        "autovacuum_vacuum_insert_scale_factor = 0, autovacuum_analyze_threshold = 100, autovacuum_analyze_scale_factor = 0)"
    )
    yield* warmUp(serviceWrite)
    const waited = VACUUM_SECONDS > 0 ? yield* waitForAutovacuum : "no wait"
    const onBefore = yield* autovacuumCounts
    yield* run("autovacuum acting (thresholds 100 rows)", fresh(BATCHES), serviceWrite)
    const onAfter = yield* autovacuumCounts
    results[results.length - 1] = {
      ...results[results.length - 1]!,
      note: `${results[results.length - 1]!.note} wait: ${waited}; autovacuum runs during it: ${onAfter.vacuums - onBefore.vacuums} vacuum, ${onAfter.analyzes - onBefore.analyzes} analyze`
    }
    yield* resetAutovacuum
    return results
  })

// ---------------------------------------------------------------------------------------------
// Report

const kib = (bytes: number | null) => (bytes === null ? "–" : (bytes / 1024).toFixed(0))
const ratio = (value: number | null, base: number | null) =>
  value === null || base === null || base === 0 ? "–" : `${(value / base).toFixed(2)}×`

const machine = (server: string) => {
  const cpu = cpus()
  return `${cpu.length} × ${cpu[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${server.split(" on ")[0] ?? server}`
}

const report = (results: ReadonlyArray<Result>, loads: ReadonlyArray<string>, autovacuum: string, server: string) => {
  const base = results.find((r) => r.variant === "all indexes: new posts")
  const lines = [
    `Machine: ${machine(server)}`,
    `Command: npm run bench:writecost -- --levels ${LEVELS.join(",")} --batches ${BATCHES} --vacuum-seconds ${VACUUM_SECONDS} --seed-keywords ${SEED_KEYWORDS}`,
    `Load average (1/5/15 min) at each level's start and at the end: ${loads.join("; ")}`,
    `Server setting autovacuum = ${autovacuum}${
      autovacuum === "on" ? "" : ": no worker can start, so the autovacuum variants cannot show its effect on this server"
    }.`,
    `Batches of ${POSTS_PER_BATCH} posts × ${KEYWORDS_PER_POST} keywords (+1 error row, 1 ledger row); ${BATCHES} measured per variant after ${WARMUP} warm-up.`,
    `Baseline (ratios): "all indexes: new posts" at ${base?.existing ?? "?"} existing posts, this run.`,
    "",
    "| level | posts at start | variant | p50 ms | p99 ms | p50 ratio | WAL/batch KiB | WAL ratio | FPI share | server-wide WAL KiB | batches during a vacuum |",
    "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map((r) =>
      `| ${r.level.toLocaleString("en-US")} | ${r.existing.toLocaleString("en-US")} | ${r.variant} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${ratio(r.p50, base?.p50 ?? null)} | ${
        kib(r.walBytes)
      } | ${ratio(r.walBytes, base?.walBytes ?? null)} | ${r.fpiShare === null ? "–" : `${(r.fpiShare * 100).toFixed(0)} %`} | ${kib(r.clusterWal)} | ${r.vacuumBatches}/${r.batches} |`
    ),
    "",
    ...results.filter((r) => r.note !== "").map((r) => `- ${r.level.toLocaleString("en-US")} level, ${r.variant}: ${r.note}`),
    "",
    "WAL by record kind (share of the batches' own WAL):",
    "",
    ...results.filter((r) => r.walKinds !== "").map((r) => `- ${r.level.toLocaleString("en-US")} level, ${r.variant}: ${r.walKinds}`)
  ]
  return lines.join("\n")
}

// ---------------------------------------------------------------------------------------------

const load = () => loadavg().map((l) => l.toFixed(2)).join(" ")

const main = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* migrateUp(yield* loadMigrations())
  const walinspect = yield* sql.unsafe("CREATE EXTENSION IF NOT EXISTS pg_walinspect").pipe(
    Effect.as(true),
    Effect.catch(() => Effect.succeed(false))
  )
  if (!walinspect) log("pg_walinspect unavailable: WAL only as the server-wide LSN difference")
  const [setting] = yield* sql<{ autovacuum: string; server: string }>`SELECT current_setting('autovacuum') AS autovacuum, version() AS server`
  const autovacuum = setting?.autovacuum ?? "?"
  if (autovacuum !== "on") log(`the server runs with autovacuum = ${autovacuum}: the autovacuum variants cannot show its effect`)
  const all = yield* captureIndexes
  const results: Array<Result> = []
  const loads: Array<string> = []
  for (const level of LEVELS) {
    yield* seedTo(level, all)
    loads.push(`${level.toLocaleString("en-US")}: ${load()}`)
    results.push(...(yield* levelVariants(level, all, walinspect)))
  }
  loads.push(`end: ${load()}`)
  if (flags.keep) yield* rebuildMissing(all)
  return report(results, loads, autovacuum, setting?.server ?? "PostgreSQL ?")
})

const benchLayer = Layer.provideMerge(AnalyticsRepositoryLive, layerPgClient({ url: Redacted.make(benchUrl), maxConnections: 2 }))

const program = Effect.gen(function*() {
  yield* createDatabase
  const text = yield* Effect.provide(main, benchLayer)
  process.stdout.write(`${text}\n`)
}).pipe(
  Effect.ensuring(flags.keep ? Effect.void : Effect.orDie(dropDatabase)),
  // stdout is the report: the migrator's progress lines stay out of it.
  Effect.provideService(References.MinimumLogLevel, "Warn")
)

await Effect.runPromise(program)

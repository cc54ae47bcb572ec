/**
 * Smoke run of bench/writeCost.ts (`npm run bench:writecost`) in its CI-cheap mode: one level of
 * 1 000 posts, 10 batches per variant, no autovacuum wait. No timing is asserted; the report's
 * shape, the WAL accounting and the clean-up are. Ten batches, not three: the first batches'
 * full-page images weigh on every variant alike, and over three the share of post_keywords in
 * a batch's WAL sat at the assertion's edge (0.49 and, with the rollup read indexes, 0.52).
 */
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { testSettings } from "../support/testServices.ts"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const database = `smap_bench_writecost_${randomBytes(4).toString("hex")}`

const VARIANTS = [
  "all indexes: new posts",
  "all indexes: re-crawl (updates)",
  "no post_keywords (upsert + ledger only)",
  "no post_keywords keyword index (0008)",
  "no summary index (0009): new posts",
  "no summary index (0009): re-crawl",
  "autovacuum off",
  "autovacuum acting (thresholds 100 rows)"
]

const databaseExists = (name: string) =>
  Effect.runPromise(
    Effect.flatMap(SqlClient, (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${name}`).pipe(
      Effect.map((rows) => (rows[0]?.n ?? 0) > 0),
      Effect.provide(layerPgClient({ url: Redacted.make(testSettings.database.value), maxConnections: 1 }))
    )
  )

describe("bench:writecost smoke", () => {
  it("reports every variant with its time and WAL, and drops its database", async () => {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, "node_modules/tsx/dist/cli.mjs"), join(ROOT, "bench/writeCost.ts"), "--levels", "1000", "--batches", "10", "--vacuum-seconds", "0", "--database", database],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, DATABASE_URL: testSettings.database.value }, timeout: 90_000 }
    )
    expect(run.status, run.stderr).toBe(0)
    const rows = run.stdout.split("\n").filter((line) => line.startsWith("| 1,000 |")).map((line) => line.split("|").map((c) => c.trim()))
    // cells: "", level, posts at start, variant, p50, p99, p50 ratio, WAL KiB, WAL ratio, FPI share, server-wide KiB, vacuum, ""
    expect(rows.map((r) => r[3])).toEqual(VARIANTS)
    for (const r of rows) {
      expect(Number(r[2]?.replaceAll(",", ""))).toBeGreaterThanOrEqual(1000)
      expect(Number(r[4])).toBeGreaterThan(0)
      expect(Number(r[5])).toBeGreaterThanOrEqual(Number(r[4]))
      expect(r[11]).toMatch(/^\d+\/10$/)
    }
    const base = rows[0]!
    expect(base[6]).toBe("1.00×")
    const wal = (variant: string) => Number(rows.find((r) => r[3] === variant)?.[7])
    if (base[7] !== "–") {
      // 50 posts × 30 keywords: the post_keywords rows are most of a batch's WAL.
      expect(wal("no post_keywords (upsert + ledger only)")).toBeLessThan(wal("all indexes: new posts") / 2)
      expect(run.stdout).toMatch(/all indexes: re-crawl \(updates\): Heap\//)
    }
    expect(await databaseExists(database)).toBe(false)
  }, 120_000)
})

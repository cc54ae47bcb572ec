import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const BIN = join(ROOT, "bin/smap-analytics.js")
const local = (args: ReadonlyArray<string>, env: Record<string, string> = {}, cwd = ROOT) =>
  spawnSync(process.execPath, [BIN, "local", ...args], { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, ...env } })
const scratch = (name: string) => mkdtempSync(join(tmpdir(), `smap-${name}-`))

interface Summary {
  readonly batches: number
  readonly acked: number
  readonly dead_lettered: number
  readonly rows: { analytics: number; errors: number; batches: number }
  readonly items: { stored: number; skipped: number; error: number }
  readonly batch_size_mismatches: number
  readonly per_batch: ReadonlyArray<{ batch: string; items: number; stored: number; skipped: number; errors: number; duplicates: number; dead_lettered: number }>
  readonly posts: { total: number; by_sentiment: Record<string, number>; by_intent: Record<string, number>; by_risk: Record<string, number> }
}

describe("local keeps its embedded database in a folder between runs", () => {
  it("a second run finds the first run's rows; --fresh starts empty", () => {
    const dir = join(scratch("keep"), "db")
    const empty = scratch("no-batches")
    const first = local(["--once", "--data-dir", dir])
    expect(first.status, first.stderr.slice(-2000)).toBe(0)
    expect((JSON.parse(first.stdout) as Summary).rows).toEqual({ analytics: 75, errors: 2, batches: 3 })
    expect(existsSync(dir)).toBe(true)
    expect(existsSync(`${dir}.lock`), "the lock is removed when the run ends").toBe(false)
    // No batch this time: what is there was kept from the first run.
    const again = local([empty, "--once", "--data-dir", dir])
    expect(again.status, again.stderr.slice(-2000)).toBe(0)
    expect((JSON.parse(again.stdout) as Summary)).toMatchObject({ batches: 0, rows: { analytics: 75, errors: 2, batches: 3 } })
    const fresh = local([empty, "--once", "--data-dir", dir, "--fresh"])
    expect(fresh.status, fresh.stderr.slice(-2000)).toBe(0)
    expect((JSON.parse(fresh.stdout) as Summary).rows).toEqual({ analytics: 0, errors: 0, batches: 0 })
  }, 300_000)

  it("the default folder is .smap/embedded under the current directory", () => {
    const cwd = scratch("cwd")
    mkdirSync(join(cwd, "examples"))
    writeFileSync(join(cwd, "examples", "tiktok_batch_000.json"), readFileSync(join(ROOT, "examples/tiktok_batch_000.json")))
    const result = local(["--once"], {}, cwd)
    expect(result.status, result.stderr.slice(-2000)).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ data_dir: join(cwd, ".smap", "embedded"), acked: 1 })
    expect(existsSync(join(cwd, ".smap", "embedded"))).toBe(true)
    expect(readFileSync(join(ROOT, ".gitignore"), "utf8").split("\n")).toContain(".smap/")
  }, 240_000)

  it("a second run on the same folder stops at once with a clear error while the first holds it; a stale lock is taken over", async () => {
    const dir = join(scratch("lock"), "db")
    const first = spawn(process.execPath, [BIN, "local", "--data-dir", dir, "--serve", "--port", "0"], { cwd: ROOT })
    let stdout = ""
    first.stdout.on("data", (d: Buffer) => { stdout += d.toString() })
    const exited = new Promise<number | null>((resolve) => first.on("exit", (code) => resolve(code)))
    const deadline = Date.now() + 180_000
    while (!stdout.includes("dashboard:") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    expect(stdout).toContain("dashboard:")
    const second = local(["--once", "--data-dir", dir])
    expect(second.status).toBe(1)
    expect(second.stdout).toBe("")
    expect(second.stderr.trim()).toBe(
      `smap-analytics local: the embedded database in ${dir} is in use by process ${first.pid} (lock ${dir}.lock); stop that run, or give this one another folder with --data-dir`
    )
    first.kill("SIGINT")
    expect(await exited).toBe(0)
    expect(existsSync(`${dir}.lock`)).toBe(false)
    // A lock left by a process that is gone (killed with SIGKILL) does not block the next run.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
    writeFileSync(`${dir}.lock`, `${gone.stdout}\n`)
    const afterStale = local([scratch("none"), "--once", "--data-dir", dir])
    expect(afterStale.status, afterStale.stderr.slice(-2000)).toBe(0)
    expect((JSON.parse(afterStale.stdout) as Summary).rows.analytics).toBe(75)
  }, 300_000)
})

describe("local runs many batches concurrently on the embedded database", () => {
  it("32 batches, 32 at a time: every one stored, none dead-lettered, no database error; one line per batch in the table", () => {
    const template = JSON.parse(readFileSync(join(ROOT, "examples/tiktok_batch_000.json"), "utf8")) as Array<{ meta?: { id?: string } }>
    const batches = scratch("batches")
    for (let b = 0; b < 32; b++) {
      // Half the batches repeat the same posts (upserts of one row from several batches at once), half have their own.
      const items = b % 2 === 0
        ? template
        : template.map((item) => ({ ...item, meta: { ...item.meta, id: item.meta?.id === undefined ? undefined : `${item.meta.id}${b}` } }))
      writeFileSync(join(batches, `tiktok_batch_${String(b).padStart(3, "0")}.json`), JSON.stringify(items))
    }
    const result = local([batches, "--once", "--data-dir", join(scratch("concurrent"), "db")], {
      MAX_CONCURRENT_BATCHES: "32",
      RABBITMQ_PREFETCH_COUNT: "64",
      LOG_FORMAT: "json"
    })
    expect(result.status, result.stderr.slice(-3000)).toBe(0)
    const summary = JSON.parse(result.stdout) as Summary
    expect(summary).toMatchObject({ batches: 32, acked: 32, dead_lettered: 0, batch_size_mismatches: 0 })
    expect(summary.rows.batches).toBe(32)
    expect(summary.per_batch).toHaveLength(32)
    for (const line of summary.per_batch) {
      expect(line.stored + line.skipped + line.errors + line.duplicates, line.batch).toBe(line.items)
      expect(line.items, line.batch).toBe(50)
      expect(line.dead_lettered, line.batch).toBe(0)
    }
    // No retried or failed statement: nothing above INFO in the logs, and no "portal" error.
    const logs = result.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: string; message: string })
    expect(logs.filter((l) => l.level !== "INFO" && l.level !== "DEBUG")).toEqual([])
    expect(result.stderr).not.toContain("portal")
    const table = result.stderr.split("\n").filter((l) => !l.startsWith("{"))
    expect(table.filter((l) => /^tiktok_batch_\d{3}\.json\s+50\s+\d+\s+\d+\s+\d+\s+\d+\s+0$/.test(l))).toHaveLength(32)
  }, 300_000)
})

describe("local ends with a summary a person reads at a glance on stderr, JSON on stdout", () => {
  it("per batch stored / skipped / errors / dead-lettered, then counts by sentiment, intent and risk", () => {
    const result = local(["--once", "--data-dir", join(scratch("table"), "db")])
    expect(result.status, result.stderr.slice(-2000)).toBe(0)
    const summary = JSON.parse(result.stdout) as Summary
    const lines = result.stderr.split("\n")
    expect(lines).toContain("batch                          items  stored  skipped  errors  dup  dead-lettered")
    for (const batch of summary.per_batch) {
      const line = lines.find((l) => l.startsWith(`${batch.batch} `))
      expect(line, batch.batch).toBeDefined()
      expect(line?.split(/\s+/).slice(1, 7).map(Number)).toEqual([batch.items, batch.stored, batch.skipped, batch.errors, batch.duplicates, batch.dead_lettered])
    }
    expect(lines.find((l) => l.startsWith("tiktok_batch_011_partial.json"))).toMatch(/\(expected 50 items\)$/)
    expect(summary.batch_size_mismatches).toBe(1)
    const posts = summary.posts
    expect(Object.values(posts.by_sentiment).reduce((a, b) => a + b, 0)).toBe(posts.total)
    expect(Object.values(posts.by_risk).reduce((a, b) => a + b, 0)).toBe(posts.total)
    const sentiment = lines.find((l) => l.trimStart().startsWith("sentiment"))
    expect(sentiment).toBe(`  sentiment  positive ${posts.by_sentiment["POSITIVE"]}   negative ${posts.by_sentiment["NEGATIVE"]}   neutral ${posts.by_sentiment["NEUTRAL"]}`)
    expect(lines.some((l) => l.trimStart().startsWith(`intent     crisis ${posts.by_intent["CRISIS"]}`))).toBe(true)
    expect(lines.some((l) => l.trimStart().startsWith(`risk       low ${posts.by_risk["LOW"]}`))).toBe(true)
  }, 240_000)

  it("--progress shows progress on stderr and leaves stdout the JSON summary", () => {
    const result = local(["--once", "--memory", "--progress"])
    expect(result.status, result.stderr.slice(-2000)).toBe(0)
    expect(result.stderr).toMatch(/^local: 3\/3 batches \(3 stored, 0 dead-lettered\)$/m)
    expect(JSON.parse(result.stdout)).toMatchObject({ acked: 3 })
    const without = local(["--once", "--memory"])
    expect(without.stderr).not.toContain("local: ")
  }, 240_000)
})

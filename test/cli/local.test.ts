import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const local = (args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, [join(ROOT, "bin/smap-analytics.js"), "local", ...args], { cwd: ROOT, encoding: "utf8" })

describe("smap-analytics local (the embedded default)", () => {
  it("processes the example batches through embedded PostgreSQL with no external service", () => {
    const result = local([])
    expect(result.status, result.stderr.slice(-2000)).toBe(0)
    const summary = JSON.parse(result.stdout) as Record<string, unknown>
    expect(summary).toMatchObject({
      database: "embedded PostgreSQL (PGlite)",
      batches: 3,
      acked: 3,
      dead_lettered: 0,
      rows: { analytics: 75, errors: 2, batches: 3 },
      batch_size_mismatches: 1
    })
  }, 120_000)

  it("with --memory, every port is in memory and the rows are the same", () => {
    const result = local(["--memory"])
    expect(result.status, result.stderr.slice(-2000)).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ database: "in memory", acked: 3, rows: { analytics: 75, errors: 2, batches: 3 } })
  }, 120_000)
})

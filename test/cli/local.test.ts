import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
/** Each run keeps its embedded database in a folder of its own, so runs never share the lock. */
const dataDir = () => join(mkdtempSync(join(tmpdir(), "smap-local-")), "embedded")
const local = (args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, [join(ROOT, "bin/smap-analytics.js"), "local", "--data-dir", dataDir(), ...args], { cwd: ROOT, encoding: "utf8" })

describe("smap-analytics local (the embedded default)", () => {
  it("processes the example batches through embedded PostgreSQL with no external service", () => {
    const result = local(["--once"])
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
    const result = local(["--memory", "--once"])
    expect(result.status, result.stderr.slice(-2000)).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ database: "in memory", acked: 3, rows: { analytics: 75, errors: 2, batches: 3 } })
  }, 120_000)

  it("npm start serves (local --serve); npm start -- --once drains and exits", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
    expect(pkg.scripts["start"]).toBe("node bin/smap-analytics.js local --serve")
    const result = local(["--memory", "--serve", "--once"])
    expect(result.status, result.stderr.slice(-2000)).toBe(0)
    expect(result.stdout).not.toContain("dashboard:")
  }, 120_000)

  for (const mode of [[], ["--memory"]]) {
    it(`with --serve, as npm start runs it (${mode.length === 0 ? "embedded PostgreSQL" : "in memory"}), it serves the dashboard over the stored rows and stops cleanly on Ctrl-C`, async () => {
      const child = spawn(process.execPath, [join(ROOT, "bin/smap-analytics.js"), "local", "--data-dir", dataDir(), ...mode, "--serve", "--port", "0"], { cwd: ROOT })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d: Buffer) => { stdout += d.toString() })
      child.stderr.on("data", (d: Buffer) => { stderr += d.toString() })
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      const deadline = Date.now() + 90_000
      let address: string | undefined
      while (address === undefined && Date.now() < deadline) {
        address = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1]
        if (address === undefined) await new Promise((r) => setTimeout(r, 100))
      }
      expect(address, stderr.slice(-2000)).toBeDefined()
      const projects = await (await fetch(`${address}/api/projects`)).json()
      expect(projects).toEqual([{ projectId: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c" }])
      const summary = await (await fetch(`${address}/api/projects/a95796bc-5c7b-432b-bf99-0afa8ed81f0c/summary`)).json() as { total: number }
      expect(summary.total).toBe(75)
      expect((await fetch(`${address}/`)).status).toBe(200)
      child.kill("SIGINT")
      expect(await exited).toBe(0)
    }, 120_000)
  }
})

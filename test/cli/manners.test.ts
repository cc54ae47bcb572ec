import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const BIN = process.env["SMAP_CLI_BIN"] ?? join(ROOT, "bin/smap-analytics.js")
const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}, input?: string) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 90_000,
    input,
    env: { ...process.env, ...env }
  })

/** Command-line manners, through the real binary. */
describe("smap-analytics command line", { timeout: 180_000 }, () => {
  it("an unknown flag is an error (exit 2, one line naming it) and the service does not start", () => {
    // Nothing listens on port 1: had consume started, it would retry forever and time out.
    const result = run(["consume", "--foo"], { RABBITMQ_URL: "amqp://127.0.0.1:1", METRICS_ENABLED: "false" })
    expect(result.error, "consume started instead of rejecting --foo").toBeUndefined()
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("--foo")
    expect(result.stdout).toBe("")
  })

  it("an extra argument is an error", () => {
    const result = run(["analyze", "examples/tiktok_batch_000.json", "examples/youtube_batch_000.json"])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("examples/youtube_batch_000.json")
    expect(result.stdout).toBe("")
    const migrate = run(["migrate", "up", "extra"], { DATABASE_URL: "postgres://127.0.0.1:1/none" })
    expect(migrate.status).toBe(2)
  })

  it("--version prints the package's version", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }
    const result = run(["--version"])
    expect(result.status).toBe(0)
    expect(result.stdout).toContain(version)
  })

  it("the top-level help lists every command with one line and the environment variables each reads", () => {
    const result = run(["--help"])
    expect(result.status).toBe(0)
    for (const command of ["analyze", "consume", "local", "serve", "migrate", "validate", "publish", "dead-letters"]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\s+\\S`, "m"))
    }
    expect(result.stdout).toMatch(/^ {2}migrate\s+DATABASE_URL$/m)
    expect(result.stdout).toMatch(/^ {2}serve\s+DATABASE_URL, API_HOST/m)
  })

  it("effect/cli's --wizard and --completions are neither listed in the help nor accepted", () => {
    for (const args of [["--help"], ["migrate", "up", "--help"]]) {
      const help = run(args)
      expect(help.status).toBe(0)
      expect(help.stdout).toContain("--log-level")
      expect(help.stdout).not.toContain("--wizard")
      expect(help.stdout).not.toContain("--completions")
    }
    for (const args of [["--wizard"], ["analyze", "--completions", "bash"]]) {
      const refused = run(args, {}, "[]")
      expect(refused.status, args.join(" ")).toBe(2)
      expect(refused.stderr).toContain(args.find((a) => a.startsWith("--")))
      expect(refused.stdout).toBe("")
    }
  }, 180_000)

  it("a command's --help is its usage on stdout", () => {
    const result = run(["publish", "--help"])
    expect(result.status).toBe(0)
    for (const flag of ["--platform", "--project", "--job", "--batch-index", "--compress"]) expect(result.stdout).toContain(flag)
  })

  it("a one-shot command prints its result and no INFO logs unless asked", () => {
    const item = '{"meta":{"id":"1"},"content":{"text":"Xe đẹp quá, rất hài lòng"}}'
    const quiet = run(["analyze", "-", "--now", "2025-12-06T10:16:00Z"], {}, item)
    expect(quiet.status).toBe(0)
    expect(quiet.stderr).toBe("")
    const verbose = run(["analyze", "-", "--now", "2025-12-06T10:16:00Z", "--log-level", "info"], {}, item)
    expect(verbose.status).toBe(0)
    expect(verbose.stderr).toContain("analytics pipeline ready")
    const byEnvironment = run(["analyze", "-", "--now", "2025-12-06T10:16:00Z"], { LOG_LEVEL: "info" }, item)
    expect(byEnvironment.stderr).toContain("analytics pipeline ready")
    expect(byEnvironment.stdout).toBe(quiet.stdout)
  })

  it("logs are JSON lines when stderr is not a terminal, with no empty fields", () => {
    const result = run(["analyze", "-", "--now", "2025-12-06T10:16:00Z", "--log-level", "info"], {}, "[]")
    const lines = result.stderr.trim().split("\n")
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>
      for (const [key, value] of Object.entries(entry)) {
        expect(value === "" || (Array.isArray(value) && value.length === 0) || (typeof value === "object" && value !== null && Object.keys(value).length === 0), key).toBe(false)
      }
    }
  })

  it("analyze reads only the pipeline's settings: a bad broker or database setting does not stop it", () => {
    const result = run(["analyze", "-", "--now", "2025-12-06T10:16:00Z"], { RABBITMQ_URL: "http://nope", METRICS_PORT: "port", DATABASE_URL: "x" }, "[]")
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
  })

  it("analyze … | head -1 ends quietly with exit 0", async () => {
    const items = JSON.parse(readFileSync(join(ROOT, "examples/tiktok_batch_000.json"), "utf8")) as Array<unknown>
    const file = join(mkdtempSync(join(tmpdir(), "smap-analyze-")), "big.json")
    writeFileSync(file, JSON.stringify(Array.from({ length: 40 }, () => items).flat()))
    const child = spawn(process.execPath, [BIN, "analyze", file, "--now", "2025-12-06T10:16:00Z"], { cwd: ROOT })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const firstLine = await new Promise<string>((resolve) => {
      let out = ""
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString()
        const end = out.indexOf("\n")
        if (end !== -1) {
          child.stdout.destroy()
          resolve(out.slice(0, end))
        }
      })
    })
    expect(JSON.parse(firstLine)).toMatchObject({ record: "analytics" })
    expect(await exited, stderr).toBe(0)
    expect(stderr).toBe("")
  }, 60_000)

  it("an interrupted one-shot command exits 130", async () => {
    const child = spawn(process.execPath, [BIN, "analyze", "-"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    // One item of an array that never ends: its record on stdout says the command is running and
    // waiting for more input, however long the start took on a loaded machine.
    child.stdin.write('[{"meta":{"id":"1"},"content":{"text":"Xe đẹp quá"}},')
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    child.kill("SIGINT")
    expect(await exited).toBe(130)
  }, 120_000)

  it("analyze reads an array item by item: items before a broken one are written, then one error line", () => {
    const input = '[{"meta":{"id":"1"},"content":{"text":"Xe đẹp quá, rất hài lòng"}}, {"meta":{"id":"2", "content" ['
    const result = run(["analyze", "-", "--now", "2025-12-06T10:16:00Z"], {}, input)
    expect(result.status).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({ record: "analytics", id: "1" })
    expect(result.stderr.trim().split("\n")).toHaveLength(1)
    expect(result.stderr).toContain("standard input is not JSON")
  })
})

import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const BIN = process.env["SMAP_CLI_BIN"] ?? join(ROOT, "bin/smap-analytics.js")
const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}, input?: string) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
    input,
    env: { ...process.env, ...env }
  })

/** Command-line manners, through the real binary. */
describe("smap-analytics command line", () => {
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
})

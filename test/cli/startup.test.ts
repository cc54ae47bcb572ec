import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const run = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  spawnSync(process.execPath, [join(ROOT, "bin/smap-analytics.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 90_000,
    env: { ...process.env, ...env }
  })

/**
 * A malformed service URL must stop `consume` at once with one line, not start it and retry an
 * address that can never work. The values carry a password that must not be printed.
 */
describe("consume refuses malformed service URLs at start-up", () => {
  for (
    const [name, value] of [
      ["DATABASE_URL", "app:s3cret@db:5432/smap"],
      ["DATABASE_URL", "postgres://app:s3cret@127.0.0.1:notaport/smap"],
      ["RABBITMQ_URL", "http://guest:s3cret@127.0.0.1:5672"],
      ["RABBITMQ_URL", "amqp://u:s3cret@[bad"],
      ["MINIO_ENDPOINT", "ftp://s3cret@127.0.0.1:9000"]
    ] as const
  ) {
    it(`${name}=${value.replace("s3cret", "***")}`, () => {
      const result = run(["consume"], { [name]: value, METRICS_ENABLED: "false" })
      expect(result.error, "consume did not stop by itself").toBeUndefined()
      expect(result.status).toBe(1)
      const lines = result.stderr.trim().split("\n")
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(new RegExp(`^smap-analytics consume: invalid configuration: ${name}: `))
      expect(result.stdout + result.stderr).not.toContain("s3cret")
    })
  }
})

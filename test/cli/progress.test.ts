import { spawnSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as amqp from "amqplib"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { describe, expect, it } from "vitest"
import { testSettings } from "../support/testServices.ts"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(ROOT, "bin/smap-analytics.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, LOG_FORMAT: "json", ...env }
  })

const admin = (statement: string) =>
  Effect.runPromise(Effect.provide(
    Effect.flatMap(SqlClient, (sql) => sql.unsafe(statement)),
    layerPgClient({ url: Redacted.make(testSettings.database.value), maxConnections: 1 })
  ))

/** Progress goes to stderr, with --progress when stderr is not a terminal; stdout is unchanged. */
describe("--progress", () => {
  it("analyze: records so far, then the total; stdout is the same as without", () => {
    const args = ["analyze", "examples/tiktok_batch_000.json", "--now", "2025-12-06T10:16:00Z"]
    const plain = run(args)
    const shown = run([...args, "--progress"])
    expect(shown.status).toBe(0)
    expect(shown.stdout).toBe(plain.stdout)
    expect(plain.stderr).toBe("")
    expect(shown.stderr.trim().split("\n").at(-1)).toBe("analyze: 50 records")
  }, 120_000)

  it("migrate up: which migration runs, n of the pending ones; the report on stdout is the same", async () => {
    const schema = `cli_progress_${randomUUID().replaceAll("-", "").slice(0, 12)}`
    await admin(`CREATE SCHEMA ${schema}`)
    const url = `${testSettings.database.value}?options=-csearch_path%3D${schema}`
    try {
      const result = run(["migrate", "up", "--progress"], { DATABASE_URL: url })
      expect(result.status, result.stderr.slice(-2000)).toBe(0)
      const applied = result.stdout.trim().split("\n")
      expect(applied.length).toBeGreaterThan(5)
      for (const line of applied) expect(line).toMatch(/^applied {3}\d{4}_\w+/)
      const progress = result.stderr.split("\n").filter((l) => l.startsWith("migrate up: "))
      expect(progress[0]).toMatch(new RegExp(`^migrate up: 1/${applied.length} 0001_create_tables \\(\\d+ s\\)$`))
      expect(progress.at(-1)).toBe(`migrate up: ${applied.length} applied`)
      // Everything is applied now: a second run has nothing to do.
      const again = run(["migrate", "up", "--progress"], { DATABASE_URL: url })
      expect(again.stdout.trim()).toBe("migrate up: nothing to do")
      expect(again.stderr.trim().split("\n").at(-1)).toBe("migrate up: 0 applied")
    } finally {
      await admin(`DROP SCHEMA ${schema} CASCADE`)
    }
  }, 180_000)

  it("dead-letters replay: dead letters looked at and replayed so far", async () => {
    const queue = `cli-progress-${randomUUID()}`
    const deadLetters = `${queue}.dlq`
    const connection = await amqp.connect(testSettings.rabbitmq.value)
    const channel = await connection.createChannel()
    try {
      await channel.assertQueue(queue, { durable: false })
      await channel.assertQueue(deadLetters, { durable: false })
      for (let i = 1; i <= 3; i++) channel.sendToQueue(deadLetters, Buffer.from(JSON.stringify({ event_id: `evt_progress_${i}` })))
      await new Promise((r) => setTimeout(r, 300))
      const result = run(["dead-letters", "replay", "--all", "--progress"], {
        RABBITMQ_URL: testSettings.rabbitmq.value,
        EVENT_QUEUE_NAME: queue,
        DEAD_LETTER_QUEUE: deadLetters
      })
      expect(result.status, result.stderr.slice(-2000)).toBe(0)
      expect(result.stdout.trim()).toBe("replayed 3: evt_progress_1 evt_progress_2 evt_progress_3")
      expect(result.stderr.trim().split("\n").at(-1)).toBe("dead-letters replay: 3/3 dead letters looked at, 3 replayed")
      expect((await channel.checkQueue(queue)).messageCount).toBe(3)
    } finally {
      await channel.deleteQueue(queue)
      await channel.deleteQueue(deadLetters)
      await connection.close()
    }
  }, 120_000)
})

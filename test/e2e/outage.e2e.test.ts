import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventFor, PROJECT_ID, rawBatch } from "../support/crawlerBatch.ts"
import { tcpProxy } from "../support/tcpProxy.ts"
import { makeWorld, waitFor, type World } from "./harness.ts"

/**
 * §5 transient failures for real: the consumer reaches PostgreSQL and S3 through proxies that
 * the test cuts. While one is down the consumer holds the message (never dead-letters it),
 * /readyz says 503, and once it is back the batch is stored without anyone stepping in.
 */
describe("dependency outages, end to end", () => {
  let world: World
  let database: Awaited<ReturnType<typeof tcpProxy>>
  let storage: Awaited<ReturnType<typeof tcpProxy>>
  let consumer: ReturnType<World["startConsumer"]>
  const stored = async (path: string) =>
    (await world.query(`SELECT 1 FROM batch_ledger WHERE object_path = '${world.bucket}/${path}' AND status = 'completed'`)).length === 1

  beforeAll(async () => {
    world = await makeWorld()
    const dbUrl = new URL(world.env["DATABASE_URL"] ?? "")
    database = await tcpProxy(Number(dbUrl.port || "5432"))
    const s3Url = new URL(world.env["MINIO_ENDPOINT"] ?? "")
    storage = await tcpProxy(Number(s3Url.port))
    dbUrl.port = String(database.port)
    s3Url.port = String(storage.port)
    consumer = world.startConsumer("node", { DATABASE_URL: dbUrl.href, MINIO_ENDPOINT: s3Url.href, MINIO_TIMEOUT_MS: "2000" })
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
  }, 120_000)
  afterAll(async () => {
    await database?.close()
    await storage?.close()
    await world?.close()
  }, 60_000)

  for (const dependency of ["database", "storage"] as const) {
    it(`while the ${dependency} is down the batch waits unacked and readiness is 503; then it is stored by itself`, async () => {
      const proxy = dependency === "database" ? database : storage
      const before = `tiktok/${PROJECT_ID}/brand/${dependency}_before.json`
      await world.upload(before, rawBatch(50, { offset: dependency === "database" ? 2000 : 3000 }))
      await world.publish(eventFor(`${world.bucket}/${before}`))
      await waitFor("the first batch", () => stored(before))

      await proxy.cut()
      const during = `tiktok/${PROJECT_ID}/brand/${dependency}_during.json`
      await world.upload(during, rawBatch(50, { offset: dependency === "database" ? 2100 : 3100 }))
      await world.publish(eventFor(`${world.bucket}/${during}`))
      await waitFor("readiness to go 503", async () => (await world.ready()) === 503, 30_000)
      await new Promise((r) => setTimeout(r, 2_000))
      expect(await stored(during)).toBe(false)
      expect(await world.deadLetters()).toEqual([])

      await proxy.restore()
      await waitFor("the held batch to be stored", () => stored(during), 60_000)
      await waitFor("readiness to come back", async () => (await world.ready()) === 200, 30_000)
      expect(await world.deadLetters()).toEqual([])
      expect(await world.queueDepth()).toBe(0)
      expect(consumer.child.exitCode).toBeNull()
    }, 150_000)
  }
})

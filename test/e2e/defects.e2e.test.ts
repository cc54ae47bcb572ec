import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventFor, PROJECT_ID, rawBatch } from "../support/crawlerBatch.ts"
import { tcpProxy } from "../support/tcpProxy.ts"
import { makeWorld, waitFor, type World } from "./harness.ts"

/**
 * Regressions for defects found by hostile input and fault probes, each through the real
 * `consume` process, RabbitMQ, PostgreSQL and s3rver.
 */
describe("hostile events end to end", () => {
  let world: World
  let consumer: ReturnType<World["startConsumer"]>
  const rows = (table: string, where = "true") => world.count(table, where)
  const letterFor = async (eventId: string) =>
    (await world.deadLetters()).find((m) => JSON.parse(m.content.toString()).event_id === eventId)

  beforeAll(async () => {
    world = await makeWorld()
    consumer = world.startConsumer("node")
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
  }, 120_000)
  afterAll(async () => {
    await world?.close()
  }, 60_000)

  it("a path that climbs out of the bucket is dead-lettered INVALID_PATH and the other bucket's object is never stored", async () => {
    await world.uploadForeign("secret.json", rawBatch(3, { offset: 9000 }))
    const escapes = [
      `${world.bucket}/../${world.foreignBucket}/secret.json`,
      `${world.bucket}/tiktok/../../${world.foreignBucket}/secret.json`,
      `${world.bucket}/%2e%2e/${world.foreignBucket}/secret.json`
    ]
    for (const [i, path] of escapes.entries()) await world.publish({ ...eventFor(path), event_id: `escape-${i}` })
    await waitFor("three dead letters", async () => (await world.deadLetters()).length >= escapes.length)
    for (const i of escapes.keys()) {
      const letter = await letterFor(`escape-${i}`)
      expect(letter?.properties.headers?.["x-smap-error-code"]).toBe("INVALID_PATH")
    }
    expect(await rows("post_analytics")).toBe(0)
  })

  it("a dead-lettered batch leaves a failed ledger row with its reason; duplicates inside a batch are counted", async () => {
    const missing = `${world.bucket}/tiktok/${PROJECT_ID}/brand/missing.json`
    await world.publish({ ...eventFor(missing), event_id: "missing-object" })
    const notBatch = `tiktok/${PROJECT_ID}/brand/not_a_batch.json`
    await world.upload(notBatch, { posts: [] })
    await world.publish({ ...eventFor(`${world.bucket}/${notBatch}`), event_id: "not-a-batch" })
    const repeats = `tiktok/${PROJECT_ID}/brand/repeats.json`
    const items = rawBatch(10, { offset: 4000 })
    await world.upload(repeats, [...items, items[2], items[5]])
    await world.publish(eventFor(`${world.bucket}/${repeats}`))

    await waitFor("three ledger rows", async () => (await rows("batch_ledger", "object_path LIKE '%/brand/%'")) === 3)
    const ledger = await world.query<{ object_path: string; status: string; failure_reason: string | null; actual_size: number; stored_count: number; skipped_count: number; error_count: number; duplicate_count: number }>(
      "SELECT object_path, status, failure_reason, actual_size, stored_count, skipped_count, error_count, duplicate_count FROM batch_ledger ORDER BY object_path"
    )
    const byPath = new Map(ledger.map((l) => [l.object_path, l]))
    expect(byPath.get(missing)?.status).toBe("failed")
    expect(byPath.get(missing)?.failure_reason).toMatch(/^OBJECT_MISSING: /)
    expect(byPath.get(`${world.bucket}/${notBatch}`)?.failure_reason).toMatch(/^NOT_A_BATCH: /)
    const repeated = byPath.get(`${world.bucket}/${repeats}`)
    expect(repeated?.status).toBe("completed")
    expect(repeated?.actual_size).toBe(12)
    expect(repeated?.duplicate_count).toBe(2)
    const posts = await rows("post_analytics", "id::numeric BETWEEN 7576276451171884000 AND 7576276451171884999")
    expect((repeated?.stored_count ?? 0) + (repeated?.skipped_count ?? 0)).toBe(posts)
    expect((repeated?.stored_count ?? 0) + (repeated?.skipped_count ?? 0) + (repeated?.error_count ?? 0) + (repeated?.duplicate_count ?? 0))
      .toBe(repeated?.actual_size)
  })

  it("dead-letter log lines name the event, job, platform and path, and a huge event id cannot flood the log", async () => {
    const hugeId = `big-${"x".repeat(1024 * 1024)}`
    await world.publish({ ...eventFor(`${world.bucket}/tiktok/${PROJECT_ID}/brand/nothing_here.json`), event_id: hugeId })
    await waitFor("the dead letter", async () => (await world.deadLetters()).some((m) => m.content.length > 1024 * 1024))
    await waitFor("its log line", async () => consumer.logs().includes("nothing_here.json"))
    const lines = consumer.logs().split("\n").filter((l) => l.includes("dead-lettering"))
    const line = lines.find((l) => l.includes("nothing_here.json"))
    expect(line).toBeDefined()
    const entry = JSON.parse(line ?? "{}") as Record<string, unknown>
    const annotations = JSON.stringify(entry)
    expect(annotations).toContain("OBJECT_MISSING")
    expect(annotations).toContain(`${PROJECT_ID}-brand-0`)
    expect(annotations).toContain("TIKTOK")
    expect(annotations).toContain("big-xxxx")
    for (const l of consumer.logs().split("\n")) expect(l.length).toBeLessThan(8_000)
    const missingLine = lines.find((l) => l.includes("missing.json"))
    expect(missingLine).toContain("missing-object")
  })
})

describe("a silently stalled database connection, end to end", () => {
  let world: World
  let database: Awaited<ReturnType<typeof tcpProxy>>
  let consumer: ReturnType<World["startConsumer"]>
  const stored = async (path: string) =>
    (await world.query(`SELECT 1 FROM batch_ledger WHERE object_path = '${world.bucket}/${path}' AND status = 'completed'`)).length === 1

  beforeAll(async () => {
    world = await makeWorld()
    const dbUrl = new URL(world.env["DATABASE_URL"] ?? "")
    database = await tcpProxy(Number(dbUrl.port || "5432"))
    dbUrl.port = String(database.port)
    consumer = world.startConsumer("node", { DATABASE_URL: dbUrl.href, DATABASE_STATEMENT_TIMEOUT_MS: "2000" })
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
  }, 120_000)
  afterAll(async () => {
    await database?.close()
    await world?.close()
  }, 60_000)

  it("a write on a frozen connection times out: readiness goes 503, it is logged, and the batch is stored on a fresh connection", async () => {
    const before = `tiktok/${PROJECT_ID}/brand/stall_before.json`
    await world.upload(before, rawBatch(50, { offset: 5000 }))
    await world.publish(eventFor(`${world.bucket}/${before}`))
    await waitFor("the first batch", () => stored(before))

    database.freeze()
    const during = `tiktok/${PROJECT_ID}/brand/stall_during.json`
    await world.upload(during, rawBatch(50, { offset: 5100 }))
    await world.publish(eventFor(`${world.bucket}/${during}`))
    await waitFor("readiness to go 503", async () => (await world.ready()) === 503, 30_000).catch((e: unknown) => { throw new Error(`${String(e)}\n${consumer.logs().slice(-4000)}`) })
    expect(consumer.logs()).toMatch(/no answer from the database within \d+ ms/)
    await waitFor("the batch stored without anyone stepping in", () => stored(during), 60_000)
    await waitFor("readiness back", async () => (await world.ready()) === 200, 30_000)
    expect(await world.deadLetters()).toEqual([])
    expect(consumer.child.exitCode).toBeNull()
  }, 150_000)
})

describe("a broker outage, end to end", () => {
  let world: World
  let broker: Awaited<ReturnType<typeof tcpProxy>>
  let consumer: ReturnType<World["startConsumer"]>

  beforeAll(async () => {
    world = await makeWorld()
    const url = new URL(world.env["RABBITMQ_URL"] ?? "")
    broker = await tcpProxy(Number(url.port || "5672"))
    url.port = String(broker.port)
    consumer = world.startConsumer("node", { RABBITMQ_URL: url.href })
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
  }, 120_000)
  afterAll(async () => {
    await broker?.close()
    await world?.close()
  }, 60_000)

  it("after a 30 s outage the consumer is back within a few seconds: reconnect backoff is capped", async () => {
    const cut = performance.now()
    await broker.cut()
    await waitFor("readiness to go 503", async () => (await world.ready()) === 503, 15_000)
    // Uncapped doubling from 200 ms would try at 12.6 s and 25.4 s, then not before 51 s.
    await new Promise((r) => setTimeout(r, 30_000 - (performance.now() - cut)))
    await broker.restore()
    const restored = performance.now()
    await waitFor("readiness back", async () => (await world.ready()) === 200, 30_000)
    const recovery = performance.now() - restored
    const path = `tiktok/${PROJECT_ID}/brand/after_outage.json`
    await world.upload(path, rawBatch(20, { offset: 6000 }))
    await world.publish(eventFor(`${world.bucket}/${path}`))
    await waitFor("the batch after the outage", async () =>
      (await world.query(`SELECT 1 FROM batch_ledger WHERE object_path = '${world.bucket}/${path}'`)).length === 1, 30_000)
    // The reconnect waits at most 2 s between tries and readiness follows within 0.5 s.
    expect(recovery).toBeLessThan(4_000)
    expect(consumer.child.exitCode).toBeNull()
  }, 120_000)
})

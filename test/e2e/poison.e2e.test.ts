import { createServer, type Server, type Socket, connect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventFor, PROJECT_ID, rawBatch } from "../support/crawlerBatch.ts"
import { makeWorld, waitFor, type World } from "./harness.ts"

/**
 * A TCP proxy in front of the object store that calls `onRequest` with each chunk the consumer
 * sends: the test sees the moment the consumer asks for an object, i.e. starts processing
 * that batch.
 */
const spyingProxy = async (targetPort: number, onRequest: (chunk: string) => void) => {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1")
    sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on("error", drop).on("close", drop)
    upstream.on("error", drop).on("close", drop)
    client.on("data", (chunk: Buffer) => {
      onRequest(chunk.toString("latin1"))
      upstream.write(chunk)
    })
    upstream.on("data", (chunk: Buffer) => client.write(chunk))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    port,
    /** Stops listening and resets every connection (without waiting for the close to finish). */
    close: () => {
      server.close()
      for (const socket of sockets) socket.destroy()
    }
  }
}

const header = (headers: Record<string, unknown> | undefined, name: string) => {
  const value = headers?.[name]
  return Buffer.isBuffer(value) ? value.toString() : value
}

/**
 * No poison loop on the default configuration (issue 11, point 3): the event queue is a quorum
 * queue, so a batch whose processing kills the process (here: SIGKILL from the test the moment
 * the consumer fetches it, the way an out-of-memory kill or a native crash ends it) comes back
 * counted; once its deliveries exceed MAX_DELIVERY_ATTEMPTS the consumer dead-letters it POISON
 * without processing it again, and consumption goes on.
 */
describe("a batch that kills the consumer, end to end", () => {
  const MAX_ATTEMPTS = 3
  let world: World
  let proxy: Awaited<ReturnType<typeof spyingProxy>>
  let consumer: ReturnType<World["startConsumer"]> | null = null
  const poisonKey = `tiktok/${PROJECT_ID}/brand/poison_batch.json`
  let kills = 0

  beforeAll(async () => {
    world = await makeWorld()
    const s3Url = new URL(world.env["MINIO_ENDPOINT"] ?? "")
    proxy = await spyingProxy(Number(s3Url.port), (chunk) => {
      // The GET of the poison object: kill the process before it gets an answer.
      if (chunk.startsWith("GET ") && chunk.includes("poison_batch.json") && consumer !== null && !consumer.child.killed) {
        consumer.child.kill("SIGKILL")
        kills += 1
      }
    })
  }, 120_000)
  afterAll(async () => {
    await world?.close()
    proxy?.close()
  }, 60_000)

  it("is delivered MAX_DELIVERY_ATTEMPTS times, each killing the consumer, then dead-lettered POISON; the next batch is stored", async () => {
    const s3Url = new URL(world.env["MINIO_ENDPOINT"] ?? "")
    s3Url.port = String(proxy.port)
    // Defaults everywhere but the attempt limit (fewer restarts) and the proxied object store;
    // EVENT_QUEUE_TYPE is not set: quorum is the default.
    const env = { MINIO_ENDPOINT: s3Url.href, MAX_DELIVERY_ATTEMPTS: String(MAX_ATTEMPTS) }
    await world.upload(poisonKey, rawBatch(20, { offset: 7000 }))
    const start = () => {
      consumer = world.startConsumer("node", env)
      return consumer
    }

    let current = start()
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
    await world.publish({ ...eventFor(`${world.bucket}/${poisonKey}`), event_id: "evt_poison_e2e" })

    // Each delivery of the poison batch kills the consumer; restart it until the batch is gone.
    const deadline = performance.now() + 90_000
    let exits = 0
    while ((await world.deadLetters()).length === 0) {
      if (performance.now() > deadline) throw new Error(`no dead letter after ${kills} kills:\n${current.logs().slice(-3000)}`)
      const exited = await Promise.race([current.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 250))])
      if (!exited) continue
      exits += 1
      expect(exits).toBeLessThanOrEqual(MAX_ATTEMPTS)
      current = start()
    }
    expect(kills).toBe(MAX_ATTEMPTS)

    const [dead, ...more] = await world.deadLetters()
    expect(more).toEqual([])
    const headers = dead?.properties.headers
    expect(header(headers, "x-smap-error-code")).toBe("POISON")
    expect(header(headers, "x-smap-attempts")).toBe(MAX_ATTEMPTS + 1)
    expect(header(headers, "x-smap-event-id")).toBe("evt_poison_e2e")
    expect(String(header(headers, "x-smap-error-message"))).toContain(`delivered ${MAX_ATTEMPTS + 1} times`)
    // The service moved it, not the broker's delivery limit.
    expect(headers?.["x-first-death-reason"]).toBeUndefined()
    expect(JSON.parse(dead?.content.toString() ?? "null")).toMatchObject({ event_id: "evt_poison_e2e" })

    // Nothing of the batch was written; its ledger row says why.
    const ledger = await world.query<{ status: string; failure_reason: string }>(
      `SELECT status, failure_reason FROM batch_ledger WHERE object_path = '${world.bucket}/${poisonKey}'`
    )
    expect(ledger).toHaveLength(1)
    expect(ledger[0]?.status).toBe("failed")
    expect(ledger[0]?.failure_reason).toMatch(/^POISON: /)
    expect(await world.count("post_analytics")).toBe(0)
    expect(await world.queueDepth()).toBe(0)
    await waitFor("the POISON dead letter on /metrics", async () =>
      /analytics_dead_letters_total\{code="POISON"\} 1\b/.test(await world.metrics()))

    // The consumer that dead-lettered it is alive and goes on with the next batch.
    expect(current.child.exitCode).toBeNull()
    const next = `tiktok/${PROJECT_ID}/brand/after_poison.json`
    await world.upload(next, rawBatch(10, { offset: 7100 }))
    await world.publish(eventFor(`${world.bucket}/${next}`))
    await waitFor("the next batch stored", async () =>
      (await world.count("batch_ledger", `object_path = '${world.bucket}/${next}' AND status = 'completed'`)) === 1)
    expect(kills).toBe(MAX_ATTEMPTS)
  }, 180_000)
})

import { connect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeWorld, waitFor, type World } from "./harness.ts"
import { freePort } from "../support/ports.ts"

/**
 * Issue 11, point 6, end to end: the real binary, run with distinctive passwords for the
 * database, the broker and the object store, never prints them, in a log line, an error
 * message, `validate`'s report, /metrics or /readyz, whether it starts, fails to start or
 * runs with a dependency refusing it; and the ops HTTP endpoints answer bad requests with 4xx
 * and expose nothing sensitive.
 */
const SECRETS = {
  database: "pgPw-7f3aQ9zKx",
  broker: "mqPw-4bX2rT8wy",
  storageSecret: "s3Pw-9cV1nM6pz",
  storageKey: "s3Key-2hJ5dL0qv"
} as const

/** Every secret and the forms it could leak in (URL-encoded, base64 as in a Basic header). */
const leakForms = Object.values(SECRETS).flatMap((s) => [s, encodeURIComponent(s), Buffer.from(s).toString("base64").slice(0, 12)])

const expectNoSecret = (what: string, output: string) => {
  for (const form of leakForms) expect(output.includes(form), `${what} contains a secret (${form}):\n${output.slice(0, 2000)}`).toBe(false)
}

const closedPort = freePort

/** One raw HTTP exchange, for requests fetch() refuses to send. */
const rawHttp = (port: number, request: string) =>
  new Promise<string>((resolve) => {
    const socket = connect(port, "127.0.0.1")
    let answer = ""
    socket.on("data", (d: Buffer) => { answer += d.toString("latin1") })
    socket.on("error", () => resolve(answer))
    socket.on("close", () => resolve(answer))
    socket.setTimeout(5_000, () => socket.destroy())
    socket.write(request)
  })
const statusOf = (answer: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? "0")

describe("secrets and the ops endpoints, end to end", () => {
  let world: World
  let urls: { database: string; broker: string; storage: string; deadDatabase: string; deadBroker: string; deadStorage: string }

  beforeAll(async () => {
    world = await makeWorld()
    // PostgreSQL trusts local connections, so the password is carried but not needed: the
    // service really runs with it. The broker and the store refuse theirs.
    const database = new URL(world.env["DATABASE_URL"] ?? "")
    database.username = "postgres"
    database.password = SECRETS.database
    const broker = new URL(world.env["RABBITMQ_URL"] ?? "")
    broker.password = SECRETS.broker
    const [p1, p2, p3] = [await closedPort(), await closedPort(), await closedPort()]
    const deadDatabase = new URL(database.href)
    deadDatabase.port = String(p1)
    const deadBroker = new URL(broker.href)
    deadBroker.port = String(p2)
    urls = {
      database: database.href,
      broker: broker.href,
      storage: world.env["MINIO_ENDPOINT"] ?? "",
      deadDatabase: deadDatabase.href,
      deadBroker: deadBroker.href,
      deadStorage: `http://127.0.0.1:${p3}`
    }
  }, 120_000)
  afterAll(async () => {
    await world?.close()
  }, 150_000)

  const secretEnv = (overrides: Record<string, string> = {}) => ({
    DATABASE_URL: urls.database,
    MINIO_ACCESS_KEY: SECRETS.storageKey,
    MINIO_SECRET_KEY: SECRETS.storageSecret,
    ...overrides
  })

  it("failed start-ups and validate print no secret", async () => {
    const runs = await Promise.all([
      // Every dependency unreachable.
      world.cli(["validate"], secretEnv({ DATABASE_URL: urls.deadDatabase, RABBITMQ_URL: urls.deadBroker, MINIO_ENDPOINT: urls.deadStorage })),
      world.cli(["validate", "--json"], secretEnv({ RABBITMQ_URL: urls.broker })),
      // Invalid configuration that carries the secrets.
      world.cli(["validate"], secretEnv({ DATABASE_URL: `postgres://u:${SECRETS.database}@127.0.0.1:99999/db` })),
      world.cli(["consume"], secretEnv({ RABBITMQ_URL: `amqp://u:${SECRETS.broker}@[::1` })),
      world.cli(["consume"], secretEnv({ MINIO_ENDPOINT: `ftp://${SECRETS.storageKey}:${SECRETS.storageSecret}@127.0.0.1:9000` })),
      world.cli(["migrate", "status"], secretEnv({ DATABASE_URL: urls.deadDatabase })),
      world.cli(["dead-letters", "list"], secretEnv({ RABBITMQ_URL: urls.broker })),
      // A refused broker login stops consume at once, with one line naming the broker.
      world.cli(["consume"], secretEnv({ RABBITMQ_URL: urls.broker })),
      // So does a key the store refuses.
      world.cli(["consume"], secretEnv())
    ])
    for (const [i, run] of runs.entries()) {
      expect(run.code, `run ${i} should fail:\n${run.stdout}\n${run.stderr}`).not.toBe(0)
      expect(`${run.stdout}${run.stderr}`.length, `run ${i} says why`).toBeGreaterThan(0)
      expectNoSecret(`run ${i}`, `${run.stdout}\n${run.stderr}`)
    }
    // validate names the broker's refusal without the password.
    expect(runs[1]?.stdout).toMatch(/FAIL|"ok": false/)
  }, 150_000)

  it("a running consumer whose broker is down logs, serves /metrics and /readyz, and prints no secret; bad requests get 4xx", async () => {
    // The broker (its URL carrying the password) is unreachable, so the consumer keeps running,
    // retrying and not ready, with every secret in its configuration.
    // (The store's key is the world's own: a refused key stops consume at start-up, see above.)
    const consumer = world.startConsumer("node", { DATABASE_URL: urls.database, RABBITMQ_URL: urls.deadBroker })
    const port = Number(world.env["METRICS_PORT"])
    await waitFor("the ops server answering", async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200
      } catch {
        return false
      }
    }, 60_000)
    await waitFor("the broker named down in the logs", async () => /rabbitmq|broker/i.test(consumer.logs()), 60_000)
    // Readiness says which dependency is down, without its credentials.
    const readyz = await fetch(`http://127.0.0.1:${port}/readyz`)
    expect(readyz.status).toBe(503)
    const report = await readyz.text()
    expectNoSecret("/readyz", report)
    const metrics = await world.metrics()
    expectNoSecret("/metrics", metrics)
    // No configuration value of any kind is exported as a label.
    expect(metrics).not.toContain(world.names.EVENT_QUEUE_NAME)
    expect(metrics).not.toContain("127.0.0.1")
    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(healthz.status).toBe(200)
    expect(await healthz.text()).toBe(JSON.stringify({ status: "ok" }))

    const bad = [
      ["GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "unknown path"],
      ["GET /metrics/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "path traversal"],
      ["POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", "wrong method"],
      ["DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "wrong method"],
      ["GARBAGE\r\n\r\n", "malformed request line"],
      ["GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", "malformed header"],
      [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\nConnection: close\r\n\r\n`, "oversized headers"],
      ["GET /%00%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "NUL in the path"]
    ] as const
    for (const [request, what] of bad) {
      const answer = await rawHttp(port, request)
      const status = statusOf(answer)
      expect(status >= 400 && status < 500, `${what}: ${answer.slice(0, 200)}`).toBe(true)
      expectNoSecret(what, answer)
    }
    // A query string is ignored, never reflected.
    const probe = await fetch(`http://127.0.0.1:${port}/healthz?x=%3Cscript%3E`)
    expect(await probe.text()).not.toContain("script")
    // Still alive after all that.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)

    consumer.child.kill("SIGTERM")
    await consumer.exited
    expectNoSecret("consumer logs", consumer.logs())
  }, 150_000)
})

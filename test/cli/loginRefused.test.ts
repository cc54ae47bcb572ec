import { spawn } from "node:child_process"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeRabbitConnection } from "../../src/adapters/rabbitmq/connection.ts"
import { isLoginRefused } from "../../src/adapters/rabbitmq/errors.ts"
import { reasonForSqlState } from "../../src/adapters/postgres/sqlState.ts"
import { toStorageError } from "../../src/adapters/s3/errors.ts"
import { testSettings } from "../support/testServices.ts"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const BIN = join(ROOT, "bin/smap-analytics.js")

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** The real binary, asynchronously: the fake S3 server in this process must be able to answer. */
const run = (args: ReadonlyArray<string>, env: Record<string, string>, timeoutMs = 90_000) =>
  new Promise<Run>((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, METRICS_ENABLED: "false", LOG_FORMAT: "json", ...env }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString() })
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("exit", (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr, ms: performance.now() - started })
    })
  })

const withUser = (url: string, user: string, password: string | null) => {
  const parsed = new URL(url)
  parsed.username = user
  parsed.password = password ?? ""
  return parsed.toString()
}

const rabbitWrongPassword = withUser(testSettings.rabbitmq.value, new URL(testSettings.rabbitmq.value).username || "guest", "not-the-password")
// The test cluster trusts every local login, so a role that does not exist stands for a refused
// login: PostgreSQL answers 28000 (invalid authorization), the class a wrong password (28P01) is in.
const postgresNoSuchRole = withUser(testSettings.database.value, "smap_no_such_role", null)

/** A refused login is one line that says so, not "unreachable" after retries. */
const expectRefused = (result: Run, dependency: RegExp) => {
  expect(result.status, result.stderr.slice(-1500)).toBe(1)
  expect(result.stderr).toMatch(dependency)
  expect(result.stderr).not.toMatch(/unreachable, retrying|no connection within/)
  expect(result.stderr + result.stdout).not.toContain("not-the-password")
  // It stops by itself: retrying, consume would run until killed (status null), and the tools would
  // give up only after their 10 s connection wait, saying "no connection within".
  expect(result.ms).toBeLessThan(80_000)
}

describe("classification of refused logins", () => {
  it("PostgreSQL SQLSTATE class 28 (wrong password, unknown role) is Unavailable, not a batch's fault", () => {
    expect(reasonForSqlState("28P01")).toBe("Unavailable")
    expect(reasonForSqlState("28000")).toBe("Unavailable")
  })

  it("RabbitMQ ACCESS_REFUSED on connection open is a refused login; a closed port is not", () => {
    expect(isLoginRefused(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"'))).toBe(true)
    expect(isLoginRefused(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5672"), { code: "ECONNREFUSED" }))).toBe(false)
  })

  it("S3 InvalidAccessKeyId, SignatureDoesNotMatch and AccessDenied say 'S3 login refused'", () => {
    for (const code of ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"]) {
      const error = toStorageError(Object.assign(new Error("refused"), { code }), "HEAD bucket b")
      expect(error.reason).toBe("Unavailable")
      expect(error.message).toContain(`S3 login refused (${code}`)
    }
    expect(toStorageError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }), "HEAD bucket b").message).not.toContain("login refused")
  })
})

describe("a refused RabbitMQ login (wrong password) is reported at once", () => {
  it("the connection fails to start, with the broker's refusal, instead of retrying in the background", async () => {
    const { Effect, Redacted } = await import("effect")
    const error = await Effect.runPromise(Effect.flip(Effect.scoped(makeRabbitConnection({ url: Redacted.make(rabbitWrongPassword) }))))
    expect(error.message).toMatch(/^RabbitMQ login refused at amqp:\/\/127\.0\.0\.1:5672\/? \(check the user, password and vhost in RABBITMQ_URL\): .*ACCESS.REFUSED/)
    expect(error.message).not.toContain("not-the-password")
  })


  const env = { RABBITMQ_URL: rabbitWrongPassword }
  for (const args of [["consume"], ["dead-letters", "list"], ["dead-letters", "replay", "--all"]]) {
    it(args.join(" "), async () => {
      expectRefused(await run(args, env), /^smap-analytics [a-z -]+: RabbitMQ login refused at amqp:\/\/127\.0\.0\.1:5672\/? \(check the user, password and vhost in RABBITMQ_URL\)/m)
    }, 120_000)
  }

  it("validate reports it as the broker's finding, on stdout", async () => {
    const result = await run(["validate", "--json"], env)
    expect(result.status).toBe(1)
    const report = JSON.parse(result.stdout) as { results: Array<{ group: string; name: string; ok: boolean; detail: string }> }
    expect(report.results.find((r) => r.group === "rabbitmq")).toMatchObject({ name: "connection", ok: false, detail: expect.stringContaining("RabbitMQ login refused") })
  }, 120_000)
})

describe("a refused PostgreSQL login is reported at once", () => {
  const env = { DATABASE_URL: postgresNoSuchRole }
  for (const args of [["consume"], ["migrate", "up"], ["migrate", "status"]]) {
    it(args.join(" "), async () => {
      expectRefused(await run(args, env), /PostgreSQL login refused \(check the user and password in DATABASE_URL\).*role "smap_no_such_role" does not exist \(SQLSTATE 28000\)/)
    }, 120_000)
  }

  it("validate reports it as the database's finding", async () => {
    const result = await run(["validate", "--json"], env)
    expect(result.status).toBe(1)
    const report = JSON.parse(result.stdout) as { results: Array<{ group: string; name: string; ok: boolean; detail: string }> }
    expect(report.results.find((r) => r.group === "postgres" && r.name === "database")).toMatchObject({
      ok: false,
      detail: expect.stringContaining("PostgreSQL login refused")
    })
  }, 120_000)
})

/**
 * s3rver does not check signatures: a loopback server that refuses every request the way S3
 * does a wrong key (403 with an InvalidAccessKeyId body; a HEAD's 403 has no body).
 */
describe("a refused S3 login (wrong key) is reported at once", () => {
  let server: Server
  let endpoint = ""
  beforeAll(async () => {
    server = createServer((request, response) => {
      response.writeHead(403, { "content-type": "application/xml" })
      response.end(
        request.method === "HEAD"
          ? undefined
          : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>'
      )
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it("consume", async () => {
    const result = await run(["consume"], { MINIO_ENDPOINT: endpoint, RABBITMQ_URL: testSettings.rabbitmq.value, DATABASE_URL: testSettings.database.value })
    expectRefused(result, /^smap-analytics consume: HEAD bucket crawl-results on http:\/\/127\.0\.0\.1:\d+: S3 login refused \(AccessDenied; check MINIO_ACCESS_KEY and MINIO_SECRET_KEY\)$/m)
  }, 120_000)

  it("validate reports it as the storage's finding", async () => {
    const result = await run(["validate", "--json"], { MINIO_ENDPOINT: endpoint })
    expect(result.status).toBe(1)
    const report = JSON.parse(result.stdout) as { results: Array<{ group: string; ok: boolean; detail: string }> }
    expect(report.results.find((r) => r.group === "storage")).toMatchObject({ ok: false, detail: expect.stringContaining("S3 login refused") })
  }, 120_000)

  it("a GET answered with an InvalidAccessKeyId body is classified by that code", async () => {
    const { makeBatchStorageS3 } = await import("../../src/adapters/s3/BatchStorage.ts")
    const { Effect, Redacted } = await import("effect")
    const storage = makeBatchStorageS3({
      endpoint: new URL(endpoint),
      accessKey: Redacted.make("wrong"),
      secretKey: Redacted.make("wrong"),
      region: "us-east-1",
      buckets: ["crawl-results"],
      timeoutMs: 5_000
    })
    const error = await Effect.runPromise(Effect.flip(storage.get({ bucket: "crawl-results", key: "tiktok/p/brand/batch_000.json" }, 1 << 20)))
    expect(error.reason).toBe("Unavailable")
    expect(error.message).toContain("S3 login refused (InvalidAccessKeyId")
  })
})

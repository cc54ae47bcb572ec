import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { randomBytes } from "node:crypto"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import { TEST_DATABASE_URL } from "../postgres/testDatabase.ts"
import { rabbitUrl } from "../support/rabbit.ts"
import { testServiceSettings } from "../support/testServices.ts"
import { ensureService, findExecutable, pgCreateDatabase, pgProbe, quoteIdentifier, rabbitProbe, realClock, realServices, startCommand } from "./services.ts"
import { freePort } from "../support/ports.ts"

/**
 * The global setup's probes and commands against this machine's real servers (which the global
 * setup has already made sure of). Nothing here stops a server: starting one is covered by the
 * decision tests in services.test.ts.
 */
const closedPort = freePort

const withDatabase = (url: string, database: string) => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

describe("PostgreSQL probe and database creation", () => {
  it("the tests' server answers; a closed port is unreachable; a missing database is told apart", async () => {
    assert.deepStrictEqual(await pgProbe(TEST_DATABASE_URL)(), { _tag: "Up" })
    const closed = new URL(TEST_DATABASE_URL)
    closed.host = `127.0.0.1:${await closedPort()}`
    assert.strictEqual((await pgProbe(closed.toString())())._tag, "Unreachable")
    const missing = await pgProbe(withDatabase(TEST_DATABASE_URL, `nodb_${randomBytes(4).toString("hex")}`))()
    assert.strictEqual(missing._tag, "NoDatabase")
  })

  it("a missing database in the URL is created by the setup, and a second creation (a concurrent run) is harmless", async () => {
    const name = `setup_${randomBytes(4).toString("hex")}`
    const url = withDatabase(TEST_DATABASE_URL, name)
    const [postgres] = realServices(testServiceSettings({ SMAP_TEST_DATABASE_URL: url }))
    if (postgres === undefined) return assert.fail("no PostgreSQL service")
    try {
      const outcome = await ensureService(postgres, realClock)
      assert.deepStrictEqual(outcome, { _tag: "Ready", name: "PostgreSQL", actions: [`created database ${name}`] })
      assert.deepStrictEqual(await pgProbe(url)(), { _tag: "Up" })
      assert.strictEqual(await pgCreateDatabase(url)(), `database ${name} created meanwhile by another run`)
    } finally {
      await Effect.runPromise(
        Effect.provide(Effect.flatMap(SqlClient, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`)), layerPgClient({ url: Redacted.make(TEST_DATABASE_URL), maxConnections: 1 })).pipe(Effect.scoped)
      )
    }
  })
})

describe("RabbitMQ probe", () => {
  it("the tests' broker answers; a closed port is unreachable; wrong credentials are refused", async () => {
    assert.deepStrictEqual(await rabbitProbe(rabbitUrl)(), { _tag: "Up" })
    const closed = new URL(rabbitUrl)
    closed.host = `127.0.0.1:${await closedPort()}`
    assert.strictEqual((await rabbitProbe(closed.toString())())._tag, "Unreachable")
    const wrong = new URL(rabbitUrl)
    wrong.username = "guest"
    wrong.password = `wrong-${randomBytes(4).toString("hex")}`
    const refused = await rabbitProbe(wrong.toString())()
    assert.strictEqual(refused._tag, "Rejected")
    assert.match(refused._tag === "Rejected" ? refused.detail : "", /ACCESS.REFUSED|403/)
  })
})

describe("start commands", () => {
  it("returns when the command exits, even while a daemon it left holds its output open", async () => {
    const sh = findExecutable("sh") ?? assert.fail("no sh")
    const started = Date.now()
    const result = await startCommand([sh, "-c", "sleep 5 & echo daemon started"], 10_000)
    assert.isBelow(Date.now() - started, 4_000)
    assert.deepStrictEqual(result, { ok: true, output: "daemon started\n" })
  })

  it("a failing command reports its output and exit status; a missing one says so", async () => {
    const sh = findExecutable("sh") ?? assert.fail("no sh")
    assert.deepStrictEqual(await startCommand([sh, "-c", "echo Cluster is already running. >&2; exit 2"]), { ok: false, output: "Cluster is already running.\n (exit 2)" })
    const missing = await startCommand(["/nonexistent/pg_ctlcluster", "start"])
    assert.isFalse(missing.ok)
    assert.match(missing.output, /ENOENT/)
  })

  it("a command that does not exit within its bound is killed and reported", async () => {
    const sh = findExecutable("sh") ?? assert.fail("no sh")
    const result = await startCommand([sh, "-c", "echo waiting; exec sleep 30"], 500)
    assert.deepStrictEqual(result, { ok: false, output: "waiting\n (no exit within 0.5 s)" })
  })
})

import { assert, describe, it } from "@effect/vitest"
import { DEFAULT_TEST_DATABASE_URL, DEFAULT_TEST_RABBITMQ_URL, testServiceSettings } from "../support/testServices.ts"
import {
  checkChromium,
  type Clock,
  classifyPgFailure,
  displayUrl,
  ensureService,
  type Installation,
  isLoopbackUrl,
  type Outcome,
  parseClusters,
  pgInstallationFrom,
  POLL_MS,
  type Probe,
  rabbitInstallationFrom,
  type Service,
  setupProblem
} from "./services.ts"

/** A clock that only moves when the code under test sleeps. */
const fakeClock = () => {
  let now = 0
  const sleeps: Array<number> = []
  const clock: Clock = {
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms)
      now += ms
      return Promise.resolve()
    }
  }
  return { clock, sleeps }
}

const up: Probe = { _tag: "Up" }
const refused: Probe = { _tag: "Unreachable", detail: "connect ECONNREFUSED 127.0.0.1:5432" }
const startable: Installation = { _tag: "Startable", what: "cluster 15/main", command: ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"] }

/**
 * A service whose probe answers from a script (the last answer repeats) and which records
 * every installation check, start and database creation.
 */
const scripted = (options: {
  readonly probes: ReadonlyArray<Probe>
  readonly installation?: Installation
  readonly start?: { readonly ok: boolean; readonly output: string }
  readonly url?: string
  readonly variable?: string
  readonly createDatabase?: () => Promise<string>
}) => {
  const calls = { probes: 0, installations: 0, starts: [] as Array<ReadonlyArray<string>>, creates: 0 }
  const service: Service = {
    name: "PostgreSQL",
    setting: { value: options.url ?? DEFAULT_TEST_DATABASE_URL, variable: options.variable },
    variable: "SMAP_TEST_DATABASE_URL",
    debianPackage: "postgresql",
    readyWithinMs: 10_000,
    probe: () => {
      const probe = options.probes[Math.min(calls.probes, options.probes.length - 1)] ?? up
      calls.probes++
      return Promise.resolve(probe)
    },
    installation: () => {
      calls.installations++
      return Promise.resolve(options.installation ?? { _tag: "NotInstalled" })
    },
    start: (command) => {
      calls.starts.push(command)
      return Promise.resolve(options.start ?? { ok: true, output: "" })
    },
    createDatabase: () => {
      calls.creates++
      return options.createDatabase?.() ?? Promise.resolve("created database test")
    }
  }
  return { service, calls }
}

const failure = (outcome: Outcome): string => {
  if (outcome._tag !== "Failed") return assert.fail(`expected Failed, got ${JSON.stringify(outcome)}`)
  return outcome.problem
}

describe("ensureService: what the global setup does with one server", () => {
  it("a server that answers is used as it is: nothing is checked, started or created", async () => {
    const { service, calls } = scripted({ probes: [up], installation: startable })
    const outcome = await ensureService(service, fakeClock().clock)
    assert.deepStrictEqual(outcome, { _tag: "Ready", name: "PostgreSQL", actions: [] })
    assert.deepStrictEqual(calls, { probes: 1, installations: 0, starts: [], creates: 0 })
  })

  it("installed but down on loopback: started once with its command, then waited for until it answers", async () => {
    const { service, calls } = scripted({ probes: [refused, refused, refused, { _tag: "Starting", detail: "the database system is starting up" }, up], installation: startable })
    const { clock, sleeps } = fakeClock()
    const outcome = await ensureService(service, clock)
    assert.deepStrictEqual(outcome, { _tag: "Ready", name: "PostgreSQL", actions: ["started PostgreSQL (cluster 15/main)"] })
    assert.deepStrictEqual(calls.starts, [["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"]])
    assert.strictEqual(calls.probes, 5)
    assert.deepStrictEqual(sleeps, [POLL_MS, POLL_MS, POLL_MS, POLL_MS])
  })

  it("not installed and nothing answers: Missing (one of the things to install), nothing started", async () => {
    const { service, calls } = scripted({ probes: [refused] })
    const outcome = await ensureService(service, fakeClock().clock)
    assert.deepStrictEqual(outcome, {
      _tag: "Missing",
      name: "PostgreSQL",
      debianPackage: "postgresql",
      variable: "SMAP_TEST_DATABASE_URL",
      where: "postgres://postgres@127.0.0.1:5432/test",
      server: true
    })
    assert.deepStrictEqual(calls.starts, [])
    const given = scripted({ probes: [refused], url: "postgres://postgres@127.0.0.1:5999/test", variable: "SMAP_TEST_DATABASE_URL" })
    const outcome2 = await ensureService(given.service, fakeClock().clock)
    assert.strictEqual(outcome2._tag === "Missing" ? outcome2.where : "", "postgres://postgres@127.0.0.1:5999/test (SMAP_TEST_DATABASE_URL)")
  })

  it("a server on another host, given by the variable, is never started: it fails at once", async () => {
    const { service, calls } = scripted({ probes: [refused], installation: startable, url: "postgres://app:s3cret@db.internal:5432/test", variable: "SMAP_TEST_DATABASE_URL" })
    const problem = failure(await ensureService(service, fakeClock().clock))
    assert.match(problem, /^PostgreSQL at postgres:\/\/app@db\.internal:5432\/test \(SMAP_TEST_DATABASE_URL\) is unreachable \(connect ECONNREFUSED/)
    assert.notInclude(problem, "s3cret")
    assert.deepStrictEqual({ installations: calls.installations, starts: calls.starts.length, probes: calls.probes }, { installations: 0, starts: 0, probes: 1 })
  })

  it("a start command that fails ends it at once with the command's output", async () => {
    const { service, calls } = scripted({
      probes: [refused],
      installation: startable,
      start: { ok: false, output: "Error: You must run this program as the cluster owner (postgres) or root\n (exit 1)" }
    })
    const { clock, sleeps } = fakeClock()
    const problem = failure(await ensureService(service, clock))
    assert.strictEqual(
      problem,
      "PostgreSQL (cluster 15/main) is installed but down, and `pg_ctlcluster --skip-systemctl-redirect 15 main start` failed: Error: You must run this program as the cluster owner (postgres) or root (exit 1); start it yourself (with sudo) or set SMAP_TEST_DATABASE_URL to a running server"
    )
    assert.deepStrictEqual(sleeps, [])
    assert.strictEqual(calls.probes, 1)
  })

  it("started meanwhile by another test run ('already running'): waits for it like for its own", async () => {
    const { service } = scripted({ probes: [refused, refused, up], installation: startable, start: { ok: false, output: "Cluster is already running. (exit 2)" } })
    const outcome = await ensureService(service, fakeClock().clock)
    assert.strictEqual(outcome._tag, "Ready")
  })

  it("never answering after the start fails after readyWithinMs, having probed about every POLL_MS", async () => {
    const { service, calls } = scripted({ probes: [refused], installation: startable })
    const { clock, sleeps } = fakeClock()
    const problem = failure(await ensureService(service, clock))
    assert.strictEqual(problem, "PostgreSQL at postgres://postgres@127.0.0.1:5432/test was not ready within 10 s after `pg_ctlcluster --skip-systemctl-redirect 15 main start` (connect ECONNREFUSED 127.0.0.1:5432)")
    assert.strictEqual(sleeps.length, 10_000 / POLL_MS)
    assert.strictEqual(calls.probes, 10_000 / POLL_MS + 1)
    assert.strictEqual(calls.starts.length, 1)
  })

  it("a server that is starting up is waited for and not started again", async () => {
    const { service, calls } = scripted({ probes: [{ _tag: "Starting", detail: "the database system is starting up" }, up], installation: startable })
    assert.deepStrictEqual(await ensureService(service, fakeClock().clock), { _tag: "Ready", name: "PostgreSQL", actions: [] })
    assert.deepStrictEqual(calls.starts, [])
  })

  it("the database missing: created, then the server is probed again", async () => {
    const { service, calls } = scripted({ probes: [{ _tag: "NoDatabase", detail: "database \"test\" does not exist" }, up] })
    assert.deepStrictEqual(await ensureService(service, fakeClock().clock), { _tag: "Ready", name: "PostgreSQL", actions: ["created database test"] })
    assert.strictEqual(calls.creates, 1)
  })

  it("started and then missing its database: both happen, in that order", async () => {
    const { service } = scripted({ probes: [refused, { _tag: "NoDatabase", detail: "database \"test\" does not exist" }, up], installation: startable })
    const outcome = await ensureService(service, fakeClock().clock)
    assert.deepStrictEqual(outcome, { _tag: "Ready", name: "PostgreSQL", actions: ["started PostgreSQL (cluster 15/main)", "created database test"] })
  })

  it("creating the database fails: says so with the server's reason; a database still missing after creating it is not retried", async () => {
    const refusedCreate = scripted({ probes: [{ _tag: "NoDatabase", detail: "x" }], createDatabase: () => Promise.reject(new Error("permission denied to create database")) })
    assert.match(failure(await ensureService(refusedCreate.service, fakeClock().clock)), /the database is missing and creating it failed: permission denied to create database$/)
    const stillMissing = scripted({ probes: [{ _tag: "NoDatabase", detail: "database \"test\" does not exist" }] })
    assert.match(failure(await ensureService(stillMissing.service, fakeClock().clock)), /still missing after creating it/)
    assert.strictEqual(stillMissing.calls.creates, 1)
  })

  it("a server that refuses the credentials is neither started nor waited for: fix the variable", async () => {
    const { service, calls } = scripted({ probes: [{ _tag: "Rejected", detail: "password authentication failed for user \"app\"" }], installation: startable })
    const { clock, sleeps } = fakeClock()
    assert.strictEqual(
      failure(await ensureService(service, clock)),
      "PostgreSQL at postgres://postgres@127.0.0.1:5432/test refuses the tests: password authentication failed for user \"app\"; fix SMAP_TEST_DATABASE_URL"
    )
    assert.deepStrictEqual({ starts: calls.starts.length, sleeps: sleeps.length }, { starts: 0, sleeps: 0 })
  })

  it("installed but not startable by the tests: the reason, at once", async () => {
    const { service } = scripted({ probes: [refused], installation: { _tag: "NotStartable", detail: "no PostgreSQL cluster listens on port 5432 (pg_lsclusters: 15/main on 5433)" } })
    assert.strictEqual(
      failure(await ensureService(service, fakeClock().clock)),
      "PostgreSQL: nothing answers at postgres://postgres@127.0.0.1:5432/test (connect ECONNREFUSED 127.0.0.1:5432) and no PostgreSQL cluster listens on port 5432 (pg_lsclusters: 15/main on 5433), or set SMAP_TEST_DATABASE_URL to a running server"
    )
  })
})

describe("setupProblem: one line for everything that stops the run", () => {
  const missingPg: Outcome = { _tag: "Missing", name: "PostgreSQL", debianPackage: "postgresql", variable: "SMAP_TEST_DATABASE_URL", where: "postgres://postgres@127.0.0.1:5432/test", server: true }
  const missingRabbit: Outcome = { _tag: "Missing", name: "RabbitMQ", debianPackage: "rabbitmq-server", variable: "SMAP_TEST_RABBITMQ_URL", where: "amqp://guest@127.0.0.1:5672", server: true }
  const missingChromium = checkChromium({ value: "/usr/bin/chromium", variable: undefined }, () => false)

  it("nothing missing: no problem", () => {
    assert.strictEqual(setupProblem([{ _tag: "Ready", name: "PostgreSQL", actions: [] }, checkChromium({ value: "/usr/bin/chromium", variable: undefined }, () => true)]), undefined)
  })

  it("nothing installed on a fresh machine: what to install in one command, the compose file, the variables", () => {
    const message = setupProblem([missingPg, missingRabbit, missingChromium]) ?? assert.fail("no problem reported")
    assert.strictEqual(
      message,
      "Test setup: not installed: PostgreSQL (nothing at postgres://postgres@127.0.0.1:5432/test), RabbitMQ (nothing at amqp://guest@127.0.0.1:5672), Chromium (nothing at /usr/bin/chromium); " +
        "install with `sudo apt-get install -y postgresql rabbitmq-server chromium` (Debian/Ubuntu; the tests start the servers themselves), " +
        "or start the servers with `docker compose -f deploy/test-services.compose.yaml up -d`, or point SMAP_TEST_DATABASE_URL, SMAP_TEST_RABBITMQ_URL, CHROMIUM_PATH at existing ones (README.md, \"Tests\")"
    )
    assert.notInclude(message, "\n")
  })

  it("only the browser missing: no compose file (it has no browser); failures follow on the same line", () => {
    const message = setupProblem([missingChromium, { _tag: "Failed", problem: "RabbitMQ at amqp://guest@mq:5672 (SMAP_TEST_RABBITMQ_URL) is unreachable (x)" }]) ?? assert.fail("no problem reported")
    assert.notInclude(message, "docker compose")
    assert.match(message, /^Test setup: not installed: Chromium \(nothing at \/usr\/bin\/chromium\); install with `sudo apt-get install -y chromium` .*, or point CHROMIUM_PATH at an existing one; RabbitMQ at amqp:\/\/guest@mq:5672 \(SMAP_TEST_RABBITMQ_URL\) is unreachable \(x\) \(README\.md, "Tests"\)$/)
  })

  it("a CHROMIUM_PATH that is not an executable fails rather than asking to install", () => {
    assert.deepStrictEqual(checkChromium({ value: "/opt/none", variable: "CHROMIUM_PATH" }, () => false), { _tag: "Failed", problem: "Chromium: CHROMIUM_PATH=/opt/none is not an executable file" })
  })
})

describe("the settings and the machine's answers", () => {
  it("SMAP_TEST_RABBITMQ_URL wins over RABBITMQ_URL, which wins over the default; empty means unset", () => {
    assert.deepStrictEqual(testServiceSettings({}).rabbitmq, { value: DEFAULT_TEST_RABBITMQ_URL, variable: undefined })
    assert.deepStrictEqual(testServiceSettings({ RABBITMQ_URL: "amqp://a" }).rabbitmq, { value: "amqp://a", variable: "RABBITMQ_URL" })
    assert.deepStrictEqual(testServiceSettings({ RABBITMQ_URL: "amqp://a", SMAP_TEST_RABBITMQ_URL: "amqp://b" }).rabbitmq, { value: "amqp://b", variable: "SMAP_TEST_RABBITMQ_URL" })
    assert.deepStrictEqual(testServiceSettings({ SMAP_TEST_DATABASE_URL: "" }).database, { value: DEFAULT_TEST_DATABASE_URL, variable: undefined })
    assert.deepStrictEqual(testServiceSettings({ SMAP_TEST_DATABASE_URL: "postgres://x/y", CHROMIUM_PATH: "/c" }), {
      database: { value: "postgres://x/y", variable: "SMAP_TEST_DATABASE_URL" },
      rabbitmq: { value: DEFAULT_TEST_RABBITMQ_URL, variable: undefined },
      chromium: { value: "/c", variable: "CHROMIUM_PATH" }
    })
  })

  it("loopback is 127.0.0.0/8, localhost and ::1; passwords never reach a message", () => {
    for (const url of ["postgres://p@127.0.0.1:5432/t", "amqp://localhost", "postgres://[::1]:5432/t", "amqp://127.1.2.3"]) assert.isTrue(isLoopbackUrl(url), url)
    for (const url of ["postgres://db:5432/t", "amqp://10.0.0.1", "not a url", "postgres://127.0.0.1.example.com/t"]) assert.isFalse(isLoopbackUrl(url), url)
    assert.strictEqual(displayUrl("amqp://guest:guest@127.0.0.1:5672"), "amqp://guest@127.0.0.1:5672")
  })

  it("pg_lsclusters: the cluster on the URL's port is started with pg_ctlcluster, as root or as its owner only", () => {
    const clusters = parseClusters("15 main    5432 down   postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log\n16 other 5433 online postgres /d /l\n")
    assert.deepStrictEqual(clusters.map((c) => [c.version, c.name, c.port, c.status, c.owner]), [["15", "main", 5432, "down", "postgres"], ["16", "other", 5433, "online", "postgres"]])
    const root = { name: "root", root: true }
    assert.deepStrictEqual(pgInstallationFrom(clusters, 5432, root, "/usr/bin/pg_ctlcluster"), {
      _tag: "Startable",
      what: "cluster 15/main",
      command: ["/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"]
    })
    assert.strictEqual(pgInstallationFrom(clusters, 5432, { name: "postgres", root: false })._tag, "Startable")
    const notOwner = pgInstallationFrom(clusters, 5432, { name: "dev", root: false })
    assert.deepStrictEqual(notOwner, { _tag: "NotStartable", detail: "cluster 15/main is down and only root or postgres can start it: run `sudo pg_ctlcluster 15 main start`" })
    assert.match(JSON.stringify(pgInstallationFrom(clusters, 5433, root)), /cluster 16\/other is online but does not answer there/)
    assert.match(JSON.stringify(pgInstallationFrom(clusters, 6000, root)), /no PostgreSQL cluster listens on port 6000 \(pg_lsclusters: 15\/main on 5432, 16\/other on 5433\)/)
    assert.match(JSON.stringify(pgInstallationFrom([], 5432, root)), /installed without a cluster/)
    assert.deepStrictEqual(pgInstallationFrom(undefined, 5432, root), { _tag: "NotInstalled" })
  })

  it("rabbitmq-server: started detached on the default port, by root (Debian's wrapper switches to rabbitmq) or rabbitmq", () => {
    const root = { name: "root", root: true }
    assert.deepStrictEqual(rabbitInstallationFrom("/usr/sbin/rabbitmq-server", 5672, root), { _tag: "Startable", what: "rabbitmq-server", command: ["/usr/sbin/rabbitmq-server", "-detached"] })
    assert.strictEqual(rabbitInstallationFrom("/usr/sbin/rabbitmq-server", 5672, { name: "rabbitmq", root: false })._tag, "Startable")
    assert.match(JSON.stringify(rabbitInstallationFrom("/usr/sbin/rabbitmq-server", 5672, { name: "dev", root: false })), /only root can start it: run `sudo rabbitmq-server -detached`/)
    assert.match(JSON.stringify(rabbitInstallationFrom("/usr/sbin/rabbitmq-server", 5673, root)), /only a broker on the default port 5672, not 5673/)
    assert.deepStrictEqual(rabbitInstallationFrom(undefined, 5672, root), { _tag: "NotInstalled" })
  })

  it("PostgreSQL's failures: missing database, starting up, nothing listening, refused", () => {
    const pg = (code: string | undefined, message: string, tag = "UnknownError") => ({ _tag: "SqlError", reason: { _tag: tag, cause: code === undefined ? { message } : { code, message } } })
    assert.deepStrictEqual(classifyPgFailure(pg("3D000", "database \"test\" does not exist")), { _tag: "NoDatabase", detail: "database \"test\" does not exist" })
    assert.strictEqual(classifyPgFailure(pg("57P03", "the database system is starting up"))._tag, "Starting")
    assert.strictEqual(classifyPgFailure(pg("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432", "ConnectionError"))._tag, "Unreachable")
    assert.strictEqual(classifyPgFailure(pg(undefined, "Connection timed out", "ConnectionError"))._tag, "Unreachable")
    assert.deepStrictEqual(classifyPgFailure(pg("28000", "role \"nobody\" does not exist", "AuthenticationError")), { _tag: "Rejected", detail: "role \"nobody\" does not exist" })
  })
})

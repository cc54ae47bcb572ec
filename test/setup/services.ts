/**
 * What the global setup (test/globalSetup.ts) does before any test file runs, as functions of
 * their probes and checks so that the decisions are tested without touching real servers:
 *
 *  - a server that answers is used as it is;
 *  - one on loopback that nothing answers for, and that is installed on this machine, is started
 *    (Debian's `pg_ctlcluster`, `rabbitmq-server -detached`, as `.ci/run` did) and waited for,
 *    within a bound; a server named by a variable on another host is never started;
 *  - the `test` database (the path of SMAP_TEST_DATABASE_URL) is created when missing;
 *  - whatever is missing or broken ends the run at once with one line that says what to install,
 *    or which variable to point at an existing server.
 */
import { execFile, spawn } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { userInfo } from "node:os"
import { delimiter, join } from "node:path"
import * as amqp from "amqplib"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { layerPgClient } from "../../src/adapters/postgres/client.ts"
import type { TestServiceSettings, TestSetting } from "../support/testServices.ts"

// ---------------------------------------------------------------------------------------------
// The decisions

/** What one attempt to use a server found. */
export type Probe =
  | { readonly _tag: "Up" }
  /** The server answers, the database in the URL does not exist (PostgreSQL). */
  | { readonly _tag: "NoDatabase"; readonly detail: string }
  /** The server answers that it is starting up. */
  | { readonly _tag: "Starting"; readonly detail: string }
  /** Nothing answers (connection refused, no route, timeout). */
  | { readonly _tag: "Unreachable"; readonly detail: string }
  /** The server answers and refuses (credentials, permissions, not this protocol). */
  | { readonly _tag: "Rejected"; readonly detail: string }

/** Whether this machine can start the server itself. */
export type Installation =
  | { readonly _tag: "Startable"; readonly what: string; readonly command: ReadonlyArray<string> }
  | { readonly _tag: "NotInstalled" }
  | { readonly _tag: "NotStartable"; readonly detail: string }

export interface StartResult {
  readonly ok: boolean
  readonly output: string
}

export interface Service {
  readonly name: string
  /** The URL and the variable that gave it (none: the default). */
  readonly setting: TestSetting
  /** The variable that points the tests at another server. */
  readonly variable: string
  /** The Debian/Ubuntu package that provides it. */
  readonly debianPackage: string
  readonly readyWithinMs: number
  readonly probe: () => Promise<Probe>
  readonly installation: () => Promise<Installation>
  readonly start: (command: ReadonlyArray<string>) => Promise<StartResult>
  /** Creates what `NoDatabase` said is missing; returns what it did, for the log. */
  readonly createDatabase: () => Promise<string>
}

export interface Clock {
  readonly now: () => number
  readonly sleep: (ms: number) => Promise<void>
}

export type Outcome =
  | { readonly _tag: "Ready"; readonly name: string; readonly actions: ReadonlyArray<string> }
  /** Not installed here and nothing answers: one of the things the message tells to install. */
  | { readonly _tag: "Missing"; readonly name: string; readonly debianPackage: string; readonly variable: string; readonly where: string; readonly server: boolean }
  | { readonly _tag: "Failed"; readonly problem: string }

export const POLL_MS = 250

/** Errors, command output: on one line, and not too long for it. */
export const oneLine = (text: string, max = 240): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`
}

/** The URL without its password, for messages. */
export const displayUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.password = ""
    return parsed.toString().replace(/\/$/, "")
  } catch {
    return "(an unparsable URL)"
  }
}

export const isLoopbackUrl = (url: string): boolean => {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "")
    return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)
  } catch {
    return false
  }
}

/** Makes one server usable, or says in one line why it is not. */
export const ensureService = async (service: Service, clock: Clock): Promise<Outcome> => {
  const url = service.setting.value
  const where = `${displayUrl(url)}${service.setting.variable === undefined ? "" : ` (${service.setting.variable})`}`
  const actions: Array<string> = []
  let probe = await service.probe()
  let started: string | undefined
  if (probe._tag === "Unreachable") {
    if (!isLoopbackUrl(url)) {
      return { _tag: "Failed", problem: `${service.name} at ${where} is unreachable (${oneLine(probe.detail)}); the tests start only servers on this machine` }
    }
    const installation = await service.installation()
    if (installation._tag === "NotInstalled") {
      return { _tag: "Missing", name: service.name, debianPackage: service.debianPackage, variable: service.variable, where, server: true }
    }
    if (installation._tag === "NotStartable") {
      return { _tag: "Failed", problem: `${service.name}: nothing answers at ${where} (${oneLine(probe.detail)}) and ${installation.detail}, or set ${service.variable} to a running server` }
    }
    started = installation.command.join(" ")
    const result = await service.start(installation.command)
    // Another test run may have started it a moment ago: then wait for it like for ours.
    if (!result.ok && !/already running/i.test(result.output)) {
      return { _tag: "Failed", problem: `${service.name} (${installation.what}) is installed but down, and \`${started}\` failed: ${oneLine(result.output) || "no output"}; start it yourself (with sudo) or set ${service.variable} to a running server` }
    }
    actions.push(`started ${service.name} (${installation.what})`)
  }
  const deadline = clock.now() + service.readyWithinMs
  let createdDatabase = false
  for (;;) {
    switch (probe._tag) {
      case "Up":
        return { _tag: "Ready", name: service.name, actions }
      case "Rejected":
        return { _tag: "Failed", problem: `${service.name} at ${where} refuses the tests: ${oneLine(probe.detail)}; fix ${service.variable}` }
      case "NoDatabase": {
        if (createdDatabase) return { _tag: "Failed", problem: `${service.name} at ${where}: the database is still missing after creating it (${oneLine(probe.detail)})` }
        try {
          actions.push(await service.createDatabase())
        } catch (error) {
          return { _tag: "Failed", problem: `${service.name} at ${where}: the database is missing and creating it failed: ${oneLine(String(error instanceof Error ? error.message : error))}` }
        }
        createdDatabase = true
        probe = await service.probe()
        continue
      }
      case "Unreachable":
      case "Starting":
        if (clock.now() >= deadline) {
          const after = started === undefined ? "" : ` after \`${started}\``
          return { _tag: "Failed", problem: `${service.name} at ${where} was not ready within ${Math.round(service.readyWithinMs / 1000)} s${after} (${oneLine(probe.detail)})` }
        }
        await clock.sleep(POLL_MS)
        probe = await service.probe()
    }
  }
}

/** The browser the dashboard tests drive: an executable file, or what to install. */
export const checkChromium = (setting: TestSetting, isExecutable: (path: string) => boolean): Outcome =>
  isExecutable(setting.value)
    ? { _tag: "Ready", name: "Chromium", actions: [] }
    : setting.variable === undefined
    ? { _tag: "Missing", name: "Chromium", debianPackage: "chromium", variable: "CHROMIUM_PATH", where: setting.value, server: false }
    : { _tag: "Failed", problem: `Chromium: ${setting.variable}=${setting.value} is not an executable file` }

export const COMPOSE_FILE = "deploy/test-services.compose.yaml"

/** Everything that stops the run, on one line; undefined when nothing does. */
export const setupProblem = (outcomes: ReadonlyArray<Outcome>): string | undefined => {
  const missing = outcomes.flatMap((o) => (o._tag === "Missing" ? [o] : []))
  const failed = outcomes.flatMap((o) => (o._tag === "Failed" ? [o.problem] : []))
  if (missing.length === 0 && failed.length === 0) return undefined
  const parts: Array<string> = []
  if (missing.length > 0) {
    const what = missing.map((m) => `${m.name} (nothing at ${m.where})`).join(", ")
    const servers = missing.some((m) => m.server) ? `, or start the servers with \`docker compose -f ${COMPOSE_FILE} up -d\`` : ""
    parts.push(
      `not installed: ${what}; install with \`sudo apt-get install -y ${missing.map((m) => m.debianPackage).join(" ")}\` (Debian/Ubuntu; the tests start the servers themselves)${servers}, or point ${missing.map((m) => m.variable).join(", ")} at ${missing.length === 1 ? "an existing one" : "existing ones"}`
    )
  }
  parts.push(...failed)
  return `Test setup: ${parts.join("; ")} (README.md, "Tests")`
}

/** Every service at once; the outcomes in the order given. */
export const ensureAll = (services: ReadonlyArray<Service>, clock: Clock): Promise<Array<Outcome>> =>
  Promise.all(services.map((service) => ensureService(service, clock)))

// ---------------------------------------------------------------------------------------------
// The machine: probes, installations, starting

const errorChain = (error: unknown): Array<Record<string, unknown>> => {
  const chain: Array<Record<string, unknown>> = []
  let current: unknown = error
  for (let i = 0; i < 8 && current !== null && typeof current === "object"; i++) {
    const record = current as Record<string, unknown>
    chain.push(record)
    current = record["reason"] ?? record["cause"]
  }
  return chain
}

/** PostgreSQL's answer to one connection: SQLSTATE or socket error code decides. */
export const classifyPgFailure = (error: unknown): Probe => {
  const chain = errorChain(error)
  const code = chain.map((e) => e["code"]).find((c): c is string => typeof c === "string")
  const innermost = chain.at(-1)
  const detail = String(innermost?.["message"] ?? error)
  if (code === "3D000") return { _tag: "NoDatabase", detail }
  if (code === "57P03") return { _tag: "Starting", detail }
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return { _tag: "Unreachable", detail }
  if (code === undefined && chain.some((e) => e["_tag"] === "ConnectionError")) return { _tag: "Unreachable", detail }
  return { _tag: "Rejected", detail }
}

const runSql = (url: string, query: string) =>
  Effect.runPromise(
    Effect.provide(Effect.flatMap(SqlClient, (sql) => sql.unsafe(query)), layerPgClient({ url: Redacted.make(url), maxConnections: 1, applicationName: "smap-test-setup" })).pipe(
      Effect.scoped,
      Effect.result
    )
  )

export const pgProbe = (url: string) => async (): Promise<Probe> => {
  const result = await runSql(url, "SELECT 1")
  return result._tag === "Success" ? { _tag: "Up" } : classifyPgFailure(result.failure)
}

export const quoteIdentifier = (name: string) => `"${name.replaceAll("\"", "\"\"")}"`

/** The database in the URL's path, created from the server's `postgres` database. */
export const pgCreateDatabase = (url: string) => async (): Promise<string> => {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""))
  if (name === "") throw new Error("the URL names no database")
  const admin = new URL(url)
  admin.pathname = "/postgres"
  const result = await runSql(admin.toString(), `CREATE DATABASE ${quoteIdentifier(name)}`)
  if (result._tag === "Failure") {
    const chain = errorChain(result.failure)
    const code = chain.map((e) => e["code"]).find((c) => typeof c === "string")
    // Created meanwhile by a concurrent run (42P04, or the catalog's unique index).
    if (code !== "42P04" && code !== "23505") throw new Error(String(chain.at(-1)?.["message"] ?? result.failure))
    return `database ${name} created meanwhile by another run`
  }
  return `created database ${name}`
}

export const rabbitProbe = (url: string) => async (): Promise<Probe> => {
  try {
    const connection = await amqp.connect(url, { timeout: 5_000 })
    await connection.close().catch(() => undefined)
    return { _tag: "Up" }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    const code = (error as { code?: unknown } | null)?.code
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return { _tag: "Unreachable", detail }
    if (/closed abruptly/i.test(detail)) return { _tag: "Starting", detail }
    return { _tag: "Rejected", detail }
  }
}

const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/lib/rabbitmq/bin"]

/** An executable named `name` on PATH or in the sbin directories (not on a user's PATH on Debian). */
export const findExecutable = (name: string, path = process.env["PATH"] ?? ""): string | undefined => {
  for (const dir of [...path.split(delimiter).filter((d) => d !== ""), ...SBIN]) {
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

export const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export interface Cluster {
  readonly version: string
  readonly name: string
  readonly port: number
  readonly status: string
  readonly owner: string
}

/** `pg_lsclusters --no-header`: version, name, port, status, owner, data directory, log. */
export const parseClusters = (text: string): Array<Cluster> =>
  text.split("\n").map((line) => line.trim().split(/\s+/)).flatMap(([version, name, port, status, owner]) =>
    version !== undefined && name !== undefined && port !== undefined && /^\d+$/.test(port) && status !== undefined
      ? [{ version, name, port: Number(port), status, owner: owner ?? "" }]
      : []
  )

/**
 * The cluster to start for a port. `clusters` undefined: no Debian PostgreSQL tooling here.
 * Only root or the cluster's owner may start it.
 */
export const pgInstallationFrom = (
  clusters: ReadonlyArray<Cluster> | undefined,
  port: number,
  user: { readonly name: string; readonly root: boolean },
  pgCtlCluster = "pg_ctlcluster"
): Installation => {
  if (clusters === undefined) return { _tag: "NotInstalled" }
  if (clusters.length === 0) return { _tag: "NotStartable", detail: "PostgreSQL is installed without a cluster: create one with `sudo pg_createcluster <version> main --start`" }
  const cluster = clusters.find((c) => c.port === port)
  if (cluster === undefined) {
    return { _tag: "NotStartable", detail: `no PostgreSQL cluster listens on port ${port} (pg_lsclusters: ${clusters.map((c) => `${c.version}/${c.name} on ${c.port}`).join(", ")})` }
  }
  const what = `cluster ${cluster.version}/${cluster.name}`
  if (cluster.status.startsWith("online")) {
    return { _tag: "NotStartable", detail: `${what} is online but does not answer there (listen_addresses?)` }
  }
  if (!user.root && user.name !== cluster.owner) {
    return { _tag: "NotStartable", detail: `${what} is down and only root or ${cluster.owner} can start it: run \`sudo pg_ctlcluster ${cluster.version} ${cluster.name} start\`` }
  }
  return { _tag: "Startable", what, command: [pgCtlCluster, "--skip-systemctl-redirect", cluster.version, cluster.name, "start"] }
}

/** Debian's wrapper runs the broker as `rabbitmq`; for anyone else it would not detach. */
export const rabbitInstallationFrom = (server: string | undefined, port: number, user: { readonly name: string; readonly root: boolean }): Installation => {
  if (server === undefined) return { _tag: "NotInstalled" }
  if (port !== 5672) return { _tag: "NotStartable", detail: `the tests start only a broker on the default port 5672, not ${port}: start yours` }
  if (!user.root && user.name !== "rabbitmq") {
    return { _tag: "NotStartable", detail: "RabbitMQ is installed but down and only root can start it: run `sudo rabbitmq-server -detached` (or `sudo systemctl start rabbitmq-server`)" }
  }
  return { _tag: "Startable", what: "rabbitmq-server", command: [server, "-detached"] }
}

const portOf = (url: string, fallback: number) => {
  const port = new URL(url).port
  return port === "" ? fallback : Number(port)
}

const currentUser = () => ({ name: userInfo().username, root: process.getuid?.() === 0 })

const pgInstallation = (url: string) => (): Promise<Installation> => {
  const list = findExecutable("pg_lsclusters")
  const ctl = findExecutable("pg_ctlcluster")
  if (list === undefined || ctl === undefined) return Promise.resolve({ _tag: "NotInstalled" })
  return new Promise((resolve) => {
    execFile(list, ["--no-header"], { timeout: 10_000 }, (error, stdout) => {
      resolve(
        error === null
          ? pgInstallationFrom(parseClusters(stdout), portOf(url, 5432), currentUser(), ctl)
          : { _tag: "NotStartable", detail: `pg_lsclusters failed: ${oneLine(error.message)}` }
      )
    })
  })
}

const rabbitInstallation = (url: string) => (): Promise<Installation> =>
  Promise.resolve(rabbitInstallationFrom(findExecutable("rabbitmq-server"), portOf(url, 5672), currentUser()))

/**
 * Runs a start command to its exit (not to the end of its output: the daemons it leaves keep
 * the pipes open), in its own process group so that Ctrl-C on the test run does not reach them.
 */
export const startCommand = (command: ReadonlyArray<string>, timeoutMs = 90_000): Promise<StartResult> =>
  new Promise((resolve) => {
    const [file, ...args] = command
    if (file === undefined) return resolve({ ok: false, output: "empty command" })
    let output = ""
    let settled = false
    const child = spawn(file, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] })
    const finish = (result: StartResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.stdout?.destroy()
      child.stderr?.destroy()
      child.unref()
      resolve(result)
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      finish({ ok: false, output: `${output} (no exit within ${timeoutMs / 1000} s)` })
    }, timeoutMs)
    child.stdout?.on("data", (d: Buffer) => { output += d.toString() })
    child.stderr?.on("data", (d: Buffer) => { output += d.toString() })
    child.on("error", (error) => finish({ ok: false, output: error.message }))
    child.on("exit", (code, signal) => finish({ ok: code === 0, output: code === 0 ? output : `${output} (exit ${code ?? signal})` }))
  })

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
}

/** The two servers the integration tests use, probed and started for real. */
export const realServices = (settings: TestServiceSettings): Array<Service> => [
  {
    name: "PostgreSQL",
    setting: settings.database,
    variable: "SMAP_TEST_DATABASE_URL",
    debianPackage: "postgresql",
    readyWithinMs: 60_000,
    probe: pgProbe(settings.database.value),
    installation: pgInstallation(settings.database.value),
    start: (command) => startCommand(command),
    createDatabase: pgCreateDatabase(settings.database.value)
  },
  {
    name: "RabbitMQ",
    setting: settings.rabbitmq,
    variable: "SMAP_TEST_RABBITMQ_URL",
    debianPackage: "rabbitmq-server",
    readyWithinMs: 120_000,
    probe: rabbitProbe(settings.rabbitmq.value),
    installation: rabbitInstallation(settings.rabbitmq.value),
    start: (command) => startCommand(command),
    createDatabase: () => Promise.reject(new Error("RabbitMQ has no database to create"))
  }
]

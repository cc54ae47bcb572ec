/**
 * The fault suite's own servers: a throw-away PostgreSQL cluster (initdb on a free port), a
 * RabbitMQ node with its own name, ports and directories, and s3rver in a process of its own,
 * each behind a TCP proxy that can cut or stall the network. Restarting or killing any of them
 * disturbs nothing else on the machine. Nothing here imports the service's code.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { chmod, chown, mkdir, open, writeFile } from "node:fs/promises"
import { connect } from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { tcpProxy } from "../support/tcpProxy.ts"
import { freePort } from "../support/ports.ts"

export const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const PG_BIN = process.env["CHAOS_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
const RABBIT_BIN = ["/usr/lib/rabbitmq/bin", "/usr/local/sbin", "/usr/sbin"].find((d) => existsSync(join(d, "rabbitmq-server"))) ?? "/usr/lib/rabbitmq/bin"
const RABBIT_NODE = process.env["CHAOS_RABBITMQ_NODENAME"] ?? "chaos@localhost"
const BUCKETS = ["crawl-results", "other-bucket"] as const


export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Runs a command to completion; rejects with its output when it fails. */
export const run = (file: string, args: ReadonlyArray<string>, env: Record<string, string> = {}, timeoutMs = 120_000) =>
  new Promise<string>((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")}: ${error.message}\n${stdout}\n${stderr}`))
      else resolve(stdout)
    })
  })

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0

/** initdb refuses root: as root, PostgreSQL's programs run as the `postgres` user. */
const asPostgres = (program: string, args: ReadonlyArray<string>) =>
  isRoot() ? run("runuser", ["-u", "postgres", "--", join(PG_BIN, program), ...args]) : run(join(PG_BIN, program), args)

export interface Postgres {
  readonly port: number
  readonly url: (database: string) => string
  readonly restart: () => Promise<void>
  readonly stop: () => Promise<void>
}

export const startPostgres = async (dir: string): Promise<Postgres> => {
  const port = await freePort()
  const home = join(dir, "pg")
  await mkdir(home, { recursive: true })
  await chmod(dir, 0o755)
  if (isRoot()) {
    const uid = Number((await run("id", ["-u", "postgres"])).trim())
    const gid = Number((await run("id", ["-g", "postgres"])).trim())
    await chown(home, uid, gid)
  }
  const data = join(home, "data")
  await asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"])
  // Durability is not under test here (the server is restarted, never the machine): no fsync.
  const options = `-p ${port} -k ${home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`
  const ctl = (...args: Array<string>) => asPostgres("pg_ctl", ["-D", data, "-l", join(home, "log"), "-w", "-t", "60", ...args])
  await ctl("-o", options, "start")
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    restart: async () => {
      await ctl("-m", "fast", "-o", options, "restart")
    },
    stop: async () => {
      await ctl("-m", "immediate", "stop").catch(() => undefined)
    }
  }
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

export interface Rabbit {
  readonly port: number
  readonly url: string
  readonly ctl: (...args: Array<string>) => Promise<string>
  /** Stops the node and starts it again on the same data (durable messages survive). */
  readonly restart: () => Promise<void>
  readonly stop: () => Promise<void>
  readonly start: () => Promise<void>
}

export const startRabbit = async (dir: string): Promise<Rabbit> => {
  const port = await freePort()
  const distPort = await freePort()
  const home = join(dir, "rabbit")
  for (const sub of ["home", "mnesia", "log"]) await mkdir(join(home, sub), { recursive: true })
  const plugins = join(home, "enabled_plugins")
  await writeFile(plugins, "[].\n") // management and every other plugin off
  const env: Record<string, string> = {
    HOME: join(home, "home"), // its own Erlang cookie, shared by rabbitmqctl below
    RABBITMQ_NODENAME: RABBIT_NODE,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(home, "mnesia"),
    RABBITMQ_LOG_BASE: join(home, "log"),
    RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
    RABBITMQ_CONFIG_FILE: join(home, "rabbitmq"),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(home, "advanced.config"),
    RABBITMQ_PID_FILE: join(home, "pid")
  }
  const ctl = (...args: Array<string>) => run(join(RABBIT_BIN, "rabbitmqctl"), ["-n", RABBIT_NODE, ...args], env, 90_000)
  let server: ChildProcess | null = null
  const start = async () => {
    const log = await open(join(home, "log", "server.out"), "a")
    server = spawn(join(RABBIT_BIN, "rabbitmq-server"), [], { env: { ...process.env, ...env }, stdio: ["ignore", log.fd, log.fd], detached: true })
    server.once("exit", () => void log.close())
    // The node registers with epmd a moment after it starts; until then await_startup fails.
    // Each rabbitmqctl call boots an Erlang VM, so the AMQP port is watched first (cheap), and
    // await_startup asked once the broker listens.
    const deadline = performance.now() + 90_000
    while (!(await listening(port)) && performance.now() < deadline && server.exitCode === null) await sleep(200)
    for (;;) {
      try {
        await ctl("await_startup", "--timeout", "60")
        return
      } catch (error) {
        if (performance.now() > deadline || server.exitCode !== null) throw error
        await sleep(500)
      }
    }
  }
  const stop = async () => {
    await ctl("stop").catch(() => undefined)
    const s = server
    if (s !== null && s.exitCode === null) await new Promise((r) => s.once("exit", r))
  }
  await start()
  return {
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    ctl,
    restart: async () => {
      await stop()
      await start()
    },
    stop,
    start
  }
}

export interface ObjectStore {
  readonly port: number
  readonly endpoint: string
  readonly stop: () => Promise<void>
  readonly start: () => Promise<void>
}

/** s3rver in a child process, so it can be stopped and started again on the same port and data. */
export const startObjectStore = async (dir: string): Promise<ObjectStore> => {
  const port = await freePort()
  const data = join(dir, "s3")
  await mkdir(data, { recursive: true })
  let child: ChildProcess | null = null
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(process.execPath, [join(ROOT, "test/faults/s3rverProcess.ts"), String(port), data, ...BUCKETS], {
        stdio: ["ignore", "pipe", "inherit"]
      })
      child = c
      c.once("exit", (code) => reject(new Error(`s3rver exited (${code})`)))
      c.stdout?.on("data", (d: Buffer) => {
        if (d.toString().includes("listening")) resolve()
      })
    })
  const stop = async () => {
    const c = child
    child = null
    if (c === null || c.exitCode !== null) return
    const exited = new Promise((r) => c.once("exit", r))
    c.kill("SIGKILL")
    await exited
  }
  await start()
  return { port, endpoint: `http://127.0.0.1:${port}`, stop, start }
}

export type Proxy = Awaited<ReturnType<typeof tcpProxy>>
export { tcpProxy }

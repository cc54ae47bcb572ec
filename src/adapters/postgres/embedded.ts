import { closeSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from "node:fs"
import * as path from "node:path"
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Effect, Redacted, type Scope } from "effect"

export interface EmbeddedPostgresOptions {
  /**
   * The folder the database lives in, kept between runs (created when missing); null keeps it
   * in memory, gone when the scope closes.
   */
  readonly dataDir: string | null
  /** Delete what the folder holds first: start from an empty database. */
  readonly fresh?: boolean | undefined
}

/** The lock next to a data folder: `.smap/embedded` → `.smap/embedded.lock`. */
export const lockPathFor = (dataDir: string): string => `${path.resolve(dataDir)}.lock`

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return typeof error === "object" && error !== null && "code" in error && error.code === "EPERM"
  }
}

/**
 * Takes the data folder's lock: a file made with O_EXCL holding the owner's pid. A lock whose
 * process is gone (killed, crashed) is stale and taken over; one whose process is alive is a
 * clear error, because PGlite is one process's database and two runs would corrupt it.
 */
const acquireLock = (dataDir: string): Effect.Effect<string, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const lock = lockPathFor(dataDir)
        mkdirSync(path.dirname(lock), { recursive: true })
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            const fd = openSync(lock, "wx")
            writeSync(fd, `${process.pid}\n`)
            closeSync(fd)
            return lock
          } catch (error) {
            if (!(typeof error === "object" && error !== null && "code" in error && error.code === "EEXIST")) throw error
            const owner = Number.parseInt(readFileSync(lock, "utf8").trim(), 10)
            if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
              throw new Error(
                `the embedded database in ${dataDir} is in use by process ${owner} (lock ${lock}); stop that run, or give this one another folder with --data-dir`
              )
            }
            // Stale: its process is gone.
            rmSync(lock, { force: true })
          }
        }
        throw new Error(`cannot take the lock ${lock}`)
      },
      catch: (e) => e instanceof Error ? e : new Error(String(e))
    }),
    (lock) => Effect.sync(() => unlinkSync(lock))
  )

/**
 * An embedded PostgreSQL (PGlite) served on a loopback port, so the real PostgreSQL adapter,
 * migrator and queries run against it exactly as against a server. Kept in `dataDir` between
 * runs (one run at a time: see the lock) or in memory; the server stops when the scope closes.
 */
export const makeEmbeddedPostgres = (
  options: EmbeddedPostgresOptions
): Effect.Effect<{ readonly url: Redacted.Redacted<string> }, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const dataDir = options.dataDir === null ? null : path.resolve(options.dataDir)
    if (dataDir !== null) {
      yield* acquireLock(dataDir)
      if (options.fresh === true) rmSync(dataDir, { recursive: true, force: true })
      mkdirSync(dataDir, { recursive: true })
    }
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => (dataDir === null ? PGlite.create() : PGlite.create(dataDir)),
        catch: (e) => new Error(`embedded PostgreSQL${dataDir === null ? "" : ` in ${dataDir}`}: ${e instanceof Error ? e.message : String(e)}`)
      }),
      (db) => Effect.promise(() => db.close())
    )
    const server = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 8 })
          await server.start()
          return server
        },
        catch: (e) => new Error(`embedded PostgreSQL socket: ${String(e)}`)
      }),
      (server) => Effect.promise(() => server.stop())
    )
    return { url: Redacted.make(`postgres://postgres@${server.getServerConn()}/postgres`) }
  })

/** An embedded PostgreSQL in memory (tests), gone when the scope closes. */
export const embeddedPostgres = makeEmbeddedPostgres({ dataDir: null })

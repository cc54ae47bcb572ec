import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Effect, Redacted, type Scope } from "effect"

/**
 * An embedded PostgreSQL (PGlite, in memory) served on a loopback port, so the real
 * PostgreSQL adapter, migrator and queries run against it exactly as against a server.
 * For the embedded local run; it is gone when the scope closes.
 */
export const embeddedPostgres: Effect.Effect<{ readonly url: Redacted.Redacted<string> }, Error, Scope.Scope> = Effect.gen(function*() {
  const db = yield* Effect.acquireRelease(
    Effect.tryPromise({ try: () => PGlite.create(), catch: (e) => new Error(`embedded PostgreSQL: ${String(e)}`) }),
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

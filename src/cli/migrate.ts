import { Config, Effect, Layer, Redacted } from "effect"
import { pgLayer } from "../adapters/postgres/client.ts"
import { loadMigrations, migrateDown, migrateUp, migrationStatus } from "../adapters/postgres/migrator.ts"
import type { Command } from "./command.ts"

const usage = `smap-analytics migrate up [--to N] | down [--to N] | status

  up        apply pending migrations (indexes built CONCURRENTLY, with a logged fallback)
  down      revert the newest migration, or every migration above version N with --to N
  status    list migrations and whether each is applied`

const parseTo = (args: ReadonlyArray<string>): number | undefined | "invalid" => {
  const at = args.indexOf("--to")
  if (at === -1) return undefined
  const value = Number(args[at + 1])
  return Number.isInteger(value) && value >= 0 ? value : "invalid"
}

/**
 * Only DATABASE_URL: a migration must not be blocked by, say, a bad METRICS_PORT. Same default
 * as the service's configuration (§6).
 */
const databaseLayer = Layer.unwrap(
  Effect.map(
    Config.Redacted("DATABASE_URL").pipe(Config.withDefault(Redacted.make("postgres://postgres@127.0.0.1:5432/postgres"))),
    (url) => pgLayer({ url, maxConnections: 2, applicationName: "smap-analytics migrate" })
  )
)

export const command: Command = {
  name: "migrate",
  summary: "Apply, revert or list database migrations (DATABASE_URL).",
  usage,
  run: (args) => {
    const [action] = args
    const to = parseTo(args)
    if ((action !== "up" && action !== "down" && action !== "status") || to === "invalid") {
      return Effect.sync(() => {
        console.error(`usage: ${usage}`)
        return 2
      })
    }
    const options = to === undefined ? {} : { to }
    return Effect.gen(function*() {
      const migrations = yield* loadMigrations()
      if (action === "status") {
        for (const s of yield* migrationStatus(migrations)) {
          const state = !s.known ? "unknown" : s.applied ? "applied" : "pending"
          yield* Effect.sync(() => console.log(`${state.padEnd(7)}  ${String(s.version).padStart(4, "0")}_${s.name}`))
        }
        return 0
      }
      const runs = action === "up" ? yield* migrateUp(migrations, options) : yield* migrateDown(migrations, options)
      yield* Effect.sync(() => {
        if (runs.length === 0) console.log(`migrate ${action}: nothing to do`)
        for (const run of runs) {
          const notes = [
            ...run.droppedInvalid.map((i) => `dropped INVALID ${i}`),
            ...run.fallbacks.map((i) => `built ${i} without CONCURRENTLY`)
          ]
          console.log(`${action === "up" ? "applied " : "reverted"}  ${String(run.version).padStart(4, "0")}_${run.name}${notes.length === 0 ? "" : `  (${notes.join("; ")})`}`)
        }
      })
      return 0
    }).pipe(
      Effect.provide(databaseLayer),
      Effect.catch((error) =>
        Effect.sync(() => {
          console.error(`migrate ${action}: ${error.message}`)
          return 1
        })
      )
    )
  }
}

import { Clock, Console, Effect, Fiber, Option, Schedule } from "effect"
import { Command, Flag } from "effect/cli"
import { migrations } from "../main.ts"
import { runCommand } from "./command.ts"
import { makeProgress, progressFlag, progressWanted } from "./progress.ts"

const to = Flag.Int("to").pipe(
  Flag.filter((n) => n >= 0, (n) => `--to: expected a version ≥ 0, got ${n}`),
  Flag.withDescription("target version"),
  Flag.optional
)
const options = (version: Option.Option<number>) => Option.match(version, { onNone: () => ({}), onSome: (v) => ({ to: v }) })

const report = (action: "up" | "down") => (runs: ReadonlyArray<{ version: number; name: string; droppedInvalid: ReadonlyArray<string>; fallbacks: ReadonlyArray<string> }>) =>
  Console.log(
    runs.length === 0
      ? `migrate ${action}: nothing to do`
      : runs.map((run) => {
        const notes = [...run.droppedInvalid.map((i) => `dropped INVALID ${i}`), ...run.fallbacks.map((i) => `built ${i} without CONCURRENTLY`)]
        return `${action === "up" ? "applied " : "reverted"}  ${String(run.version).padStart(4, "0")}_${run.name}${notes.length === 0 ? "" : `  (${notes.join("; ")})`}`
      }).join("\n")
  )

type Migrator = Parameters<Parameters<typeof migrations.run>[0]>[0]
type Migration = Effect.Success<ReturnType<Migrator["loadMigrations"]>>[number]

/**
 * `migrate up` one migration at a time, showing on stderr which one runs (n of the pending
 * ones) and for how long: a backfill inside a migration is one statement, so its elapsed time is
 * what can be shown. Each step is `migrateUp` up to that version, so what is applied (and
 * repaired) is the same as in one call.
 */
const upWithProgress = (m: Migrator, all: ReadonlyArray<Migration>, to: Option.Option<number>) =>
  Effect.gen(function*() {
    const status = yield* m.migrationStatus(all)
    const pending = status.filter((s) => s.known && !s.applied && Option.match(to, { onNone: () => true, onSome: (t) => s.version <= t }))
    const progress = makeProgress("migrate up", true)
    const runs: Array<Effect.Success<ReturnType<Migrator["migrateUp"]>>[number]> = []
    for (const [index, step] of pending.entries()) {
      const name = `${String(step.version).padStart(4, "0")}_${step.name}`
      const started = yield* Clock.currentTimeMillis
      const tick = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => progress.update(`${index + 1}/${pending.length} ${name} (${Math.round((now - started) / 1000)} s)`)))
      const ticker = yield* Effect.forkChild(Effect.repeat(tick, Schedule.spaced("1 second")))
      runs.push(...(yield* m.migrateUp(all, { to: step.version }).pipe(Effect.ensuring(Fiber.interrupt(ticker)))))
    }
    // What is left beyond the pending ones: repairs of applied migrations' indexes.
    runs.push(...(yield* m.migrateUp(all, options(to))))
    progress.done(`${pending.length} applied`)
    return runs
  })

/** `migrate up|down [--to N]|status`: only DATABASE_URL is read, so a bad METRICS_PORT cannot block a migration. */
export const migrate = Command.make("migrate").pipe(
  Command.withDescription("Apply, revert or list database migrations (DATABASE_URL)."),
  Command.withSubcommands([
    Command.make("up", { to, progress: progressFlag }, ({ progress, to }) =>
      runCommand(
        "migrate up",
        "one-shot",
        migrations.run((m) => Effect.flatMap(m.loadMigrations(), (all) => progressWanted(progress) ? upWithProgress(m, all, to) : m.migrateUp(all, options(to))))
          .pipe(Effect.flatMap(report("up")))
      ))
      .pipe(Command.withDescription("apply pending migrations (indexes built CONCURRENTLY, with a logged fallback)")),
    Command.make("down", { to }, ({ to }) =>
      runCommand("migrate down", "one-shot", migrations.run((m) => Effect.flatMap(m.loadMigrations(), (all) => m.migrateDown(all, options(to)))).pipe(Effect.flatMap(report("down")))))
      .pipe(Command.withDescription("revert the newest migration, or every migration above version N with --to N")),
    Command.make("status", {}, () =>
      runCommand(
        "migrate status",
        "one-shot",
        migrations.run((m) => Effect.flatMap(m.loadMigrations(), m.migrationStatus)).pipe(
          Effect.flatMap((all) =>
            Console.log(all.map((s) => `${(!s.known ? "unknown" : s.applied ? "applied" : "pending").padEnd(7)}  ${String(s.version).padStart(4, "0")}_${s.name}`).join("\n"))
          )
        )
      )).pipe(Command.withDescription("list migrations and whether each is applied"))
  ])
)

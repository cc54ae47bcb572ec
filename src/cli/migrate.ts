import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { migrations } from "../main.ts"
import { runCommand } from "./command.ts"

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

/** `migrate up|down [--to N]|status`: only DATABASE_URL is read, so a bad METRICS_PORT cannot block a migration. */
export const migrate = Command.make("migrate").pipe(
  Command.withDescription("Apply, revert or list database migrations (DATABASE_URL)."),
  Command.withSubcommands([
    Command.make("up", { to }, ({ to }) =>
      runCommand("migrate up", "one-shot", migrations.run((m) => Effect.flatMap(m.loadMigrations(), (all) => m.migrateUp(all, options(to)))).pipe(Effect.flatMap(report("up")))))
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

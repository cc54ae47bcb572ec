import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { formatReport, validate as runChecks } from "../app/validate.ts"
import { checks } from "../main.ts"
import { runCommand } from "./command.ts"

export { type Check, formatReport, validate } from "../app/validate.ts"
export { postgresCheck } from "../main.ts"

/**
 * `validate [--json]` (§7): configuration, database schema, indexes, migrations, queue topology
 * and buckets; exit 1 on any problem. The report is the command's output: it goes to stdout
 * whatever the result (a script reading `--json` gets it either way).
 */
export const validateCommand = Command.make("validate", {
  json: Flag.Boolean("json").pipe(Flag.withDescription("print the report as JSON"), Flag.withDefault(false))
}, ({ json }) =>
  runCommand(
    "validate",
    "one-shot",
    Effect.gen(function*() {
      const report = yield* runChecks(checks)
      yield* Console.log(json ? JSON.stringify(report, null, 2) : formatReport(report))
      if (report.ok) return 0
      return yield* Effect.fail(`${report.results.filter((r) => !r.ok).length} problem(s)`)
    })
  )).pipe(Command.withDescription("Check configuration, database schema, indexes, migrations, queue topology and buckets; exit 1 on any problem."))

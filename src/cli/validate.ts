import { Effect, Layer } from "effect"
import { pgLayer } from "../adapters/postgres/client.ts"
import { loadMigrations } from "../adapters/postgres/migrator.ts"
import { checkSchema } from "../adapters/postgres/schemaCheck.ts"
import { AppConfig, appConfig } from "../ports/Config.ts"
import type { Check, CheckResult } from "./check.ts"
import type { Command } from "./command.ts"
import { brokerAndStorageChecks } from "./checks.ts"

export type { Check, CheckResult } from "./check.ts"

/**
 * `smap-analytics validate` (§7): the successor of the old migration validation script.
 * Every check runs even when an earlier one failed, so one run lists every problem; the exit
 * status is 0 only when all pass.
 *
 * Other adapters add their checks (queue topology, bucket reachable) as `Check`s passed to
 * `makeValidateCommand`; a check gets the validated configuration and never fails, it reports.
 */
export interface ValidationReport {
  readonly ok: boolean
  readonly results: ReadonlyArray<CheckResult>
}

/** PostgreSQL: reachable, tables and column types, indexes present and valid, migrations current. */
export const postgresCheck: Check = {
  group: "postgres",
  run: Effect.gen(function*() {
    const config = yield* AppConfig
    const migrations = yield* Effect.result(loadMigrations())
    if (migrations._tag === "Failure") {
      return [{ group: "postgres", name: "migrations", ok: false, detail: migrations.failure.message }]
    }
    const findings = yield* Effect.scoped(
      Effect.provide(checkSchema(migrations.success), Layer.fresh(pgLayer({ url: config.databaseUrl, maxConnections: 1 })))
    ).pipe(
      Effect.catch((error) => Effect.succeed([{ name: "database", ok: false, detail: `cannot connect: ${error.message}` }]))
    )
    return findings.map((f): CheckResult => ({ group: "postgres", ...f }))
  })
}

/**
 * Runs the configuration check, then every check with the validated configuration. Invalid
 * configuration is itself the finding; the other checks are then reported as not run.
 */
export const validate = (checks: ReadonlyArray<Check>): Effect.Effect<ValidationReport> =>
  Effect.gen(function*() {
    const config = yield* Effect.result(appConfig)
    if (config._tag === "Failure") {
      const results: Array<CheckResult> = [
        { group: "config", name: "environment", ok: false, detail: config.failure.message },
        ...checks.map((c): CheckResult => ({ group: c.group, name: "not run", ok: false, detail: "needs a valid configuration" }))
      ]
      return { ok: false, results }
    }
    const layer = Layer.succeed(AppConfig, AppConfig.of(config.success))
    const rest = yield* Effect.forEach(checks, (c) => Effect.provide(c.run, layer), { concurrency: "unbounded" })
    const results: Array<CheckResult> = [
      { group: "config", name: "environment", ok: true, detail: "all variables valid (secrets not shown)" },
      ...rest.flat()
    ]
    return { ok: results.every((r) => r.ok), results }
  })

export const formatReport = (report: ValidationReport): string =>
  [
    ...report.results.map((r) => `${r.ok ? "ok  " : "FAIL"}  ${r.group.padEnd(9)} ${r.name.padEnd(44)} ${r.detail}`),
    "",
    report.ok
      ? "validate: all checks passed"
      : `validate: ${report.results.filter((r) => !r.ok).length} problem(s)`
  ].join("\n")

export const makeValidateCommand = (checks: ReadonlyArray<Check> = [postgresCheck]): Command => ({
  name: "validate",
  summary: "Check configuration, database schema, indexes, migrations, queue topology and buckets; exit 1 on any problem.",
  usage: "smap-analytics validate [--json]",
  run: (args) =>
    Effect.gen(function*() {
      const report = yield* validate(checks)
      const text = args.includes("--json") ? JSON.stringify(report, null, 2) : formatReport(report)
      yield* Effect.sync(() => (report.ok ? console.log(text) : console.error(text)))
      return report.ok ? 0 : 1
    })
})

/** The command wires every adapter's check; see `checks.ts` for the broker and storage ones. */
export const command: Command = makeValidateCommand([postgresCheck, ...brokerAndStorageChecks])

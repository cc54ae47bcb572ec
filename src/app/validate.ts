import { Effect, Layer } from "effect"
import { AppConfig, appConfig } from "../ports/Config.ts"

/**
 * `validate` (§7): checks the configuration and every dependency. Every check runs even
 * when an earlier one failed, so one run lists every problem. Which checks exist (database,
 * queue topology, buckets) is the composition root's business; a check gets the validated
 * configuration and never fails, it reports.
 */
export interface CheckResult {
  /** Group the line belongs to: `config`, `postgres`, `rabbitmq`, `storage`, … */
  readonly group: string
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

export interface Check {
  readonly group: string
  readonly run: Effect.Effect<ReadonlyArray<CheckResult>, never, AppConfig>
}

export interface ValidationReport {
  readonly ok: boolean
  readonly results: ReadonlyArray<CheckResult>
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

import type { Effect } from "effect"
import type { AppConfig } from "../ports/Config.ts"

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

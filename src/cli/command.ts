import type { Effect } from "effect"

/**
 * One sub-command of `smap-analytics`. `run` gets the arguments after the command name and
 * returns the process exit code; it reports its own problems on stderr.
 */
export interface Command {
  readonly name: string
  readonly summary: string
  readonly usage: string
  readonly run: (args: ReadonlyArray<string>) => Effect.Effect<number>
}

import { Flag } from "effect/cli"

/**
 * Progress of long work, on stderr only (stdout carries the command's result and nothing else).
 * On a terminal one line is rewritten in place, at most ten times a second; elsewhere (`--progress`
 * with stderr in a file or a pipe) a plain line is written at most once a second, so a log does
 * not fill with them. The last state is always written when the work ends.
 */
export interface Progress {
  /** The current state, for example `1200 items`; shown when the throttle allows. */
  readonly update: (text: string) => void
  /** The final state, always shown, ending the line. */
  readonly done: (text: string) => void
}

const silent: Progress = { update: () => undefined, done: () => undefined }

/** `--progress`: show progress even when stderr is not a terminal (it always is shown on one). */
export const progressFlag = Flag.Boolean("progress").pipe(
  Flag.withDescription("show progress on stderr even when it is not a terminal (always shown on one)"),
  Flag.withDefault(false)
)

/** Whether progress is shown: asked for, or stderr is a terminal. */
export const progressWanted = (flag: boolean): boolean => flag || process.stderr.isTTY === true

export const makeProgress = (label: string, enabled: boolean): Progress => {
  if (!enabled) return silent
  const tty = process.stderr.isTTY === true
  const interval = tty ? 100 : 1_000
  // The first state is always shown, however soon after start-up it comes.
  let last = Number.NEGATIVE_INFINITY
  let pending = false
  const write = (text: string, final: boolean) => {
    if (tty) process.stderr.write(`\r\x1b[2K${label}: ${text}${final ? "\n" : ""}`)
    else process.stderr.write(`${label}: ${text}\n`)
  }
  return {
    update: (text) => {
      // A monotonic timer for the throttle only; no time is shown or stored.
      const now = performance.now()
      if (now - last < interval) {
        pending = true
        return
      }
      last = now
      pending = false
      write(text, false)
    },
    done: (text) => {
      if (pending || last > Number.NEGATIVE_INFINITY || text.length > 0) write(text, true)
      pending = false
    }
  }
}

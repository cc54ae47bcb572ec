import { Config, Console, Effect, Layer, Option, References } from "effect"
import { CliOutput, GlobalFlag } from "effect/cli"
import { logger } from "../main.ts"
import { LOG_LEVELS } from "../ports/Config.ts"
import { formatStartupError } from "./errors.ts"

/**
 * What every command shares, written once: the one-line error, the exit code, and the logger.
 *
 * Exit codes: 0 done; 1 the command failed (one line on stderr: `smap-analytics <command>:
 * <reason>`); 2 the command line is wrong (unknown flag, extra argument, bad value); 130
 * interrupted (Ctrl-C) for one-shot commands, 0 for services, which stop cleanly on a signal.
 */
export type Kind = "one-shot" | "service"

let interruptedExitCode = 130

/** The exit code for an interruption: services stop cleanly on SIGTERM/SIGINT (0), others 130. */
export const exitCodeWhenInterrupted = (): number => interruptedExitCode


const logSettings = Config.all({
  format: Config.option(Config.Literals(["json", "pretty"], "LOG_FORMAT")),
  level: Config.option(Config.Literals(["trace", "debug", "info", "warning", "warn", "error", "fatal"], "LOG_LEVEL"))
})

/**
 * Logs go to stderr: pretty on a terminal, JSON lines otherwise (LOG_FORMAT overrides). The
 * level is `--log-level`, else LOG_LEVEL, else info for services and warnings only for
 * one-shot commands (which then print their result and nothing else).
 */
const loggerFor = (kind: Kind) =>
  Layer.unwrap(Effect.gen(function*() {
    const settings = yield* logSettings
    const flag = yield* GlobalFlag.LogLevel
    const format = Option.getOrElse(settings.format, () => (process.stderr.isTTY ? "pretty" as const : "json" as const))
    const level = Option.isSome(flag)
      ? flag.value
      : Option.match(settings.level, { onNone: () => kind === "service" ? "Info" as const : "Warn" as const, onSome: (l) => LOG_LEVELS[l] ?? "Info" })
    return Layer.merge(logger.stderr(format, "info"), Layer.succeed(References.MinimumLogLevel, level))
  }))

/**
 * A command's body, run with the shared manners: its logger, its exit code (the number it
 * returns, 0 by default), and any failure as one line on stderr with exit code 1.
 */
export const runCommand = <R>(name: string, kind: Kind, body: Effect.Effect<number | void, unknown, R>) =>
  Effect.gen(function*() {
    if (kind === "service") interruptedExitCode = 0
    const code = yield* body.pipe(Effect.provide(loggerFor(kind)))
    process.exitCode = code ?? 0
  }).pipe(
    Effect.catch((error) =>
      Effect.sync(() => {
        process.stderr.write(`smap-analytics ${name}: ${formatStartupError(error)}\n`)
        process.exitCode = error instanceof UsageError ? 2 : 1
      })
    )
  )

/** A problem with the command line itself, reported like effect/cli's own (exit 2). */
export class UsageError extends Error {}

/**
 * Help and version go to stdout; a wrong command line gives its error(s) on stderr, one line
 * each, and where to find the usage, not the whole help on stdout.
 */
export const presenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(
        [
          ...event.errors.map((e) => `${event.commandPath.join(" ")}: ${e.message.split("\n")[0]}`),
          `Run '${event.commandPath.join(" ")} --help' for usage.`
        ].join("\n")
      )
      : CliOutput.defaultPresenter.present(event)
})

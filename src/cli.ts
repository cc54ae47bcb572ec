import { readFileSync } from "node:fs"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Effect, Exit, Layer } from "effect"
import { CliConfig, CliError, Command, GlobalFlag } from "effect/cli"
import { analyze } from "./cli/analyze.ts"
import { exitCodeWhenInterrupted, presenter } from "./cli/command.ts"
import { consume } from "./cli/consume.ts"
import { deadLetters } from "./cli/deadLetters.ts"
import { local } from "./cli/local.ts"
import { migrate } from "./cli/migrate.ts"
import { publish } from "./cli/publish.ts"
import { serve } from "./cli/serve.ts"
import { validateCommand } from "./cli/validate.ts"

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }

const description = `SMAP Analytics Consumer: consumes data.collected batch events, runs the analytics pipeline, stores one row per post.

ENVIRONMENT (each command reads only what it needs; README.md lists every variable and its default)
  analyze        PREPROCESSOR_*, IMPACT_*, LEXICON_PATH
  consume        all of the service's variables: DATABASE_URL, RABBITMQ_URL, EVENT_*, DEAD_LETTER_*, MINIO_*, METRICS_*, PUBLISH_*, …
  local          as consume, but no external service is contacted
  serve          DATABASE_URL, API_HOST, API_PORT, API_TOKEN, API_AUTH, API_CACHE_SECONDS, API_DB_CONNECTIONS
  migrate        DATABASE_URL
  validate       all of the service's variables (it checks them)
  publish        RABBITMQ_URL, EVENT_EXCHANGE, EVENT_ROUTING_KEY, EVENT_QUEUE_NAME, DEAD_LETTER_*, MINIO_*
  dead-letters   RABBITMQ_URL, EVENT_*, DEAD_LETTER_*
  every command  LOG_LEVEL (default: info for services, warnings only otherwise; --log-level overrides),
                 LOG_FORMAT (default: pretty on a terminal, JSON otherwise); logs go to stderr, results to stdout

EXIT STATUS
  0 done, 1 failed (one line on stderr), 2 wrong command line, 130 interrupted (services exit 0 on SIGTERM/SIGINT)`

export const root = Command.make("smap-analytics").pipe(
  Command.withDescription(description),
  Command.withSubcommands([analyze, consume, local, serve, migrate, validateCommand, publish, deadLetters])
)

const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return Number(process.exitCode ?? 0)
  if (Cause.hasInterruptsOnly(exit.cause)) return exitCodeWhenInterrupted()
  const error = Cause.findErrorOption(exit.cause)
  return error._tag === "Some" && CliError.isCliError(error.value) ? 2 : 1
}

/**
 * The built-in global flags this command line offers: help, version and log level. effect/cli's
 * `--wizard` (interactive prompts) and `--completions` are left out: they are neither listed in
 * the help nor accepted (an unknown flag, exit 2).
 */
const cliConfig = CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version, GlobalFlag.LogLevel] })

NodeRuntime.runMain(
  Command.run(root, { version }).pipe(Effect.provide(Layer.mergeAll(NodeServices.layer, presenter, cliConfig))),
  { disableErrorReporting: true, teardown: (exit, onExit) => onExit(exitCode(exit)) }
)

import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, References } from "effect"
import type { Command } from "./cli/command.ts"

/** Sub-commands, loaded on demand so `analyze` never loads database or broker clients. */
const commands: Record<string, () => Promise<{ readonly command: Command }>> = {
  analyze: () => import("./cli/analyze.ts"),
  consume: () => import("./cli/consume.ts"),
  migrate: () => import("./cli/migrate.ts"),
  validate: () => import("./cli/validate.ts"),
  publish: () => import("./cli/publish.ts"),
  "dead-letters": () => import("./cli/deadLetters.ts"),
  local: () => import("./cli/local.ts"),
  serve: () => import("./cli/serve.ts")
}

const usage = `usage: smap-analytics <command> [args]

commands: ${Object.keys(commands).join(", ")}
Run 'smap-analytics <command> --help' for a command's usage.`

const main = Effect.gen(function*() {
  const [name, ...args] = process.argv.slice(2)
  if (name === undefined || name === "--help" || name === "-h") {
    yield* Effect.sync(() => console.log(usage))
    return name === undefined ? 2 : 0
  }
  const load = commands[name]
  if (load === undefined) {
    yield* Effect.sync(() => console.error(`smap-analytics: unknown command '${name}'\n${usage}`))
    return 2
  }
  const { command } = yield* Effect.promise(load)
  if (args.includes("--help") || args.includes("-h")) {
    yield* Effect.sync(() => console.log(`${command.summary}\n\nusage: ${command.usage}`))
    return 0
  }
  return yield* command.run(args)
})

NodeRuntime.runMain(
  main.pipe(
    Effect.flatMap((code) => Effect.sync(() => { process.exitCode = code })),
    // stdout is for data (`analyze` output); logs, until a command sets up its own, go to stderr.
    Effect.provideService(References.LogToStderr, true)
  ),
  {
    // SIGTERM/SIGINT interrupt the main fiber; a command that then shut down cleanly (the
    // consumer drained its in-flight batches) exits 0, as process managers expect.
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) ? Number(process.exitCode ?? 0) : Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
  }
)

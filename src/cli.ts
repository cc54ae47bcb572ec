import { NodeRuntime } from "@effect/platform-node"
import { Effect, References } from "effect"
import type { Command } from "./cli/command.ts"

/** Sub-commands, loaded on demand so `analyze` never loads database or broker clients. */
const commands: Record<string, () => Promise<{ readonly command: Command }>> = {
  analyze: () => import("./cli/analyze.ts"),
  migrate: () => import("./cli/migrate.ts"),
  validate: () => import("./cli/validate.ts"),
  local: () => import("./cli/local.ts")
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
  )
)

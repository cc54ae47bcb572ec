import { Effect } from "effect"
import { RabbitConnection, RabbitConnectionLive } from "../adapters/rabbitmq/connection.ts"
import { listDeadLetters, replayDeadLetters } from "../adapters/rabbitmq/tools.ts"
import { topologyFromConfig } from "../adapters/rabbitmq/topology.ts"
import { AppConfig } from "../ports/Config.ts"
import type { Command } from "./command.ts"
import { formatStartupError } from "./errors.ts"

/**
 * `dead-letters list [--limit N] [--json]` shows dead-lettered events with their reasons,
 * leaving them in place; `dead-letters replay --all | ID…` moves them back to the main queue
 * (each copy confirmed before its dead letter is removed), to be processed afresh.
 */
export const command: Command = {
  name: "dead-letters",
  summary: "List dead-lettered events with their reasons, or replay them to the main queue.",
  usage: "smap-analytics dead-letters list [--limit N] [--json] | replay --all | replay ID…",
  run: (args) =>
    Effect.gen(function*() {
      const [action, ...rest] = args
      const config = yield* AppConfig
      const connection = yield* RabbitConnection
      const topology = topologyFromConfig(config)
      if (action === "list") {
        const limitAt = rest.indexOf("--limit")
        const limit = limitAt === -1 ? 100 : Number(rest[limitAt + 1])
        if (!Number.isInteger(limit) || limit <= 0) return yield* Effect.fail("--limit must be a positive whole number")
        const letters = yield* listDeadLetters(connection, topology, limit)
        yield* Effect.sync(() => {
          if (rest.includes("--json")) {
            for (const letter of letters) console.log(JSON.stringify(letter))
            return
          }
          if (letters.length === 0) console.log(`no dead letters in ${topology.deadLetterQueue}`)
          for (const l of letters) {
            console.log(`${l.id}  ${l.errorCode ?? "?"}  attempts=${l.attempts ?? "?"}  ${l.errorMessage ?? ""}`)
          }
        })
        return 0
      }
      if (action === "replay") {
        const selection = rest.includes("--all") ? { all: true as const } : { ids: rest.filter((a) => !a.startsWith("--")) }
        if ("ids" in selection && selection.ids.length === 0) return yield* Effect.fail("replay needs --all or at least one id")
        const report = yield* replayDeadLetters(connection, topology, selection)
        yield* Effect.sync(() => {
          console.log(`replayed ${report.replayed.length}: ${report.replayed.join(" ")}`)
          if (report.notFound.length > 0) console.error(`not found: ${report.notFound.join(" ")}`)
        })
        return report.notFound.length === 0 ? 0 : 1
      }
      return yield* Effect.fail(`unknown action '${action ?? ""}'\nusage: ${command.usage}`)
    }).pipe(
      Effect.provide(RabbitConnectionLive),
      Effect.provide(AppConfig.layer),
      Effect.catch((error) =>
        Effect.sync(() => {
          console.error(`smap-analytics dead-letters: ${typeof error === "string" ? error : formatStartupError(error)}`)
          return 1
        })
      )
    )
}

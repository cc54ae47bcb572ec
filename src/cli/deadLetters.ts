import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { deadLetters as tools } from "../main.ts"
import { AppConfig } from "../ports/Config.ts"
import { runCommand, UsageError } from "./command.ts"
import { makeProgress, progressFlag, progressWanted } from "./progress.ts"

const list = Command.make("list", {
  limit: Flag.Int("limit").pipe(
    Flag.filter((n) => n > 0, () => "--limit must be a positive whole number"),
    Flag.withDefault(100),
    Flag.withDescription("at most this many")
  ),
  json: Flag.Boolean("json").pipe(Flag.withDescription("one JSON object per line"), Flag.withDefault(false))
}, ({ limit, json }) =>
  runCommand(
    "dead-letters list",
    "one-shot",
    Effect.gen(function*() {
      const letters = yield* tools.list(limit)
      if (json) return yield* Effect.forEach(letters, (letter) => Console.log(JSON.stringify(letter)), { discard: true })
      if (letters.length === 0) return yield* Console.log(`no dead letters in ${yield* tools.queueName}`)
      yield* Console.log(
        letters.map((l) => `${l.id}  ${l.errorCode ?? "?"}  attempts=${l.attempts ?? "?"}  ${l.errorMessage ?? ""}`).join("\n")
      )
    }).pipe(Effect.provide(AppConfig.layer))
  )).pipe(Command.withDescription("show dead-lettered events with their reasons, leaving them in place"))

const replay = Command.make("replay", {
  all: Flag.Boolean("all").pipe(Flag.withDescription("replay every dead letter"), Flag.withDefault(false)),
  ids: Argument.String("ID").pipe(Argument.withDescription("event, message or position ids"), Argument.variadic()),
  progress: progressFlag
}, ({ all, ids, progress: showProgress }) =>
  runCommand(
    "dead-letters replay",
    "one-shot",
    Effect.gen(function*() {
      if (!all && ids.length === 0) return yield* Effect.fail(new UsageError("replay needs --all or at least one id"))
      const progress = makeProgress("dead-letters replay", progressWanted(showProgress))
      const describe = (seen: number, present: number, replayed: number) => `${seen}/${present} dead letters looked at, ${replayed} replayed`
      let last = describe(0, 0, 0)
      const report = yield* tools.replay(all ? { all: true } : { ids }, (seen, present, replayed) => {
        last = describe(seen, present, replayed)
        progress.update(last)
      })
      progress.done(last)
      yield* Console.log(`replayed ${report.replayed.length}: ${report.replayed.join(" ")}`)
      if (report.notFound.length > 0) yield* Console.error(`not found: ${report.notFound.join(" ")}`)
      return report.notFound.length === 0 ? 0 : 1
    }).pipe(Effect.provide(AppConfig.layer))
  )).pipe(Command.withDescription("move dead letters back to the main queue (each copy confirmed before its dead letter is removed)"))

/** `dead-letters list [--limit N] [--json] | replay --all | replay ID…` on the broker at RABBITMQ_URL. */
export const deadLetters = Command.make("dead-letters").pipe(
  Command.withDescription("List dead-lettered events with their reasons, or replay them to the main queue."),
  Command.withSubcommands([list, replay])
)

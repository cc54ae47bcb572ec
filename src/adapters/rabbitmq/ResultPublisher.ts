import { Effect, Layer, type Scope } from "effect"
import { QueueError } from "../../ports/EventQueue.ts"
import { type AnalyzeResult, ResultPublisher } from "../../ports/ResultPublisher.ts"
import { makeConfirmPublisher } from "./confirmPublisher.ts"
import { RabbitConnection, type RabbitConnectionShape } from "./connection.ts"
import { errorMessage, replyCode, toQueueError } from "./errors.ts"

export interface ResultPublisherOptions {
  readonly exchange: string
  readonly routingKey: string
}

/**
 * Result events (§5) with publisher confirms. The exchange is declared (topic, durable) before
 * the first publish so results are not refused in a fresh environment; one declared otherwise
 * is reported as `TopologyMismatch`. Not mandatory: who listens to results is not our concern.
 */
export const makeResultPublisherRabbit = (
  connection: RabbitConnectionShape,
  options: ResultPublisherOptions
): Effect.Effect<ResultPublisher["Service"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const publisher = yield* makeConfirmPublisher(connection)
    let declared = false

    const declare = Effect.gen(function*() {
      if (declared) return
      const model = yield* connection.connected
      yield* Effect.tryPromise({
        try: async () => {
          const channel = await model.createChannel()
          channel.on("error", () => undefined)
          try {
            await channel.assertExchange(options.exchange, "topic", { durable: true })
          } finally {
            await channel.close().catch(() => undefined)
          }
        },
        catch: (error) =>
          replyCode(error) === 406
            ? new QueueError({
              reason: "TopologyMismatch",
              message: `exchange '${options.exchange}' exists with other arguments than wanted (type=topic durable=true): ${errorMessage(error)}`
            })
            : toQueueError(error, `declare exchange '${options.exchange}'`)
      })
      declared = true
    })

    const publish = (result: AnalyzeResult) =>
      declare.pipe(
        Effect.andThen(publisher.publish({
          exchange: options.exchange,
          routingKey: options.routingKey,
          body: new TextEncoder().encode(JSON.stringify(result)),
          options: { persistent: true, contentType: "application/json" },
          mandatory: false
        })),
        Effect.withSpan("ResultPublisher.publish", { attributes: { job_id: result.job_id ?? "" } })
      )

    return ResultPublisher.of({ publish })
  })

export const layerResultPublisherRabbit = (options: ResultPublisherOptions): Layer.Layer<ResultPublisher, never, RabbitConnection> =>
  Layer.effect(
    ResultPublisher,
    Effect.gen(function*() {
      return yield* makeResultPublisherRabbit(yield* RabbitConnection, options)
    })
  )

import { Effect, Layer } from "effect"
import { EventQueue } from "../ports/EventQueue.ts"
import { Metrics } from "../ports/Metrics.ts"

/**
 * The EventQueue it is given, counting each dead letter by its code
 * (`analytics_dead_letters_total{code}`) once the broker has taken it. A dead letter that
 * fails to settle is not counted: the message is redelivered instead.
 */
export const countDeadLetters: Layer.Layer<EventQueue, never, EventQueue | Metrics> = Layer.effect(
  EventQueue,
  Effect.gen(function*() {
    const queue = yield* EventQueue
    const metrics = yield* Metrics
    return EventQueue.of({
      ...queue,
      deadLetter: (delivery, reason) => Effect.tap(queue.deadLetter(delivery, reason), () => metrics.deadLettered(reason.code))
    })
  })
)

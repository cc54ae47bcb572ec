import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { makeConfirmPublisher } from "../../src/adapters/rabbitmq/confirmPublisher.ts"
import { makeRabbitConnection } from "../../src/adapters/rabbitmq/connection.ts"
import { declareTopology } from "../../src/adapters/rabbitmq/topology.ts"
import { adminConnection, queueDepth, rabbitUrlRedacted, testTopology } from "../support/rabbit.ts"

/** Blocks the event loop, as a long CPU-bound step would. */
const blockEventLoop = (ms: number) =>
  Effect.sync(() => {
    const end = performance.now() + ms
    while (performance.now() < end) { /* busy */ }
  })

describe("confirm publisher against RabbitMQ", () => {
  it.live("a confirm that arrived while the event loop was blocked still counts: no false timeout, one copy", () =>
    Effect.gen(function*() {
      const admin = yield* adminConnection
      const topology = yield* testTopology(admin)
      const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted, connectionName: "confirm-test" })
      yield* declareTopology(yield* connection.current, topology)
      const publisher = yield* makeConfirmPublisher(connection, { confirmTimeoutMs: 200 })
      for (let i = 0; i < 3; i++) {
        const fiber = yield* Effect.forkChild(publisher.publish({
          exchange: "",
          routingKey: topology.deadLetterQueue,
          body: new TextEncoder().encode(`{"n":${i}}`),
          options: { persistent: true },
          mandatory: true
        }))
        yield* Effect.sleep("20 millis") // the frame is on the wire
        // The confirm arrives meanwhile, and the timer is overdue. 1.5 s, not less: on a loaded
        // 2-core machine (a CI run next to a training job) the broker took over 600 ms to confirm.
        yield* blockEventLoop(1500)
        const exit = yield* Fiber.await(fiber)
        assert.strictEqual(exit._tag, "Success", `publish ${i}: ${String(exit)}`)
      }
      assert.strictEqual(yield* queueDepth(admin, topology.deadLetterQueue), 3)
    }))
})

import { assert, layer } from "@effect/vitest"
import { Context, Effect, type Layer } from "effect"
import { type AnalyzeResult, ResultPublisher } from "../../src/ports/ResultPublisher.ts"

/** What the contract needs besides the port: what a listener bound to the results received, in order. */
export class PublisherHarness extends Context.Service<PublisherHarness, {
  /** Every result received so far, decoded, in the order received. */
  readonly received: Effect.Effect<ReadonlyArray<unknown>>
}>()("test/PublisherHarness") {}

const result = (n: number, overrides: Partial<AnalyzeResult> = {}): AnalyzeResult => ({
  project_id: "3f2c1a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b",
  job_id: `job-${n}`,
  task_type: "analyze_result",
  batch_size: 50,
  success_count: 48 - n,
  error_count: 2 + n,
  ...overrides
})

/**
 * The ResultPublisher contract (§5): a result that `publish` answered for reached the listener
 * as the same JSON object, once per call, in order. The layer gives each run its own listener;
 * tests run in order within one layer and compare what arrived since they started.
 */
export const resultPublisherContract = <E>(name: string, publisherLayer: Layer.Layer<ResultPublisher | PublisherHarness, E>) =>
  layer(publisherLayer, { timeout: 60_000, excludeTestServices: true })(`ResultPublisher contract: ${name}`, (it) => {
    const since = Effect.gen(function*() {
      const harness = yield* PublisherHarness
      const before = (yield* harness.received).length
      return Effect.map(harness.received, (all) => all.slice(before))
    })

    it.effect("a published result reaches the listener once, as exactly the object published", () =>
      Effect.gen(function*() {
        const publisher = yield* ResultPublisher
        const received = yield* since
        yield* publisher.publish(result(1))
        assert.deepStrictEqual(yield* received, [result(1)])
      }))

    it.effect("results arrive in the order published; nulls (no project, no job) survive", () =>
      Effect.gen(function*() {
        const publisher = yield* ResultPublisher
        const received = yield* since
        const results = [result(2), result(3, { project_id: null, job_id: null }), result(4, { batch_size: 0, success_count: 0, error_count: 0 })]
        for (const r of results) yield* publisher.publish(r)
        assert.deepStrictEqual(yield* received, results)
      }))

    it.effect("the same batch published twice (after a redelivery) arrives twice: nothing is deduplicated or lost", () =>
      Effect.gen(function*() {
        const publisher = yield* ResultPublisher
        const received = yield* since
        yield* publisher.publish(result(5))
        yield* publisher.publish(result(5))
        assert.deepStrictEqual(yield* received, [result(5), result(5)])
      }))
  })

import { Context, Effect, Layer, Ref } from "effect"
import { type AnalyzeResult, ResultPublisher } from "../../ports/ResultPublisher.ts"

/** What the in-memory publisher was asked to send, in order. */
export class MemoryPublisherControl extends Context.Service<MemoryPublisherControl, {
  readonly published: Effect.Effect<ReadonlyArray<AnalyzeResult>>
}>()("smap/adapters/memory/MemoryPublisherControl") {}

const make = (enabled: boolean) =>
  Layer.effectContext(Effect.gen(function*() {
    const published = yield* Ref.make<ReadonlyArray<AnalyzeResult>>([])
    return Context.make(ResultPublisher, ResultPublisher.of({
      publish: (result) => enabled ? Ref.update(published, (all) => [...all, result]) : Effect.void
    })).pipe(Context.add(MemoryPublisherControl, MemoryPublisherControl.of({ published: Ref.get(published) })))
  }))

export const ResultPublisherMemory = make(true)

/** No publishing (`PUBLISH_ENABLED=false`) in an in-memory world: results go nowhere, and the control says so. */
export const ResultPublisherMemoryNone = make(false)

/** No publishing (`PUBLISH_ENABLED=false`): results go nowhere, successfully. */
export const ResultPublisherNone: Layer.Layer<ResultPublisher> = Layer.succeed(ResultPublisher, ResultPublisher.of({ publish: () => Effect.void }))

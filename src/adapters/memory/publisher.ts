import { Context, Effect, Layer, Ref } from "effect"
import { type AnalyzeResult, ResultPublisher } from "../../ports/ResultPublisher.ts"

/** What the in-memory publisher was asked to send, in order. */
export class MemoryPublisherControl extends Context.Service<MemoryPublisherControl, {
  readonly published: Effect.Effect<ReadonlyArray<AnalyzeResult>>
}>()("smap/adapters/memory/MemoryPublisherControl") {}

export const ResultPublisherMemory = Layer.effectContext(Effect.gen(function*() {
  const published = yield* Ref.make<ReadonlyArray<AnalyzeResult>>([])
  return Context.make(ResultPublisher, ResultPublisher.of({
    publish: (result) => Ref.update(published, (all) => [...all, result])
  })).pipe(Context.add(MemoryPublisherControl, MemoryPublisherControl.of({ published: Ref.get(published) })))
}))

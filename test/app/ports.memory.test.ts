import { Effect, Layer } from "effect"
import { MemoryPublisherControl, ResultPublisherMemory } from "../../src/adapters/memory/ResultPublisher.ts"
import { EventQueueMemory, MemoryQueueControl } from "../../src/adapters/memory/EventQueue.ts"
import { BatchStorageMemory, MemoryStorageControl } from "../../src/adapters/memory/BatchStorage.ts"
import { batchStorageContract, StorageHarness } from "../contracts/batchStorage.contract.ts"
import { eventQueueContract, QueueHarness } from "../contracts/eventQueue.contract.ts"
import { PublisherHarness, resultPublisherContract } from "../contracts/resultPublisher.contract.ts"

const queueHarness = Layer.effect(QueueHarness, Effect.gen(function*() {
  const control = yield* MemoryQueueControl
  return QueueHarness.of({
    publish: (body, headers) => Effect.asVoid(control.publish(body, headers)),
    deadLetters: Effect.map(control.deadLettered, (all) =>
      all.map((d) => ({
        body: new TextDecoder().decode(d.delivery.body),
        headers: { "x-smap-error-code": d.reason.code, "x-smap-error-message": d.reason.message, "x-smap-attempts": d.delivery.attempt }
      }))),
    closeChannel: control.closeChannel
  })
}))
eventQueueContract("in-memory", queueHarness.pipe(Layer.provideMerge(EventQueueMemory({ prefetchCount: 4 }))), {
  prefetchCount: 4,
  countsRedeliveries: false
})

const storageHarness = Layer.effect(StorageHarness, Effect.gen(function*() {
  const control = yield* MemoryStorageControl
  return StorageHarness.of({ bucket: "crawl-results", putRaw: control.putRaw })
}))
batchStorageContract("in-memory", storageHarness.pipe(Layer.provideMerge(BatchStorageMemory(["crawl-results"]))))

const publisherHarness = Layer.effect(PublisherHarness, Effect.gen(function*() {
  const control = yield* MemoryPublisherControl
  return PublisherHarness.of({ received: control.published })
}))
resultPublisherContract("in-memory", publisherHarness.pipe(Layer.provideMerge(ResultPublisherMemory)))

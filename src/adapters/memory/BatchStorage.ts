import { Context, Effect, Layer, Ref, Result } from "effect"
import { BatchStorage, type ObjectLocation, StorageError } from "../../ports/BatchStorage.ts"
import { compressZstd, decodeObject, normalizeMetadata, zstdMetadata } from "../storage/decodeObject.ts"

interface StoredObject {
  readonly bytes: Uint8Array
  readonly metadata: Readonly<Record<string, string>>
}

/** Test handle on the in-memory storage: seed raw objects, make it unreachable. */
export class MemoryStorageControl extends Context.Service<MemoryStorageControl, {
  /** Stores bytes exactly as given, with the given metadata (e.g. a corrupt zstd object). */
  readonly putRaw: (location: ObjectLocation, bytes: Uint8Array, metadata?: Record<string, string>) => Effect.Effect<void>
  /** While set, every call fails with this reason; `times` limits how many calls fail. */
  readonly inject: (fault: { readonly reason: StorageError["reason"]; readonly times?: number } | null) => Effect.Effect<void>
  readonly gets: Effect.Effect<number>
}>()("smap/adapters/memory/MemoryStorageControl") {}

const pathOf = (l: ObjectLocation) => `${l.bucket}/${l.key}`

/**
 * The BatchStorage port in memory, for tests and the embedded local run. Same rules as
 * the S3 adapter: only `allowedBuckets` are readable, the limit applies after zstd
 * decompression (shared decoder), a missing object is `NotFound`.
 */
export const BatchStorageMemory = (allowedBuckets: ReadonlyArray<string>) =>
  Layer.effectContext(Effect.gen(function*() {
    const objects = yield* Ref.make<ReadonlyMap<string, StoredObject>>(new Map())
    const fault = yield* Ref.make<{ readonly reason: StorageError["reason"]; readonly times?: number } | null>(null)
    const gets = yield* Ref.make(0)

    const failIfInjected = Effect.flatMap(Ref.get(fault), (f) => {
      if (f === null) return Effect.void
      const next = f.times === undefined ? f : f.times <= 1 ? null : { ...f, times: f.times - 1 }
      return Ref.set(fault, next).pipe(
        Effect.andThen(Effect.fail(new StorageError({ reason: f.reason, message: `injected ${f.reason} failure` })))
      )
    })
    const store = (location: ObjectLocation, bytes: Uint8Array, metadata: Record<string, string>) =>
      Ref.update(objects, (m) => new Map(m).set(pathOf(location), { bytes, metadata: normalizeMetadata(metadata) }))

    const storage = BatchStorage.of({
      get: (location, maxBytes) =>
        Effect.gen(function*() {
          if (!allowedBuckets.includes(location.bucket)) {
            return yield* new StorageError({ reason: "Forbidden", message: `bucket '${location.bucket}' is not allowed` })
          }
          yield* Ref.update(gets, (n) => n + 1)
          yield* failIfInjected
          const object = (yield* Ref.get(objects)).get(pathOf(location))
          if (object === undefined) {
            return yield* new StorageError({ reason: "NotFound", message: `object ${pathOf(location)} does not exist` })
          }
          const decoded = decodeObject(object.bytes, object.metadata, maxBytes, pathOf(location))
          if (Result.isFailure(decoded)) return yield* decoded.failure
          return { bytes: decoded.success, metadata: object.metadata }
        }),
      put: (location, body, options) =>
        failIfInjected.pipe(Effect.andThen(
          options?.compress === true
            ? compressZstd(body).pipe(Effect.flatMap((bytes) => store(location, bytes, { ...zstdMetadata })))
            : store(location, body, {})
        )),
      check: failIfInjected
    })
    const control = MemoryStorageControl.of({
      putRaw: (location, bytes, metadata = {}) => store(location, bytes, metadata),
      inject: (f) => Ref.set(fault, f),
      gets: Ref.get(gets)
    })
    return Context.make(BatchStorage, storage).pipe(Context.add(MemoryStorageControl, control))
  }))

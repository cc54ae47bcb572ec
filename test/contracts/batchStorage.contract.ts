import { assert, layer } from "@effect/vitest"
import { Context, Effect, type Layer } from "effect"
import { BatchStorage, type ObjectLocation } from "../../src/ports/BatchStorage.ts"

/** What the contract needs besides the port: the readable bucket, and raw writes. */
export class StorageHarness extends Context.Service<StorageHarness, {
  /** A bucket the adapter is allowed to read, which exists. */
  readonly bucket: string
  /** Stores bytes as they are, with metadata (for objects a crawler got wrong). */
  readonly putRaw: (location: ObjectLocation, bytes: Uint8Array, metadata: Record<string, string>) => Effect.Effect<void>
}>()("test/StorageHarness") {}

const text = (s: string) => new TextEncoder().encode(s)
const decode = (b: Uint8Array) => new TextDecoder().decode(b)
let n = 0
const key = () => `contract/${++n}-${Math.random().toString(36).slice(2)}.json`

/** The BatchStorage contract (§2, §5): every adapter must pass it. */
export const batchStorageContract = <E>(name: string, storageLayer: Layer.Layer<BatchStorage | StorageHarness, E>) =>
  layer(storageLayer, { timeout: 60_000, excludeTestServices: true })(`BatchStorage contract: ${name}`, (it) => {
    it.effect("an object put is read back byte for byte, plain or zstd-compressed", () =>
      Effect.gen(function*() {
        const storage = yield* BatchStorage
        const { bucket } = yield* StorageHarness
        const body = JSON.stringify([{ meta: { id: "1" }, content: { text: "xe đẹp quá 😍" } }])
        const plain = { bucket, key: key() }
        const packed = { bucket, key: key() }
        yield* storage.put(plain, text(body))
        yield* storage.put(packed, text(body), { compress: true })
        assert.strictEqual(decode((yield* storage.get(plain, 1024)).bytes), body)
        assert.strictEqual(decode((yield* storage.get(packed, 1024)).bytes), body)
      }))

    it.effect("a missing object is NotFound", () =>
      Effect.gen(function*() {
        const { bucket } = yield* StorageHarness
        const error = yield* (yield* BatchStorage).get({ bucket, key: key() }, 1024).pipe(Effect.flip)
        assert.strictEqual(error.reason, "NotFound")
      }))

    it.effect("a bucket that is not configured is Forbidden", () =>
      Effect.gen(function*() {
        const error = yield* (yield* BatchStorage).get({ bucket: "someone-elses", key: "a.json" }, 1024).pipe(Effect.flip)
        assert.strictEqual(error.reason, "Forbidden")
      }))

    it.effect("an object over the limit is TooLarge, also when only its decompressed form is", () =>
      Effect.gen(function*() {
        const storage = yield* BatchStorage
        const { bucket } = yield* StorageHarness
        const big = text(JSON.stringify([{ meta: { id: "x".repeat(5000) } }]))
        const plain = { bucket, key: key() }
        const packed = { bucket, key: key() }
        yield* storage.put(plain, big)
        yield* storage.put(packed, big, { compress: true })
        assert.strictEqual((yield* storage.get(plain, 1000).pipe(Effect.flip)).reason, "TooLarge")
        assert.strictEqual((yield* storage.get(packed, 1000).pipe(Effect.flip)).reason, "TooLarge")
      }))

    it.effect("an object marked zstd that is not zstd is Corrupt; metadata keys match in any case", () =>
      Effect.gen(function*() {
        const storage = yield* BatchStorage
        const harness = yield* StorageHarness
        const location = { bucket: harness.bucket, key: key() }
        yield* harness.putRaw(location, text("[not zstd at all]"), { "X-Amz-Meta-Compression-Algorithm": "zstd" })
        assert.strictEqual((yield* storage.get(location, 1024).pipe(Effect.flip)).reason, "Corrupt")
      }))

    it.effect("check succeeds while the bucket is reachable", () =>
      Effect.gen(function*() {
        yield* (yield* BatchStorage).check
      }))
  })

import { createServer, type Server, type Socket } from "node:net"
import { zstdCompressSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Redacted } from "effect"
import { Client } from "minio"
import { makeBatchStorageS3 } from "../../src/adapters/s3/BatchStorage.ts"
import { StorageError } from "../../src/ports/BatchStorage.ts"
import { s3TestServer } from "../support/s3server.ts"

const BUCKET = "crawl-results"
const encoder = new TextEncoder()
const batchJson = (items: number) =>
  encoder.encode(JSON.stringify(Array.from({ length: items }, (_, i) => ({ meta: { id: `post-${i}` } }))))

/** Expects the effect to fail with a StorageError and returns it. */
const storageFailure = <A>(effect: Effect.Effect<A, StorageError>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return assert.fail(`expected a StorageError, got success`)
    const error = Cause.findErrorOption(exit.cause)
    if (Option.isNone(error)) return assert.fail(`expected a StorageError, got ${Cause.pretty(exit.cause)}`)
    assert.instanceOf(error.value, StorageError)
    return error.value
  })

/** A raw client writing objects behind the adapter's back, e.g. with arbitrary metadata. */
const rawPut = (endpoint: URL, key: string, body: Uint8Array, metadata: Record<string, string>) =>
  Effect.promise(() =>
    new Client({
      endPoint: "127.0.0.1",
      port: Number(endpoint.port),
      useSSL: false,
      accessKey: "S3RVER",
      secretKey: "S3RVER",
      region: "us-east-1",
      pathStyle: true,
      partSize: 64 * 1024 * 1024
    }).putObject(BUCKET, key, Buffer.from(body), body.byteLength, metadata)
  )

/** A TCP server on loopback that accepts connections and never answers. */
const silentServer = Effect.acquireRelease(
  Effect.callback<{ server: Server; sockets: Set<Socket>; port: number }>((resume) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(Effect.succeed({ server, sockets, port: typeof address === "object" && address !== null ? address.port : 0 }))
    })
  }),
  ({ server, sockets }) =>
    Effect.callback<void>((resume) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resume(Effect.void))
    })
)

/** A port nothing listens on: bind, read the port, close. */
const closedPort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

describe("BatchStorageS3 against s3rver", () => {
  it.live("stores and reads back an object unchanged", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(server.storageOptions())
      const body = batchJson(3)
      yield* storage.put({ bucket: BUCKET, key: "tiktok/p/batch_000.json" }, body)
      const stored = yield* storage.get({ bucket: BUCKET, key: "tiktok/p/batch_000.json" }, 1024 * 1024)
      assert.deepStrictEqual(stored.bytes, body)
      assert.strictEqual(stored.metadata["x-amz-meta-compressed"], undefined)
    }))

  it.live("a zstd put round-trips: the object is compressed, marked, and read back decompressed", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(server.storageOptions())
      const body = batchJson(500)
      yield* storage.put({ bucket: BUCKET, key: "z.json" }, body, { compress: true })
      const stored = yield* storage.get({ bucket: BUCKET, key: "z.json" }, 1024 * 1024)
      assert.deepStrictEqual(stored.bytes, body)
      assert.strictEqual(stored.metadata["x-amz-meta-compressed"], "true")
      assert.strictEqual(stored.metadata["x-amz-meta-compression-algorithm"], "zstd")
      // The limit applies to the decompressed size, so the stored object really was smaller.
      const raw = yield* Effect.promise(() =>
        new Client({
          endPoint: "127.0.0.1",
          port: Number(server.endpoint.port),
          useSSL: false,
          accessKey: "S3RVER",
          secretKey: "S3RVER",
          region: "us-east-1",
          pathStyle: true
        }).statObject(BUCKET, "z.json")
      )
      assert.isBelow(raw.size, body.byteLength)
    }))

  it.live("metadata keys are compared case-insensitively (Compression-Algorithm: zstd)", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(server.storageOptions())
      const body = batchJson(20)
      yield* rawPut(server.endpoint, "upper.json", zstdCompressSync(body), { "X-Amz-Meta-Compression-Algorithm": "ZSTD" })
      const stored = yield* storage.get({ bucket: BUCKET, key: "upper.json" }, 1024 * 1024)
      assert.deepStrictEqual(stored.bytes, body)
    }))

  it.live("a foreign bucket is Forbidden without any request being made", () =>
    Effect.gen(function*() {
      // The endpoint is a server that never answers: had a request been made, the call would
      // hang until the timeout and fail Unavailable instead.
      const silent = yield* silentServer
      const storage = makeBatchStorageS3({
        endpoint: new URL(`http://127.0.0.1:${silent.port}`),
        accessKey: Redacted.make("S3RVER"),
        secretKey: Redacted.make("S3RVER"),
        region: "us-east-1",
        buckets: [BUCKET],
        timeoutMs: 10_000
      })
      const error = yield* storageFailure(storage.get({ bucket: "other-bucket", key: "a.json" }, 1024))
      assert.strictEqual(error.reason, "Forbidden")
      assert.include(error.message, "other-bucket")
      assert.strictEqual(silent.sockets.size, 0)
      const putError = yield* storageFailure(storage.put({ bucket: "other-bucket", key: "a.json" }, batchJson(1)))
      assert.strictEqual(putError.reason, "Forbidden")
    }))

  it.live("a key that climbs out of the bucket is Forbidden, and the other bucket's object is never read", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET, "other-bucket"])
      const secret = encoder.encode(JSON.stringify([{ meta: { id: "secret" } }]))
      // The secret is put by an adapter that may write to the other bucket.
      yield* makeBatchStorageS3(server.storageOptions({ buckets: ["other-bucket"] })).put({ bucket: "other-bucket", key: "secret.json" }, secret)
      const storage = makeBatchStorageS3(server.storageOptions({ buckets: [BUCKET] }))
      for (const key of ["../other-bucket/secret.json", "a/../../other-bucket/secret.json", "%2e%2e/other-bucket/secret.json", "..\\other-bucket\\secret.json"]) {
        const error = yield* storageFailure(storage.get({ bucket: BUCKET, key }, 1024 * 1024))
        assert.strictEqual(error.reason, "Forbidden", key)
      }
    }))

  it.live("a missing object is NotFound", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(server.storageOptions())
      const error = yield* storageFailure(storage.get({ bucket: BUCKET, key: "nope/batch.json" }, 1024))
      assert.strictEqual(error.reason, "NotFound")
      assert.include(error.message, "nope/batch.json")
    }))

  it.live("an object over the limit is TooLarge", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(server.storageOptions())
      const body = batchJson(200)
      yield* storage.put({ bucket: BUCKET, key: "big.json" }, body)
      const error = yield* storageFailure(storage.get({ bucket: BUCKET, key: "big.json" }, body.byteLength - 1))
      assert.strictEqual(error.reason, "TooLarge")
      const exact = yield* storage.get({ bucket: BUCKET, key: "big.json" }, body.byteLength)
      assert.strictEqual(exact.bytes.byteLength, body.byteLength)
    }))

  it.live("a compressed object under the limit that decompresses over it is TooLarge", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(server.storageOptions())
      const body = new Uint8Array(4 * 1024 * 1024).fill(0x20)
      yield* storage.put({ bucket: BUCKET, key: "bomb.json" }, body, { compress: true })
      const limit = 1024 * 1024
      const error = yield* storageFailure(storage.get({ bucket: BUCKET, key: "bomb.json" }, limit))
      assert.strictEqual(error.reason, "TooLarge")
      assert.include(error.message, "after decompression")
    }))

  it.live("undecodable zstd is Corrupt", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(server.storageOptions())
      yield* rawPut(server.endpoint, "corrupt.json", batchJson(5), { "x-amz-meta-compressed": "true" })
      const error = yield* storageFailure(storage.get({ bucket: BUCKET, key: "corrupt.json" }, 1024 * 1024))
      assert.strictEqual(error.reason, "Corrupt")
      const truncated = zstdCompressSync(batchJson(50)).subarray(0, 40)
      yield* rawPut(server.endpoint, "truncated.json", truncated, { "x-amz-meta-compressed": "true" })
      const truncatedError = yield* storageFailure(storage.get({ bucket: BUCKET, key: "truncated.json" }, 1024 * 1024))
      assert.strictEqual(truncatedError.reason, "Corrupt")
    }))

  it.live("check passes for an existing bucket; a missing bucket is Unavailable (pause), not NotFound (dead-letter)", () =>
    Effect.gen(function*() {
      const server = yield* s3TestServer([BUCKET])
      yield* makeBatchStorageS3(server.storageOptions()).check
      const error = yield* storageFailure(
        makeBatchStorageS3(server.storageOptions({ buckets: [BUCKET, "missing-bucket"] })).check
      )
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(error.message, "missing-bucket")
      const get = yield* storageFailure(
        makeBatchStorageS3(server.storageOptions({ buckets: [BUCKET, "missing-bucket"] })).get({ bucket: "missing-bucket", key: "a.json" }, 1024)
      )
      assert.strictEqual(get.reason, "Unavailable")
    }))

  it.live("a refused connection is Unavailable", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(server.storageOptions({ endpoint: new URL(`http://127.0.0.1:${port}`) }))
      const error = yield* storageFailure(storage.get({ bucket: BUCKET, key: "a.json" }, 1024))
      assert.strictEqual(error.reason, "Unavailable")
      const checkError = yield* storageFailure(storage.check)
      assert.strictEqual(checkError.reason, "Unavailable")
    }))

  it.live("a server that never answers is Unavailable within the timeout", () =>
    Effect.gen(function*() {
      const silent = yield* silentServer
      const server = yield* s3TestServer([BUCKET])
      const storage = makeBatchStorageS3(
        server.storageOptions({ endpoint: new URL(`http://127.0.0.1:${silent.port}`), timeoutMs: 300 })
      )
      const started = performance.now()
      const error = yield* storageFailure(storage.get({ bucket: BUCKET, key: "a.json" }, 1024))
      const elapsed = performance.now() - started
      assert.strictEqual(error.reason, "Unavailable")
      assert.include(error.message, "300 ms")
      assert.isBelow(elapsed, 2_000)
      // The abandoned request is not left holding the connection open.
      yield* Effect.sleep(50)
    }))
})

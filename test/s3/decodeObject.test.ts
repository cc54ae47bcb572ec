import { zstdCompressSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { decodeObject, isZstdCompressed, zstdCompressBound } from "../../src/adapters/storage/decodeObject.ts"

const bytes = (text: string) => new TextEncoder().encode(text)
const failureReason = (result: Result.Result<Uint8Array, { readonly reason: string }>) =>
  Result.isFailure(result) ? result.failure.reason : "success"

describe("decodeObject (shared by every BatchStorage adapter)", () => {
  it("recognises zstd markers with keys and values in any case", () => {
    assert.isTrue(isZstdCompressed({ "X-Amz-Meta-Compressed": "TRUE" }))
    assert.isTrue(isZstdCompressed({ "x-amz-meta-COMPRESSION-algorithm": "Zstd" }))
    assert.isFalse(isZstdCompressed({ "x-amz-meta-compressed": "false" }))
    assert.isFalse(isZstdCompressed({ "x-amz-meta-compression-algorithm": "gzip" }))
    assert.isFalse(isZstdCompressed({}))
  })

  it("passes plain bytes through up to and including the limit", () => {
    const body = bytes("[1,2,3]")
    const decoded = decodeObject(body, {}, body.length)
    assert.isTrue(Result.isSuccess(decoded))
    assert.deepStrictEqual(Result.getOrThrow(decoded), body)
    assert.strictEqual(failureReason(decodeObject(body, {}, body.length - 1)), "TooLarge")
  })

  it("decompresses zstd when the metadata says so (mixed-case key)", () => {
    const body = bytes(JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ meta: { id: String(i) } }))))
    const decoded = decodeObject(zstdCompressSync(body), { "X-Amz-Meta-Compressed": "true" }, body.length)
    assert.deepStrictEqual(Result.getOrThrow(decoded), body)
  })

  it("applies the limit after decompression and stops early on a bomb", () => {
    const body = new Uint8Array(64 * 1024 * 1024)
    const compressed = zstdCompressSync(body)
    assert.isBelow(compressed.length, 1024 * 1024)
    const started = performance.now()
    assert.strictEqual(failureReason(decodeObject(compressed, { "x-amz-meta-compressed": "true" }, 1024 * 1024)), "TooLarge")
    // Decompressing all 64 MiB would take far longer than stopping after the first MiB.
    assert.isBelow(performance.now() - started, 500)
  })

  it("rejects stored bytes beyond the zstd bound of the limit without decompressing", () => {
    const limit = 1000
    const junk = new Uint8Array(zstdCompressBound(limit) + 1)
    assert.strictEqual(failureReason(decodeObject(junk, { "x-amz-meta-compressed": "true" }, limit)), "TooLarge")
  })

  it("reports undecodable, truncated or empty zstd as Corrupt", () => {
    const meta = { "x-amz-meta-compression-algorithm": "zstd" }
    assert.strictEqual(failureReason(decodeObject(bytes("[1,2,3] not zstd at all"), meta, 1024)), "Corrupt")
    const truncated = zstdCompressSync(bytes("x".repeat(10_000) + "y".repeat(10_000))).subarray(0, 12)
    assert.strictEqual(failureReason(decodeObject(truncated, meta, 1024 * 1024)), "Corrupt")
    assert.strictEqual(failureReason(decodeObject(new Uint8Array(0), meta, 1024)), "Corrupt")
  })
})

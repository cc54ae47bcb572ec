import { Decompress } from "fzstd"
import * as zlib from "node:zlib"
import { Effect, Result } from "effect"
import { StorageError } from "../../ports/BatchStorage.ts"

/**
 * Turning stored bytes into batch bytes (§2): zstd decompression when the metadata says so,
 * and the size limit applied to the decompressed output. Shared by every BatchStorage
 * adapter so that the S3 and the in-memory adapter agree on what is `TooLarge` or `Corrupt`.
 *
 * The work is incremental: the S3 adapter feeds chunks as they arrive from the network and
 * stops the download as soon as the limit is crossed, so neither a huge object nor a zstd
 * bomb is ever held in memory beyond `maxBytes` (plus one decompressed block).
 */

/** Lower-cases metadata keys: S3 servers and clients disagree on header case. */
export const normalizeMetadata = (metadata: Readonly<Record<string, string>>): Record<string, string> => {
  const normalized: Record<string, string> = {}
  for (const [key, value] of Object.entries(metadata)) normalized[key.toLowerCase()] = value
  return normalized
}

/** `x-amz-meta-compressed: true` or `x-amz-meta-compression-algorithm: zstd` (§2). */
export const isZstdCompressed = (metadata: Readonly<Record<string, string>>): boolean => {
  const normalized = normalizeMetadata(metadata)
  return normalized["x-amz-meta-compressed"]?.trim().toLowerCase() === "true" ||
    normalized["x-amz-meta-compression-algorithm"]?.trim().toLowerCase() === "zstd"
}

/** The metadata an adapter writes next to a zstd-compressed object. */
export const zstdMetadata: Readonly<Record<string, string>> = {
  "x-amz-meta-compressed": "true",
  "x-amz-meta-compression-algorithm": "zstd"
}

/**
 * ZSTD_COMPRESSBOUND: the largest frame zstd produces for `size` input bytes. A compressed
 * object larger than the bound of `maxBytes` cannot decompress to `maxBytes` or less, so the
 * raw download can be cut there without decompressing anything.
 */
export const zstdCompressBound = (size: number): number =>
  size + Math.floor(size / 256) + (size < 128 * 1024 ? Math.floor((128 * 1024 - size) / 2048) : 0)

/** Stored bytes allowed before the limit is certainly crossed. */
export const maxStoredBytes = (metadata: Readonly<Record<string, string>>, maxBytes: number): number =>
  isZstdCompressed(metadata) ? zstdCompressBound(maxBytes) : maxBytes

export interface ObjectDecoder {
  /** Checks a size announced up front (Content-Length), to refuse before reading anything. */
  readonly expect: (storedSize: number) => Result.Result<void, StorageError>
  /** Feeds the next stored chunk; a failure means: stop reading, the object is rejected. */
  readonly push: (chunk: Uint8Array) => Result.Result<void, StorageError>
  /** Ends the input and returns the whole decoded object. */
  readonly finish: () => Result.Result<Uint8Array, StorageError>
}

/** Thrown from fzstd's output callback to abandon decompression once the limit is crossed. */
class LimitExceeded extends Error {}

/**
 * An incremental decoder for one object. `describe` names the object in error messages
 * (`bucket/key`); it never contains credentials.
 */
export const makeObjectDecoder = (
  metadata: Readonly<Record<string, string>>,
  maxBytes: number,
  describe: string
): ObjectDecoder => {
  const compressed = isZstdCompressed(metadata)
  const storedLimit = maxStoredBytes(metadata, maxBytes)
  const output: Array<Uint8Array> = []
  let outputBytes = 0
  let storedBytes = 0
  let failure: StorageError | undefined

  const tooLarge = () =>
    new StorageError({
      reason: "TooLarge",
      message: `object ${describe} is larger than the limit of ${maxBytes} bytes${compressed ? " after decompression" : ""}`
    })
  const corrupt = (cause: unknown) =>
    new StorageError({
      reason: "Corrupt",
      message: `object ${describe} is marked zstd-compressed but cannot be decompressed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`
    })

  const collect = (chunk: Uint8Array) => {
    outputBytes += chunk.length
    if (outputBytes > maxBytes) throw new LimitExceeded()
    // fzstd may hand out views into buffers it keeps using; keep our own copy.
    if (chunk.length > 0) output.push(compressed ? chunk.slice() : chunk)
  }
  const decompressor = compressed ? new Decompress((data) => collect(data)) : undefined

  const feed = (chunk: Uint8Array, final: boolean): Result.Result<void, StorageError> => {
    if (failure !== undefined) return Result.fail(failure)
    try {
      if (decompressor === undefined) collect(chunk)
      else decompressor.push(chunk, final)
      return Result.succeed(undefined)
    } catch (error) {
      failure = error instanceof LimitExceeded ? tooLarge() : corrupt(error)
      output.length = 0
      return Result.fail(failure)
    }
  }

  return {
    expect: (storedSize) => {
      if (failure === undefined && storedSize > storedLimit) failure = tooLarge()
      return failure === undefined ? Result.succeed(undefined) : Result.fail(failure)
    },
    push: (chunk) => {
      storedBytes += chunk.length
      if (failure === undefined && storedBytes > storedLimit) {
        failure = tooLarge()
        output.length = 0
      }
      return feed(chunk, false)
    },
    finish: () => {
      if (failure !== undefined) return Result.fail(failure)
      if (compressed && storedBytes === 0) {
        failure = corrupt(new Error("the object is empty"))
        return Result.fail(failure)
      }
      const last = feed(new Uint8Array(0), true)
      if (Result.isFailure(last)) return Result.fail(last.failure)
      return Result.succeed(concat(output, outputBytes))
    }
  }
}

/** Pieces of a stored object handed to the decoder at a time, so a bomb stops early. */
const SLICE_BYTES = 64 * 1024

/**
 * Decodes a whole stored object held in memory: decompresses when the metadata says zstd and
 * fails `TooLarge` once the output exceeds `maxBytes`, `Corrupt` when zstd is undecodable.
 */
export const decodeObject = (
  bytes: Uint8Array,
  metadata: Readonly<Record<string, string>>,
  maxBytes: number,
  describe = "object"
): Result.Result<Uint8Array, StorageError> => {
  const decoder = makeObjectDecoder(metadata, maxBytes, describe)
  for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
    const pushed = decoder.push(bytes.subarray(offset, offset + SLICE_BYTES))
    if (Result.isFailure(pushed)) return Result.fail(pushed.failure)
  }
  return decoder.finish()
}

const concat = (chunks: ReadonlyArray<Uint8Array>, total: number): Uint8Array => {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0]
  const joined = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    joined.set(chunk, offset)
    offset += chunk.length
  }
  return joined
}

/** zstd-compresses an object for upload (`put` with `compress`), shared by every adapter. */
export const compressZstd = (body: Uint8Array): Effect.Effect<Uint8Array, StorageError> => {
  // `zstdCompress` exists from Node 22.15 (and not in every Deno release); check at run time
  // so an older runtime gets a clear error rather than a TypeError.
  const compress: unknown = Reflect.get(zlib, "zstdCompress")
  if (typeof compress !== "function") {
    return Effect.fail(
      new StorageError({ reason: "Unknown", message: "zstd compression needs node:zlib zstdCompress (Node ≥ 22.15)" })
    )
  }
  // The asynchronous variant runs on the libuv thread pool: the event loop stays free.
  return Effect.callback<Uint8Array, StorageError>((resume) => {
    zlib.zstdCompress(body, (error, result) => {
      resume(
        error === null
          ? Effect.succeed(new Uint8Array(result.buffer, result.byteOffset, result.byteLength))
          : Effect.fail(new StorageError({ reason: "Unknown", message: `zstd compression failed: ${error.message}` }))
      )
    })
  })
}

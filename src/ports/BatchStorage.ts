import { Context, type Effect, Schema } from "effect"
import type { FailureKind } from "../domain/failure.ts"

/** Where a batch object lives: `<bucket>/<key>` as in the event's `minio_path`. */
export interface ObjectLocation {
  readonly bucket: string
  readonly key: string
}

export interface StoredBatch {
  /** The object's bytes, already decompressed when its metadata said zstd. */
  readonly bytes: Uint8Array
  /** Object metadata with lower-cased keys (`x-amz-meta-compressed`, …). */
  readonly metadata: Readonly<Record<string, string>>
}

export interface PutOptions {
  /** Compress with zstd and mark the object (`x-amz-meta-compressed: true`, algorithm zstd). */
  readonly compress?: boolean
}

/**
 * Why storage failed:
 * - `NotFound`, `Forbidden` (bucket not allowed), `TooLarge` (over `maxBytes` after
 *   decompression), `Corrupt` (undecodable zstd): permanent, retrying cannot help;
 * - `Unavailable` (connection refused, timeout, 5xx): transient;
 * - `Unknown`: anything else.
 */
export const STORAGE_ERROR_REASONS = ["NotFound", "Forbidden", "TooLarge", "Corrupt", "Unavailable", "Unknown"] as const

export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  reason: Schema.Literals(STORAGE_ERROR_REASONS),
  message: Schema.String
}) {}

export const storageFailureKind = (error: StorageError): FailureKind => {
  switch (error.reason) {
    case "NotFound":
    case "Forbidden":
    case "TooLarge":
    case "Corrupt":
      return "permanent"
    case "Unavailable":
      return "transient"
    case "Unknown":
      return "unknown"
  }
}

/**
 * Batch objects in S3-compatible storage.
 *
 * - `get` reads only buckets the adapter was configured to allow (others fail with
 *   `Forbidden` before any request), stops reading once more than `maxBytes` have arrived
 *   (after decompression) and fails with `TooLarge`, and decompresses zstd objects.
 * - `put` stores an object (used by `publish` and tests, the way a crawler uploads).
 * - `check` proves the storage is reachable and the bucket exists (readiness, `validate`).
 * Reads have no side effects, so retrying any of them is safe.
 */
export class BatchStorage extends Context.Service<
  BatchStorage,
  {
    readonly get: (location: ObjectLocation, maxBytes: number) => Effect.Effect<StoredBatch, StorageError>
    readonly put: (location: ObjectLocation, body: Uint8Array, options?: PutOptions) => Effect.Effect<void, StorageError>
    readonly check: Effect.Effect<void, StorageError>
  }
>()("smap/ports/BatchStorage") {}

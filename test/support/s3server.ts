import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Redacted } from "effect"
import S3rver from "s3rver"
import type { S3StorageOptions } from "../../src/adapters/s3/BatchStorage.ts"

/** A running s3rver: where it listens and client options that reach it. */
export interface S3TestServer {
  readonly endpoint: URL
  readonly buckets: ReadonlyArray<string>
  /** Options for the S3 adapter; override what a test needs (buckets, timeout). */
  readonly storageOptions: (overrides?: Partial<S3StorageOptions>) => S3StorageOptions
}

/**
 * Starts s3rver on a free loopback port with its data in a fresh temp directory and the given
 * buckets created; stops it and removes the directory when the scope closes. s3rver does not
 * check signatures, so any credentials work; `S3RVER`/`S3RVER` are its documented defaults.
 */
export const s3TestServer = (buckets: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const directory = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "smap-s3rver-"))),
      (path) => Effect.promise(() => rm(path, { recursive: true, force: true }))
    )
    const server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory,
      configureBuckets: buckets.map((name) => ({ name }))
    })
    const address = yield* Effect.acquireRelease(
      Effect.promise(() => server.run()),
      () => Effect.promise(() => server.close())
    )
    const endpoint = new URL(`http://127.0.0.1:${address.port}`)
    return {
      endpoint,
      buckets,
      storageOptions: (overrides?: Partial<S3StorageOptions>): S3StorageOptions => ({
        endpoint,
        accessKey: Redacted.make("S3RVER"),
        secretKey: Redacted.make("S3RVER"),
        region: "us-east-1",
        buckets,
        timeoutMs: 5_000,
        ...overrides
      })
    } satisfies S3TestServer
  })

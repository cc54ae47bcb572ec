import { objectKeyProblem } from "../../domain/event.ts"
import { Buffer } from "node:buffer"
import { IncomingMessage } from "node:http"
import type { Readable } from "node:stream"
import { Client } from "minio"
import { Effect, Layer, Redacted, Result } from "effect"
import { BatchStorage, type ObjectLocation, type PutOptions, StorageError, type StoredBatch } from "../../ports/BatchStorage.ts"
import { AppConfig } from "../../ports/Config.ts"
import { compressZstd, makeObjectDecoder, normalizeMetadata, zstdMetadata } from "../storage/decodeObject.ts"
import { toStorageError } from "./errors.ts"

export interface S3StorageOptions {
  /** `http://host:port` or `https://…`; the scheme decides TLS. Credentials in it are ignored. */
  readonly endpoint: URL
  readonly accessKey: Redacted.Redacted<string>
  readonly secretKey: Redacted.Redacted<string>
  readonly region: string
  /** The only buckets this adapter will touch. */
  readonly buckets: ReadonlyArray<string>
  /** Applies to each call as a whole (request, response and body). */
  readonly timeoutMs: number
}

/**
 * Batches are at most tens of MiB; one PUT per object keeps uploads atomic and works with
 * servers without multipart support (s3rver in tests).
 */
const PART_SIZE = 256 * 1024 * 1024

const describeEndpoint = (endpoint: URL): string => `${endpoint.protocol}//${endpoint.host}`

const makeClient = (options: S3StorageOptions): Client => {
  const useSSL = options.endpoint.protocol === "https:"
  const port = options.endpoint.port === "" ? (useSSL ? 443 : 80) : Number(options.endpoint.port)
  return new Client({
    endPoint: options.endpoint.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    useSSL,
    accessKey: Redacted.value(options.accessKey),
    secretKey: Redacted.value(options.secretKey),
    region: options.region,
    pathStyle: true,
    partSize: PART_SIZE,
    // Retrying is the consumer's decision (backoff with readiness false); a silent retry
    // inside the client would also stretch a call past its timeout.
    retryOptions: { disableRetry: true }
  })
}

/** `x-amz-meta-*` headers and the content type of a GET response, keys lower-cased. */
const metadataOf = (response: IncomingMessage): Record<string, string> => {
  const metadata: Record<string, string> = {}
  for (const [key, value] of Object.entries(response.headers)) {
    const name = key.toLowerCase()
    if (value === undefined || !(name.startsWith("x-amz-meta-") || name === "content-type")) continue
    metadata[name] = Array.isArray(value) ? value.join(",") : value
  }
  return metadata
}

/** The BatchStorage port on an S3-compatible server (MinIO in production) via minio-js. */
export const makeBatchStorageS3 = (options: S3StorageOptions): BatchStorage["Service"] => {
  const client = makeClient(options)
  const allowed = new Set(options.buckets)
  const endpoint = describeEndpoint(options.endpoint)

  /** minio-js has no request timeout of its own: every call races this one. */
  const withTimeout = <A>(what: string) => (effect: Effect.Effect<A, StorageError>) =>
    Effect.timeoutOrElse(effect, {
      duration: options.timeoutMs,
      orElse: () =>
        Effect.fail(
          new StorageError({ reason: "Unavailable", message: `${what}: no answer from ${endpoint} within ${options.timeoutMs} ms` })
        )
    })

  /** The domain refuses such paths first; the adapter refuses them again so no caller can skip it. */
  const guard = (location: ObjectLocation): Effect.Effect<void, StorageError> => {
    if (!allowed.has(location.bucket)) {
      return Effect.fail(
        new StorageError({
          reason: "Forbidden",
          message: `bucket '${location.bucket}' is not one of the configured buckets (${[...allowed].join(", ")})`
        })
      )
    }
    const problem = objectKeyProblem(location.key)
    return problem === null ? Effect.void : Effect.fail(new StorageError({ reason: "Forbidden", message: problem }))
  }

  const download = (location: ObjectLocation, maxBytes: number, what: string) =>
    Effect.callback<StoredBatch, StorageError>((resume) => {
      let abandoned = false
      let body: Readable | undefined
      const settle = (effect: Effect.Effect<StoredBatch, StorageError>) => {
        if (abandoned) return
        abandoned = true
        body?.destroy()
        resume(effect)
      }
      client.getObject(location.bucket, location.key).then(
        (response) => {
          if (abandoned) {
            response.destroy()
            return
          }
          body = response
          if (!(response instanceof IncomingMessage)) {
            settle(Effect.fail(new StorageError({ reason: "Unknown", message: `${what}: unexpected response type` })))
            return
          }
          const metadata = metadataOf(response)
          const decoder = makeObjectDecoder(metadata, maxBytes, `${location.bucket}/${location.key}`)
          const declared = Number(response.headers["content-length"])
          // Refuse before reading anything when the server already says it is too large.
          const expected = Number.isFinite(declared) ? decoder.expect(declared) : Result.succeed(undefined)
          if (Result.isFailure(expected)) {
            settle(Effect.fail(expected.failure))
            return
          }
          response.on("data", (chunk: Uint8Array) => {
            const pushed = decoder.push(chunk)
            if (Result.isFailure(pushed)) settle(Effect.fail(pushed.failure))
          })
          response.on("error", (error) => settle(Effect.fail(toStorageError(error, what))))
          response.on("aborted", () =>
            settle(Effect.fail(new StorageError({ reason: "Unavailable", message: `${what}: connection lost while reading` }))))
          response.on("end", () => {
            const decoded = decoder.finish()
            settle(
              Result.isFailure(decoded)
                ? Effect.fail(decoded.failure)
                : Effect.succeed({ bytes: decoded.success, metadata: normalizeMetadata(metadata) })
            )
          })
        },
        (error: unknown) => settle(Effect.fail(toStorageError(error, what)))
      )
      // Interruption (the timeout, a shutdown) stops the download and frees the socket.
      return Effect.sync(() => {
        abandoned = true
        body?.destroy()
      })
    })

  const get = (location: ObjectLocation, maxBytes: number) => {
    const what = `GET ${location.bucket}/${location.key} from ${endpoint}`
    return guard(location).pipe(
      Effect.andThen(download(location, maxBytes, what).pipe(withTimeout(what))),
      Effect.withSpan("BatchStorageS3.get", { attributes: { bucket: location.bucket, key: location.key } })
    )
  }

  const put = (location: ObjectLocation, body: Uint8Array, putOptions?: PutOptions) => {
    const what = `PUT ${location.bucket}/${location.key} to ${endpoint}`
    return guard(location).pipe(
      Effect.andThen(putOptions?.compress === true ? compressZstd(body) : Effect.succeed(body)),
      Effect.flatMap((stored) =>
        Effect.tryPromise({
          try: () =>
            client.putObject(location.bucket, location.key, Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength), stored.byteLength, {
              "Content-Type": "application/json",
              ...(putOptions?.compress === true ? zstdMetadata : {})
            }),
          catch: (error) => toStorageError(error, what)
        }).pipe(withTimeout(what))
      ),
      Effect.asVoid,
      Effect.withSpan("BatchStorageS3.put", { attributes: { bucket: location.bucket, key: location.key } })
    )
  }

  const check = Effect.forEach(options.buckets, (bucket) => {
    const what = `HEAD bucket ${bucket} on ${endpoint}`
    return Effect.tryPromise({ try: () => client.bucketExists(bucket), catch: (error) => toStorageError(error, what) }).pipe(
      withTimeout(what),
      Effect.flatMap((exists) =>
        exists ? Effect.void : Effect.fail(new StorageError({ reason: "Unavailable", message: `${what}: the bucket does not exist` }))
      )
    )
  }, { discard: true }).pipe(Effect.withSpan("BatchStorageS3.check"))

  return BatchStorage.of({ get, put, check })
}

export const s3OptionsFromConfig = (config: AppConfig["Service"]): S3StorageOptions => ({
  endpoint: config.minioEndpoint,
  accessKey: config.minioAccessKey,
  secretKey: config.minioSecretKey,
  region: config.minioRegion,
  buckets: config.buckets,
  timeoutMs: config.storageTimeoutMs
})

/** BatchStorage on S3 with explicit options (tests, tools). */
export const layerBatchStorageS3 = (options: S3StorageOptions): Layer.Layer<BatchStorage> =>
  Layer.sync(BatchStorage, () => makeBatchStorageS3(options))

/** BatchStorage on S3 configured from AppConfig (§6 `MINIO_*`). */
export const BatchStorageLive: Layer.Layer<BatchStorage, never, AppConfig> = Layer.effect(
  BatchStorage,
  Effect.gen(function*() {
    const config = yield* AppConfig
    return makeBatchStorageS3(s3OptionsFromConfig(config))
  })
)

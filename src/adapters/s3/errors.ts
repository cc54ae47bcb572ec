import { Predicate } from "effect"
import { StorageError } from "../../ports/BatchStorage.ts"

/** Socket-level failures: the storage is unreachable right now, not the object's fault. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ERR_STREAM_PREMATURE_CLOSE"
])

/** S3 error codes that come with 5xx responses, and the ones minio-js invents for them. */
const SERVER_CODES = new Set([
  "InternalError",
  "ServiceUnavailable",
  "SlowDown",
  "RequestTimeout",
  "XMinioServerNotInitialized",
  "XMinioStorageFull"
])

/**
 * Credentials the server refuses are an operator problem, not the event's: classifying them
 * as `Unavailable` pauses consumption (readiness false) instead of dead-lettering every batch.
 */
const CREDENTIAL_CODES = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"])

const codeOf = (error: unknown): string | undefined =>
  Predicate.hasProperty(error, "code") && Predicate.isString(error.code) ? error.code : undefined

const messageOf = (error: unknown): string =>
  error instanceof Error && error.message.length > 0 ? error.message : String(error)

/** Maps a minio-js or socket error to the port's error; `what` names the request and object. */
export const toStorageError = (error: unknown, what: string): StorageError => {
  if (error instanceof StorageError) return error
  const code = codeOf(error)
  const detail = `${what}: ${code ?? "error"}${code === undefined ? "" : " "}${messageOf(error)}`.trim()
  if (code === "NoSuchKey" || code === "NotFound") {
    return new StorageError({ reason: "NotFound", message: `${what}: no such object` })
  }
  if (code === "NoSuchBucket") {
    // A configured bucket that is missing is an operator problem (or storage not fully up),
    // not the event's: pause and report not ready rather than dead-letter every batch.
    return new StorageError({ reason: "Unavailable", message: `${what}: the bucket does not exist` })
  }
  if (code !== undefined && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith("UND_ERR"))) {
    return new StorageError({ reason: "Unavailable", message: detail })
  }
  if (code !== undefined && CREDENTIAL_CODES.has(code)) {
    return new StorageError({
      reason: "Unavailable",
      message: `${what}: S3 login refused (${code}; check MINIO_ACCESS_KEY and MINIO_SECRET_KEY)`
    })
  }
  return new StorageError({ reason: "Unknown", message: detail })
}

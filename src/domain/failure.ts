/**
 * How a failure should be treated by the delivery use case (§5):
 * - `transient`: a dependency is unreachable or slow; keep the message, back off, retry;
 * - `permanent`: retrying cannot help; dead-letter at once with the reason;
 * - `unknown`: retry a bounded number of times (MAX_DELIVERY_ATTEMPTS), then dead-letter.
 */
export type FailureKind = "transient" | "permanent" | "unknown"

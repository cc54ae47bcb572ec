import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Exit } from "effect"
import { decodeEvent } from "../../src/domain/event.ts"
import { eventFor } from "../support/crawlerBatch.ts"
import { FUZZ_SEED, fuzzRuns } from "../support/fuzz.ts"

/**
 * Issue 11, point 6: only the configured buckets are read, and object keys with `..`, `.`,
 * absolute paths or their encodings are rejected before any request. This is the event
 * decoder's half; the storage adapter's half (a foreign bucket or a climbing key is Forbidden
 * without a request, the other bucket's object is never read) is in
 * test/s3/batchStorageS3.test.ts against a real S3 server, and end to end in
 * test/e2e/defects.e2e.test.ts.
 */
const BUCKETS = ["crawl-results", "crawl-results-2"]
const outcome = (minioPath: string) => {
  const exit = Effect.runSyncExit(decodeEvent(new TextEncoder().encode(JSON.stringify(eventFor(minioPath))), BUCKETS))
  if (Exit.isSuccess(exit)) return { ok: true as const, bucket: exit.value.bucket, key: exit.value.key }
  const reason = exit.cause.reasons[0]
  return { ok: false as const, code: reason?._tag === "Fail" ? reason.error.code : "DEFECT" }
}

describe("bucket escape", () => {
  it("climbing, absolute, empty-segment and encoded keys are INVALID_PATH; other buckets are FOREIGN_BUCKET", () => {
    const invalid = [
      "crawl-results/../other-bucket/secret.json",
      "crawl-results/a/../../other-bucket/secret.json",
      "crawl-results/./a.json",
      "crawl-results/a/..",
      "/crawl-results/a.json",
      "minio:///crawl-results/a.json",
      "crawl-results//etc/passwd",
      "crawl-results/%2e%2e/other-bucket/a.json",
      "crawl-results/%2E%2E%2Fother-bucket%2Fa.json",
      "crawl-results/..%5cother-bucket%5ca.json",
      "crawl-results/..\\other-bucket\\a.json",
      "crawl-results/a\u0000.json",
      "crawl-results/a\ud800.json",
      "crawl-results/",
      "crawl-results"
    ]
    for (const path of invalid) assert.deepStrictEqual(outcome(path), { ok: false, code: "INVALID_PATH" }, path)
    for (const path of ["other-bucket/a.json", "CRAWL-RESULTS/a.json", "crawl-results-3/a.json", "minio://other-bucket/a.json", "..//a.json"]) {
      assert.include(["FOREIGN_BUCKET", "INVALID_PATH"], (outcome(path) as { code?: string }).code, path)
    }
    assert.deepStrictEqual(outcome("crawl-results-2/tiktok/a..b/c.json"), { ok: true, bucket: "crawl-results-2", key: "tiktok/a..b/c.json" })
    assert.deepStrictEqual(outcome("minio://crawl-results/a.json"), { ok: true, bucket: "crawl-results", key: "a.json" })
  })

  it("any path made of segments that include '.', '..', '' or encodings never decodes to another bucket or a climbing key", () => {
    const segment = fc.oneof(fc.constantFrom("..", ".", "", "%2e%2e", "%2E", "%2f", "a", "b.json", "..a", "a..", "\\", " .."), fc.string({ maxLength: 4 }))
    fc.assert(
      fc.property(fc.constantFrom("", "minio://", "/"), fc.constantFrom(...BUCKETS, "other-bucket", ".."), fc.array(segment, { maxLength: 6 }), (prefix, bucket, segments) => {
        const result = outcome(`${prefix}${bucket}/${segments.join("/")}`)
        if (!result.ok) return assert.include(["INVALID_PATH", "FOREIGN_BUCKET", "MISSING_PATH"], result.code)
        assert.include(BUCKETS, result.bucket)
        const parts = result.key.split("/")
        assert.notInclude(parts, "..")
        assert.notInclude(parts, ".")
        assert.notInclude(parts, "")
        assert.notMatch(result.key, /%2e|%2f|%5c|\\/i)
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(2_000, 0.01) }
    )
  })
})

import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeEvent, firstUuid, objectKeyProblem, parseObjectPath, resolveProjectId } from "../../src/domain/event.ts"

const PROJECT = "a95796bc-5c7b-432b-bf99-0afa8ed81f0c"
const bytes = (value: unknown) =>
  value instanceof Uint8Array ? value : new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value))
const event = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  event_id: "evt_1",
  event_type: "data.collected",
  timestamp: "2025-12-06T10:15:30",
  payload: { minio_path: `crawl-results/tiktok/${PROJECT}/brand/batch_000.json`, project_id: PROJECT, ...payload },
  ...extra
})
const decode = (value: unknown) => decodeEvent(bytes(value), ["crawl-results"])
const rejectionCode = (value: unknown) =>
  decode(value).pipe(Effect.flip, Effect.map((e) => e.code))

describe("the data.collected event", () => {
  it.effect("a rejection that quotes the event carries no NUL or lone surrogate (it becomes a header and a log line)", () =>
    Effect.gen(function*() {
      const rejected = yield* decode(event({ platform: "tik\u0000tok\ud800" })).pipe(Effect.flip)
      assert.strictEqual(rejected.code, "SCHEMA_INVALID")
      assert.include(rejected.message, "tiktok\ufffd")
      assert.notMatch(rejected.message, /\u0000|[\ud800-\udbff](?![\udc00-\udfff])/)
    }))

  it.effect("a full event decodes, with a naive timestamp read as UTC and unknown fields ignored", () =>
    Effect.gen(function*() {
      const decoded = yield* decode(event({
        job_id: `${PROJECT}-brand-0`,
        platform: "tiktok",
        batch_index: 1,
        content_count: 50,
        task_type: "research_and_crawl",
        brand_name: "VinFast",
        keyword: "VinFast VF8",
        total_batches: 12,
        added_by_a_newer_crawler: true
      }, { also_unknown: 1 }))
      assert.strictEqual(decoded.bucket, "crawl-results")
      assert.strictEqual(decoded.key, `tiktok/${PROJECT}/brand/batch_000.json`)
      assert.strictEqual(decoded.platform, "TIKTOK")
      assert.strictEqual(decoded.context.event_time, "2025-12-06T10:15:30.000Z")
      assert.strictEqual(decoded.context.project_id, PROJECT)
      assert.strictEqual(decoded.context.batch_index, 1)
      assert.strictEqual(decoded.context.brand_name, "VinFast")
      assert.strictEqual(decoded.projectIdProblem, null)
    }))

  it.effect("a minio:// prefix is stripped and an offset timestamp is converted to UTC", () =>
    Effect.gen(function*() {
      const decoded = yield* decode(event(
        { minio_path: "minio://crawl-results/youtube/x/batch_001.json", platform: "YOUTUBE" },
        { timestamp: "2025-12-06T17:15:30+07:00" }
      ))
      assert.strictEqual(decoded.objectPath, "crawl-results/youtube/x/batch_001.json")
      assert.strictEqual(decoded.platform, "YOUTUBE")
      assert.strictEqual(decoded.context.event_time, "2025-12-06T10:15:30.000Z")
    }))

  it.effect("each permanent rejection has its code", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* rejectionCode("{not json"), "NOT_JSON")
      assert.strictEqual(yield* rejectionCode(new Uint8Array([0xff, 0xfe])), "NOT_JSON")
      assert.strictEqual(yield* rejectionCode({ ...event({}), event_type: "data.deleted" }), "SCHEMA_INVALID")
      assert.strictEqual(yield* rejectionCode({ event_type: "data.collected" }), "SCHEMA_INVALID")
      assert.strictEqual(yield* rejectionCode(event({ minio_path: undefined })), "MISSING_PATH")
      assert.strictEqual(yield* rejectionCode(event({ minio_path: "   " })), "MISSING_PATH")
      assert.strictEqual(yield* rejectionCode(event({ minio_path: "crawl-results/" })), "INVALID_PATH")
      assert.strictEqual(yield* rejectionCode(event({ minio_path: "/batch.json" })), "INVALID_PATH")
      assert.strictEqual(yield* rejectionCode(event({ minio_path: "crawl-results/../other-bucket/secret.json" })), "INVALID_PATH")
      assert.strictEqual(yield* rejectionCode(event({ minio_path: "other-bucket/a.json" })), "FOREIGN_BUCKET")
      assert.strictEqual(yield* rejectionCode(event({ platform: "facebook" })), "SCHEMA_INVALID")
    }))

  it.effect("a rejection message says what is wrong", () =>
    Effect.gen(function*() {
      const error = yield* decode(event({ minio_path: "secrets/a.json" })).pipe(Effect.flip)
      assert.include(error.message, "'secrets'")
      assert.include(error.message, "'crawl-results'")
    }))

  it.effect("a project id with a suffix keeps its UUID; none at all is a problem unless a dry run", () =>
    Effect.gen(function*() {
      const suffixed = yield* decode(event({ project_id: `${PROJECT.toUpperCase()}-competitor` }))
      assert.strictEqual(suffixed.context.project_id, PROJECT)
      const garbage = yield* decode(event({ project_id: "not-a-project" }))
      assert.strictEqual(garbage.context.project_id, null)
      assert.include(garbage.projectIdProblem ?? "", "not-a-project")
      const dryRun = yield* decode(event({ project_id: null, task_type: "dryrun_keyword" }))
      assert.strictEqual(dryRun.context.project_id, null)
      assert.strictEqual(dryRun.projectIdProblem, null)
    }))
})

describe("event helpers", () => {
  it("takes the project from a job id when project_id is absent", () => {
    assert.strictEqual(resolveProjectId(null, `${PROJECT}-competitor-3`), PROJECT)
    assert.strictEqual(resolveProjectId(null, "job-without-project"), null)
    assert.strictEqual(resolveProjectId("junk", `${PROJECT}-brand-0`), null)
  })
  it("finds the first UUID in a string", () => {
    assert.strictEqual(firstUuid(`x ${PROJECT} y`), PROJECT)
    assert.strictEqual(firstUuid("a95796bc-5c7b-432b-bf99"), null)
  })
  it("splits bucket and key", () => {
    assert.deepStrictEqual(parseObjectPath("b/k/x.json"), { bucket: "b", key: "k/x.json" })
    assert.deepStrictEqual(parseObjectPath("minio://b/k/x.json"), { bucket: "b", key: "k/x.json" })
    assert.ok("problem" in parseObjectPath("nokey"))
  })
  it("refuses keys that could resolve outside the bucket or prefix", () => {
    for (
      const path of [
        "crawl-results/../other-bucket/secret.json",
        "crawl-results/a/../../other/x.json",
        "crawl-results/./a.json",
        "crawl-results/a/..",
        "crawl-results//a.json",
        "crawl-results/a/",
        "crawl-results/a\\..\\b.json",
        "crawl-results/%2e%2e/other/x.json",
        "crawl-results/%2E./x.json",
        "crawl-results/a%2fb.json",
        "crawl-results/a%5cb.json",
        "crawl-results/a\u0000b.json",
        "/crawl-results/a.json",
        "minio:///crawl-results/a.json"
      ]
    ) {
      const parsed = parseObjectPath(path)
      assert.ok("problem" in parsed, `${JSON.stringify(path)} was accepted as ${JSON.stringify(parsed)}`)
    }
    assert.strictEqual(objectKeyProblem("tiktok/p/brand/batch_000.json"), null)
    assert.strictEqual(objectKeyProblem("tiktok/p/brand/batch.v2..json"), null)
  })
})

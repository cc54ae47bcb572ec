import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventFor, PROJECT_ID, rawBatch } from "../support/crawlerBatch.ts"
import { makeWorld, waitFor, type World } from "./harness.ts"

/**
 * The service end to end: `smap-analytics consume` as a child process against the machine's
 * RabbitMQ and PostgreSQL and an s3rver on loopback, fed the way crawlers feed it.
 */
describe("consume, end to end", () => {
  let world: World
  let n = 0
  const key = (platform = "tiktok") => `${platform}/${PROJECT_ID}/brand/batch_${String(++n).padStart(3, "0")}.json`
  const rows = (table: string, where = "true") => world.count(table, where)

  beforeAll(async () => {
    world = await makeWorld()
    world.startConsumer("node")
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
  }, 120_000)
  afterAll(async () => {
    await world?.close()
  }, 60_000)

  it("a 50-post TikTok batch and a 20-post YouTube batch are stored with every column right", async () => {
    const publish = await world.cli([
      "publish", "examples/tiktok_batch_000.json", "--platform", "tiktok", "--project", PROJECT_ID, "--batch-index", "0", "--compress"
    ])
    expect(publish.code, publish.stderr).toBe(0)
    const youtube = key("youtube")
    await world.upload(youtube, rawBatch(20, { platform: "YOUTUBE", offset: 100 }))
    await world.publish(eventFor(`${world.bucket}/${youtube}`, { platform: "youtube", content_count: 20 }))
    await waitFor("both batches", async () => (await rows("batch_ledger", "status = 'completed'")) === 2)

    expect(await rows("post_analytics", "platform = 'TIKTOK'")).toBe(48)
    expect(await rows("crawl_errors", "platform = 'TIKTOK'")).toBe(2)
    expect(await rows("post_analytics", "platform = 'YOUTUBE'")).toBe(20)
    const [post] = await world.query<Record<string, unknown>>(
      "SELECT * FROM post_analytics WHERE id = '7576276451171880000'"
    )
    expect(post).toBeDefined()
    expect(post?.["project_id"]).toBe(PROJECT_ID)
    expect(post?.["platform"]).toBe("TIKTOK")
    expect(post?.["job_id"]).toBe(`${PROJECT_ID}-brand-0`)
    expect(post?.["batch_index"]).toBe(0)
    expect(post?.["task_type"]).toBe("research_and_crawl")
    expect(post?.["keyword_source"]).toBe("brand")
    expect(post?.["pipeline_version"]).toBe("crawler_v2")
    expect(post?.["fetch_status"]).toBe("success")
    expect(post?.["model_version"]).toMatch(/^lexicon-vi-en@/)
    expect(Number(post?.["processing_time_ms"])).toBeGreaterThan(0)
    expect((post?.["analyzed_at"] as Date).getTime()).toBeGreaterThan((post?.["crawled_at"] as Date).getTime())
    expect(["POSITIVE", "NEGATIVE", "NEUTRAL"]).toContain(post?.["overall_sentiment"])
    expect(String(post?.["view_count"])).toBe("7000")
    expect(post?.["permalink"]).toContain("7576276451171880000")
    expect(post?.["crawled_at"]).toBeInstanceOf(Date)
    expect((post?.["crawled_at"] as Date).toISOString()).toBe("2025-12-06T10:14:00.000Z")
    expect(post?.["hashtags"]).toEqual(["vinfast", "vf8", "xedien"])
    expect(post?.["impact_breakdown"]).toHaveProperty("engagement_score")
    const [types] = await world.query<{ t: string }>(
      "SELECT data_type AS t FROM information_schema.columns WHERE table_name = 'post_analytics' AND column_name = 'analyzed_at'"
    )
    expect(types?.t).toBe("timestamp with time zone")
  })

  it("validate passes against the running world, and names a queue declared with other arguments", async () => {
    const good = await world.cli(["validate"])
    expect(good.code, good.stdout + good.stderr).toBe(0)
    expect(good.stdout).toMatch(/ok\s+rabbitmq\s+event queue/)
    expect(good.stdout).toMatch(/ok\s+storage\s+buckets/)
    const bad = await world.cli(["validate"], { DEAD_LETTER_EXCHANGE: `${world.names.DEAD_LETTER_EXCHANGE}.other` })
    expect(bad.code).toBe(1)
    // The report is the output: stdout whatever the result; stderr says in one line that it failed.
    expect(bad.stdout).toMatch(/FAIL\s+rabbitmq\s+event queue.*inequivalent arg 'x-dead-letter-exchange'/)
    expect(bad.stderr.trim()).toMatch(/^smap-analytics validate: \d+ problem\(s\)$/)
    const json = await world.cli(["validate", "--json"], { DEAD_LETTER_EXCHANGE: `${world.names.DEAD_LETTER_EXCHANGE}.other` })
    expect(json.code).toBe(1)
    const report = JSON.parse(json.stdout) as { ok: boolean; results: ReadonlyArray<{ group: string; ok: boolean }> }
    expect(report.ok).toBe(false)
    expect(report.results.some((r) => r.group === "rabbitmq" && !r.ok)).toBe(true)
  })

  it("crawler error items land in crawl_errors, and every ledger row matches its rows", async () => {
    const [error] = await world.query<Record<string, unknown>>("SELECT * FROM crawl_errors ORDER BY content_id LIMIT 1")
    expect(error?.["error_code"]).toMatch(/CONTENT_REMOVED|RATE_LIMITED/)
    expect(["content", "rate_limiting"]).toContain(error?.["error_category"])
    const mismatched = await world.query<{ object_path: string }>(`
      SELECT l.object_path FROM batch_ledger l
      WHERE l.status = 'completed' AND l.actual_size <> l.stored_count + l.skipped_count + l.error_count`)
    expect(mismatched).toEqual([])
  })

  it("a partial batch raises the mismatch counter with bounded labels, visible on /metrics", async () => {
    const path = key()
    await world.upload(path, rawBatch(7, { offset: 200 }))
    await world.publish(eventFor(`${world.bucket}/${path}`))
    await waitFor("partial batch", async () => (await rows("batch_ledger", `object_path = '${world.bucket}/${path}'`)) === 1)
    const text = await world.metrics()
    expect(text).toContain('analytics_batch_size_mismatch_total{platform="TIKTOK",expected_size="50",actual_size="7"} 1')
    for (const series of [
      "analytics_messages_total", "analytics_items_total", "analytics_batch_duration_seconds_bucket",
      "analytics_stage_duration_seconds_bucket", "analytics_inflight_batches", "analytics_dependency_up", "process_cpu_seconds_total"
    ]) expect(text).toContain(series)
    expect(text).toMatch(/analytics_messages_total\{outcome="acked"\} [3-9]/)
  })

  it("the same event published twice leaves one set of rows", async () => {
    const path = key()
    await world.upload(path, rawBatch(50, { offset: 300, errorEvery: 10 }))
    const event = eventFor(`${world.bucket}/${path}`)
    await world.publish(event)
    await waitFor("first", async () => (await rows("batch_ledger", `object_path = '${world.bucket}/${path}' AND attempts = 1`)) === 1)
    const before = [await rows("post_analytics"), await rows("crawl_errors")]
    await world.publish(event)
    await waitFor("second", async () => (await rows("batch_ledger", `object_path = '${world.bucket}/${path}' AND attempts = 2`)) === 1)
    expect([await rows("post_analytics"), await rows("crawl_errors")]).toEqual(before)
  })

  it("every permanent failure class ends in the dead-letter queue with its reason, and nothing is written", async () => {
    const before = [await rows("post_analytics"), await rows("crawl_errors"), await rows("batch_ledger")]
    const notBatch = key()
    await world.upload(notBatch, { posts: [] })
    const corrupt = key()
    await world.uploadRaw(corrupt, new TextEncoder().encode("[not zstd]"), { "x-amz-meta-compressed": "true" })
    const cases: Array<[string, unknown]> = [
      ["NOT_JSON", "{definitely not json"],
      ["SCHEMA_INVALID", { event_type: "data.collected" }],
      ["MISSING_PATH", eventFor("")],
      ["FOREIGN_BUCKET", eventFor("someone-elses-bucket/batch.json")],
      ["OBJECT_MISSING", eventFor(`${world.bucket}/tiktok/none/batch_999.json`)],
      ["NOT_A_BATCH", eventFor(`${world.bucket}/${notBatch}`)],
      ["CORRUPT_COMPRESSION", eventFor(`${world.bucket}/${corrupt}`)]
    ]
    for (const [, body] of cases) await world.publish(body)
    await waitFor("dead letters", async () => (await world.deadLetters()).length >= cases.length)
    const letters = await world.deadLetters()
    const codes = letters.map((m) => String(m.properties.headers?.["x-smap-error-code"]))
    expect(codes.sort()).toEqual(cases.map(([code]) => code).sort())
    for (const letter of letters) expect(String(letter.properties.headers?.["x-smap-error-message"]).length).toBeGreaterThan(10)
    expect([await rows("post_analytics"), await rows("crawl_errors")]).toEqual(before.slice(0, 2))
    // The batches the events named (missing, not a batch, corrupt) are in the ledger as failed.
    expect(await rows("batch_ledger")).toBe((before[2] ?? 0) + 3)
    expect(await rows("batch_ledger", "status = 'failed'")).toBe(3)
    expect(await world.queueDepth()).toBe(0)
    // The production wiring counts each by its code; codes not seen stay at 0.
    const deadLettersByCode = async () =>
      Object.fromEntries([...(await world.metrics()).matchAll(/^analytics_dead_letters_total\{code="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]))
    await waitFor("dead letters on /metrics", async () => {
      const byCode = await deadLettersByCode()
      return cases.every(([code]) => (byCode[code] ?? 0) >= 1)
    })
    const byCode = await deadLettersByCode()
    for (const [code] of cases) expect(byCode[code], code).toBe(1)
    expect(byCode["DATABASE_ERROR"]).toBe(0)
  })

  it("dead-letters list shows each reason; replay moves them back to the main queue", async () => {
    const list = await world.cli(["dead-letters", "list", "--json"])
    expect(list.code, list.stderr).toBe(0)
    const listed = list.stdout.trim().split("\n").map((l) => JSON.parse(l) as { errorCode: string; errorMessage: string })
    expect(listed.map((l) => l.errorCode)).toContain("FOREIGN_BUCKET")
    expect(listed.every((l) => l.errorMessage.length > 10)).toBe(true)
    expect((await world.deadLetters()).length).toBe(listed.length)
    const dead = await world.deadLetters()
    const deadBefore = Number(/analytics_messages_total\{outcome="dead_lettered"\} (\d+)/.exec(await world.metrics())?.[1] ?? "0")
    const replay = await world.cli(["dead-letters", "replay", "--all"])
    expect(replay.code, replay.stderr).toBe(0)
    expect(replay.stdout).toContain(`replayed ${dead.length}`)
    // The consumer takes the replayed events again; being permanent failures, they return to the DLQ.
    await waitFor("replayed events processed again", async () =>
      Number(/analytics_messages_total\{outcome="dead_lettered"\} (\d+)/.exec(await world.metrics())?.[1] ?? "0") === deadBefore + dead.length)
  })
})

describe("consume, limits and shutdown end to end", () => {
  let world: World
  beforeAll(async () => {
    world = await makeWorld()
  }, 120_000)
  afterAll(async () => {
    await world?.close()
  }, 60_000)

  it("a batch over MAX_BATCH_BYTES is dead-lettered with OVER_LIMIT and nothing is written", async () => {
    const consumer = world.startConsumer("node", { MAX_BATCH_BYTES: "4096" })
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
    await world.upload("tiktok/p/brand/big.json", rawBatch(50))
    await world.publish(eventFor(`${world.bucket}/tiktok/p/brand/big.json`))
    await waitFor("over-limit dead letter", async () => (await world.deadLetters()).length === 1, 60_000)
    const [letter] = await world.deadLetters()
    expect(letter?.properties.headers?.["x-smap-error-code"]).toBe("OVER_LIMIT")
    expect(await world.query("SELECT 1 FROM post_analytics")).toEqual([])
    consumer.child.kill("SIGTERM")
    expect(await consumer.exited).toBe(0)
  })

  it("SIGTERM during batches loses nothing: the consumer exits 0 and a restart finishes the rest", async () => {
    const paths: Array<string> = []
    for (let i = 0; i < 12; i++) {
      const path = `tiktok/${PROJECT_ID}/brand/sigterm_${i}.json`
      await world.upload(path, rawBatch(50, { offset: 1000 + i * 50 }))
      paths.push(path)
    }
    const first = world.startConsumer("node", { MAX_CONCURRENT_BATCHES: "2", RABBITMQ_PREFETCH_COUNT: "2" })
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
    for (const path of paths) await world.publish(eventFor(`${world.bucket}/${path}`))
    await waitFor("a first batch", async () =>
      Number((await world.query<{ n: string }>("SELECT count(*)::text AS n FROM batch_ledger WHERE object_path LIKE '%sigterm%'"))[0]?.n) >= 1)
    first.child.kill("SIGTERM")
    expect(await first.exited).toBe(0)
    expect(first.logs()).toContain("draining")
    const second = world.startConsumer("node")
    await waitFor("all batches after restart", async () =>
      Number((await world.query<{ n: string }>("SELECT count(*)::text AS n FROM batch_ledger WHERE object_path LIKE '%sigterm%'"))[0]?.n) === 12, 60_000)
    const [counts] = await world.query<{ posts: string }>(
      "SELECT count(*)::text AS posts FROM post_analytics WHERE id::numeric BETWEEN 7576276451171881000 AND 7576276451171881599")
    expect(Number(counts?.posts)).toBe(600)
    expect(await world.queueDepth()).toBe(0)
    second.child.kill("SIGTERM")
    expect(await second.exited).toBe(0)
  })
})

describe("consume under Deno", () => {
  let world: World
  beforeAll(async () => {
    world = await makeWorld()
  }, 120_000)
  afterAll(async () => {
    await world?.close()
  }, 60_000)

  it("stores a published batch", async () => {
    const path = `youtube/${PROJECT_ID}/brand/deno.json`
    await world.upload(path, rawBatch(20, { platform: "YOUTUBE", offset: 500 }), true)
    const consumer = world.startConsumer("deno")
    await waitFor("readiness under Deno", async () => (await world.ready()) === 200, 90_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${consumer.logs().slice(-3000)}`)
    })
    await world.publish(eventFor(`${world.bucket}/${path}`, { platform: "youtube" }))
    await waitFor("the batch stored by Deno", async () =>
      Number((await world.query<{ n: string }>("SELECT count(*)::text AS n FROM post_analytics WHERE platform = 'YOUTUBE'"))[0]?.n) === 20,
      90_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${consumer.logs().slice(-3000)}`)
    })
    consumer.child.kill("SIGTERM")
    expect(await consumer.exited).toBe(0)
  })
})

import { spawnSync } from "node:child_process"
import { cpSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const analyze = (args: ReadonlyArray<string>, input?: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(ROOT, "bin/smap-analytics.js"), "analyze", ...args], {
    cwd: ROOT,
    input,
    encoding: "utf8",
    env: { ...process.env, ...env }
  })

describe("smap-analytics analyze", () => {
  it("prints one JSON record per item with the column names and a record field", () => {
    const result = analyze(["examples/tiktok_batch_000.json", "--now", "2025-12-06T10:16:00Z"])
    expect(result.status).toBe(0)
    const records = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(records).toHaveLength(50)
    expect(records.filter((r) => r["record"] === "error")).toHaveLength(2)
    const first = records[0]
    expect(first?.["record"]).toBe("analytics")
    expect(first?.["id"]).toBe("7576276451171880000")
    expect(first?.["analyzed_at"]).toBe("2025-12-06T10:16:00.000Z")
    for (const column of ["overall_sentiment", "primary_intent", "impact_score", "risk_level", "aspects_breakdown", "keywords"]) {
      expect(first).toHaveProperty(column)
    }
  })

  it("reads a single item from stdin", () => {
    const result = analyze(["-", "--now", "2025-12-06T10:16:00Z"], '{"meta":{"id":"1"},"content":{"text":"Xe đẹp quá, rất hài lòng"}}')
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ record: "analytics", id: "1", overall_sentiment: "POSITIVE" })
  })

  it("bad input prints a clear message on stderr and exits non-zero", () => {
    const notJson = analyze(["-"], "{oops")
    expect(notJson.status).not.toBe(0)
    expect(notJson.stderr).toContain("is not JSON")
    expect(notJson.stdout).toBe("")
    const notItems = analyze(["-"], '"just a string"')
    expect(notItems.status).not.toBe(0)
    expect(notItems.stderr).toContain("neither an item")
    const badNow = analyze(["examples/tiktok_batch_000.json", "--now", "yesterday"])
    expect(badNow.status).not.toBe(0)
    expect(badNow.stderr).toContain("--now needs an ISO-8601 time")
  })

  it("LEXICON_PATH replaces the built-in lexicons, and a broken one stops with the field named", () => {
    const directory = mkdtempSync(join(tmpdir(), "smap-lexicon-"))
    cpSync(join(ROOT, "data/lexicon"), directory, { recursive: true })
    const copy = analyze(["-", "--now", "2025-12-06T10:16:00Z"], '{"meta":{"id":"1"},"content":{"text":"Xe đẹp quá"}}', { LEXICON_PATH: directory })
    expect(copy.status).toBe(0)
    writeFileSync(join(directory, "teencode.json"), JSON.stringify({ version: "x", entries: 42 }))
    const broken = analyze(["-"], '{"meta":{"id":"1"}}', { LEXICON_PATH: directory })
    expect(broken.status).not.toBe(0)
    expect(broken.stderr).toContain("LEXICON_PATH")
    expect(broken.stderr).toContain("teencode")
  })

  it("an invalid configuration value stops it with one line naming the variable", () => {
    const result = analyze(["-"], "[]", { PREPROCESSOR_MIN_TEXT_LENGTH: "zero" })
    expect(result.status).not.toBe(0)
    expect(result.stderr.trim().split("\n")).toHaveLength(1)
    expect(result.stderr).toContain("PREPROCESSOR_MIN_TEXT_LENGTH")
  })
})

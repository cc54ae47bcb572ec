import { spawn } from "node:child_process"
import { mkdtempSync, openSync, readFileSync, writeSync, closeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { objectItems, type ObjectPart } from "../../src/cli/jsonArray.ts"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const BIN = join(ROOT, "bin/smap-analytics.js")
const NOW = "2025-12-06T10:16:00Z"

const collect = async (chunks: ReadonlyArray<string>): Promise<Array<ObjectPart>> => {
  const parts: Array<ObjectPart> = []
  for await (const part of objectItems((async function*() { yield* chunks })())) parts.push(part)
  return parts
}

/** Splits text at the given fractions, so element boundaries fall inside chunks and between them. */
const split = (text: string, cuts: ReadonlyArray<number>) => {
  const points = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b)
  const chunks: Array<string> = []
  let from = 0
  for (const p of points) {
    chunks.push(text.slice(from, p))
    from = p
  }
  chunks.push(text.slice(from))
  return chunks
}

describe("objectItems: the items array of { items: [ … ] }, element by element", () => {
  it("gives each element's text, whatever the chunking and the object's other members", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.jsonValue(), { maxLength: 8 }),
      fc.dictionary(fc.string().filter((k) => k !== "items"), fc.jsonValue(), { maxKeys: 3 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
      fc.boolean(),
      async (items, others, cuts, itemsFirst) => {
        const object = itemsFirst ? { items, ...others } : { ...others, items }
        const text = JSON.stringify(object, null, itemsFirst ? 0 : 2)
        const parts = await collect(split(text, cuts))
        expect(parts.every((p) => p._tag === "Item")).toBe(true)
        expect(parts.map((p) => JSON.parse(p.text) as unknown)).toEqual(JSON.parse(JSON.stringify(items)))
      }
    ), { numRuns: 300 })
  })

  it("an object without an items array comes back whole, to be read as one item", async () => {
    const item = { meta: { id: "1", note: "{\"items\": [1]}" }, items: 5, content: { text: "x ] }" } }
    const parts = await collect(split(JSON.stringify(item), [0.3, 0.6]))
    expect(parts).toHaveLength(1)
    expect(parts[0]?._tag).toBe("Whole")
    expect(JSON.parse(parts[0]?.text ?? "")).toEqual(item)
  })

  it("refuses what is not one object", async () => {
    await expect(collect(['{"items": [1, 2'])).rejects.toThrow(/not closed/)
    await expect(collect(['{"items": [1,, 2]}'])).rejects.toThrow(/empty array element/)
    await expect(collect(['{"items": [1]} {}'])).rejects.toThrow(/after the object/)
    await expect(collect(["{oops}"])).rejects.toThrow(/unexpected 'o'/)
  })
})

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
  readonly maxRssKiB: number
}

/** The binary, with its peak RSS measured by process.resourceUsage at exit. */
const analyze = (args: ReadonlyArray<string>, options: { readonly stopAfterFirstLine?: boolean } = {}) =>
  new Promise<Run>((resolve) => {
    const rssFile = join(mkdtempSync(join(tmpdir(), "smap-rss-")), "rss")
    const child = spawn(process.execPath, ["--require", join(ROOT, "test/cli/support/maxRss.cjs"), BIN, "analyze", ...args], {
      cwd: ROOT,
      env: { ...process.env, SMAP_MAX_RSS_FILE: rssFile }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString()
      if (options.stopAfterFirstLine === true && stdout.includes("\n")) child.stdout.destroy()
    })
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString() })
    child.on("exit", (status) => resolve({ status, stdout, stderr, maxRssKiB: Number(readFileSync(rssFile, "utf8")) }))
  })

/** `{ "meta": …, "items": [ … ] }` of at least `megabytes` MB, from the example batch. */
const bigObjectBatch = (megabytes: number) => {
  const items = JSON.parse(readFileSync(join(ROOT, "examples/tiktok_batch_000.json"), "utf8")) as Array<unknown>
  const block = items.map((i) => JSON.stringify(i)).join(",")
  const file = join(mkdtempSync(join(tmpdir(), "smap-analyze-")), "items.json")
  const fd = openSync(file, "w")
  writeSync(fd, '{"meta":{"source":"test"},"items":[')
  let written = 0
  let blocks = 0
  while (written < megabytes * 1024 * 1024) {
    writeSync(fd, (blocks === 0 ? "" : ",") + block)
    written += block.length
    blocks++
  }
  writeSync(fd, '],"after":{"note":"]}"}}')
  closeSync(fd)
  return { file, items: blocks * items.length }
}

describe("analyze streams the { items: [ … ] } form", () => {
  it("a large input runs in the memory a small one takes (peak RSS), with every record written", async () => {
    const small = await analyze(["examples/tiktok_batch_000.json", "--now", NOW])
    expect(small.status, small.stderr).toBe(0)
    const { file, items } = bigObjectBatch(25)
    const big = await analyze([file, "--now", NOW])
    expect(big.status, big.stderr.slice(-2000)).toBe(0)
    expect(big.stdout.split("\n").filter((l) => l !== "")).toHaveLength(items)
    // Read whole, 25 MB of JSON costs hundreds of MB of heap; streamed, the peak stays near the small run's.
    expect(big.maxRssKiB, `small ${small.maxRssKiB} KiB, big ${big.maxRssKiB} KiB`).toBeLessThan(small.maxRssKiB + 64 * 1024)
  }, 240_000)

  it("analyze … | head -1 on that form ends quietly with exit 0", async () => {
    const { file } = bigObjectBatch(5)
    const result = await analyze([file, "--now", NOW], { stopAfterFirstLine: true })
    expect(JSON.parse(result.stdout.split("\n")[0] ?? "")).toMatchObject({ record: "analytics" })
    expect(result.status).toBe(0)
    expect(result.stderr).toBe("")
  }, 120_000)
})

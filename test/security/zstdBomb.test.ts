import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

/**
 * Issue 11, point 6: a zstd bomb is stopped at the limit while decompressing, and the memory
 * used stays near the limit, far below what the bomb would expand to. Measured in a child
 * process (peak resident set size, `process.resourceUsage().maxRSS`), so nothing else of the
 * test run counts. The shared decoder is src/adapters/storage/decodeObject.ts; the S3 adapter
 * feeds it the object as it streams in (test/s3/batchStorageS3.test.ts covers that path).
 */
const SCRIPT = fileURLToPath(new URL("./support/zstdBomb.ts", import.meta.url))
const MiB = 1024 * 1024

const decodeBomb = (bombBytes: number, limitBytes: number) => {
  const run = spawnSync(process.execPath, ["--import", "tsx", SCRIPT, String(bombBytes), String(limitBytes)], {
    encoding: "utf8",
    timeout: 60_000
  })
  expect(run.status, run.stderr).toBe(0)
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as {
    compressedBytes: number
    outcome: string
    rssBefore: number
    peakRss: number
    ms: number
  }
}

describe("a zstd bomb", () => {
  it("expanding to 2 GiB is refused TooLarge at a 32 MiB limit, with memory growth bounded by the limit", () => {
    const limit = 32 * MiB
    const bomb = decodeBomb(2048 * MiB, limit)
    expect(bomb.compressedBytes).toBeLessThan(100 * 1024)
    expect(bomb.outcome).toBe("TooLarge")
    const growth = bomb.peakRss - bomb.rssBefore
    // What is held is the output up to the limit, copied once, plus the decoder's window.
    expect(growth, JSON.stringify(bomb)).toBeLessThan(limit * 2 + 16 * MiB)
    expect(bomb.peakRss, JSON.stringify(bomb)).toBeLessThan(512 * MiB)
  }, 90_000)

  it("the same frame within the limit decodes whole (the bomb is a valid frame, not rejected for its form)", () => {
    const bomb = decodeBomb(4 * MiB, 8 * MiB)
    expect(bomb.outcome).toBe(`decoded ${4 * MiB} bytes`)
  }, 90_000)
})

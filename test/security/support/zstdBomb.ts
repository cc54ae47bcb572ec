/**
 * Run as a child process by test/security/zstdBomb.test.ts, so that its peak resident memory is
 * this decode's alone: builds a zstd frame that expands to `BOMB_BYTES` (RLE blocks, a few
 * bytes each, never materialised), decodes it with `decodeObject` under `LIMIT_BYTES`, and
 * prints the outcome and the memory figures as one JSON line.
 */
import { Result } from "effect"
import { decodeObject } from "../../../src/adapters/storage/decodeObject.ts"

const bombBytes = Number(process.argv[2])
const limitBytes = Number(process.argv[3])

/** A zstd frame of RLE blocks of 128 KiB each: `size` bytes of 'A' in about size / 32 Ki bytes. */
const rleBomb = (size: number): Uint8Array => {
  const block = 128 * 1024
  const blocks = Math.ceil(size / block)
  const frame = new Uint8Array(4 + 1 + 1 + blocks * 4)
  frame.set([0x28, 0xb5, 0x2f, 0xfd], 0) // magic number
  frame[4] = 0x00 // frame header descriptor: no content size, no checksum, window descriptor follows
  frame[5] = 7 << 3 // window 2^(10+7) = 128 KiB
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0
    const header = last | (1 << 1) | (block << 3) // RLE block regenerating `block` bytes
    const at = 6 + i * 4
    frame[at] = header & 0xff
    frame[at + 1] = (header >> 8) & 0xff
    frame[at + 2] = (header >> 16) & 0xff
    frame[at + 3] = 0x41
  }
  return frame
}

const bomb = rleBomb(bombBytes)
globalThis.gc?.()
const before = process.memoryUsage().rss
const started = performance.now()
const result = decodeObject(bomb, { "x-amz-meta-compressed": "true" }, limitBytes)
const ms = performance.now() - started
// maxRSS is in KiB and covers the whole process life: the peak of the decode or of the start-up.
const peak = process.resourceUsage().maxRSS * 1024
console.log(JSON.stringify({
  compressedBytes: bomb.length,
  outcome: Result.isFailure(result) ? result.failure.reason : `decoded ${result.success.length} bytes`,
  rssBefore: before,
  peakRss: peak,
  ms
}))

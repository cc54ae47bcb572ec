import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))

/**
 * `npm run eval:real` reads every sentence of the pinned `sentiment` package's fixtures and
 * accounts for each one. Its scores are reported, never asserted: the set is not tuned on.
 */
describe("eval:real (real user text, UCI review sentences)", () => {
  it("finds the fixtures, runs all 3 000 sentences and counts each once", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "bench/evalReal.ts", "--json"], { cwd: root, encoding: "utf8" })
    const report = JSON.parse(out) as {
      modelVersion: string
      sources: Array<{ source: string; total: number; agree: number; neutral: number; polar: number; noPrediction: number; confusion: Record<string, Record<string, number>> }>
      all: { total: number }
    }
    expect(report.modelVersion).toMatch(/\+logreg-/)
    expect(report.sources.map((s) => [s.source, s.total])).toEqual([["amazon", 1000], ["imdb", 1000], ["yelp", 1000]])
    expect(report.all.total).toBe(3000)
    for (const s of report.sources) {
      const cells = Object.values(s.confusion).flatMap((row) => Object.values(row))
      expect(cells.reduce((a, b) => a + b, 0)).toBe(s.total)
      expect(Object.values(s.confusion).map((row) => Object.values(row).reduce((a, b) => a + b, 0))).toEqual([500, 500])
      expect(s.polar + s.neutral + s.noPrediction).toBe(s.total)
      expect(s.noPrediction).toBe(0)
    }
  }, 120_000)
})

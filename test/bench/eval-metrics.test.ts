import { describe, expect, it } from "vitest"
import {
  accuracy,
  aspectPairs,
  confusion,
  detectionScores,
  errorSeverity,
  type ExampleResult,
  extraAspects,
  formatConfusion,
  formatTable,
  isMisclassified,
  labelScores,
  macroF1,
  MISSING,
  parseEvalArgs,
  percent,
  summarize,
  thresholdFailures,
  topConfusions,
  worstErrors
} from "../../bench/eval-metrics.ts"

const SENT = ["POSITIVE", "NEGATIVE", "NEUTRAL"] as const
const INTENTS = ["CRISIS", "SEEDING", "SPAM", "COMPLAINT", "LEAD", "SUPPORT", "DISCUSSION"] as const

const pair = (gold: string, predicted: string) => ({ gold, predicted })

const result = (
  id: string,
  lang: string,
  gold: [string, string, Record<string, string>],
  predicted: [string, string, Record<string, string>] | null
): ExampleResult => ({
  id,
  lang,
  text: `text of ${id}`,
  gold: { sentiment: gold[0], intent: gold[1], aspects: gold[2] },
  predicted: predicted === null ? null : { sentiment: predicted[0], intent: predicted[1], aspects: predicted[2] },
  ...(predicted === null ? { error: "error record" } : {})
})

describe("accuracy", () => {
  it("is the share of pairs whose prediction equals the gold label", () => {
    expect(accuracy([pair("A", "A"), pair("A", "B"), pair("B", "B"), pair("C", "A")])).toBe(0.5)
  })
  it("is null when there is nothing to score", () => {
    expect(accuracy([])).toBeNull()
  })
})

describe("confusion", () => {
  const pairs = [
    pair("POSITIVE", "POSITIVE"),
    pair("POSITIVE", "NEUTRAL"),
    pair("NEGATIVE", "NEGATIVE"),
    pair("NEGATIVE", "NEGATIVE"),
    pair("NEUTRAL", "POSITIVE")
  ]

  it("counts gold labels in rows and predictions in columns, in the given order", () => {
    const c = confusion(pairs, SENT)
    expect(c.rows).toEqual(["POSITIVE", "NEGATIVE", "NEUTRAL"])
    expect(c.columns).toEqual(["POSITIVE", "NEGATIVE", "NEUTRAL"])
    expect(c.counts).toEqual([
      [1, 0, 1],
      [0, 2, 0],
      [1, 0, 0]
    ])
    expect(c.total).toBe(5)
    expect(c.correct).toBe(3)
  })

  it("appends unexpected labels instead of dropping examples", () => {
    const c = confusion([pair("POSITIVE", "ERROR"), pair("MIXED", "NEUTRAL")], SENT)
    expect(c.columns).toEqual(["POSITIVE", "NEGATIVE", "NEUTRAL", "ERROR"])
    expect(c.rows).toEqual(["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"])
    expect(c.counts[0]).toEqual([0, 0, 0, 1])
    expect(c.counts[3]).toEqual([0, 0, 1, 0])
  })

  it("keeps a MISSING column for aspects the pipeline did not find", () => {
    const c = confusion([pair("NEGATIVE", MISSING)], SENT, [...SENT, MISSING])
    expect(c.columns).toEqual([...SENT, MISSING])
    expect(c.counts[1]).toEqual([0, 0, 0, 1])
    expect(c.correct).toBe(0)
  })

  it("gives precision per predicted column and recall per gold row", () => {
    const scores = labelScores(confusion(pairs, SENT))
    const positive = scores.find((s) => s.label === "POSITIVE")
    expect(positive).toEqual({ label: "POSITIVE", support: 2, precision: 0.5, recall: 0.5, f1: 0.5 })
    const neutral = scores.find((s) => s.label === "NEUTRAL")
    expect(neutral?.precision).toBe(0)
    expect(neutral?.recall).toBe(0)
    expect(neutral?.f1).toBeNull()
  })

  it("lists the off-diagonal cells, largest first", () => {
    const c = confusion([...pairs, pair("NEUTRAL", "POSITIVE"), pair("NEGATIVE", "NEUTRAL")], SENT)
    expect(topConfusions(c, 2)).toEqual([
      { gold: "NEUTRAL", predicted: "POSITIVE", count: 2 },
      { gold: "NEGATIVE", predicted: "NEUTRAL", count: 1 }
    ])
  })
})

describe("aspect pairs", () => {
  it("pairs every gold aspect with its prediction, MISSING when absent", () => {
    const pairs = aspectPairs(
      { PRICE: "NEGATIVE", DESIGN: "POSITIVE" },
      { DESIGN: "POSITIVE", PERFORMANCE: "NEGATIVE" }
    )
    expect(pairs).toEqual([
      { aspect: "PRICE", gold: "NEGATIVE", predicted: MISSING },
      { aspect: "DESIGN", gold: "POSITIVE", predicted: "POSITIVE" }
    ])
    expect(accuracy(pairs)).toBe(0.5)
  })

  it("reports predicted aspects beyond the gold ones, ignoring GENERAL", () => {
    expect(extraAspects({ PRICE: "NEGATIVE" }, { PRICE: "NEGATIVE", GENERAL: "NEUTRAL", SERVICE: "POSITIVE" })).toEqual([
      "SERVICE"
    ])
  })
})

describe("summarize", () => {
  const results = [
    result("e1", "vi", ["POSITIVE", "DISCUSSION", { DESIGN: "POSITIVE" }], ["POSITIVE", "DISCUSSION", { DESIGN: "POSITIVE" }]),
    result("e2", "vi", ["NEGATIVE", "COMPLAINT", { PRICE: "NEGATIVE" }], ["NEGATIVE", "DISCUSSION", {}]),
    result("e3", "en", ["NEUTRAL", "SPAM", {}], ["NEUTRAL", "SPAM", { SERVICE: "NEUTRAL" }]),
    result("e4", "en", ["NEGATIVE", "CRISIS", { SERVICE: "NEGATIVE" }], null)
  ]
  const s = summarize(results, SENT, INTENTS)

  it("scores sentiment and intent over all examples, an error counting as wrong", () => {
    expect(s.examples).toBe(4)
    expect(s.errors).toBe(1)
    expect(s.sentiment.correct).toBe(3)
    expect(s.sentiment.accuracy).toBe(0.75)
    expect(s.intent.correct).toBe(2)
    expect(s.sentiment.confusion.columns).toContain("ERROR")
  })

  it("scores aspects over gold pairs only", () => {
    expect(s.aspects.total).toBe(3)
    expect(s.aspects.correct).toBe(1)
    expect(s.aspects.detected).toBe(1)
    expect(s.aspects.extra).toBe(1)
    expect(s.aspects.byAspect["PRICE"]).toEqual({ total: 1, correct: 0, accuracy: 0 })
  })

  it("splits accuracy by language", () => {
    expect(s.byLanguage["vi"]?.intent.accuracy).toBe(0.5)
    expect(s.byLanguage["en"]?.sentiment.accuracy).toBe(0.5)
  })

  it("lists as misclassified every example with any wrong label", () => {
    expect(s.misclassified.map((r) => r.id)).toEqual(["e2", "e4"])
    expect(isMisclassified(results[0]!)).toBe(false)
  })

  it("macro-F1 averages F1 over the gold labels present, a never-hit label counting 0", () => {
    // Sentiment: POSITIVE F1 1, NEGATIVE P 1/1 R 1/2 → F1 2/3, NEUTRAL F1 1 → (1 + 2/3 + 1) / 3.
    expect(s.sentiment.macroF1).toBeCloseTo(8 / 9, 12)
    // Intent: DISCUSSION P 1/2 R 1 → 2/3, COMPLAINT 0 (never predicted), SPAM 1, CRISIS 0
    // (predicted ERROR); the four labels without gold examples do not count → (2/3+0+1+0)/4.
    expect(s.intent.macroF1).toBeCloseTo(5 / 12, 12)
  })

  it("aspect detection: found gold aspects over reported (precision) and over gold (recall)", () => {
    // Found: e1 DESIGN. Missed: e2 PRICE, e4 SERVICE. Beyond gold: e3 SERVICE.
    expect(s.aspects.detection).toEqual({ precision: 1 / 2, recall: 1 / 3 })
    // Polarity only where found: e1 DESIGN POSITIVE → POSITIVE.
    expect(s.aspects.polarityAccuracy).toBe(1)
  })

  it("lists the worst errors first: no prediction, then by severity", () => {
    expect(s.worst.map((r) => [r.id, r.severity])).toEqual([["e4", 10], ["e2", 3]])
  })

  it("reports each threshold the summary is below", () => {
    expect(thresholdFailures(s, { sentiment: 0.75, intent: null, aspects: null })).toEqual([])
    const failures = thresholdFailures(s, { sentiment: 0.8, intent: 0.9, aspects: null })
    expect(failures).toHaveLength(2)
    expect(failures[0]).toMatch(/^sentiment accuracy 0\.7500 is below the minimum 0\.8/)
  })
})

describe("macro-F1, detection and severity by hand", () => {
  it("macroF1 of a 2-label matrix", () => {
    // gold A A A B, predicted A B A B: A P 2/2 R 2/3 F1 0.8; B P 1/2 R 1/1 F1 2/3.
    const c = confusion([pair("A", "A"), pair("A", "B"), pair("A", "A"), pair("B", "B")], ["A", "B"])
    expect(macroF1(labelScores(c))).toBeCloseTo((0.8 + 2 / 3) / 2, 12)
    expect(macroF1(labelScores(confusion([], ["A", "B"])))).toBeNull()
  })
  it("detectionScores", () => {
    expect(detectionScores(3, 1, 2)).toEqual({ precision: 3 / 5, recall: 3 / 4 })
    expect(detectionScores(0, 0, 0)).toEqual({ precision: null, recall: null })
  })
  it("a polarity flip weighs more than a neutral slip", () => {
    const flip = result("f", "vi", ["POSITIVE", "DISCUSSION", { PRICE: "POSITIVE" }], ["NEGATIVE", "DISCUSSION", { PRICE: "NEGATIVE" }])
    const slip = result("s", "vi", ["NEUTRAL", "DISCUSSION", { PRICE: "POSITIVE" }], ["POSITIVE", "DISCUSSION", { PRICE: "NEUTRAL" }])
    const ok = result("o", "vi", ["NEUTRAL", "LEAD", {}], ["NEUTRAL", "LEAD", {}])
    expect(errorSeverity(flip)).toBe(5)
    expect(errorSeverity(slip)).toBe(3)
    expect(errorSeverity(ok)).toBe(0)
    expect(worstErrors([slip, ok, flip], 1).map((r) => r.id)).toEqual(["f"])
  })
})

describe("parseEvalArgs", () => {
  it("defaults to a text report without thresholds", () => {
    expect(parseEvalArgs([])).toEqual({
      json: false,
      tuned: false,
      data: null,
      maxErrors: null,
      thresholds: { sentiment: null, intent: null, aspects: null }
    })
  })

  it("reads flags with separate or inline values", () => {
    const o = parseEvalArgs(["--json", "--min-sentiment", "0.85", "--min-intent=0.9", "--data", "x.jsonl", "--max-errors", "3"])
    expect(o.json).toBe(true)
    expect(o.thresholds).toEqual({ sentiment: 0.85, intent: 0.9, aspects: null })
    expect(o.data).toBe("x.jsonl")
    expect(o.maxErrors).toBe(3)
  })

  it("rejects bad values and unknown flags", () => {
    expect(() => parseEvalArgs(["--min-intent", "90"])).toThrow(/between 0 and 1/)
    expect(() => parseEvalArgs(["--min-sentiment"])).toThrow(/between 0 and 1/)
    expect(() => parseEvalArgs(["--verbose"])).toThrow(/unknown argument/)
    expect(() => parseEvalArgs(["--tuned", "--data", "x.jsonl"])).toThrow(/exclusive/)
    expect(parseEvalArgs(["--tuned"]).tuned).toBe(true)
  })
})

describe("text tables", () => {
  it("aligns columns: first left, the rest right", () => {
    expect(formatTable(["lang", "n"], [["vi", "186"], ["en", "4"]])).toBe(
      ["lang    n", "----  ---", "vi    186", "en      4"].join("\n")
    )
  })

  it("prints a confusion matrix with totals, recall and precision", () => {
    const text = formatConfusion(confusion([pair("A", "A"), pair("A", "B"), pair("B", "B")], ["A", "B"]), "g\\p")
    expect(text.split("\n")).toEqual([
      "g\\p             A      B  total  recall",
      "---------  ------  -----  -----  ------",
      "A               1      1      2   50.0%",
      "B               0      1      1  100.0%",
      "total           1      2      3",
      "precision  100.0%  50.0%"
    ])
  })

  it("formats ratios as percentages", () => {
    expect(percent(0.8523)).toBe("85.2%")
    expect(percent(null)).toBe("n/a")
  })
})

import { describe, expect, it } from "vitest"
import { evaluate, type Expectations, failures, formatReport, type Observed } from "./checker.ts"

const P = "c4a05000-0000-4000-8000-000000000001"
const expected: Expectations = {
  published: 5,
  events: 4,
  batches: [
    { label: "tiktok", objectPath: "crawl-results/a.json", posts: [`${P}|TIKTOK|1`, `${P}|TIKTOK|2`], errors: [`${P}|TIKTOK|3`], actualSize: 3, duplicates: 0 },
    { label: "youtube", objectPath: "crawl-results/b.json", posts: [`${P}|YOUTUBE|y1`], errors: [], actualSize: 2, duplicates: 1 }
  ],
  dead: [
    { label: "poison:NOT_JSON", identity: "m1", code: "NOT_JSON", ledgerPath: null },
    { label: "poison:OBJECT_MISSING", identity: "sha256:ab", code: "OBJECT_MISSING", ledgerPath: "crawl-results/missing.json" }
  ]
}

/** Exactly what `expected` asks for. */
const perfect = (): Observed => ({
  analytics: [{ key: `${P}|TIKTOK|1`, count: 1 }, { key: `${P}|TIKTOK|2`, count: 1 }, { key: `${P}|YOUTUBE|y1`, count: 1 }],
  errors: [{ key: `${P}|TIKTOK|3`, count: 1 }],
  ledger: [
    { objectPath: "crawl-results/a.json", status: "completed", actualSize: 3, stored: 1, skipped: 1, errors: 1, duplicates: 0, failureReason: null },
    { objectPath: "crawl-results/b.json", status: "completed", actualSize: 2, stored: 1, skipped: 0, errors: 0, duplicates: 1, failureReason: null },
    { objectPath: "crawl-results/missing.json", status: "failed", actualSize: 0, stored: 0, skipped: 0, errors: 0, duplicates: 0, failureReason: "OBJECT_MISSING: no such key" }
  ],
  deadLetters: [{ identity: "m1", code: "NOT_JSON" }, { identity: "sha256:ab", code: "OBJECT_MISSING" }],
  leftInQueue: 0
})

describe("fault-suite checker", () => {
  it("passes a run where everything ended as expected, and counts it", () => {
    const report = evaluate(expected, perfect(), [{ name: "SIGKILL", recoverySeconds: 1.5 }])
    expect(failures(report)).toEqual([])
    expect(report).toMatchObject({
      published: 5,
      expectedRows: 4,
      storedExactlyOnce: 4,
      lost: 0,
      duplicateRows: 0,
      partialBatches: 0,
      unexpectedRows: 0,
      deadExpected: { NOT_JSON: 1, OBJECT_MISSING: 1 },
      deadActual: { NOT_JSON: 1, OBJECT_MISSING: 1 },
      leftInQueue: 0
    })
    expect(formatReport(report)).toContain("SIGKILL")
  })

  it("fails on one lost row: counted as lost, its batch as partial", () => {
    const observed = { ...perfect(), analytics: perfect().analytics.filter((r) => r.key !== `${P}|TIKTOK|2`) }
    const report = evaluate(expected, observed)
    expect(report.lost).toBe(1)
    expect(report.partialBatches).toBe(1)
    expect(report.storedExactlyOnce).toBe(3)
    expect(failures(report)).toEqual(expect.arrayContaining(["lost 1", "partial batches 1", "stored exactly once 3 of 4"]))
  })

  it("fails on one duplicate row", () => {
    const observed = { ...perfect(), errors: [{ key: `${P}|TIKTOK|3`, count: 2 }] }
    const report = evaluate(expected, observed)
    expect(report.duplicateRows).toBe(1)
    expect(report.storedExactlyOnce).toBe(3)
    expect(failures(report)).toContain("duplicate rows 1")
  })

  it("fails on a row nobody expected (an escaped bucket read, say)", () => {
    const observed = { ...perfect(), analytics: [...perfect().analytics, { key: `${P}|TIKTOK|secret`, count: 1 }] }
    expect(failures(evaluate(expected, observed))).toEqual(["unexpected rows 1"])
  })

  it("counts dead letters by identity: a second copy of one message is reported, not a failure", () => {
    const observed = { ...perfect(), deadLetters: [...perfect().deadLetters, { identity: "m1", code: "NOT_JSON" }] }
    const report = evaluate(expected, observed)
    expect(report.deadRepeatedCopies).toBe(1)
    expect(report.deadActual).toEqual({ NOT_JSON: 1, OBJECT_MISSING: 1 })
    expect(failures(report)).toEqual([])
  })

  it("fails on a missing dead letter, one with the wrong code, and one nobody expected", () => {
    const observed = { ...perfect(), deadLetters: [{ identity: "sha256:ab", code: "NOT_A_BATCH" }, { identity: "m9", code: "DATABASE_ERROR" }] }
    const report = evaluate(expected, observed)
    expect(report.deadMissing).toHaveLength(2)
    expect(report.deadUnexpected).toEqual(["m9: DATABASE_ERROR"])
    expect(failures(report)).toEqual(["dead letters missing or with another code: 2", "unexpected dead letters: 1"])
  })

  it("fails on ledger rows that disagree, are missing or are unexpected", () => {
    const [a, b, missing] = perfect().ledger
    const observed = {
      ...perfect(),
      ledger: [{ ...a!, errors: 0, stored: 2 }, { ...missing!, status: "completed", failureReason: null }, { ...b!, objectPath: "crawl-results/other.json" }]
    }
    const report = evaluate(expected, observed)
    expect(report.ledgerMismatches).toHaveLength(4)
    expect(failures(report)).toEqual(["ledger mismatches 4"])
  })

  it("fails on messages left in the queue and on a fault never recovered from", () => {
    const report = evaluate(expected, { ...perfect(), leftInQueue: 3 }, [{ name: "RabbitMQ restart", recoverySeconds: null }])
    expect(failures(report)).toEqual(["left in queue 3", "no recovery after RabbitMQ restart"])
  })
})

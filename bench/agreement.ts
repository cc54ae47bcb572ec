/**
 * `npm run eval:agreement`: agreement between the held-out sets' annotators and a second
 * annotator who labelled a shared sample (`data/eval/agreement/`) without seeing the first labels.
 * Prints raw agreement and Cohen's kappa for sentiment, intent and aspects (four slots per
 * example, each a label or absent).
 */
import { readFileSync } from "node:fs"

interface Labels {
  readonly id: string
  readonly sentiment: string
  readonly intent: string
  readonly aspects: Readonly<Record<string, string>>
}

const read = (path: string): Array<Labels> =>
  readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Labels)

const first = new Map<string, Labels>()
for (const set of ["heldout_a", "heldout_b", "heldout_c"]) {
  for (const row of read(`data/eval/${set}.jsonl`)) first.set(row.id, row)
}
const second = read("data/eval/agreement/second_annotator.jsonl")

/** Raw agreement and Cohen's kappa of paired labels. */
export const cohen = (pairs: ReadonlyArray<readonly [string, string]>) => {
  const n = pairs.length
  const observed = pairs.filter(([a, b]) => a === b).length / n
  const left = new Map<string, number>()
  const right = new Map<string, number>()
  for (const [a, b] of pairs) {
    left.set(a, (left.get(a) ?? 0) + 1)
    right.set(b, (right.get(b) ?? 0) + 1)
  }
  let expected = 0
  for (const [label, count] of left) expected += (count * (right.get(label) ?? 0)) / (n * n)
  return { n, observed, kappa: (observed - expected) / (1 - expected) }
}

const pairsOf = (pick: (l: Labels) => ReadonlyArray<string>) =>
  second.flatMap((s) => {
    const f = first.get(s.id)
    if (f === undefined) throw new Error(`${s.id} is in no held-out set`)
    const a = pick(f)
    const b = pick(s)
    return a.map((x, i) => [x, b[i] ?? "-"] as const)
  })

const ASPECTS = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE"]
const rows = [
  ["sentiment", cohen(pairsOf((l) => [l.sentiment]))],
  ["intent", cohen(pairsOf((l) => [l.intent]))],
  ["aspects (4 slots per example)", cohen(pairsOf((l) => ASPECTS.map((a) => l.aspects[a] ?? "-")))]
] as const
console.log(`shared sample: ${second.length} examples (60 from each of heldout_a, heldout_b, heldout_c)`)
for (const [name, r] of rows) {
  console.log(`${name.padEnd(32)} agreement ${(r.observed * 100).toFixed(1)} %  Cohen's kappa ${r.kappa.toFixed(3)}  (${r.n} pairs)`)
}

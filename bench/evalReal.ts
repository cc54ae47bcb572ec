/**
 * `npm run eval:real`: overall sentiment on real user text nobody here wrote or tuned on.
 *
 * The texts are the UCI "Sentiment Labelled Sentences" set (Kotzias, Denil, de Freitas and Smyth,
 * KDD 2015; CC BY 4.0 at the UCI repository): 3 000 English sentences from real reviews, 1 000 each
 * from Amazon (mobile phones and accessories), IMDb (films) and Yelp (restaurants), each labelled
 * positive or negative by the dataset's authors, 500 of each per source. They are not in this
 * repository: npm brings them as the test fixtures of the `sentiment` package (MIT), pinned as a
 * development dependency (node_modules/sentiment/test/fixtures/{amazon,imdb,yelp}.json), and this
 * script only reads them.
 *
 * The set has two labels and the pipeline three, so it reports:
 * - agreement: the pipeline's label equals the gold one (a NEUTRAL answer counts as a miss);
 * - NEUTRAL rate: how often the pipeline found the sentence neither positive nor negative;
 * - agreement where polar: the same agreements over the sentences the pipeline called POSITIVE or
 *   NEGATIVE (a NEUTRAL answer is never an agreement, so they are all among those);
 * and a confusion table per source. Intent and aspects have no gold labels here.
 *
 * Like the held-out sets of data/eval, this set is measured, never tuned on: no rule, lexicon
 * entry, training example or setting may be chosen by looking at its sentences or its errors.
 *
 *   npx tsx bench/evalReal.ts [--json] [--errors n]
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import process from "node:process"
import { builtinLexicons, defaultPipelineSettings, makePipeline } from "../src/domain/pipeline/index.ts"
import { type Example, runExamples } from "./eval-data.ts"
import { formatTable, percent } from "./eval-metrics.ts"

const SOURCES = [
  { name: "amazon", domain: "phones and accessories" },
  { name: "imdb", domain: "films" },
  { name: "yelp", domain: "restaurants" }
] as const

const fixtures = (() => {
  const require = createRequire(import.meta.url)
  try {
    return join(dirname(require.resolve("sentiment/package.json")), "test", "fixtures")
  } catch {
    process.stderr.write("eval:real: the `sentiment` package is not installed (npm ci installs it as a development dependency)\n")
    return process.exit(2)
  }
})()

/** One source's sentences: `[{text, class: 0 | 1}]`, skipping the empty record that ends each file. */
const load = (source: string): ReadonlyArray<Example> => {
  const raw: unknown = JSON.parse(readFileSync(join(fixtures, `${source}.json`), "utf8"))
  if (!Array.isArray(raw)) throw new Error(`${source}.json: not an array`)
  return raw.flatMap((r: unknown, i): Array<Example> => {
    if (typeof r !== "object" || r === null) throw new Error(`${source}.json #${i}: not an object`)
    const { text, class: label } = r as { text?: unknown; class?: unknown }
    if (text === "" && label === null) return []
    if (typeof text !== "string" || (label !== 0 && label !== 1)) throw new Error(`${source}.json #${i}: unexpected ${JSON.stringify(r)}`)
    return [{
      id: `${source}:${i + 1}`,
      lang: "en",
      text,
      gold: { sentiment: label === 1 ? "POSITIVE" : "NEGATIVE", intent: "DISCUSSION", aspects: {} }
    }]
  })
}

interface SourceResult {
  readonly source: string
  readonly domain: string
  readonly total: number
  readonly agree: number
  readonly neutral: number
  readonly polar: number
  readonly noPrediction: number
  /** gold → predicted → count */
  readonly confusion: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly errors: ReadonlyArray<{ readonly id: string; readonly text: string; readonly gold: string; readonly predicted: string }>
}

const args = process.argv.slice(2)
const json = args.includes("--json")
const errorsAt = args.indexOf("--errors")
const errorCount = errorsAt < 0 ? 0 : Number(args[errorsAt + 1])
if (!Number.isInteger(errorCount) || errorCount < 0) {
  process.stderr.write("usage: npx tsx bench/evalReal.ts [--json] [--errors n]\n")
  process.exit(2)
}

const pipeline = makePipeline(defaultPipelineSettings, builtinLexicons)
const results: ReadonlyArray<SourceResult> = SOURCES.map(({ name, domain }) => {
  const rows = runExamples(pipeline, load(name))
  const confusion: Record<string, Record<string, number>> = {
    POSITIVE: { POSITIVE: 0, NEGATIVE: 0, NEUTRAL: 0, none: 0 },
    NEGATIVE: { POSITIVE: 0, NEGATIVE: 0, NEUTRAL: 0, none: 0 }
  }
  const errors: Array<SourceResult["errors"][number]> = []
  for (const r of rows) {
    const predicted = r.predicted?.sentiment ?? "none"
    const cell = confusion[r.gold.sentiment]
    if (cell !== undefined) cell[predicted] = (cell[predicted] ?? 0) + 1
    if (predicted !== r.gold.sentiment) errors.push({ id: r.id, text: r.text, gold: r.gold.sentiment, predicted })
  }
  const count = (pred: string) => (confusion["POSITIVE"]?.[pred] ?? 0) + (confusion["NEGATIVE"]?.[pred] ?? 0)
  const agree = (confusion["POSITIVE"]?.["POSITIVE"] ?? 0) + (confusion["NEGATIVE"]?.["NEGATIVE"] ?? 0)
  const polar = count("POSITIVE") + count("NEGATIVE")
  return {
    source: name,
    domain,
    total: rows.length,
    agree,
    neutral: count("NEUTRAL"),
    polar,
    noPrediction: count("none"),
    confusion,
    errors: errors.slice(0, errorCount)
  }
})

const all = results.reduce(
  (a, r) => ({ total: a.total + r.total, agree: a.agree + r.agree, neutral: a.neutral + r.neutral, polar: a.polar + r.polar, none: a.none + r.noPrediction }),
  { total: 0, agree: 0, neutral: 0, polar: 0, none: 0 }
)
const pct = (n: number, d: number) => percent(d === 0 ? null : n / d)

if (json) {
  process.stdout.write(`${JSON.stringify({ modelVersion: pipeline.modelVersion, sources: results, all }, null, 2)}\n`)
} else {
  const out: Array<string> = [
    `Real user text: UCI Sentiment Labelled Sentences (English reviews; gold POSITIVE or NEGATIVE), never tuned on; ${pipeline.modelVersion}`,
    "",
    formatTable(
      ["source", "domain", "sentences", "agreement", "NEUTRAL rate", "agreement where polar", "no prediction"],
      [
        ...results.map((r) => [r.source, r.domain, String(r.total), pct(r.agree, r.total), pct(r.neutral, r.total), pct(r.agree, r.polar), String(r.noPrediction)]),
        ["all", "", String(all.total), pct(all.agree, all.total), pct(all.neutral, all.total), pct(all.agree, all.polar), String(all.none)]
      ]
    )
  ]
  for (const r of results) {
    out.push("", `${r.source}: gold (rows) × predicted (columns)`)
    out.push(formatTable(
      ["gold", "POSITIVE", "NEGATIVE", "NEUTRAL", "none"],
      Object.entries(r.confusion).map(([gold, row]) => [gold, ...["POSITIVE", "NEGATIVE", "NEUTRAL", "none"].map((p) => String(row[p] ?? 0))])
    ))
    for (const e of r.errors) out.push(`  ${e.id} gold ${e.gold} predicted ${e.predicted}: ${e.text}`)
  }
  process.stdout.write(`${out.join("\n")}\n`)
}

/**
 * `npm run eval:spec`: the measured effect of each §3.4 skip-gate decision (docs/contract.md
 * §3.4) on the tuned sets and on data/train (which the rules were never fitted to), for the
 * rules alone and for the combined default. Held-out sets are not read.
 *
 *   npx tsx bench/eval-spec.ts
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"
import process from "node:process"
import { builtinLexicons, type ClassifierMode, defaultPipelineSettings, makePipeline, type PipelineSettings } from "../src/domain/pipeline/index.ts"
import { INTENTS, SENTIMENT_LABELS } from "../src/domain/records.ts"
import { type Example, loadExamples, runExamples, SETS } from "./eval-data.ts"
import { formatTable, percent, summarize } from "./eval-metrics.ts"

const sets: ReadonlyArray<readonly [string, ReadonlyArray<Example>]> = [
  ...SETS.filter((s) => s.tuned).map((s) => [s.name, loadExamples(s.path)] as const),
  ["train", readdirSync("data/train").filter((f) => f.endsWith(".txt")).sort().flatMap((f) => loadExamples(join("data/train", f)))]
]

const variants: ReadonlyArray<readonly [string, Partial<PipelineSettings>]> = [
  ["contract default (gate by intent; short posts with an opinion analysed)", {}],
  ["bare spam keyword skips the post", { skipOnSpamKeyword: true }],
  ["too-short post skipped even with an opinion", { skipShortWithOpinion: true }],
  ["both (the earlier §3.4)", { skipOnSpamKeyword: true, skipShortWithOpinion: true }]
]

const rows: Array<Array<string>> = []
for (const mode of ["rules", "combined"] as ReadonlyArray<ClassifierMode>) {
  for (const [name, overrides] of variants) {
    const pipeline = makePipeline({ ...defaultPipelineSettings, classifier: mode, ...overrides }, builtinLexicons)
    for (const [set, examples] of sets) {
      const results = runExamples(pipeline, examples)
      const s = summarize(results, SENTIMENT_LABELS, INTENTS, 0)
      const spamSeeding = results.filter((r) => r.predicted !== null && ((r.gold.intent === "SPAM" && r.predicted.intent === "SEEDING") || (r.gold.intent === "SEEDING" && r.predicted.intent === "SPAM"))).length
      rows.push([mode, name, set, percent(s.sentiment.accuracy), percent(s.intent.accuracy), percent(s.aspects.accuracy), String(spamSeeding)])
    }
  }
}
process.stdout.write(`${formatTable(["mode", "gate", "set", "sentiment", "intent", "aspect acc", "SPAM↔SEEDING"], rows)}\n`)

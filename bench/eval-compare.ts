/**
 * `npm run eval:compare`: the analyzer variants side by side on every labelled set, one table:
 * the lexicon rules alone, the learned classifier alone, both combined with each aspect's
 * polarity read by the rules' window or copied from the overall label (as up to classifier
 * logreg-2026.12.3), and both combined with the learned aspect polarity head (the default,
 * contract §3.4). Held-out sets first.
 *
 *   npx tsx bench/eval-compare.ts [--tuned] [--train] [--json]
 *
 * `--tuned` measures only the tuned sets (posts, dev): use it while working, since every run
 * on a held-out set counts as a measurement of that set.
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"
import process from "node:process"
import { builtinLexicons, defaultCombineSettings, defaultPipelineSettings, makePipeline, type PipelineSettings } from "../src/domain/pipeline/index.ts"
import { INTENTS, SENTIMENT_LABELS } from "../src/domain/records.ts"
import { loadExamples, runExamples, SETS } from "./eval-data.ts"
import { formatTable, percent, summarize } from "./eval-metrics.ts"

const VARIANTS: ReadonlyArray<readonly [string, PipelineSettings]> = [
  ["rules", { ...defaultPipelineSettings, classifier: "rules" }],
  ["model", { ...defaultPipelineSettings, classifier: "model" }],
  ["combined, no polarity head", { ...defaultPipelineSettings, classifier: "combined", combine: { ...defaultCombineSettings, aspectPolarityHead: false } }],
  ["combined", { ...defaultPipelineSettings, classifier: "combined" }]
]

const main = (): number => {
  const argv = process.argv.slice(2)
  const unknown = argv.filter((a) => a !== "--tuned" && a !== "--json" && a !== "--train")
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}\nusage: tsx bench/eval-compare.ts [--tuned] [--train] [--json]\n`)
    return 2
  }
  const sets = [
    ...SETS.filter((s) => !argv.includes("--tuned") || s.tuned),
    // data/train: the classifier is trained on it, the rules were never fitted to it.
    ...(argv.includes("--train") ? [{ name: "train", path: "data/train", tuned: true }] : [])
  ]
  const pipelines = VARIANTS.map(([name, settings]) => [name, makePipeline(settings, builtinLexicons)] as const)
  const rows: Array<Record<string, unknown>> = []
  for (const set of sets) {
    const examples = set.path === "data/train"
      ? readdirSync(set.path).filter((f) => f.endsWith(".txt")).sort().flatMap((f) => loadExamples(join(set.path, f)))
      : loadExamples(set.path)
    for (const [mode, pipeline] of pipelines) {
      const s = summarize(runExamples(pipeline, examples), SENTIMENT_LABELS, INTENTS, 0)
      const recalls = Object.fromEntries(s.intent.labels.map((l) => [l.label, l.recall]))
      const minRecall = Math.min(...s.intent.labels.map((l) => l.recall ?? 0))
      rows.push({
        set: set.name,
        kind: set.tuned ? "tuned" : "held out",
        variant: mode,
        examples: s.examples,
        sentiment: s.sentiment.accuracy,
        sentimentF1: s.sentiment.macroF1,
        intent: s.intent.accuracy,
        intentF1: s.intent.macroF1,
        minIntentRecall: minRecall,
        intentRecall: recalls,
        aspectPrecision: s.aspects.detection.precision,
        aspectRecall: s.aspects.detection.recall,
        polarityWhereFound: s.aspects.polarityAccuracy,
        aspectPairs: s.aspects.accuracy
      })
    }
  }
  if (argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
    return 0
  }
  const p = (x: unknown) => percent(typeof x === "number" ? x : null)
  process.stdout.write(
    `${formatTable(
      ["set", "kind", "variant", "sentiment", "sent. F1", "intent", "intent F1", "min class recall", "aspect P", "aspect R", "polarity", "aspect acc"],
      rows.map((r) => [
        String(r["set"]), String(r["kind"]), String(r["variant"]), p(r["sentiment"]), p(r["sentimentF1"]), p(r["intent"]), p(r["intentF1"]),
        p(r["minIntentRecall"]), p(r["aspectPrecision"]), p(r["aspectRecall"]), p(r["polarityWhereFound"]), p(r["aspectPairs"])
      ])
    )}\n\nIntent recall per class\n${formatTable(
      ["set", "variant", ...INTENTS],
      rows.map((r) => [String(r["set"]), String(r["variant"]), ...INTENTS.map((i) => p((r["intentRecall"] as Record<string, unknown>)[i]))])
    )}\n`
  )
  return 0
}

process.exitCode = main()

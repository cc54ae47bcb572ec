/**
 * `npm run eval`: runs the analytics pipeline (§3) on every labelled set of `data/eval` and
 * prints, per set, accuracy and macro-F1 for sentiment and intent, per-class precision/recall,
 * aspect detection precision/recall, aspect polarity accuracy where the aspect is found,
 * confusion matrices and the ten worst errors; then one summary table, held-out sets first.
 *
 *   npx tsx bench/eval.ts [--json] [--data FILE | --tuned] [--max-errors n]
 *                         [--min-sentiment 0.85] [--min-intent 0.90] [--min-aspect x]
 *
 * The held-out sets are measured, never tuned on. Thresholds apply to every set evaluated:
 * `npm run eval:gate` (CI) uses them with `--tuned`. Exits 1 when an accuracy is below a given
 * minimum, 2 on bad arguments or a bad data file.
 */
import { basename, resolve } from "node:path"
import process from "node:process"
import { INTENTS, SENTIMENT_LABELS } from "../src/domain/records.ts"
import { builtinLexicons, defaultPipelineSettings, makePipeline } from "../src/domain/pipeline/index.ts"
import { type EvalSet, loadExamples, runExamples, SETS } from "./eval-data.ts"
import {
  type ExampleResult,
  type Summary,
  formatConfusion,
  formatTable,
  parseEvalArgs,
  percent,
  summarize,
  thresholdFailures,
  topConfusions,
  USAGE
} from "./eval-metrics.ts"

const DEFAULT_WORST = 10

const evaluate = (examples: Parameters<typeof runExamples>[1]): ReadonlyArray<ExampleResult> =>
  runExamples(makePipeline(defaultPipelineSettings, builtinLexicons), examples)

// ---------------------------------------------------------------------------------------
// Report

const short: Readonly<Record<string, string>> = { POSITIVE: "POS", NEGATIVE: "NEG", NEUTRAL: "NEU" }
const aspectText = (aspects: Readonly<Record<string, string>>): string =>
  Object.entries(aspects)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([a, l]) => `${a}:${short[l] ?? l}`)
    .join(" ") || "-"

const ratio = (s: { correct: number; total: number; accuracy: number | null }): string =>
  `${percent(s.accuracy)}  (${s.correct}/${s.total})`

const worstText = (s: Summary): string => {
  const list = s.worst
  const blocks = list.map((r) => {
    const p = r.predicted
    const mark = (wrong: boolean) => (wrong ? "✗" : " ")
    const aspectWrong = p === null || Object.entries(r.gold.aspects).some(([a, l]) => p.aspects[a] !== l)
    const lines = [
      `${r.id} [${r.lang}] severity ${r.severity}: ${r.text}`,
      p === null
        ? `    ${r.error ?? "no prediction"}`
        : [
            `    ${mark(p.sentiment !== r.gold.sentiment)} sentiment  gold ${r.gold.sentiment.padEnd(8)}  predicted ${p.sentiment}`,
            `    ${mark(p.intent !== r.gold.intent)} intent     gold ${r.gold.intent.padEnd(10)}  predicted ${p.intent}`,
            `    ${mark(aspectWrong)} aspects    gold ${aspectText(r.gold.aspects)}  |  predicted ${aspectText(p.aspects)}`
          ].join("\n")
    ]
    return lines.join("\n")
  })
  const more = list.length < s.misclassified.length ? `\n… and ${s.misclassified.length - list.length} more misclassified` : ""
  return blocks.join("\n") + more
}

const labelRows = (labels: Summary["intent"]["labels"]) =>
  labels.map((l) => [l.label, String(l.support), percent(l.precision), percent(l.recall), percent(l.f1)])

const textReport = (s: Summary, set: EvalSet): string => {
  const langRows = Object.entries(s.byLanguage).map(([lang, v]) => [
    lang,
    String(v.sentiment.total),
    percent(v.sentiment.accuracy),
    percent(v.intent.accuracy)
  ])
  const aspectRows = Object.entries(s.aspects.byAspect).map(([aspect, v]) => [
    aspect,
    String(v.total),
    percent(v.accuracy)
  ])
  const top = (label: string, c: Summary["sentiment"]["confusion"]) =>
    topConfusions(c, 5)
      .map((x) => `  ${label.padEnd(9)} ${x.gold} → ${x.predicted}: ${x.count}`)
      .join("\n")
  return [
    `== ${set.name} (${set.tuned ? "tuned" : "held out"}): ${s.examples} examples from ${set.path}`,
    s.errors > 0 ? `!! ${s.errors} examples not analysed (error record or exception), counted as wrong` : "",
    "",
    `Sentiment accuracy  ${ratio(s.sentiment)}  macro-F1 ${percent(s.sentiment.macroF1)}`,
    formatConfusion(s.sentiment.confusion),
    "",
    `Intent accuracy     ${ratio(s.intent)}  macro-F1 ${percent(s.intent.macroF1)}`,
    formatConfusion(s.intent.confusion),
    "",
    "Intent per class",
    formatTable(["intent", "gold", "precision", "recall", "F1"], labelRows(s.intent.labels)),
    "",
    `Aspect detection    precision ${percent(s.aspects.detection.precision)}  recall ${percent(s.aspects.detection.recall)}` +
    `  (found ${s.aspects.detected}/${s.aspects.total} gold aspects; ${s.aspects.extra} reported beyond gold)`,
    `Aspect polarity accuracy where found  ${percent(s.aspects.polarityAccuracy)}  (${s.aspects.correct}/${s.aspects.detected})`,
    `Aspect sentiment accuracy  ${ratio(s.aspects)}  over all gold (aspect, label) pairs, MISSING counted wrong`,
    formatConfusion(s.aspects.confusion),
    "",
    formatTable(["aspect", "pairs", "accuracy"], aspectRows),
    "",
    formatTable(["language", "examples", "sentiment", "intent"], langRows),
    "",
    "Most frequent confusions (gold → predicted)",
    top("sentiment", s.sentiment.confusion),
    top("intent", s.intent.confusion),
    top("aspect", s.aspects.confusion),
    "",
    `The ${s.worst.length} worst errors of ${s.misclassified.length} misclassified (✗ marks what is wrong)`,
    worstText(s)
  ]
    .filter((line, i, all) => !(line === "" && all[i - 1] === ""))
    .join("\n")
}

const jsonReport = (s: Summary, set: EvalSet) => ({
  set: set.name,
  tuned: set.tuned,
  data: set.path,
  examples: s.examples,
  errors: s.errors,
  sentiment: { accuracy: s.sentiment.accuracy, macroF1: s.sentiment.macroF1, correct: s.sentiment.correct, total: s.sentiment.total, confusion: s.sentiment.confusion, labels: s.sentiment.labels },
  intent: { accuracy: s.intent.accuracy, macroF1: s.intent.macroF1, correct: s.intent.correct, total: s.intent.total, confusion: s.intent.confusion, labels: s.intent.labels },
  aspects: {
    accuracy: s.aspects.accuracy,
    correct: s.aspects.correct,
    total: s.aspects.total,
    detected: s.aspects.detected,
    extra: s.aspects.extra,
    detection: s.aspects.detection,
    polarityAccuracy: s.aspects.polarityAccuracy,
    byAspect: s.aspects.byAspect,
    confusion: s.aspects.confusion
  },
  byLanguage: s.byLanguage,
  worst: s.worst.map((r) => ({ id: r.id, severity: r.severity })),
  misclassified: s.misclassified.map((r) => ({ id: r.id, lang: r.lang, text: r.text, gold: r.gold, predicted: r.predicted, ...(r.error === undefined ? {} : { error: r.error }) }))
})

const summaryTable = (rows: ReadonlyArray<readonly [EvalSet, Summary]>): string =>
  formatTable(
    ["set", "kind", "examples", "sentiment", "sent. F1", "intent", "intent F1", "aspect P", "aspect R", "polarity", "aspect acc"],
    rows.map(([set, s]) => [
      set.name,
      set.tuned ? "tuned" : "held out",
      String(s.examples),
      percent(s.sentiment.accuracy),
      percent(s.sentiment.macroF1),
      percent(s.intent.accuracy),
      percent(s.intent.macroF1),
      percent(s.aspects.detection.precision),
      percent(s.aspects.detection.recall),
      percent(s.aspects.polarityAccuracy),
      percent(s.aspects.accuracy)
    ])
  )

const main = (): number => {
  let options
  try {
    options = parseEvalArgs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`)
    return 2
  }
  const data = options.data
  const sets: ReadonlyArray<EvalSet> = data !== null
    ? [SETS.find((x) => resolve(x.path) === resolve(data)) ?? { name: basename(data, ".jsonl"), path: data, tuned: false }]
    : SETS.filter((x) => !options.tuned || x.tuned)
  const results: Array<readonly [EvalSet, Summary]> = []
  for (const set of sets) {
    let examples
    try {
      examples = loadExamples(set.path)
    } catch (e) {
      process.stderr.write(`cannot load ${set.path}: ${e instanceof Error ? e.message : String(e)}\n`)
      return 2
    }
    results.push([set, summarize(evaluate(examples), SENTIMENT_LABELS, INTENTS, options.maxErrors ?? DEFAULT_WORST)])
  }
  const failures = results.flatMap(([set, s]) => thresholdFailures(s, options.thresholds).map((f) => `${set.name}: ${f}`))
  if (options.json) {
    const reports = results.map(([set, s]) => jsonReport(s, set))
    const body = reports.length === 1 ? { ...reports[0], failures } : { sets: reports, failures }
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`)
  } else {
    process.stdout.write(`${results.map(([set, s]) => textReport(s, set)).join("\n\n")}\n`)
    if (results.length > 1) process.stdout.write(`\nSummary (held-out sets first; tuned sets guided lexicon work)\n${summaryTable(results)}\n`)
    for (const f of failures) process.stderr.write(`FAIL: ${f}\n`)
  }
  return failures.length > 0 ? 1 : 0
}

process.exitCode = main()

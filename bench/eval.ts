/**
 * `npm run eval`: runs the analytics pipeline (§3) on every labelled example of
 * `data/eval/posts.jsonl` and prints sentiment, intent and aspect accuracy with confusion
 * matrices, per-language accuracy and the misclassified examples.
 *
 *   npx tsx bench/eval.ts [--json] [--min-sentiment 0.85] [--min-intent 0.90] [--min-aspect x]
 *
 * Exits 1 when an accuracy is below a given minimum, 2 on bad arguments or a bad data file.
 */
import { readFileSync } from "node:fs"
import process from "node:process"
import { fileURLToPath } from "node:url"
import { type Item, noBatchContext } from "../src/domain/item.ts"
import { INTENTS, SENTIMENT_LABELS, type ItemRecord } from "../src/domain/records.ts"
import { builtinLexicons, defaultPipelineSettings, makePipeline } from "../src/domain/pipeline/index.ts"
import {
  type ExampleResult,
  type Labels,
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

/** Fixed analysis time: the pipeline is deterministic given `now`. */
const NOW = "2025-12-06T10:15:30Z"
const DEFAULT_DATA = fileURLToPath(new URL("../data/eval/posts.jsonl", import.meta.url))
const ASPECT_NAMES: ReadonlyArray<string> = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE"]

interface Example {
  readonly id: string
  readonly lang: string
  readonly text: string
  readonly gold: Labels
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Parses and checks one JSONL line; throws with the line number on anything unexpected. */
const parseExample = (line: string, lineNo: number): Example => {
  const fail = (why: string): never => {
    throw new Error(`line ${lineNo}: ${why}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch (e) {
    return fail(`not JSON (${String(e)})`)
  }
  if (!isRecord(raw)) return fail("not a JSON object")
  const str = (key: string): string => {
    const v = raw[key]
    return typeof v === "string" && v !== "" ? v : fail(`"${key}" must be a non-empty string`)
  }
  const oneOf = (key: string, allowed: ReadonlyArray<string>): string => {
    const v = str(key)
    return allowed.includes(v) ? v : fail(`"${key}" is ${v}, expected one of ${allowed.join(", ")}`)
  }
  const aspectsRaw = raw["aspects"]
  if (!isRecord(aspectsRaw)) return fail(`"aspects" must be an object`)
  const aspects: Record<string, string> = {}
  for (const [aspect, label] of Object.entries(aspectsRaw)) {
    if (!ASPECT_NAMES.includes(aspect)) fail(`unknown aspect ${aspect}`)
    if (typeof label !== "string" || !(SENTIMENT_LABELS as ReadonlyArray<string>).includes(label)) {
      fail(`aspect ${aspect} has label ${String(label)}`)
    }
    aspects[aspect] = String(label)
  }
  return {
    id: str("id"),
    lang: oneOf("lang", ["vi", "en"]),
    text: str("text"),
    gold: { sentiment: oneOf("sentiment", SENTIMENT_LABELS), intent: oneOf("intent", INTENTS), aspects }
  }
}

const loadExamples = (path: string): ReadonlyArray<Example> => {
  const examples = readFileSync(path, "utf8")
    .split("\n")
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== "")
    .map(([line, lineNo]) => parseExample(line, lineNo))
  const ids = new Set<string>()
  for (const e of examples) {
    if (ids.has(e.id)) throw new Error(`duplicate id ${e.id}`)
    ids.add(e.id)
  }
  return examples
}

/** A TikTok post carrying only the example's text: zero counts, no author, no comments. */
const itemOf = (e: Example): Item => ({
  meta: {
    id: e.id,
    platform: "TIKTOK",
    job_id: null,
    task_type: null,
    crawled_at: null,
    published_at: null,
    permalink: null,
    keyword_source: null,
    lang: null,
    region: null,
    pipeline_version: null,
    fetch_status: "success",
    error_code: null,
    error_message: null,
    error_details: null
  },
  content: {
    text: e.text,
    title: null,
    duration: null,
    hashtags: [],
    sound_name: null,
    category: null,
    transcription: null,
    transcription_status: null
  },
  interaction: { views: 0, likes: 0, comments_count: 0, shares: 0, saves: 0, engagement_rate: null, updated_at: null },
  author: null,
  comments: []
})

const labelsOf = (record: ItemRecord): Labels | string => {
  if (record.record === "error") return `error record ${record.error_code}: ${record.error_message ?? ""}`
  const aspects: Record<string, string> = {}
  for (const [aspect, value] of Object.entries(record.aspects_breakdown)) {
    if (value !== undefined) aspects[aspect] = value.label
  }
  return { sentiment: record.overall_sentiment, intent: record.primary_intent, aspects }
}

const evaluate = (examples: ReadonlyArray<Example>): ReadonlyArray<ExampleResult> => {
  const pipeline = makePipeline(defaultPipelineSettings, builtinLexicons)
  return examples.map((e): ExampleResult => {
    const base = { id: e.id, lang: e.lang, text: e.text, gold: e.gold }
    try {
      const labels = labelsOf(pipeline.analyze(itemOf(e), noBatchContext, NOW))
      return typeof labels === "string" ? { ...base, predicted: null, error: labels } : { ...base, predicted: labels }
    } catch (err) {
      return { ...base, predicted: null, error: `threw: ${err instanceof Error ? err.message : String(err)}` }
    }
  })
}

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

const misclassifiedText = (s: Summary, max: number | null): string => {
  const list = max === null ? s.misclassified : s.misclassified.slice(0, max)
  const blocks = list.map((r) => {
    const p = r.predicted
    const mark = (wrong: boolean) => (wrong ? "✗" : " ")
    const aspectWrong = p === null || Object.entries(r.gold.aspects).some(([a, l]) => p.aspects[a] !== l)
    const lines = [
      `${r.id} [${r.lang}] ${r.text}`,
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
  const more = list.length < s.misclassified.length ? `\n… and ${s.misclassified.length - list.length} more` : ""
  return blocks.join("\n") + more
}

const textReport = (s: Summary, dataPath: string, maxErrors: number | null): string => {
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
    `SMAP analytics evaluation: ${s.examples} examples from ${dataPath}`,
    s.errors > 0 ? `!! ${s.errors} examples not analysed (error record or exception), counted as wrong` : "",
    "",
    `Sentiment accuracy  ${ratio(s.sentiment)}`,
    formatConfusion(s.sentiment.confusion),
    "",
    `Intent accuracy     ${ratio(s.intent)}`,
    formatConfusion(s.intent.confusion),
    "",
    `Aspect sentiment accuracy  ${ratio(s.aspects)}  over gold (aspect, label) pairs`,
    `  gold aspects found: ${s.aspects.detected}/${s.aspects.total}; aspects reported beyond gold: ${s.aspects.extra}`,
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
    `Misclassified examples: ${s.misclassified.length} (✗ marks what is wrong)`,
    misclassifiedText(s, maxErrors)
  ]
    .filter((line, i, all) => !(line === "" && all[i - 1] === ""))
    .join("\n")
}

const jsonReport = (s: Summary, dataPath: string) => ({
  data: dataPath,
  examples: s.examples,
  errors: s.errors,
  sentiment: { accuracy: s.sentiment.accuracy, correct: s.sentiment.correct, total: s.sentiment.total, confusion: s.sentiment.confusion, labels: s.sentiment.labels },
  intent: { accuracy: s.intent.accuracy, correct: s.intent.correct, total: s.intent.total, confusion: s.intent.confusion, labels: s.intent.labels },
  aspects: {
    accuracy: s.aspects.accuracy,
    correct: s.aspects.correct,
    total: s.aspects.total,
    detected: s.aspects.detected,
    extra: s.aspects.extra,
    byAspect: s.aspects.byAspect,
    confusion: s.aspects.confusion
  },
  byLanguage: s.byLanguage,
  misclassified: s.misclassified.map((r) => ({ id: r.id, lang: r.lang, text: r.text, gold: r.gold, predicted: r.predicted, ...(r.error === undefined ? {} : { error: r.error }) }))
})

const main = (): number => {
  let options
  let examples
  try {
    options = parseEvalArgs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`)
    return 2
  }
  const dataPath = options.data ?? DEFAULT_DATA
  try {
    examples = loadExamples(dataPath)
  } catch (e) {
    process.stderr.write(`cannot load ${dataPath}: ${e instanceof Error ? e.message : String(e)}\n`)
    return 2
  }
  const summary = summarize(evaluate(examples), SENTIMENT_LABELS, INTENTS)
  const failures = thresholdFailures(summary, options.thresholds)
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...jsonReport(summary, dataPath), failures }, null, 2)}\n`)
  } else {
    process.stdout.write(`${textReport(summary, dataPath, options.maxErrors)}\n`)
    for (const f of failures) process.stderr.write(`FAIL: ${f}\n`)
  }
  return failures.length > 0 ? 1 : 0
}

process.exitCode = main()

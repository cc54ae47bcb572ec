/**
 * Labelled examples for evaluation and training: the JSONL sets of data/eval and the compact
 * text files of data/train ("SENTIMENT INTENT ASPECTS | text", see data/train/README.md), and
 * the item and labels the pipeline sees and produces for one example.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { type Item, noBatchContext } from "../src/domain/item.ts"
import type { Pipeline } from "../src/domain/pipeline/index.ts"
import { INTENTS, SENTIMENT_LABELS, type ItemRecord } from "../src/domain/records.ts"
import type { ExampleResult, Labels } from "./eval-metrics.ts"

/** Fixed analysis time: the pipeline is deterministic given `now`. */
const NOW = "2025-12-06T10:15:30Z"
const setPath = (name: string): string => fileURLToPath(new URL(`../data/eval/${name}.jsonl`, import.meta.url))

export interface EvalSet {
  readonly name: string
  readonly path: string
  /** Tuned sets guided lexicon work and train the classifier; held-out sets are frozen and only measured. */
  readonly tuned: boolean
}

/** Every set of data/eval, held-out first (the figures that say how the pipeline generalises). */
export const SETS: ReadonlyArray<EvalSet> = [
  { name: "heldout", path: setPath("heldout"), tuned: false },
  { name: "heldout_a", path: setPath("heldout_a"), tuned: false },
  { name: "heldout_b", path: setPath("heldout_b"), tuned: false },
  { name: "heldout_c", path: setPath("heldout_c"), tuned: false },
  { name: "heldout_d", path: setPath("heldout_d"), tuned: false },
  { name: "heldout_e", path: setPath("heldout_e"), tuned: false },
  { name: "dev", path: setPath("dev"), tuned: true },
  { name: "posts", path: setPath("posts"), tuned: true }
]

/** Runs `pipeline` on every example; an error record or an exception is a missing prediction. */
export const runExamples = (pipeline: Pipeline, examples: ReadonlyArray<Example>): ReadonlyArray<ExampleResult> =>
  examples.map((e): ExampleResult => {
    const base = { id: e.id, lang: e.lang, text: e.text, gold: e.gold }
    try {
      const labels = labelsOf(pipeline.analyze(itemOf(e), noBatchContext, NOW))
      return typeof labels === "string" ? { ...base, predicted: null, error: labels } : { ...base, predicted: labels }
    } catch (err) {
      return { ...base, predicted: null, error: `threw: ${err instanceof Error ? err.message : String(err)}` }
    }
  })

export const ASPECT_NAMES: ReadonlyArray<string> = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE"]

export interface Example {
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

export const loadJsonl = (path: string): ReadonlyArray<Example> => {
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
export const itemOf = (e: Example): Item => ({
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

export const labelsOf = (record: ItemRecord): Labels | string => {
  if (record.record === "error") return `error record ${record.error_code}: ${record.error_message ?? ""}`
  const aspects: Record<string, string> = {}
  for (const [aspect, value] of Object.entries(record.aspects_breakdown)) {
    if (value !== undefined) aspects[aspect] = value.label
  }
  return { sentiment: record.overall_sentiment, intent: record.primary_intent, aspects }
}


const SENTIMENT_SHORT: Readonly<Record<string, string>> = { POS: "POSITIVE", NEG: "NEGATIVE", NEU: "NEUTRAL" }
const ASPECT_SHORT: Readonly<Record<string, string>> = { D: "DESIGN", P: "PERFORMANCE", R: "PRICE", S: "SERVICE" }
const POLARITY_SHORT: Readonly<Record<string, string>> = { "+": "POSITIVE", "-": "NEGATIVE", "0": "NEUTRAL" }
/** Vietnamese letters outside ASCII, or common unaccented Vietnamese words. */
const VIETNAMESE = /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]|\b(?:khong|duoc|minh|cua|nhung|roi|qua|lam|cho|voi|ko|mn|shop oi)\b/iu

/** A data/train text file: "SENTIMENT INTENT ASPECTS | text" per line, "#" comments. */
export const loadTxt = (path: string, prefix: string): ReadonlyArray<Example> =>
  readFileSync(path, "utf8")
    .split("\n")
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== "" && !line.startsWith("#"))
    .map(([line, lineNo]): Example => {
      const fail = (why: string): never => {
        throw new Error(`${path} line ${lineNo}: ${why}`)
      }
      const bar = line.indexOf(" | ")
      if (bar < 0) return fail(`no " | " between labels and text`)
      const [s, intent, aspectList, ...rest] = line.slice(0, bar).trim().split(/\s+/)
      if (rest.length > 0 || aspectList === undefined) return fail("labels must be SENTIMENT INTENT ASPECTS")
      const sentiment = SENTIMENT_SHORT[s ?? ""] ?? fail(`sentiment ${s}`)
      if (!(INTENTS as ReadonlyArray<string>).includes(intent ?? "")) fail(`intent ${intent}`)
      const aspects: Record<string, string> = {}
      if (aspectList !== "-") {
        for (const a of aspectList.split(",")) {
          const name = ASPECT_SHORT[a.charAt(0)] ?? fail(`aspect ${a}`)
          aspects[name] = POLARITY_SHORT[a.slice(1)] ?? fail(`aspect polarity ${a}`)
        }
      }
      const text = line.slice(bar + 3).trim()
      if (text === "") fail("empty text")
      return {
        id: `${prefix}:${lineNo}`,
        lang: VIETNAMESE.test(text) ? "vi" : "en",
        text,
        gold: { sentiment, intent: intent as string, aspects }
      }
    })

/** Either format, by extension. */
export const loadExamples = (path: string): ReadonlyArray<Example> =>
  path.endsWith(".txt") ? loadTxt(path, path.replace(/^.*\//, "").replace(/\.txt$/, "")) : loadJsonl(path)

/**
 * The learned classifier: multinomial logistic regression over hashed features of the clean
 * text, one head for overall sentiment and one for intent. Trained by `npm run train`
 * (bench/train.ts) into `data/model/classifier.json`; pure, deterministic, no native code.
 *
 * Features (each hashed with 32-bit FNV-1a into `buckets` slots, counted, and the count vector
 * scaled to unit length):
 * - word unigrams and bigrams of the clean text with Vietnamese diacritics removed and `đ`
 *   written `d`, so "giao hàng chậm" and "giao hang cham" share features;
 * - word unigrams as written (diacritics tell apart "bán" and "bạn");
 * - character 3-grams of words of four letters or more ("<word>" with boundary marks), for
 *   spelling variants and English morphology;
 * - each emoji or emoticon cue, a "?" anywhere, and a phone number.
 *
 * Scores are sums of weights (no transcendental function), so the argmax and the margins are
 * the same on every JavaScript engine. Probabilities, when reported, use `Math.exp` rounded to
 * six decimals, like the lexicon analyzer.
 */
import { Schema } from "effect"
import classifierFile from "../../../data/model/classifier.json" with { type: "json" }

/** Weights are stored as integers: the real weight times this. */
export const WEIGHT_SCALE = 1000

export interface ClassifierHead {
  readonly classes: ReadonlyArray<string>
  /** Per class, real-valued. */
  readonly bias: ReadonlyArray<number>
  /** `weights[bucket * classes.length + k]`, real-valued; zero for buckets never trained. */
  readonly weights: Float64Array
}

export interface Classifier {
  /** Named in `model_version`. */
  readonly version: string
  readonly buckets: number
  readonly sentiment: ClassifierHead
  readonly intent: ClassifierHead
}

// ---------------------------------------------------------------------------------------
// Features

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

const mix = (h: number, c: number): number => Math.imul(h ^ c, FNV_PRIME) >>> 0

const hashString = (h: number, s: string): number => {
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i))
  return h
}

/** Seeds per feature kind, so a word and the same letters as an n-gram do not collide. */
const SEED_UNI = hashString(FNV_OFFSET, "u:")
const SEED_ACCENTED = hashString(FNV_OFFSET, "a:")
const SEED_BI = hashString(FNV_OFFSET, "b:")
const SEED_CHAR = hashString(FNV_OFFSET, "c:")
const SEED_CUE = hashString(FNV_OFFSET, "e:")
const QUESTION = hashString(FNV_OFFSET, "f:?")
const PHONE = hashString(FNV_OFFSET, "f:phone")

/** Base letter of each accented Vietnamese letter (lower case), computed once with NFD. */
const BASE_LETTER: ReadonlyMap<number, number> = (() => {
  const letters = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
  const map = new Map<number, number>()
  for (const ch of letters) {
    const base = ch === "đ" ? "d" : ch.normalize("NFD").charAt(0)
    map.set(ch.charCodeAt(0), base.charCodeAt(0))
  }
  return map
})()

/** The word without diacritics ("hàng" → "hang"); the same string when it has none. */
export const stripDiacritics = (word: string): string => {
  let out: string | undefined
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i)
    const b = c > 0x7f ? BASE_LETTER.get(c) : undefined
    if (b !== undefined) {
      if (out === undefined) out = word.slice(0, i)
      out += String.fromCharCode(b)
    } else if (out !== undefined) {
      out += word.charAt(i)
    }
  }
  return out ?? word
}

export interface FeatureInput {
  /** Words of the clean text (lower case, teencode expanded), as tokenized by the pipeline. */
  readonly words: ReadonlyArray<string>
  /** Emoji and emoticon cues found before normalisation. */
  readonly cues: ReadonlyArray<string>
  readonly question: boolean
  readonly phone: boolean
}

const LT = "<".charCodeAt(0)
const GT = ">".charCodeAt(0)

/** Hashed feature slots (with repeats: a repeated word counts twice), `mask + 1` buckets. */
export const featureSlots = (input: FeatureInput, buckets: number): Array<number> => {
  const mask = buckets - 1
  const out: Array<number> = []
  let prev: string | undefined
  for (const word of input.words) {
    const plain = stripDiacritics(word)
    out.push(hashString(SEED_UNI, plain) & mask)
    if (plain !== word) out.push(hashString(SEED_ACCENTED, word) & mask)
    if (prev !== undefined) out.push(hashString(mix(hashString(SEED_BI, prev), 32), plain) & mask)
    prev = plain
    const n = plain.length
    if (n >= 4) {
      // "<word>": n + 2 characters, n 3-grams.
      for (let i = -1; i + 2 <= n; i++) {
        let h = SEED_CHAR
        for (let j = i; j < i + 3; j++) h = mix(h, j < 0 ? LT : j >= n ? GT : plain.charCodeAt(j))
        out.push(h & mask)
      }
    }
  }
  for (const cue of input.cues) out.push(hashString(SEED_CUE, cue) & mask)
  if (input.question) out.push(QUESTION & mask)
  if (input.phone) out.push(PHONE & mask)
  return out
}

/** Raw scores (logits) of every class of `head` for the given slots. */
export const headScores = (head: ClassifierHead, slots: ReadonlyArray<number>): Array<number> => {
  const k = head.classes.length
  const sums = new Array<number>(k).fill(0)
  const w = head.weights
  for (const s of slots) {
    const base = s * k
    for (let c = 0; c < k; c++) sums[c] = (sums[c] as number) + (w[base + c] as number)
  }
  const scale = slots.length === 0 ? 0 : 1 / Math.sqrt(slots.length)
  return sums.map((x, c) => (head.bias[c] as number) + x * scale)
}

export interface Prediction {
  readonly label: string
  /** Best score minus the second best (≥ 0): how clearly the model prefers its label. */
  readonly margin: number
  readonly scores: ReadonlyArray<number>
}

/** The class with the highest score (the first one on a tie) and its margin. */
export const predict = (head: ClassifierHead, slots: ReadonlyArray<number>): Prediction => {
  const scores = headScores(head, slots)
  let best = 0
  for (let c = 1; c < scores.length; c++) if ((scores[c] as number) > (scores[best] as number)) best = c
  let second = -Infinity
  for (let c = 0; c < scores.length; c++) if (c !== best && (scores[c] as number) > second) second = scores[c] as number
  return { label: head.classes[best] as string, margin: (scores[best] as number) - second, scores }
}

/** Softmax of the scores, each rounded to six decimals. */
export const probabilities = (scores: ReadonlyArray<number>): Array<number> => {
  let max = -Infinity
  for (const s of scores) if (s > max) max = s
  const e = scores.map((s) => Math.exp(s - max))
  let total = 0
  for (const x of e) total += x
  return e.map((x) => Math.round((x / total) * 1e6) / 1e6)
}

// ---------------------------------------------------------------------------------------
// The weights file

const Int = Schema.Int
const HeadFile = Schema.Struct({
  classes: Schema.Array(Schema.NonEmptyString),
  /** Per class, times WEIGHT_SCALE. */
  bias: Schema.Array(Int),
  /** `[bucket, w_0, …, w_{k-1}]` for every bucket with a non-zero weight, times WEIGHT_SCALE. */
  rows: Schema.Array(Schema.Array(Int))
})

export const ClassifierFileSchema = Schema.Struct({
  version: Schema.NonEmptyString,
  description: Schema.optionalKey(Schema.String),
  /** Power of two. */
  buckets: Int.pipe(Schema.check(Schema.isBetween({ minimum: 1024, maximum: 1 << 22 }))),
  /** Training settings and data, recorded so that `npm run train:check` can repeat the run. */
  training: Schema.Record(Schema.String, Schema.Unknown),
  /** SHA-256 of the training data files, in the order they were read. */
  data_sha256: Schema.Record(Schema.String, Schema.String),
  sentiment: HeadFile,
  intent: HeadFile
})
export type ClassifierFile = typeof ClassifierFileSchema.Type

const SENTIMENT_CLASSES = ["POSITIVE", "NEGATIVE", "NEUTRAL"]
const INTENT_CLASSES = ["DISCUSSION", "COMPLAINT", "SUPPORT", "LEAD", "CRISIS", "SPAM", "SEEDING"]

const decodeHead = (name: string, head: ClassifierFile["sentiment"], buckets: number, expected: ReadonlyArray<string>): ClassifierHead => {
  const k = head.classes.length
  if (k !== expected.length || expected.some((c) => !head.classes.includes(c))) {
    throw new Error(`classifier ${name}: classes must be ${expected.join(", ")}, got ${head.classes.join(", ")}`)
  }
  if (head.bias.length !== k) throw new Error(`classifier ${name}: bias has ${head.bias.length} values for ${k} classes`)
  const weights = new Float64Array(buckets * k)
  const seen = new Set<number>()
  for (const row of head.rows) {
    const bucket = row[0]
    if (row.length !== k + 1 || bucket === undefined || bucket < 0 || bucket >= buckets || seen.has(bucket)) {
      throw new Error(`classifier ${name}: bad row [${row.slice(0, 3).join(", ")}…]`)
    }
    seen.add(bucket)
    for (let c = 0; c < k; c++) weights[bucket * k + c] = (row[c + 1] as number) / WEIGHT_SCALE
  }
  return { classes: head.classes, bias: head.bias.map((b) => b / WEIGHT_SCALE), weights }
}

/** Checks the file's shape and builds the dense weight tables; throws naming what is wrong. */
export const decodeClassifier = (raw: unknown): Classifier => {
  const file = Schema.decodeUnknownSync(ClassifierFileSchema)(raw)
  if ((file.buckets & (file.buckets - 1)) !== 0) throw new Error(`classifier: buckets ${file.buckets} is not a power of two`)
  return {
    version: file.version,
    buckets: file.buckets,
    sentiment: decodeHead("sentiment", file.sentiment, file.buckets, SENTIMENT_CLASSES),
    intent: decodeHead("intent", file.intent, file.buckets, INTENT_CLASSES)
  }
}

let builtin: Classifier | undefined

/** The classifier trained into `data/model/classifier.json`, decoded once. */
export const builtinClassifier = (): Classifier => (builtin ??= decodeClassifier(classifierFile))

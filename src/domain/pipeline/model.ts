/**
 * The learned classifier: multinomial logistic regression over hashed features of the clean
 * text, one head for overall sentiment and one for intent. Trained by `npm run train`
 * (bench/train.ts) into `data/model/classifier.json`; pure, deterministic, no native code.
 *
 * Features (each hashed with 32-bit FNV-1a into `buckets` slots, counted, and the count vector
 * scaled by 1/√(number of features)). Character n-grams were tried and dropped: they cost a
 * third of the classifier's time and did not raise cross-validated accuracy (bench/train.ts --cv).
 * - word unigrams and bigrams of the clean text with Vietnamese diacritics removed and `đ`
 *   written `d`, so "giao hàng chậm" and "giao hang cham" share features;
 * - word unigrams as written (diacritics tell apart "bán" and "bạn");
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
  /** Where this head's weights start in a row of `Classifier.table`. */
  readonly offset: number
}

export interface Classifier {
  /** Named in `model_version`. */
  readonly version: string
  readonly buckets: number
  readonly sentiment: ClassifierHead
  readonly intent: ClassifierHead
  /**
   * One independent yes/no score per aspect (DESIGN, PERFORMANCE, PRICE, SERVICE): the post
   * talks about the aspect when its score is at least the pipeline's threshold.
   */
  readonly aspects: ClassifierHead
  /** Bucket → row of `table`, -1 for a bucket without weights. */
  readonly index: Int32Array
  /**
   * Row r holds the weights of every head for one bucket: sentiment classes, intent classes,
   * then aspects (`width` values): one compact table, so that scoring a post reads one short row per feature
   * instead of touching a large sparse array.
   */
  readonly table: Float32Array
  readonly width: number
  /**
   * Per-aspect polarity: a softmax over POSITIVE, NEGATIVE, NEUTRAL of the words around the
   * aspect's mentions (see `polaritySlots`), with its own weight table (three values per row).
   */
  readonly polarity: PolarityHead
}

export interface PolarityHead {
  readonly classes: ReadonlyArray<string>
  readonly bias: ReadonlyArray<number>
  readonly index: Int32Array
  readonly table: Float32Array
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
const SEED_CUE = hashString(FNV_OFFSET, "e:")
const SEED_RULES = hashString(FNV_OFFSET, "r:")
const SEED_NEAR = hashString(FNV_OFFSET, "n:")
const SEED_NEAR_BI = hashString(FNV_OFFSET, "nb:")
const SEED_CONTEXT = hashString(FNV_OFFSET, "c:")
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


export interface WordFeatures {
  /** `buckets - 1` of `slots`. */
  readonly mask: number
  /** The word without diacritics. */
  readonly plain: string
  /** Unigram and accented unigram slots of the word alone. */
  readonly slots: ReadonlyArray<number>
  /** Full 32-bit hash of `plain`, combined with the next word's into a bigram. */
  readonly hash: number
}

/** Words seen most often repeat across posts: their own slots are computed once. */
const MAX_CACHED_WORDS = 50_000
const wordCaches = new Map<number, Map<string, WordFeatures>>()

const wordFeatures = (word: string, mask: number): WordFeatures => {
  const plain = stripDiacritics(word)
  const hash = hashString(SEED_UNI, plain)
  const slots: Array<number> = [hash & mask]
  if (plain !== word) slots.push(hashString(SEED_ACCENTED, word) & mask)
  return { mask, plain, slots, hash }
}

/** Hashed feature slots (with repeats: a repeated word counts twice) in `buckets` (a power of two). */
export const featureSlots = (input: FeatureInput, buckets: number): Array<number> => {
  const mask = buckets - 1
  let cache = wordCaches.get(buckets)
  if (cache === undefined) wordCaches.set(buckets, (cache = new Map()))
  const out: Array<number> = []
  let prev = -1
  for (const word of input.words) {
    let f = cache.get(word)
    if (f === undefined) {
      if (cache.size >= MAX_CACHED_WORDS) cache.clear()
      f = wordFeatures(word, mask)
      cache.set(word, f)
    }
    for (const slot of f.slots) out.push(slot)
    if (prev !== -1) out.push(mix(mix(SEED_BI, prev), f.hash) & mask)
    prev = f.hash
  }
  for (const cue of input.cues) out.push(hashString(SEED_CUE, cue) & mask)
  if (input.question) out.push(QUESTION & mask)
  if (input.phone) out.push(PHONE & mask)
  return out
}

/** A word and a place to keep its features (normalize.ts `WordInfo`). */
export interface WordFeatureHolder {
  readonly word: string
  features: WordFeatures | undefined
}

/**
 * What the aspect polarity head reads for one aspect of one post: the words of the clause of
 * its first mention (up to the nearest contrast word on either side: in "đẹp nhưng pin yếu"
 * the mention "pin" reads "pin yếu") and a few symbolic context features (the aspect's name,
 * whether the post asks, the rules' reading of the aspect and of the post, the side of a
 * contrast word the mention is on).
 */
export interface PolarityInput {
  readonly near: ReadonlyArray<string>
  readonly context: ReadonlyArray<string>
}

/** The word cache of `buckets` (shared with `featureSlots`). */
const wordCache = (buckets: number): Map<string, WordFeatures> => {
  let cache = wordCaches.get(buckets)
  if (cache === undefined) wordCaches.set(buckets, (cache = new Map()))
  return cache
}

/** Full hash of the word without diacritics, from the cache. */
const plainHash = (cache: Map<string, WordFeatures>, word: string, mask: number): number => {
  let f = cache.get(word)
  if (f === undefined) {
    if (cache.size >= MAX_CACHED_WORDS) cache.clear()
    f = wordFeatures(word, mask)
    cache.set(word, f)
  }
  return f.hash
}

/** Context feature → its slot, per bucket count: the same few strings repeat on every post. */
const contextSlotCaches = new Map<number, Map<string, number>>()

/**
 * Hashed slots of the polarity head: near-word unigrams and bigrams (diacritics removed) and
 * context features.
 */
export const polaritySlots = (input: PolarityInput, buckets: number, nearFeatures?: ReadonlyArray<WordFeatureHolder>): Array<number> => {
  const mask = buckets - 1
  const words = wordCache(buckets)
  const out: Array<number> = []
  let prev = -1
  // `nearFeatures` (the pipeline's interned tokens of `input.near`) keep each word's hash on the word.
  const holders = nearFeatures !== undefined && nearFeatures.length === input.near.length ? nearFeatures : undefined
  for (let i = 0; i < input.near.length; i++) {
    const word = input.near[i] as string
    let h: number
    if (holders === undefined) {
      h = plainHash(words, word, mask)
    } else {
      const w = holders[i] as WordFeatureHolder
      let f = w.features
      if (f === undefined || f.mask !== mask) w.features = f = wordFeatures(w.word, mask)
      h = f.hash
    }
    out.push(mix(SEED_NEAR, h) & mask)
    if (prev !== -1) out.push(mix(mix(SEED_NEAR_BI, prev), h) & mask)
    prev = h
  }
  let cache = contextSlotCaches.get(buckets)
  if (cache === undefined) contextSlotCaches.set(buckets, (cache = new Map()))
  for (const c of input.context) {
    let slot = cache.get(c)
    if (slot === undefined) {
      slot = hashString(SEED_CONTEXT, c) & mask
      // Context strings come from a small fixed set (aspect, label, flags); bounded all the same.
      if (cache.size >= 1024) cache.clear()
      cache.set(c, slot)
    }
    out.push(slot)
  }
  return out
}

/** Logits of the polarity head (POSITIVE, NEGATIVE, NEUTRAL) for the given slots. */
export const scorePolarity = (head: PolarityHead, slots: ReadonlyArray<number>): Array<number> => {
  let p = 0
  let n = 0
  let u = 0
  const { index, table, bias } = head
  for (const s of slots) {
    const row = index[s] as number
    if (row < 0) continue
    const base = row * 3
    p += table[base] as number
    n += table[base + 1] as number
    u += table[base + 2] as number
  }
  const scale = slots.length === 0 ? 0 : 1 / Math.sqrt(slots.length)
  return [(bias[0] as number) + p * scale, (bias[1] as number) + n * scale, (bias[2] as number) + u * scale]
}

/**
 * The lexicon rules' overall reading as features of the sentiment head (stacking): the band of
 * their score, whether they found both praise and blame, and how much of each they found (the
 * POSITIVE and NEGATIVE probabilities at ≥ 0.2 and ≥ 0.5, so praise and blame weigh on the
 * classifier even where they cancel in the score; logreg-2026.12.7). These slots are not scaled by the
 * post's length: `withRulesSentiment` adds their sentiment weights to the scores as they are.
 */
export const rulesSentimentSlots = (score: number, positive: number, negative: number, buckets: number): Array<number> => {
  const band = score >= 0.75 ? "p2" : score > 0.25 ? "p1" : score > 0 ? "p0" : score === 0 ? "z" : score >= -0.25 ? "n0" : score > -0.75 ? "n1" : "n2"
  const out = [hashString(SEED_RULES, band) & (buckets - 1)]
  if (positive > 0 && negative > 0) out.push(hashString(SEED_RULES, "mixed") & (buckets - 1))
  if (positive >= 0.2) out.push(hashString(SEED_RULES, positive >= 0.5 ? "pp2" : "pp1") & (buckets - 1))
  if (negative >= 0.2) out.push(hashString(SEED_RULES, negative >= 0.5 ? "np2" : "np1") & (buckets - 1))
  return out
}

/** `scores` with the sentiment weights of `slots` added, unscaled (see `rulesSentimentSlots`). */
export const withRulesSentiment = (classifier: Classifier, scores: ReadonlyArray<number>, slots: ReadonlyArray<number>): Array<number> => {
  const out = scores.slice()
  const { offset, classes } = classifier.sentiment
  for (const s of slots) {
    const row = classifier.index[s] as number
    if (row < 0) continue
    for (let c = 0; c < classes.length; c++) out[offset + c] = (out[offset + c] as number) + (classifier.table[row * classifier.width + offset + c] as number)
  }
  return out
}

/** Raw scores (logits) of every class of every head (sentiment, intent, aspects) for the given slots. */
export const scoreSlots = (classifier: Classifier, slots: ReadonlyArray<number>): Array<number> =>
  scoreFirstSlots(classifier, slots, slots.length)

/** Reused by `scoreWords` for the slots of one post (no array per post); grown when a post needs more. */
let slotScratch = new Int32Array(4096)

/**
 * `scoreSlots(classifier, featureSlots({ words, cues, question, phone }, classifier.buckets))` for
 * words that keep their own features (normalize.ts `WordInfo`): the same slots in the same order,
 * written to a reused buffer instead of a new array.
 */
export const scoreWords = (
  classifier: Classifier,
  words: ReadonlyArray<WordFeatureHolder>,
  cues: ReadonlyArray<string>,
  question: boolean,
  phone: boolean
): Array<number> => {
  const mask = classifier.buckets - 1
  // At most three slots a word (unigram, accented unigram, bigram), one a cue, two flags.
  const most = words.length * 3 + cues.length + 2
  if (slotScratch.length < most) slotScratch = new Int32Array(most * 2)
  const out = slotScratch
  let n = 0
  let prev = -1
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as WordFeatureHolder
    let f = w.features
    if (f === undefined || f.mask !== mask) w.features = f = wordFeatures(w.word, mask)
    const slots = f.slots
    for (let k = 0; k < slots.length; k++) out[n++] = slots[k] as number
    if (prev !== -1) out[n++] = mix(mix(SEED_BI, prev), f.hash) & mask
    prev = f.hash
  }
  for (const cue of cues) out[n++] = hashString(SEED_CUE, cue) & mask
  if (question) out[n++] = QUESTION & mask
  if (phone) out[n++] = PHONE & mask
  return scoreFirstSlots(classifier, out, n)
}

/** `scoreSlots` of the first `n` of `slots`. */
const scoreFirstSlots = (classifier: Classifier, slots: ArrayLike<number>, n: number): Array<number> => {
  const width = classifier.width
  let sums: Array<number>
  const { index, table } = classifier
  if (width === 14) {
    // The width of the shipped heads (3 sentiment + 7 intent + 4 aspect classes): the sums live
    // in registers instead of being stored back to an array for every feature. Each class adds
    // the same values in the same order as the general loop below, so the results are identical.
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0
    for (let i = 0; i < n; i++) {
      const row = index[slots[i] as number] as number
      if (row < 0) continue
      const b = row * 14
      s0 += table[b] as number
      s1 += table[b + 1] as number
      s2 += table[b + 2] as number
      s3 += table[b + 3] as number
      s4 += table[b + 4] as number
      s5 += table[b + 5] as number
      s6 += table[b + 6] as number
      s7 += table[b + 7] as number
      s8 += table[b + 8] as number
      s9 += table[b + 9] as number
      s10 += table[b + 10] as number
      s11 += table[b + 11] as number
      s12 += table[b + 12] as number
      s13 += table[b + 13] as number
    }
    sums = [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13]
  } else {
    sums = new Array<number>(width).fill(0)
    for (let i = 0; i < n; i++) {
      const row = index[slots[i] as number] as number
      if (row < 0) continue
      const base = row * width
      for (let c = 0; c < width; c++) sums[c] = (sums[c] as number) + (table[base + c] as number)
    }
  }
  const scale = n === 0 ? 0 : 1 / Math.sqrt(n)
  addBias(sums, classifier.sentiment, scale)
  addBias(sums, classifier.intent, scale)
  addBias(sums, classifier.aspects, scale)
  return sums
}

const addBias = (sums: Array<number>, head: ClassifierHead, scale: number): void => {
  const { bias, offset } = head
  for (let c = 0; c < bias.length; c++) sums[offset + c] = (bias[c] as number) + (sums[offset + c] as number) * scale
}

export interface Prediction {
  readonly label: string
  /** Best score minus the second best (≥ 0): how clearly the model prefers its label. */
  readonly margin: number
  readonly scores: ReadonlyArray<number>
}

/** The class of `head` with the highest score (the first one on a tie) and its margin. */
export const predict = (head: ClassifierHead, all: ReadonlyArray<number>): Prediction => {
  const k = head.classes.length
  const scores: Array<number> = []
  for (let c = 0; c < k; c++) scores.push(all[head.offset + c] as number)
  let best = 0
  for (let c = 1; c < k; c++) if ((scores[c] as number) > (scores[best] as number)) best = c
  let second = -Infinity
  for (let c = 0; c < k; c++) if (c !== best && (scores[c] as number) > second) second = scores[c] as number
  return { label: head.classes[best] as string, margin: (scores[best] as number) - second, scores }
}

/** The aspects whose yes/no score is at least `threshold`. */
export const detectedAspects = (classifier: Classifier, all: ReadonlyArray<number>, threshold: number): Array<string> => {
  const head = classifier.aspects
  return head.classes.filter((_, c) => (all[head.offset + c] as number) >= threshold)
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

const ClassifierFileSchema = Schema.Struct({
  version: Schema.NonEmptyString,
  description: Schema.optionalKey(Schema.String),
  /** Power of two. */
  buckets: Int.pipe(Schema.check(Schema.isBetween({ minimum: 1024, maximum: 1 << 22 }))),
  /** Training settings and data, recorded so that `npm run train:check` can repeat the run. */
  training: Schema.Record(Schema.String, Schema.Unknown),
  /** SHA-256 of the training data files, in the order they were read. */
  data_sha256: Schema.Record(Schema.String, Schema.String),
  sentiment: HeadFile,
  intent: HeadFile,
  /** One yes/no logit per aspect (not a softmax). */
  aspects: HeadFile,
  /** Polarity of one aspect from the words around its mentions (softmax, like sentiment). */
  aspect_polarity: HeadFile
})
type ClassifierFile = typeof ClassifierFileSchema.Type

const SENTIMENT_CLASSES = ["POSITIVE", "NEGATIVE", "NEUTRAL"]
const INTENT_CLASSES = ["DISCUSSION", "COMPLAINT", "SUPPORT", "LEAD", "CRISIS", "SPAM", "SEEDING"]
const ASPECT_CLASSES = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE"]

const checkHead = (name: string, head: ClassifierFile["sentiment"], expected: ReadonlyArray<string>): void => {
  const k = head.classes.length
  if (k !== expected.length || expected.some((c, i) => head.classes[i] !== c)) {
    throw new Error(`classifier ${name}: classes must be ${expected.join(", ")}, got ${head.classes.join(", ")}`)
  }
  if (head.bias.length !== k) throw new Error(`classifier ${name}: bias has ${head.bias.length} values for ${k} classes`)
}

/** Checks the file's shape and builds the compact weight table; throws naming what is wrong. */
export const decodeClassifier = (raw: unknown): Classifier => {
  const file = Schema.decodeUnknownSync(ClassifierFileSchema)(raw)
  const buckets = file.buckets
  if ((buckets & (buckets - 1)) !== 0) throw new Error(`classifier: buckets ${buckets} is not a power of two`)
  checkHead("sentiment", file.sentiment, SENTIMENT_CLASSES)
  checkHead("intent", file.intent, INTENT_CLASSES)
  checkHead("aspects", file.aspects, ASPECT_CLASSES)
  checkHead("aspect_polarity", file.aspect_polarity, SENTIMENT_CLASSES)
  const ks = SENTIMENT_CLASSES.length
  const ka = ks + INTENT_CLASSES.length
  const width = ka + ASPECT_CLASSES.length
  const index = new Int32Array(buckets).fill(-1)
  const rows: Array<number> = []
  const rowOf = (bucket: number): number => {
    let r = index[bucket] as number
    if (r < 0) {
      r = rows.length
      rows.push(bucket)
      index[bucket] = r
    }
    return r
  }
  const fill: Array<[number, number, ReadonlyArray<number>]> = []
  for (const [name, head, offset] of [["sentiment", file.sentiment, 0], ["intent", file.intent, ks], ["aspects", file.aspects, ka]] as const) {
    const k = head.classes.length
    const seen = new Set<number>()
    for (const row of head.rows) {
      const bucket = row[0]
      if (row.length !== k + 1 || bucket === undefined || bucket < 0 || bucket >= buckets || seen.has(bucket)) {
        throw new Error(`classifier ${name}: bad row [${row.slice(0, 3).join(", ")}…]`)
      }
      seen.add(bucket)
      fill.push([rowOf(bucket), offset, row.slice(1)])
    }
  }
  const table = new Float32Array(rows.length * width)
  for (const [r, offset, values] of fill) values.forEach((v, c) => (table[r * width + offset + c] = v / WEIGHT_SCALE))
  const head = (h: ClassifierFile["sentiment"], offset: number): ClassifierHead => ({
    classes: h.classes,
    bias: h.bias.map((b) => b / WEIGHT_SCALE),
    offset
  })
  const polarityIndex = new Int32Array(buckets).fill(-1)
  const polarityRows = file.aspect_polarity.rows
  const polarityTable = new Float32Array(polarityRows.length * 3)
  polarityRows.forEach((row, r) => {
    const bucket = row[0]
    if (row.length !== 4 || bucket === undefined || bucket < 0 || bucket >= buckets || polarityIndex[bucket] !== -1) {
      throw new Error(`classifier aspect_polarity: bad row [${row.slice(0, 3).join(", ")}…]`)
    }
    polarityIndex[bucket] = r
    for (let c = 0; c < 3; c++) polarityTable[r * 3 + c] = (row[c + 1] as number) / WEIGHT_SCALE
  })
  return {
    version: file.version,
    buckets,
    sentiment: head(file.sentiment, 0),
    intent: head(file.intent, ks),
    aspects: head(file.aspects, ka),
    index,
    table,
    width,
    polarity: {
      classes: file.aspect_polarity.classes,
      bias: file.aspect_polarity.bias.map((b) => b / WEIGHT_SCALE),
      index: polarityIndex,
      table: polarityTable
    }
  }
}

let builtin: Classifier | undefined

/** The classifier trained into `data/model/classifier.json`, decoded once. */
export const builtinClassifier = (): Classifier => (builtin ??= decodeClassifier(classifierFile))

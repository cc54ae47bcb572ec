/**
 * §3.7 lexicon sentiment, Vietnamese and English, behind the `SentimentAnalyzer` seam that a
 * model-based analyzer (e.g. ONNX PhoBERT) can fill instead.
 *
 * Walk the tokens left to right taking the longest phrase with a sentiment role at each
 * position (so "không có gì để chê" is one positive phrase, not a negator plus "chê"):
 * - a negator flips and damps (× factor) the next opinion within `scope` tokens of its clause;
 * - an intensifier multiplies the next opinion ("rất", "very") or the previous one ("lắm",
 *   "quá"), except that a negated opinion is not amplified ("không tốt lắm" is mild);
 * - a contrast word ("nhưng", "but") scales what came before it in the sentence by
 *   `before_weight` and what follows by `after_weight`; a concessive ("mặc dù") scales its own
 *   clause by `before_weight`;
 * - a speed word after a loss verb is blame, not praise ("pin sụt nhanh", "drains fast");
 * - praise inside a clause that asks ("con nào tốt không", "ở đâu rẻ nhỉ", "is it good?") is
 *   the thing asked about, not the author's opinion: it does not count; blame still does
 *   ("sao lại chậm thế?" is a complaint phrased as a question);
 * - emoji and emoticons found before normalisation count as opinions of weight 1.
 * x = Σ valence·weight; score = x / √(x² + 15) (VADER's normalisation, in (-1, 1)).
 * Probabilities: the polar share 1 − e^(−mass/4) is split between POSITIVE and NEGATIVE in
 * proportion to their masses, the rest is NEUTRAL; confidence is the probability of the label.
 */
import type { Aspect, AspectSentiment, KeywordHit, SentimentLabel, SentimentProbabilities } from "../records.ts"
import { compileLexicon, type CompiledLexicon } from "./compile.ts"
import { questionClauses } from "./intent.ts"
import type { LexiconBundle } from "./lexicon.ts"
import { aspectMatches, firstAbove, scanText, type PhraseMatch, type ScannedText } from "./scan.ts"

export interface SentimentResult {
  readonly label: SentimentLabel
  readonly score: number
  readonly confidence: number
  readonly probabilities: SentimentProbabilities
  readonly aspects: Partial<Record<Aspect, AspectSentiment>>
}

export interface SentimentCues {
  /** Emoji and emoticons found in the text before they were removed. */
  readonly emoji: ReadonlyArray<string>
  /** The pipeline's scan of `cleanText`; an analyzer may reuse it or ignore it. */
  readonly scanned?: ScannedText
}

export interface SentimentAnalyzer {
  readonly modelVersion: string
  analyze(cleanText: string, keywords: ReadonlyArray<KeywordHit>, cues: SentimentCues): SentimentResult
}

export const POSITIVE_THRESHOLD = 0.25
export const NEGATIVE_THRESHOLD = -0.25
const ALPHA = 15
const EVIDENCE_SCALE = 4
/** Without a single opinion word the text is neutral by default, not neutral for sure. */
const NO_EVIDENCE_CONFIDENCE = 0.5
/** How far (tokens) around a mention we look when its own clause holds no opinion. */
const ASPECT_WINDOW = 4

interface Hit {
  value: number
  weight: number
  /** Contrast words ("nhưng") of the sentence seen before this hit; see `applyContrasts`. */
  readonly contrastsBefore: number
  readonly at: number
  readonly end: number
  readonly clause: number
  readonly sentence: number
  readonly negated: boolean
}

export const labelOf = (score: number): SentimentLabel =>
  score > POSITIVE_THRESHOLD ? "POSITIVE" : score < NEGATIVE_THRESHOLD ? "NEGATIVE" : "NEUTRAL"

const round = (x: number): number => Math.round(x * 1e6) / 1e6

interface Summary {
  readonly score: number
  readonly positive: number
  readonly negative: number
}

const summarize = (contributions: ReadonlyArray<number>): Summary => {
  let x = 0
  let positive = 0
  let negative = 0
  for (const c of contributions) {
    x += c
    if (c > 0) positive += c
    else negative -= c
  }
  return { score: scoreOf(x), positive, negative }
}

const scoreOf = (x: number): number => (x === 0 ? 0 : Math.max(-1, Math.min(1, x / Math.sqrt(x * x + ALPHA))))

const probabilitiesOf = (s: Summary): SentimentProbabilities => {
  const mass = s.positive + s.negative
  if (mass === 0) return { POSITIVE: 0, NEGATIVE: 0, NEUTRAL: 1 }
  const polar = 1 - Math.exp(-mass / EVIDENCE_SCALE)
  const POSITIVE = round((polar * s.positive) / mass)
  const NEGATIVE = round((polar * s.negative) / mass)
  return { POSITIVE, NEGATIVE, NEUTRAL: round(1 - POSITIVE - NEGATIVE) }
}

const confidenceOf = (label: SentimentLabel, p: SentimentProbabilities, s: Summary): number =>
  s.positive + s.negative === 0 ? NO_EVIDENCE_CONFIDENCE : p[label]

/** The longest match at each start that plays a sentiment role, or undefined. */
const sentimentMatches = (scanned: ScannedText, triggers: Array<number>): Array<PhraseMatch | undefined> => {
  const best: Array<PhraseMatch | undefined> = new Array(scanned.tokens.words.length)
  for (const m of scanned.matches) {
    const e = m.entry
    if (e.reversalTrigger === true) triggers.push(m.start + m.length - 1)
    if (e.valence === undefined && e.negator === undefined && e.intensifier === undefined && e.contrast === undefined) continue
    const current = best[m.start]
    if (current === undefined || m.length > current.length) best[m.start] = m
  }
  return best
}

interface Hits {
  readonly hits: Array<Hit>
  /** Token positions of contrast words: an aspect window never reaches across one. */
  readonly contrasts: Array<number>
}

/**
 * `weight` multiplied by `factor` `times` times, one multiplication after the other (the
 * exact floating-point result of doing it once per contrast word). A hit starts from one of
 * four weights, so each sequence is built once per text and shared: linear, not hits × contrasts.
 */
class RepeatedProduct {
  private readonly sequences = new Map<number, Array<number>>()
  private readonly factor: number
  constructor(factor: number) {
    this.factor = factor
  }
  of(weight: number, times: number): number {
    if (times === 0) return weight
    let seq = this.sequences.get(weight)
    if (seq === undefined) {
      seq = [weight]
      this.sequences.set(weight, seq)
    }
    while (seq.length <= times) seq.push((seq[seq.length - 1] as number) * this.factor)
    return seq[times] as number
  }
}

/**
 * A contrast word scales every earlier hit of its sentence by `contrastBefore`: a hit gets one
 * multiplication per contrast word after it in its sentence. Applied once the sentence is over.
 */
const applyContrasts = (hits: Array<Hit>, from: number, contrastsInSentence: number, product: RepeatedProduct): void => {
  for (let h = from; h < hits.length; h++) {
    const hit = hits[h] as Hit
    hit.weight = product.of(hit.weight, contrastsInSentence - hit.contrastsBefore)
  }
}

/** True when a position in `[from, to]` of the clause `c` holds a 1 in `marks`. */
const markedIn = (marks: Uint8Array, clause: ReadonlyArray<number>, c: number, from: number, to: number): boolean => {
  for (let t = Math.max(0, from); t <= to; t++) if (marks[t] === 1 && clause[t] === c) return true
  return false
}

const collectHits = (scanned: ScannedText, lex: CompiledLexicon): Hits => {
  const { clause, sentence } = scanned.tokens
  // End positions of loss verbs ("sụt", "hao", "drains"), for the speed-word reversal.
  const triggers: Array<number> = []
  const best = sentimentMatches(scanned, triggers)
  let triggerAt: Uint8Array | undefined
  if (triggers.length > 0) {
    triggerAt = new Uint8Array(best.length)
    for (const t of triggers) triggerAt[t] = 1
  }
  const asked = questionClauses(scanned)
  const hits: Array<Hit> = []
  const contrasts: Array<number> = []
  const product = new RepeatedProduct(lex.contrastBefore)
  let currentSentence = -1
  let sentenceFirstHit = 0
  let sentenceContrasts = 0
  let contrastWeight = 1
  let concessiveClause = -1
  let negatedUntil = -1
  let negationClause = -1
  let boost = 1
  let boostUntil = -1
  let boostClause = -1
  for (let i = 0; i < best.length; ) {
    const m = best[i]
    if (m === undefined) {
      i++
      continue
    }
    const c = clause[i] ?? 0
    const s = sentence[i] ?? 0
    if (s !== currentSentence) {
      applyContrasts(hits, sentenceFirstHit, sentenceContrasts, product)
      currentSentence = s
      sentenceFirstHit = hits.length
      sentenceContrasts = 0
      contrastWeight = 1
      negatedUntil = -1
      boostUntil = -1
    }
    const e = m.entry
    const end = i + m.length
    if (e.contrast === "after") {
      contrasts.push(i)
      sentenceContrasts++
      contrastWeight = lex.contrastAfter
      negatedUntil = -1
      boostUntil = -1
    } else if (e.contrast === "concessive") {
      concessiveClause = c
    } else if (e.negator === true) {
      negatedUntil = end - 1 + lex.negationScope
      negationClause = c
    } else if (e.intensifier !== undefined) {
      const { multiplier, position } = e.intensifier
      const last = hits[hits.length - 1]
      // "đẹp quá", "tốt lắm": the opinion just before, in the same clause, at most one word away.
      if (position !== "before" && last !== undefined && last.clause === c && last.end >= i - 2 && !last.negated) {
        last.value *= multiplier
      } else if (position !== "after") {
        boost = multiplier
        boostUntil = end + 1
        boostClause = c
      }
    } else if (e.valence !== undefined && e.valence !== 0) {
      let value = e.valence
      if (triggerAt !== undefined && value > 0 && e.reversalTarget === true &&
        markedIn(triggerAt, clause, c, i - lex.reversalScope, i - 1)) value = -value
      if (i <= boostUntil && c === boostClause) value *= boost
      const negated = i <= negatedUntil && c === negationClause
      if (negated) value *= lex.negationFactor
      negatedUntil = -1
      boostUntil = -1
      if (value > 0 && asked.has(c)) {
        i = end
        continue
      }
      const weight = contrastWeight * (c === concessiveClause ? lex.contrastBefore : 1)
      hits.push({ value, weight, contrastsBefore: sentenceContrasts, at: i, end: end - 1, clause: c, sentence: s, negated })
    }
    i = end
  }
  applyContrasts(hits, sentenceFirstHit, sentenceContrasts, product)
  return { hits, contrasts }
}

const hasKeyword = (keywords: ReadonlyArray<KeywordHit>, key: string): boolean => {
  for (const k of keywords) if (k.keyword === key) return true
  return false
}

// Binary searches for the first index where a monotone test holds (`n` when none does), one per
// test `aspectBreakdown` makes, written out: a closure per search cost more than the search.
const AT_ABOVE = 0
const AT_AT_LEAST = 1
const CLAUSE_ABOVE = 2
const CLAUSE_AT_LEAST = 3
const END_AT_LEAST = 4

/** The first `k` with `hits[k].<field> > v` (or `>= v`), per `test`. */
const firstHit = (hits: ReadonlyArray<Hit>, test: number, v: number): number => {
  let lo = 0
  let hi = hits.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const h = hits[mid] as Hit
    const yes = test === AT_ABOVE ? h.at > v
      : test === AT_AT_LEAST ? h.at >= v
      : test === CLAUSE_ABOVE ? h.clause > v
      : test === CLAUSE_AT_LEAST ? h.clause >= v
      : h.end >= v
    if (yes) hi = mid
    else lo = mid + 1
  }
  return lo
}


interface Sums { readonly x: number; readonly positive: number; readonly negative: number }

/** The sums over the run of hits [lo, hi], from `runs` when another mention read the same run. */
const sumRun = (runs: Map<number, Sums>, hits: ReadonlyArray<Hit>, lo: number, hi: number): Sums => {
  const key = lo * (hits.length + 1) + hi
  let sums = runs.get(key)
  if (sums === undefined) {
    let x = 0
    let positive = 0
    let negative = 0
    for (let k = lo; k <= hi; k++) {
      const v = (hits[k] as Hit).value
      x += v
      if (v > 0) positive += v
      else negative -= v
    }
    sums = { x, positive, negative }
    runs.set(key, sums)
  }
  return sums
}

const aspectBreakdown = (
  scanned: ScannedText,
  { hits, contrasts }: Hits,
  keywords: ReadonlyArray<KeywordHit>
): Partial<Record<Aspect, AspectSentiment>> => {
  // A post has a handful of keywords: a Set only for many.
  let wanted: Set<string> | undefined
  if (keywords.length > 16) {
    wanted = new Set<string>()
    for (const k of keywords) wanted.add(k.keyword)
  }
  interface Acc { weighted: number; confidence: number; mentions: number; keywords: Array<string> }
  const acc = new Map<Aspect, Acc>()
  const { clause, sentence } = scanned.tokens
  // Hits do not overlap and are in text order, so `at`, `end`, `clause` and `sentence` all
  // grow with the index: every lookup below is a binary search, never a walk over all hits.
  const nHits = hits.length
  // Sums over a run of hits [lo, hi], shared by the mentions that read the same run.
  const runs = new Map<number, Sums>()
  for (const m of aspectMatches(scanned)) {
    const aspect = m.entry.aspect
    if (aspect === undefined || !(wanted === undefined ? hasKeyword(keywords, m.key) : wanted.has(m.key))) continue
    const c = clause[m.start] ?? 0
    const s = sentence[m.start] ?? 0
    // The same sums `summarize` makes over the window's values, in the same order.
    const at = m.start
    let x = 0
    let positive = 0
    let negative = 0
    let count = 0
    // An opinion word that implies its aspect ("chậm", "đắt", "đẹp") is read by itself (with
    // its negation and intensifiers), not with the clause's other opinions about other things.
    // The hit covering the mention, if any (the last hit starting at or before it).
    const covering = firstHit(hits, AT_ABOVE, at) - 1
    const own = m.entry.valence !== undefined && m.entry.valence !== 0 && covering >= 0 && (hits[covering] as Hit).end >= at
      ? hits[covering]
      : undefined
    // No contrast word stands strictly between a hit and the mention iff the hit lies within
    // [the last contrast before the mention, the first one after it].
    const cAfter = firstAbove(contrasts, at)
    const cBefore = firstAbove(contrasts, at - 1) - 1  // token positions: ≥ at ⇔ > at − 1
    const sideFrom = cBefore >= 0 ? (contrasts[cBefore] as number) : -1
    const sideTo = cAfter < contrasts.length ? (contrasts[cAfter] as number) : Number.POSITIVE_INFINITY
    if (own !== undefined) {
      count = 1
      x = own.value
      if (x > 0) positive = x
      else negative = -x
    } else {
      // The hits of the mention's clause on its side of the contrasts: one run of indexes.
      const lo = Math.max(firstHit(hits, CLAUSE_AT_LEAST, c), firstHit(hits, AT_AT_LEAST, sideFrom))
      const hi = Math.min(firstHit(hits, CLAUSE_ABOVE, c), firstHit(hits, AT_ABOVE, sideTo)) - 1
      if (lo <= hi) {
        const sums = sumRun(runs, hits, lo, hi)
        count = hi - lo + 1
        x = sums.x
        positive = sums.positive
        negative = sums.negative
      }
    }
    if (count === 0) {
      const from = at - ASPECT_WINDOW
      const to = at + m.length - 1 + ASPECT_WINDOW
      for (let k = firstHit(hits, END_AT_LEAST, from); k < nHits; k++) {
        const h = hits[k] as Hit
        if (h.at > to) break
        if (h.sentence !== s || h.at < sideFrom || h.at > sideTo) continue
        const v = h.value
        x += v
        if (v > 0) positive += v
        else negative -= v
      }
    }
    // Contrast weights shape the overall score; an aspect is read from its own side of the
    // contrast, so its opinion counts in full ("tuy hơi đắt nhưng…": PRICE is mildly negative).
    const summary: Summary = { score: scoreOf(x), positive, negative }
    const mass = summary.positive + summary.negative
    const confidence = mass === 0 ? 0 : 1 - Math.exp(-mass / EVIDENCE_SCALE)
    let a = acc.get(aspect.aspect)
    if (a === undefined) {
      a = { weighted: 0, confidence: 0, mentions: 0, keywords: [] }
      acc.set(aspect.aspect, a)
    }
    a.weighted += confidence * summary.score
    a.confidence += confidence
    a.mentions++
    if (!a.keywords.includes(m.key)) a.keywords.push(m.key)
  }
  const out: Partial<Record<Aspect, AspectSentiment>> = {}
  for (const [aspect, a] of acc) {
    const score = a.confidence === 0 ? 0 : round(a.weighted / a.confidence)
    out[aspect] = {
      label: labelOf(score),
      score,
      confidence: round(a.confidence / a.mentions),
      mentions: a.mentions,
      keywords: a.keywords
    }
  }
  return out
}

export const makeLexiconSentimentAnalyzer = (lexicons: LexiconBundle): SentimentAnalyzer => {
  const lex = compileLexicon(lexicons)
  return {
    modelVersion: `lexicon-vi-en@${lexicons.version}`,
    analyze(cleanText, keywords, cues) {
      const scanned = cues.scanned !== undefined && cues.scanned.lexicon === lex && cues.scanned.cleanText === cleanText
        ? cues.scanned
        : scanText(cleanText, lex)
      const found = collectHits(scanned, lex)
      const contributions = found.hits.map((h) => h.value * h.weight)
      for (const cue of cues.emoji) {
        const v = lex.emojiValence.get(cue) ?? lex.emoticonValence.get(cue)
        if (v !== undefined && v !== 0) contributions.push(v)
      }
      const summary = summarize(contributions)
      const score = round(summary.score)
      const label = labelOf(score)
      const probabilities = probabilitiesOf(summary)
      return {
        label,
        score,
        confidence: round(confidenceOf(label, probabilities, summary)),
        probabilities,
        aspects: aspectBreakdown(scanned, found, keywords)
      }
    }
  }
}

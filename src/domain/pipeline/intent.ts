/**
 * §3.5 rule-based intent. Each intent has patterns (phrases, ordered compounds, the phone
 * signal); the intent with the highest priority among those with a match wins, ties broken by
 * the fixed order CRISIS, SPAM, SEEDING, COMPLAINT, LEAD, SUPPORT (`INTENT_TIE_ORDER`).
 * Confidence grows with the number of distinct patterns of the winner that matched:
 * min(0.5 + 0.1 × n, 1.0). Nothing matched: DISCUSSION with confidence 1.0.
 *
 * General rules on top of the phrase patterns:
 * - a topic-noun pattern (`{ term, needs: "question" }`: "showroom", "bảo hành", "warranty")
 *   counts only when the text asks something: a question cue ("cho hỏi", "ở đâu", "how do i"),
 *   a "?", or a clause ending in a question particle ("… có áp dụng không shop");
 * - a COMPLAINT pattern that is itself a negative opinion ("kém chất lượng", "thất vọng")
 *   does not count when negated ("chẳng hề kém chất lượng"); grievance acts ("không chịu
 *   đổi trả") are not opinions and still count;
 * - `refineIntent`: a post left as DISCUSSION whose overall sentiment is NEGATIVE and that
 *   carries a first-person experience or frustration cue ("mới mua", "i bought", "quá bực")
 *   is a COMPLAINT at the lowest confidence, 0.5.
 */
import type { Intent, SentimentLabel } from "../records.ts"
import type { CompoundPattern } from "./compile.ts"
import { firstAbove, type ScannedText } from "./scan.ts"

export interface IntentResult {
  readonly intent: Intent
  readonly confidence: number
  /** Distinct patterns of the winning intent that matched (0 for DISCUSSION). */
  readonly matchedPatterns: number
}

const NO_POSITIONS: ReadonlyArray<number> = []

const compoundMatches = (pattern: CompoundPattern, positions: ReadonlyMap<string, ReadonlyArray<number>>): boolean => {
  const parts = pattern.parts
  const head = parts[0]
  if (head === undefined) return false
  const starts = positions.get(head)
  if (starts === undefined) return false
  for (const start of starts) {
    let at = start
    let ok = true
    for (let k = 1; k < parts.length; k++) {
      const candidates = positions.get(parts[k] as string) ?? NO_POSITIONS
      // The first position after `at` (positions are ascending: binary search), if it is
      // within reach of `start`.
      const p = candidates[firstAbove(candidates, at)]
      const next = p !== undefined && p - start <= pattern.within ? p : -1
      if (next === -1) {
        ok = false
        break
      }
      at = next
    }
    if (ok) return true
  }
  return false
}

/** True when the text asks something: a question cue, a "?", or a clause-final particle. */
export const isQuestion = (scanned: ScannedText): boolean => {
  // The pipeline asks up to three times per post (classifier, intent cues, refineIntent).
  const memo = scanned.memo
  if (memo === undefined) return asksSomething(scanned)
  return (memo.question ??= asksSomething(scanned))
}

const asksSomething = (scanned: ScannedText): boolean => {
  if (scanned.cleanText.includes("?")) return true
  const { words, clause } = scanned.tokens
  const n = words.length
  const trailing = new Uint8Array(n)
  const questionFinal = new Uint8Array(n)
  for (const m of scanned.matches) {
    const e = m.entry
    if (e.questionCue === true) return true
    if (m.length === 1) {
      if (e.trailing === true) trailing[m.start] = 1
      if (e.questionFinal === true) questionFinal[m.start] = 1
    }
  }
  // Walk each clause back from its end over vocatives ("ạ", "shop", "mn") to its last word.
  for (let i = n - 1; i >= 0; ) {
    const c = clause[i]
    let j = i
    while (j >= 0 && clause[j] === c && trailing[j] === 1 && questionFinal[j] !== 1) j--
    if (j >= 0 && clause[j] === c && questionFinal[j] === 1 && j > 0 && clause[j - 1] === c) return true
    while (i >= 0 && clause[i] === c) i--
  }
  return false
}

/**
 * The clauses (numbers as in `tokens.clause`) that ask something: a clause ending with "?",
 * holding a question cue ("ở đâu", "con nào", "how much"), or ending in a question particle
 * before any vocatives ("… tốt không shop"). Empty when the text asks nothing.
 */
export const questionClauses = (scanned: ScannedText): ReadonlySet<number> => {
  const { words, clause } = scanned.tokens
  const asked = new Set<number>(scanned.tokens.asked ?? NO_POSITIONS)
  const n = words.length
  let trailing: Uint8Array | undefined
  let questionFinal: Uint8Array | undefined
  for (const m of scanned.matches) {
    const e = m.entry
    if (e.questionCue === true) asked.add(clause[m.start] ?? 0)
    if (m.length === 1) {
      if (e.trailing === true) (trailing ??= new Uint8Array(n))[m.start] = 1
      if (e.questionFinal === true) (questionFinal ??= new Uint8Array(n))[m.start] = 1
    }
  }
  if (questionFinal === undefined) return asked
  for (let i = n - 1; i >= 0; ) {
    const c = clause[i]
    let j = i
    while (j >= 0 && clause[j] === c && trailing?.[j] === 1 && questionFinal[j] !== 1) j--
    if (j >= 0 && clause[j] === c && questionFinal[j] === 1 && j > 0 && clause[j - 1] === c) asked.add(c ?? 0)
    while (i >= 0 && clause[i] === c) i--
  }
  return asked
}

/**
 * Which pattern ids matched, reused from post to post (a few hundred bytes that would otherwise
 * be allocated and zeroed per post): `marked` lists the ids set to 1, and they are cleared
 * again before `detectIntent` returns. Synchronous and not re-entrant, so one buffer suffices.
 */
let matchedScratch = new Uint8Array(0)
const marked: Array<number> = []

const mark = (matched: Uint8Array, id: number): void => {
  if (matched[id] === 0) {
    matched[id] = 1
    marked.push(id)
  }
}

export const detectIntent = (scanned: ScannedText, hasPhone: boolean): IntentResult => {
  const lex = scanned.lexicon
  if (matchedScratch.length < lex.patternCount) matchedScratch = new Uint8Array(lex.patternCount)
  const matched = matchedScratch
  try {
    return matchIntent(scanned, hasPhone, matched)
  } finally {
    for (const id of marked) matched[id] = 0
    marked.length = 0
  }
}

const matchIntent = (scanned: ScannedText, hasPhone: boolean, matched: Uint8Array): IntentResult => {
  const lex = scanned.lexicon
  const clause = scanned.tokens.clause
  const complaint = lex.intentRules.find((r) => r.intent === "COMPLAINT")
  let negEnd = -1
  let cued: Array<number> | undefined
  for (const m of scanned.matches) {
    const e = m.entry
    if (e.negator === true) {
      const end = m.start + m.length - 1
      if (end > negEnd || clause[negEnd] !== clause[m.start]) negEnd = end
    }
    const ids = e.intentPatterns
    if (ids !== undefined) {
      const negated = e.valence !== undefined && e.valence < 0 && negEnd >= 0 && m.start > negEnd &&
        m.start - negEnd <= lex.negationScope && clause[negEnd] === clause[m.start]
      for (const id of ids) {
        if (negated && complaint !== undefined && id >= complaint.firstPatternId && id < complaint.firstPatternId + complaint.patternCount) continue
        mark(matched, id)
      }
    }
    if (e.cuedIntentPatterns !== undefined) (cued ??= []).push(...e.cuedIntentPatterns)
  }
  if (cued !== undefined && isQuestion(scanned)) for (const id of cued) mark(matched, id)
  let best: { intent: Intent; priority: number; order: number; count: number } | undefined
  for (const rule of lex.intentRules) {
    if (hasPhone) for (const id of rule.phoneSignalIds) mark(matched, id)
    for (const c of rule.compounds) if (compoundMatches(c, scanned.partPositions)) mark(matched, c.id)
    // The distinct patterns of this rule that matched: the marked ids in its range.
    let count = 0
    const to = rule.firstPatternId + rule.patternCount
    for (const id of marked) if (id >= rule.firstPatternId && id < to) count++
    if (count === 0) continue
    if (best === undefined || rule.priority > best.priority || (rule.priority === best.priority && rule.order < best.order)) {
      best = { intent: rule.intent, priority: rule.priority, order: rule.order, count }
    }
  }
  if (best === undefined) return { intent: "DISCUSSION", confidence: 1, matchedPatterns: 0 }
  return { intent: best.intent, confidence: intentConfidence(best.count), matchedPatterns: best.count }
}

/**
 * After sentiment, two corrections:
 * - a COMPLAINT, or a SUPPORT post that asks nothing, whose overall sentiment is POSITIVE is a
 *   DISCUSSION: the complaint or support word was only mentioned ("đổi trả nhanh gọn",
 *   "hướng dẫn tận tình"), since a complaint is dissatisfaction and help praised is a review;
 * - an unclassified (DISCUSSION) post that is NEGATIVE overall and tells a
 * first-person experience or frustration ("mình mua", "mới mua", "i bought", "quá bực") is a
 * COMPLAINT, at the lowest confidence (0.5: no complaint pattern matched).
 */
export const refineIntent = (intent: IntentResult, scanned: ScannedText, sentiment: SentimentLabel): IntentResult => {
  if (sentiment === "POSITIVE" && (intent.intent === "COMPLAINT" || (intent.intent === "SUPPORT" && !isQuestion(scanned)))) {
    return DISCUSSION
  }
  if (intent.intent !== "DISCUSSION" || sentiment !== "NEGATIVE") return intent
  for (const m of scanned.matches) {
    if (m.entry.grievance === true) return { intent: "COMPLAINT", confidence: intentConfidence(0), matchedPatterns: 0 }
  }
  return intent
}

const DISCUSSION: IntentResult = { intent: "DISCUSSION", confidence: 1, matchedPatterns: 0 }

/** min(0.5 + 0.1 × n, 1.0), rounded to kill binary noise (0.1 × 3 = 0.30000000000000004). */
export const intentConfidence = (patternsMatched: number): number =>
  Math.min(1, Math.round((0.5 + 0.1 * patternsMatched) * 1e9) / 1e9)

/**
 * §3.5 rule-based intent. Each intent has patterns (phrases, ordered compounds, the phone
 * signal); the intent with the highest priority among those with a match wins, ties broken by
 * the fixed order CRISIS, SEEDING, SPAM, COMPLAINT, LEAD, SUPPORT (`INTENT_TIE_ORDER`).
 * Confidence grows with the number of distinct patterns of the winner that matched:
 * min(0.5 + 0.1 × n, 1.0). Nothing matched: DISCUSSION with confidence 1.0.
 */
import type { Intent } from "../records.ts"
import type { CompoundPattern } from "./compile.ts"
import type { ScannedText } from "./scan.ts"

export interface IntentResult {
  readonly intent: Intent
  readonly confidence: number
  /** Distinct patterns of the winning intent that matched (0 for DISCUSSION). */
  readonly matchedPatterns: number
}

const compoundMatches = (pattern: CompoundPattern, positions: ReadonlyMap<string, ReadonlyArray<number>>): boolean => {
  const [head, ...rest] = pattern.parts
  if (head === undefined) return false
  for (const start of positions.get(head) ?? []) {
    let at = start
    let ok = true
    for (const part of rest) {
      const next = (positions.get(part) ?? []).find((p) => p > at && p - start <= pattern.within)
      if (next === undefined) {
        ok = false
        break
      }
      at = next
    }
    if (ok) return true
  }
  return false
}

export const detectIntent = (scanned: ScannedText, hasPhone: boolean): IntentResult => {
  const lex = scanned.lexicon
  const matched = new Uint8Array(lex.patternCount)
  for (const m of scanned.matches) {
    const ids = m.entry.intentPatterns
    if (ids !== undefined) for (const id of ids) matched[id] = 1
  }
  let best: { intent: Intent; priority: number; order: number; count: number } | undefined
  for (const rule of lex.intentRules) {
    if (hasPhone) for (const id of rule.phoneSignalIds) matched[id] = 1
    for (const c of rule.compounds) if (compoundMatches(c, scanned.partPositions)) matched[c.id] = 1
    let count = 0
    for (let id = rule.firstPatternId; id < rule.firstPatternId + rule.patternCount; id++) count += matched[id] ?? 0
    if (count === 0) continue
    if (best === undefined || rule.priority > best.priority || (rule.priority === best.priority && rule.order < best.order)) {
      best = { intent: rule.intent, priority: rule.priority, order: rule.order, count }
    }
  }
  if (best === undefined) return { intent: "DISCUSSION", confidence: 1, matchedPatterns: 0 }
  return { intent: best.intent, confidence: intentConfidence(best.count), matchedPatterns: best.count }
}

/** min(0.5 + 0.1 × n, 1.0), rounded to kill binary noise (0.1 × 3 = 0.30000000000000004). */
export const intentConfidence = (patternsMatched: number): number =>
  Math.min(1, Math.round((0.5 + 0.1 * patternsMatched) * 1e9) / 1e9)

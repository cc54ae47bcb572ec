/**
 * §3.4 text statistics and the skip gate. A skipped post is still stored (with neutral,
 * zero-impact analytics), so dashboards can count what was filtered and why.
 */
import type { Intent } from "../records.ts"
import type { ScannedText } from "./scan.ts"

export interface TextStats {
  readonly clean_length: number
  readonly word_count: number
  readonly is_too_short: boolean
  readonly has_spam_keyword: boolean
  readonly has_phone: boolean
  /** `#tags` per word of the clean text (0 when there are no words). */
  readonly hashtag_ratio: number
  readonly has_transcription: boolean
}

export interface StatsInput {
  readonly scanned: ScannedText
  readonly hasPhone: boolean
  readonly hashtagCount: number
  readonly itemHashtagCount: number
  readonly hasTranscription: boolean
  readonly minTextLength: number
}

const HIGH_SURROGATE = /[\uD800-\uDBFF]/

/** `[...text].length` without building the array: a surrogate pair is one code point. */
export const codePointLength = (text: string): number => {
  // Most text has no surrogate at all: one native scan instead of a loop over every unit.
  if (!HIGH_SURROGATE.test(text)) return text.length
  let pairs = 0
  const last = text.length - 1
  for (let i = 0; i < last; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs++
        i++
      }
    }
  }
  return text.length - pairs
}

export const computeStats = (input: StatsInput): TextStats => {
  const { scanned } = input
  const words = scanned.tokens.words.length
  const hashtags = input.hashtagCount > 0 ? input.hashtagCount : input.itemHashtagCount
  let spam = false
  for (const m of scanned.matches) {
    if (m.entry.spam === true) {
      spam = true
      break
    }
  }
  const cleanLength = codePointLength(scanned.cleanText)
  return {
    clean_length: cleanLength,
    word_count: words,
    is_too_short: cleanLength < input.minTextLength,
    has_spam_keyword: spam,
    has_phone: input.hasPhone,
    hashtag_ratio: words === 0 ? 0 : hashtags / words,
    has_transcription: input.hasTranscription
  }
}

/** Too short to judge, a spam keyword, or an intent that is advertising rather than opinion. */
export const shouldSkip = (stats: TextStats, intent: Intent): boolean =>
  stats.is_too_short || stats.has_spam_keyword || intent === "SPAM" || intent === "SEEDING"

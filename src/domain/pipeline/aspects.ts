/**
 * §3.6 aspect keywords: dictionary phrases found by the scan (whole words only), plus the
 * post's own hashtags. Deduplicated by keyword (the dictionary wins over a hashtag), at most
 * 30, highest score first, then by keyword in code-unit order (locale-independent, so the
 * output is the same on every machine).
 */
import type { KeywordHit } from "../records.ts"
import { termKey } from "./compile.ts"
import { aspectMatches, type ScannedText } from "./scan.ts"

export const MAX_KEYWORDS = 30
/** A hashtag the dictionary does not know is a topic marker, not an aspect: low score. */
export const HASHTAG_SCORE = 0.3

/** Hashtag → its phrase key; hashtags repeat from post to post. Bounded: cleared when full. */
const hashtagKeys = new Map<string, string>()
const HASHTAG_KEY_CACHE = 4096

const hashtagKey = (tag: string): string => {
  let key = hashtagKeys.get(tag)
  if (key === undefined) {
    key = termKey(tag.replace(/^#+/, ""))
    if (hashtagKeys.size >= HASHTAG_KEY_CACHE) hashtagKeys.clear()
    hashtagKeys.set(tag, key)
  }
  return key
}

export const extractKeywords = (scanned: ScannedText, hashtags: ReadonlyArray<string>): ReadonlyArray<KeywordHit> => {
  const byKeyword = new Map<string, KeywordHit>()
  for (const m of aspectMatches(scanned)) {
    const aspect = m.entry.aspect
    if (aspect === undefined || byKeyword.has(m.key)) continue
    byKeyword.set(m.key, { keyword: m.key, aspect: aspect.aspect, score: aspect.score, source: "dictionary" })
  }
  for (const tag of hashtags) {
    const key = hashtagKey(tag)
    if (key === "" || byKeyword.has(key)) continue
    const known = scanned.lexicon.phrases.get(key)?.aspect
    byKeyword.set(
      key,
      known === undefined
        ? { keyword: key, aspect: "GENERAL", score: HASHTAG_SCORE, source: "hashtag" }
        : { keyword: key, aspect: known.aspect, score: known.score, source: "hashtag" }
    )
  }
  // Highest score first, then by keyword: keywords are distinct, so the order is total and any
  // sort gives the same list. Insertion sort: a post has a handful of keywords.
  const out: Array<KeywordHit> = []
  for (const hit of byKeyword.values()) {
    let k = out.length
    out.push(hit)
    while (k > 0 && before(hit, out[k - 1] as KeywordHit)) {
      out[k] = out[k - 1] as KeywordHit
      k--
    }
    out[k] = hit
  }
  if (out.length > MAX_KEYWORDS) out.length = MAX_KEYWORDS
  return out
}

/** `a` sorts before `b` under `(a, b) => b.score - a.score || (a.keyword < b.keyword ? -1 : …)`. */
const before = (a: KeywordHit, b: KeywordHit): boolean => {
  const d = b.score - a.score
  return d !== 0 && d === d ? d < 0 : a.keyword < b.keyword
}

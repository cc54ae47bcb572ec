/**
 * §3.2: the text a post is judged by. Transcription first (what is said in the video), then
 * the caption (`content.text`, already falling back to `description` in decoding) and the
 * YouTube title, then the most-liked comments: the crowd's reaction is part of the signal.
 */
import type { Item, ItemComment } from "../item.ts"

const SPACE = /^\s$/u
/** The punctuation stripped from the end besides whitespace. */
const isTrailingMark = (c: number): boolean => c === 46 || c === 33 || c === 63 || c === 59 || c === 58 || c === 44

/**
 * `part.trim().replace(/[\s.!?;:,]+$/u, "")`, read backwards from the end: the regex would
 * retry from every position of a long run of marks and spaces (quadratic in the run).
 * Every `\s` character is a single UTF-16 unit, so stepping one unit at a time is exact.
 */
const clean = (part: string | null | undefined): string => {
  if (part === null || part === undefined) return ""
  const t = part.trim()
  if (t.length === 0 || !isTrailingMark(t.charCodeAt(t.length - 1))) return t
  let end = t.length
  while (end > 0) {
    const c = t.charCodeAt(end - 1)
    if (!isTrailingMark(c) && !SPACE.test(t[end - 1] as string)) break
    end--
  }
  return t.slice(0, end)
}

/** Most liked first; equal likes keep crawler order (sort is stable) so output is deterministic. */
export const topComments = (comments: ReadonlyArray<ItemComment>, max: number): ReadonlyArray<ItemComment> => {
  if (max <= 0) return []
  if (comments.length > 64) return [...comments].sort((a, b) => b.likes - a.likes).slice(0, max)
  // A post's few comments: a stable insertion sort by the same comparator (a comment moves in
  // front of another only when the comparator says so, like the stable sort above).
  const out: Array<ItemComment> = []
  for (const c of comments) {
    let k = out.length
    out.push(c)
    while (k > 0 && (out[k - 1] as ItemComment).likes - c.likes < 0) {
      out[k] = out[k - 1] as ItemComment
      k--
    }
    out[k] = c
  }
  if (out.length > max) out.length = max
  return out
}

const push = (parts: Array<string>, part: string | null | undefined): void => {
  const p = clean(part)
  if (p !== "") parts.push(p)
}

export const mergeText = (item: Item, maxComments: number): string => {
  const parts: Array<string> = []
  push(parts, item.content.transcription)
  push(parts, item.content.text)
  if (item.content.title !== null && item.content.title.trim() !== item.content.text.trim()) push(parts, item.content.title)
  for (const comment of topComments(item.comments, maxComments)) push(parts, comment.text)
  return parts.join(". ")
}

/** How far back from the limit a cut looks for whitespace, so that no word is cut in half. */
const WORD_BOUNDARY_REACH = 64

export interface AnalyzedPart {
  /** The text the pipeline analyses: the whole merged text, or its first part. */
  readonly text: string
  /** True when `text` is only the first part of the merged text. */
  readonly truncated: boolean
}

/**
 * The first `maxChars` UTF-16 code units of `merged` (all of it when it is not longer), cut
 * after the last whitespace within the final `WORD_BOUNDARY_REACH` units if there is one, and
 * never inside a surrogate pair. The pipeline's cost is linear in this length, so the cap
 * bounds the CPU time one post can take.
 */
export const analyzedPart = (merged: string, maxChars: number): AnalyzedPart => {
  if (merged.length <= maxChars) return { text: merged, truncated: false }
  let end = Math.max(0, Math.floor(maxChars))
  const c = merged.charCodeAt(end - 1)
  if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--
  for (let i = end; i > 0 && i > end - WORD_BOUNDARY_REACH; i--) {
    if (SPACE.test(merged[i - 1] as string)) {
      end = i - 1
      break
    }
  }
  return { text: merged.slice(0, end), truncated: true }
}

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
export const topComments = (comments: ReadonlyArray<ItemComment>, max: number): ReadonlyArray<ItemComment> =>
  max <= 0 ? [] : [...comments].sort((a, b) => b.likes - a.likes).slice(0, max)

export const mergeText = (item: Item, maxComments: number): string => {
  const parts: Array<string> = []
  const push = (part: string | null | undefined) => {
    const p = clean(part)
    if (p !== "") parts.push(p)
  }
  push(item.content.transcription)
  push(item.content.text)
  if (item.content.title !== null && item.content.title.trim() !== item.content.text.trim()) push(item.content.title)
  for (const comment of topComments(item.comments, maxComments)) push(comment.text)
  return parts.join(". ")
}

/**
 * §3.3 normalisation and tokenisation.
 *
 * The order matters: URLs go first (they contain digits, colons and slashes that would look
 * like phone numbers and emoticons), phone numbers are collapsed to bare digits (so "zalo
 * 0912.345.678" becomes one `<number>` token for the intent rules), emoticons and emoji are
 * read as sentiment cues and then removed, and only then is the text lower-cased (emoticons
 * such as "xD" and "T_T" are case-sensitive). Teencode is expanded per whole token, so "k"
 * inside "kem" is never touched: the tokeniser, not a `\b` regex, decides what a word is.
 */
import type { CompiledLexicon } from "./compile.ts"

export interface NormalizedText {
  readonly cleanText: string
  /** Known ASCII emoticons, then known emoji, found before removal (each in order of appearance). */
  readonly cues: ReadonlyArray<string>
  readonly hasPhone: boolean
  /** `#tag` occurrences in the text before normalisation. */
  readonly hashtagCount: number
}

const URL = /(?:https?:\/\/|www\.)[^\s]+/giu
/** Vietnamese mobile: 0 or +84/84, then 3|5|7|8|9 and 8 more digits, separators allowed. */
const PHONE = /(?<![\p{N}])(?:\+?84[ .-]?|0)[35789](?:[ .-]?\d){8}(?![\p{N}])/gu
const NON_DIGIT = /\D/g
/** Pictographs plus the joiners and modifiers that glue them into sequences. */
const EMOJI = /\p{Extended_Pictographic}|[\u{FE0F}\u{200D}\u{20E3}\u{1F3FB}-\u{1F3FF}]/gu
const HASHTAG = /#(?=[\p{L}\p{N}])/gu
const WORD = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}]+)*/gu
const SPACES = /\s+/gu
const APOSTROPHE = /’/g
/** Cheap pre-check: only text with a non-ASCII or emoticon character needs the emoji passes. */
const MAYBE_EMOJI = /[^\u0000-\u00FF]/u

export const normalizeText = (merged: string, lex: CompiledLexicon): NormalizedText => {
  const cues: Array<string> = []
  let hasPhone = false
  let hashtagCount = 0
  let t = merged.normalize("NFKC").replace(APOSTROPHE, "'")
  if (t.includes("http") || t.includes("www.")) t = t.replace(URL, " ")
  t = t.replace(PHONE, (m) => {
    hasPhone = true
    return m.replace(NON_DIGIT, "")
  })
  if (lex.emoticonPattern !== null) {
    t = t.replace(lex.emoticonPattern, (m) => {
      cues.push(m)
      return " "
    })
  }
  if (MAYBE_EMOJI.test(t)) {
    t = t.replace(EMOJI, (m) => {
      if (lex.emojiValence.has(m)) cues.push(m)
      return " "
    })
  }
  t = t.toLowerCase()
  if (t.includes("#")) {
    t = t.replace(HASHTAG, () => {
      hashtagCount++
      return ""
    })
  }
  const teencode = lex.teencode
  t = t.replace(WORD, (w) => teencode.get(w) ?? w)
  t = t.replace(SPACES, " ").trim()
  return { cleanText: t, cues, hasPhone, hashtagCount }
}

/**
 * Words of the clean text with their clause and sentence numbers. A clause ends at any of
 * `, ; : . ! ?` or a line break; a sentence at `. ! ? ;` or a line break. Phrases never span
 * clauses, and the sentiment of an aspect mention is read from its own clause first.
 */
export interface Tokens {
  readonly words: ReadonlyArray<string>
  readonly clause: ReadonlyArray<number>
  readonly sentence: ReadonlyArray<number>
}

const TOKEN = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}]+)*|[.,!?;:\n]/gu

export const tokenize = (cleanText: string): Tokens => {
  const words: Array<string> = []
  const clause: Array<number> = []
  const sentence: Array<number> = []
  let c = 0
  let s = 0
  let clauseBreak = false
  let sentenceBreak = false
  TOKEN.lastIndex = 0
  for (let m = TOKEN.exec(cleanText); m !== null; m = TOKEN.exec(cleanText)) {
    const tok = m[0]
    if (tok.length === 1 && ",;:.!?\n".includes(tok)) {
      clauseBreak = true
      if (tok !== "," && tok !== ":") sentenceBreak = true
      continue
    }
    if (words.length > 0) {
      if (clauseBreak) c++
      if (sentenceBreak) s++
    }
    clauseBreak = false
    sentenceBreak = false
    words.push(tok)
    clause.push(c)
    sentence.push(s)
  }
  return { words, clause, sentence }
}

/** Counts the words of a clean text (for `hashtag_ratio`). */
export const countWords = (tokens: Tokens): number => tokens.words.length

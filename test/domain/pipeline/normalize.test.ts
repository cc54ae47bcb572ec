/**
 * The hand-written normalisation pass (teencode, whitespace, tokens in one loop) against the
 * regex formulation it replaced: same clean text, same tokens, on chosen edge cases and on a
 * seeded mix of lexicon words, teencode, emoji, emoticons, apostrophes, digits and odd
 * Unicode (marks, astral letters, lone surrogates, exotic whitespace).
 */
import { describe, expect, it } from "vitest"
import {
  builtinLexicons,
  compileLexicon,
  normalizeAndTokenize,
  normalizeText,
  scanText,
  tokenize,
  type CompiledLexicon,
  type NormalizedText,
  type Tokens
} from "../../../src/domain/pipeline/index.ts"
import { codePointLength } from "../../../src/domain/pipeline/stats.ts"

const lex = compileLexicon(builtinLexicons)

// The regex reference (the pipeline's former implementation).
const URL = /(?:https?:\/\/|www\.)[^\s]+/giu
const PHONE = /(?<![\p{N}])(?:\+?84[ .-]?|0)[35789](?:[ .-]?\d){8}(?![\p{N}])/gu
const EMOJI = /\p{Extended_Pictographic}|[\u{FE0F}\u{200D}\u{20E3}\u{1F3FB}-\u{1F3FF}]/gu
const HASHTAG = /#(?=[\p{L}\p{N}])/gu
const WORD = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}]+)*/gu
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}]+)*|[.,!?;:\n]/gu

const referenceNormalize = (merged: string, l: CompiledLexicon): NormalizedText => {
  const cues: Array<string> = []
  let hasPhone = false
  let hashtagCount = 0
  let t = merged.normalize("NFKC").replace(/’/g, "'")
  if (t.includes("http") || t.includes("www.")) t = t.replace(URL, " ")
  t = t.replace(PHONE, (m) => {
    hasPhone = true
    return m.replace(/\D/g, "")
  })
  if (l.emoticonPattern !== null) {
    t = t.replace(l.emoticonPattern, (m) => {
      cues.push(m)
      return " "
    })
  }
  if (/[^\u0000-\u00FF]/u.test(t)) {
    t = t.replace(EMOJI, (m) => {
      if (l.emojiValence.has(m)) cues.push(m)
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
  t = t.replace(WORD, (w) => l.teencode.get(w) ?? w)
  t = t.replace(/\s+/gu, " ").trim()
  return { cleanText: t, cues, hasPhone, hashtagCount }
}

const referenceTokenize = (cleanText: string): Tokens => {
  const words: Array<string> = []
  const clause: Array<number> = []
  const sentence: Array<number> = []
  const asked: Array<number> = []
  let c = 0
  let s = 0
  let clauseBreak = false
  let sentenceBreak = false
  for (const m of cleanText.matchAll(TOKEN)) {
    const tok = m[0]
    if (tok.length === 1 && ",;:.!?\n".includes(tok)) {
      // A "?" marks the clause of the word before it (if any) as a question.
      if (tok === "?" && words.length > 0 && asked[asked.length - 1] !== c) asked.push(c)
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
  return { words, clause, sentence, asked }
}

const expectSame = (text: string, l: CompiledLexicon = lex) => {
  const expected = referenceNormalize(text, l)
  const { normalized, tokens } = normalizeAndTokenize(text, l)
  expect(normalized, JSON.stringify(text)).toEqual(expected)
  expect(normalizeText(text, l)).toEqual(expected)
  expect(tokens, JSON.stringify(text)).toEqual(referenceTokenize(expected.cleanText))
  expect(tokenize(text), JSON.stringify(text)).toEqual(referenceTokenize(text))
  expect(codePointLength(expected.cleanText)).toBe([...expected.cleanText].length)
}

describe("normalizeAndTokenize matches the regex formulation", () => {
  it.each([
    "",
    "   ",
    " \t\n ",
    "Đẹp quá 😍😍 :)) ",
    "ko dc, mn oi!!! xe dep  qua\n\nk mua dc",
    "mn'ko 2'k a'2k k' 'k don’t it's l'x",
    "gọi 0912.345.678 nhé #VinFast ##xe #😍 giá 1.250.000.000 đồng",
    "𝐀,;)0912.345.678®",
    "© ® ™ ‼ 1️⃣ 👨‍👩‍👧 👍🏻 ❤️ \ufe0f\u200d",
    "e\u0301 \u0301a Vie\u0302\u0301t İstanbul ΣΑΣ ﬁne ½ x² ① ａｂｃ",
    "\ud83d lone \ude0d surrogates \udc00",
    "a\u00a0b\u2028c\u3000d\ufeffe\u1680f",
    "https://x.com/a?b=1 www.abc.vn xem http://t.co",
    "xD XD T_T <3 :-( ;) ^^ :v =)) :(( -_-"
  ])("%j", (text) => expectSame(text))

  it("with expansions that are not plain words, or that follow an apostrophe", () => {
    const custom = compileLexicon({
      ...builtinLexicons,
      teencode: {
        ...builtinLexicons.teencode,
        entries: { ...builtinLexicons.teencode.entries, "2k": "hai nghìn", "9": "chín", "x1": "a.b", "x2": "a  b", "x3": "'a" }
      }
    })
    for (const text of ["ab'2k", "ab'9 x", "1'9", "x1 ok", "mn x2 dc", "x3'b", "k'x3", "ok'2k'9", "2k 9 x1 x2 x3"]) {
      expectSame(text, custom)
    }
  })

  it("on a seeded mix of lexicon words, teencode and odd characters", () => {
    let seed = 20251206
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    const pick = <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(random() * xs.length)] as T
    const teencode = [...lex.teencode.keys()]
    const phrases = [...lex.phrases.keys()]
    const atoms = [
      "'", "’", " ", "  ", "\t", "\n", "\u00a0", ",", ".", ";", ":", "!", "?", "#", "1", "12", "0912.345.678",
      ":)", "xD", "T_T", "<3", "😍", "👍🏻", "❤️", "©", "\u200d", "1️⃣", "\ud83d", "é", "e\u0301", "\u0301",
      "İ", "Σ", "ß", "ﬁ", "𝐀", "𠀀", "ａ", "…", "“", "a'b", "1'a", "2'k", "k'", "'mn", "(", ")", "-", "_"
    ]
    for (let n = 0; n < 3000; n++) {
      let text = ""
      const parts = 1 + Math.floor(random() * 12)
      for (let p = 0; p < parts; p++) {
        const r = random()
        text += r < 0.35 ? pick(atoms)
          : r < 0.55 ? pick(teencode)
          : r < 0.75 ? pick(phrases)
          : r < 0.85 ? pick(teencode).toUpperCase()
          : String.fromCodePoint(Math.floor(random() * (random() < 0.7 ? 0x3000 : 0x20000)))
        if (random() < 0.4) text += pick([" ", "", "'", ",", "  "])
      }
      expectSame(text)
      const { normalized, tokens, infos } = normalizeAndTokenize(text, lex)
      expect(scanText(normalized.cleanText, lex, tokens)).toEqual(scanText(normalized.cleanText, lex))
      // With the interned words (the pipeline's path) the scan finds the same phrases.
      const fast = scanText(normalized.cleanText, lex, tokens, infos)
      const reference = scanText(normalized.cleanText, lex)
      expect([fast.matches, fast.partPositions]).toEqual([reference.matches, reference.partPositions])
    }
  })
  it("interns words correctly past the vocabulary bound (50 000 spellings: the table grows, then is cleared)", () => {
    const own = compileLexicon({ ...builtinLexicons })
    let seed = 7
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    const word = () => Array.from({ length: 1 + Math.floor(random() * 14) }, () => "abcdeghiklmnopqrstuvxyđôơư"[Math.floor(random() * 26)]).join("")
    for (let n = 0; n < 1500; n++) {
      const text = Array.from({ length: 60 }, () => (random() < 0.2 ? pick2(["ko", "k", "dc", "mn", "giá", "rất", "tốt", "không"], random) : word())).join(random() < 0.5 ? " " : ", ")
      const { normalized, tokens, infos } = normalizeAndTokenize(text, own)
      expect(tokens).toEqual(tokenize(normalized.cleanText))
      expect(infos?.list.map((i) => i.word)).toEqual(tokens.words)
      const fast = scanText(normalized.cleanText, own, tokens, infos)
      const reference = scanText(normalized.cleanText, own)
      expect([fast.matches, fast.partPositions]).toEqual([reference.matches, reference.partPositions])
    }
  })
})

const pick2 = <A>(xs: ReadonlyArray<A>, random: () => number): A => xs[Math.floor(random() * xs.length)] as A

/**
 * §3.3 normalisation and tokenisation.
 *
 * The order matters: URLs go first (they contain digits, colons and slashes that would look
 * like phone numbers and emoticons), phone numbers are collapsed to bare digits (so "zalo
 * 0912.345.678" becomes one `<number>` token for the intent rules), emoticons and emoji are
 * read as sentiment cues and then removed, and only then is the text lower-cased (emoticons
 * such as "xD" and "T_T" are case-sensitive). Teencode is expanded per whole token, so "k"
 * inside "kem" is never touched: the tokeniser, not a `\b` regex, decides what a word is.
 *
 * Hot path: after lower-casing, ONE hand-written pass over the text expands teencode,
 * collapses whitespace and produces the tokens of the clean text (`normalizeAndTokenize`),
 * so the scan does not tokenise again. Character classes (`\p{L}`, `\p{M}`, `\p{N}`, `\s`,
 * pictographs) are looked up in a table filled lazily from the very regexes they replace, so
 * every decision is the one the regex would make.
 */
import type { CompiledLexicon, PhraseNode } from "./compile.ts"
import type { WordFeatures } from "./model.ts"

export interface NormalizedText {
  readonly cleanText: string
  /** Known ASCII emoticons, then known emoji, found before removal (each in order of appearance). */
  readonly cues: ReadonlyArray<string>
  readonly hasPhone: boolean
  /** `#tag` occurrences in the text before normalisation. */
  readonly hashtagCount: number
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
  /** Clauses (numbers as in `clause`) that end with a "?": the text asks there. */
  readonly asked?: ReadonlyArray<number>
}

const URL = /(?:https?:\/\/|www\.)[^\s]+/giu
/** Vietnamese mobile: 0 or +84/84, then 3|5|7|8|9 and 8 more digits, separators allowed. */
const PHONE = /(?<![\p{N}])(?:\+?84[ .-]?|0)[35789](?:[ .-]?\d){8}(?![\p{N}])/gu
const NON_DIGIT = /\D/g
const HASHTAG = /#(?=[\p{L}\p{N}])/gu
const WORD = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}]+)*/gu
const SPACES = /\s+/gu

// ---------------------------------------------------------------------------------------
// Character classes, one byte per code point, filled on first sight from the regexes.

const KNOWN = 1
/** `[\p{L}\p{M}\p{N}]`: starts or continues a word. */
const WORD_CHAR = 2
/** `[\p{L}\p{M}]`: may follow an apostrophe inside a word ("don't"). */
const LETTER_MARK = 4
/** `\s` (the same set `String.prototype.trim` removes). */
const SPACE = 8
/** `\p{Extended_Pictographic}` or an emoji joiner / modifier: removed as emoji. */
const EMOJI_CHAR = 16
/** One of `, ; : . ! ?` or a line break: a clause break. */
const CLAUSE_END = 32
/** One of `. ! ? ;` or a line break: also a sentence break. */
const SENTENCE_END = 64

const IS_WORD = /^[\p{L}\p{M}\p{N}]$/u
const IS_LETTER_MARK = /^[\p{L}\p{M}]$/u
const IS_SPACE = /^\s$/u
const IS_EMOJI = /^(?:\p{Extended_Pictographic}|[\u{FE0F}\u{200D}\u{20E3}\u{1F3FB}-\u{1F3FF}])$/u

const classify = (cp: number): number => {
  const ch = String.fromCodePoint(cp)
  let k = KNOWN
  if (IS_WORD.test(ch)) k |= WORD_CHAR
  if (IS_LETTER_MARK.test(ch)) k |= LETTER_MARK
  if (IS_SPACE.test(ch)) k |= SPACE
  if (IS_EMOJI.test(ch)) k |= EMOJI_CHAR
  if (",;:.!?\n".includes(ch)) k |= CLAUSE_END
  if (".!?;\n".includes(ch)) k |= SENTENCE_END
  return k
}

const bmpClass = new Uint8Array(0x10000)
const astralClass = new Map<number, number>()

/** The class bits of a code point (a lone surrogate is its own code point, as in the regexes). */
const classOf = (cp: number): number => {
  if (cp < 0x10000) {
    const k = bmpClass[cp]!
    if (k !== 0) return k
    const c = classify(cp)
    bmpClass[cp] = c
    return c
  }
  let k = astralClass.get(cp)
  if (k === undefined) {
    k = classify(cp)
    astralClass.set(cp, k)
  }
  return k
}

/** The code point at `i` (a surrogate pair counts as one, a lone surrogate as itself). */
const codePointAt = (s: string, i: number): number => {
  const c = s.charCodeAt(i)
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1)
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000
  }
  return c
}

/** End (exclusive) of the `WORD` match that starts at `i` (where a word character is). */
const wordEnd = (s: string, i: number): number => {
  const n = s.length
  let j = i
  // [\p{L}\p{M}\p{N}]+
  while (j < n) {
    const cp = codePointAt(s, j)
    if ((classOf(cp) & WORD_CHAR) === 0) break
    j += cp >= 0x10000 ? 2 : 1
  }
  // (?:'[\p{L}\p{M}]+)*
  while (j + 1 < n && s.charCodeAt(j) === 39) {
    let k = j + 1
    while (k < n) {
      const cp = codePointAt(s, k)
      if ((classOf(cp) & LETTER_MARK) === 0) break
      k += cp >= 0x10000 ? 2 : 1
    }
    if (k === j + 1) break
    j = k
  }
  return j
}

/**
 * What the pipeline looks up about one spelling of a word, found once per spelling and lexicon
 * instead of once per occurrence and step: its teencode expansion, the phrase trie's node for it
 * as a phrase's first token, and (filled by the classifier on first use) its hashed features.
 */
export interface WordInfo {
  readonly word: string
  /** `lexicon.teencode.get(word)`. */
  readonly expansion: string | undefined
  /**
   * The tokens of `expansion` when it is plain space-separated words (`simpleExpansion`), else
   * null; filled on first use (undefined until then), so that no lookup recurses.
   */
  parts: ReadonlyArray<WordInfo> | null | undefined
  /** `lexicon.phraseTrie.get(word)`. */
  readonly head: PhraseNode | undefined
  /** `head`'s number in the vocabulary's `TrieEdges` (-1 without a head). */
  readonly headId: number
  /** The word's number as the second or a later token of some phrase (`TrieEdges`); -1: no phrase continues with it. */
  readonly tokenId: number
  /** The classifier's features of `word` (model.ts `scoreWords`), filled on first use. */
  features: WordFeatures | undefined
}

/** The `WordInfo` of each token of a text, for the lexicon they were looked up in. */
export interface TokenInfos {
  readonly lexicon: CompiledLexicon
  readonly list: ReadonlyArray<WordInfo>
  /** The lexicon's phrase trie by numbers (`WordInfo.headId`, `tokenId`). */
  readonly trie: TrieEdges
}

/**
 * The phrase trie with numbered nodes and continuation tokens, its edges in one open-addressing
 * table: a step of the scan's walk is a few integer reads instead of a Map lookup by string.
 */
export class TrieEdges {
  /** Node number → node. */
  readonly nodes: Array<PhraseNode> = []
  /** First token → its node's number. */
  readonly rootIds = new Map<string, number>()
  /** Continuation token → its number. */
  readonly tokenIds = new Map<string, number>()
  private readonly parents: Int32Array
  private readonly tokens: Int32Array
  private readonly children: Int32Array
  private readonly mask: number

  constructor(trie: ReadonlyMap<string, PhraseNode>) {
    const edges: Array<[number, number, number]> = []
    const visit = (node: PhraseNode): number => {
      const id = this.nodes.length
      this.nodes.push(node)
      if (node.next !== undefined) {
        for (const [token, child] of node.next) {
          let t = this.tokenIds.get(token)
          if (t === undefined) this.tokenIds.set(token, (t = this.tokenIds.size))
          edges.push([id, t, visit(child)])
        }
      }
      return id
    }
    for (const [token, node] of trie) this.rootIds.set(token, visit(node))
    let size = 16
    while (size < edges.length * 2) size *= 2
    this.mask = size - 1
    this.parents = new Int32Array(size)
    this.tokens = new Int32Array(size)
    this.children = new Int32Array(size).fill(-1)
    for (const [parent, token, child] of edges) {
      let k = edgeHash(parent, token) & this.mask
      while ((this.children[k] as number) >= 0) k = (k + 1) & this.mask
      this.parents[k] = parent
      this.tokens[k] = token
      this.children[k] = child
    }
  }

  /** The number of `parent`'s child by the continuation token `token`, or -1. */
  child(parent: number, token: number): number {
    const mask = this.mask
    for (let k = edgeHash(parent, token) & mask; ; k = (k + 1) & mask) {
      const c = this.children[k] as number
      if (c < 0) return -1
      if (this.parents[k] === parent && this.tokens[k] === token) return c
    }
  }
}

const edgeHash = (parent: number, token: number): number => (Math.imul(parent, 0x9e3779b1) ^ Math.imul(token + 1, 0x85ebca6b)) >>> 7

/** Spellings seen repeat from post to post; bounded all the same (cleared when full). */
const MAX_VOCABULARY = 50_000

/** FNV-1a over the UTF-16 units of `t[i, j)`. */
const spanHash = (t: string, i: number, j: number): number => {
  let h = 0x811c9dc5 | 0
  for (let k = i; k < j; k++) h = Math.imul(h ^ t.charCodeAt(k), 0x01000193)
  return h
}

/**
 * Spelling → `WordInfo`, open addressing, probed with a span of the text itself: a known word
 * is found without cutting a substring out of the text (most tokens are known words).
 * Bounded: cleared when it holds `MAX_VOCABULARY` words.
 */
class WordTable {
  private hashes = new Int32Array(1024)
  private infos: Array<WordInfo | undefined> = new Array(1024).fill(undefined)
  private size = 0

  /** The entry of `t[i, j)`, whose `spanHash` is `h`. */
  find(t: string, i: number, j: number, h: number): WordInfo | undefined {
    const mask = this.hashes.length - 1
    const len = j - i
    for (let k = h & mask; ; k = (k + 1) & mask) {
      const info = this.infos[k]
      if (info === undefined) return undefined
      if (this.hashes[k] === h && info.word.length === len && t.startsWith(info.word, i)) return info
    }
  }

  add(info: WordInfo, h: number): void {
    if (this.size >= MAX_VOCABULARY) {
      this.hashes = new Int32Array(1024)
      this.infos = new Array(1024).fill(undefined)
      this.size = 0
    }
    if ((this.size + 1) * 2 > this.hashes.length) this.grow()
    this.put(info, h)
    this.size++
  }

  private put(info: WordInfo, h: number): void {
    const mask = this.hashes.length - 1
    let k = h & mask
    while (this.infos[k] !== undefined) k = (k + 1) & mask
    this.hashes[k] = h
    this.infos[k] = info
  }

  private grow(): void {
    const { hashes, infos } = this
    this.hashes = new Int32Array(hashes.length * 2)
    this.infos = new Array(hashes.length * 2).fill(undefined)
    for (let k = 0; k < infos.length; k++) {
      const info = infos[k]
      if (info !== undefined) this.put(info, hashes[k] as number)
    }
  }
}

interface Vocabulary {
  readonly words: WordTable
  readonly trie: TrieEdges
}

const vocabularies = new WeakMap<CompiledLexicon, Vocabulary>()

const vocabularyOf = (lex: CompiledLexicon): Vocabulary => {
  let vocab = vocabularies.get(lex)
  if (vocab === undefined) vocabularies.set(lex, (vocab = { words: new WordTable(), trie: new TrieEdges(lex.phraseTrie) }))
  return vocab
}

/**
 * A word kept in the table, as a string of its own. A slice of 13 or more characters is, in V8,
 * a view that keeps the whole text it was cut from alive: one long unseen word per post (a URL,
 * a hashtag, a name) then kept up to 50 000 posts' texts in memory (194 MiB of heap after 40 000
 * posts of 4.5 KB, each with one new 20-letter word). Joining to a character and cutting it off
 * again makes V8 copy the word into a fresh string.
 */
const ownCopy = (word: string): string => (word.length < 13 ? word : ` ${word}`.slice(1))

/** The `WordInfo` of the word `t[i, j)`. */
const wordInfo = (vocab: Vocabulary, lex: CompiledLexicon, t: string, i: number, j: number): WordInfo => {
  const h = spanHash(t, i, j)
  let info = vocab.words.find(t, i, j, h)
  if (info === undefined) {
    const word = i === 0 && j === t.length ? t : ownCopy(t.slice(i, j))
    const headId = vocab.trie.rootIds.get(word) ?? -1
    info = {
      word,
      expansion: lex.teencode.get(word),
      parts: undefined,
      head: headId < 0 ? undefined : vocab.trie.nodes[headId],
      headId,
      tokenId: vocab.trie.tokenIds.get(word) ?? -1,
      features: undefined
    }
    vocab.words.add(info, h)
  }
  return info
}

class TokenSink {
  readonly words: Array<string> = []
  readonly infos: Array<WordInfo> = []
  readonly clause: Array<number> = []
  readonly sentence: Array<number> = []
  readonly asked: Array<number> = []
  c = 0
  s = 0
  clauseBreak = false
  sentenceBreak = false
  word(w: string, info?: WordInfo): void {
    if (info !== undefined) this.infos.push(info)
    if (this.words.length > 0) {
      if (this.clauseBreak) this.c++
      if (this.sentenceBreak) this.s++
    }
    this.clauseBreak = false
    this.sentenceBreak = false
    this.words.push(w)
    this.clause.push(this.c)
    this.sentence.push(this.s)
  }
  /** Clause- or sentence-ending punctuation `cp` of character class `k`. */
  punctuation(cp: number, k: number): void {
    if (cp === 63) this.question()
    this.clauseBreak = true
    if ((k & SENTENCE_END) !== 0) this.sentenceBreak = true
  }
  /** A "?": the clause of the last word (if any) asks something. */
  question(): void {
    if (this.words.length > 0 && this.asked[this.asked.length - 1] !== this.c) this.asked.push(this.c)
  }
  tokens(): Tokens {
    return { words: this.words, clause: this.clause, sentence: this.sentence, asked: this.asked }
  }
}

/**
 * Tokens of a clean text: words (`[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}]+)*`) and the break
 * characters `. , ! ? ; :` and line breaks, which only move the clause and sentence numbers.
 */
export const tokenize = (cleanText: string): Tokens => {
  const sink = new TokenSink()
  const n = cleanText.length
  for (let i = 0; i < n; ) {
    const cp = codePointAt(cleanText, i)
    const k = classOf(cp)
    if ((k & WORD_CHAR) !== 0) {
      const j = wordEnd(cleanText, i)
      sink.word(cleanText.slice(i, j))
      i = j
      continue
    }
    if ((k & CLAUSE_END) !== 0) sink.punctuation(cp, k)
    i += cp >= 0x10000 ? 2 : 1
  }
  return sink.tokens()
}

/**
 * A teencode expansion that tokenises to its own space-separated words ("mọi người"), so
 * its tokens can be appended without re-reading the text; null for anything else.
 */
const simpleExpansions = new Map<string, ReadonlyArray<string> | null>()
const simpleExpansion = (value: string): ReadonlyArray<string> | null => {
  let parts = simpleExpansions.get(value)
  if (parts === undefined) {
    const words = tokenize(value).words
    parts = words.length > 0 && words.join(" ") === value ? words : null
    simpleExpansions.set(value, parts)
  }
  return parts
}

interface Cleaned {
  readonly cleanText: string
  readonly tokens: Tokens
  readonly infos: ReadonlyArray<WordInfo> | undefined
}

/** The reference path: regex teencode expansion and whitespace collapse, then tokenisation. */
const cleanSlow = (t: string, teencode: ReadonlyMap<string, string>): Cleaned => {
  const cleanText = t.replace(WORD, (w) => teencode.get(w) ?? w).replace(SPACES, " ").trim()
  return { cleanText, tokens: tokenize(cleanText), infos: undefined }
}

/**
 * `t.replace(WORD, teencode).replace(/\s+/gu, " ").trim()` and its tokens in one pass. An
 * expansion that is not plain words, or one right after an apostrophe (where it could merge
 * with the word before), sends the text down the reference path.
 */
const clean = (t: string, lex: CompiledLexicon): Cleaned => {
  const teencode = lex.teencode
  const vocab = vocabularyOf(lex)
  const sink = new TokenSink()
  const n = t.length
  let out = ""
  let i = 0
  while (i < n && (classOf(t.charCodeAt(i)) & SPACE) !== 0) i++
  let seg = i
  while (i < n) {
    const cp = codePointAt(t, i)
    const k = classOf(cp)
    if ((k & WORD_CHAR) !== 0) {
      const j = wordEnd(t, i)
      const info = wordInfo(vocab, lex, t, i, j)
      const expansion = info.expansion
      if (expansion === undefined) {
        sink.word(info.word, info)
      } else {
        let parts = info.parts
        if (parts === undefined) {
          const words = simpleExpansion(expansion)
          parts = info.parts = words === null ? null : words.map((p) => wordInfo(vocab, lex, p, 0, p.length))
        }
        if (parts === null || (i > 0 && t.charCodeAt(i - 1) === 39)) return cleanSlow(t, teencode)
        for (const p of parts) sink.word(p.word, p)
        out += seg < i ? t.slice(seg, i) + expansion : expansion
        seg = j
      }
      i = j
      continue
    }
    if ((k & SPACE) !== 0) {
      let j = i + 1
      while (j < n && (classOf(t.charCodeAt(j)) & SPACE) !== 0) j++
      if (j === n) {
        // Trailing whitespace: trimmed.
        if (seg < i) out += t.slice(seg, i)
        seg = n
      } else if (j - i !== 1 || cp !== 32) {
        out += seg < i ? t.slice(seg, i) + " " : " "
        seg = j
      }
      i = j
      continue
    }
    if ((k & CLAUSE_END) !== 0) sink.punctuation(cp, k)
    i += cp >= 0x10000 ? 2 : 1
  }
  if (seg < n) out = seg === 0 && out === "" ? t : out + t.slice(seg, n)
  return { cleanText: out, tokens: sink.tokens(), infos: sink.infos }
}

/** Cheap pre-check: only text with a character above U+00FF goes through the emoji pass. */
const MAYBE_EMOJI = /[^\u0000-\u00FF]/u

export interface NormalizedTokens {
  readonly normalized: NormalizedText
  /** `tokenize(normalized.cleanText)`, found in the same pass. */
  readonly tokens: Tokens
  /** What is known of each of `tokens.words` (absent when a rare text took the reference path). */
  readonly infos?: TokenInfos
}

export const normalizeAndTokenize = (merged: string, lex: CompiledLexicon): NormalizedTokens => {
  const cues: Array<string> = []
  let hasPhone = false
  let hashtagCount = 0
  let t = merged.normalize("NFKC")
  if (t.includes("’")) t = t.replaceAll("’", "'")
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
  if (MAYBE_EMOJI.test(t)) t = removeEmoji(t, lex.emojiValence, cues)
  t = t.toLowerCase()
  if (t.includes("#")) {
    t = t.replace(HASHTAG, () => {
      hashtagCount++
      return ""
    })
  }
  const { cleanText, tokens, infos } = clean(t, lex)
  const normalized = { cleanText, cues, hasPhone, hashtagCount }
  return infos === undefined ? { normalized, tokens } : { normalized, tokens, infos: { lexicon: lex, list: infos, trie: vocabularyOf(lex).trie } }
}

/** Replaces each pictograph, joiner and modifier by a space, recording the known ones. */
const removeEmoji = (t: string, valence: ReadonlyMap<string, number>, cues: Array<string>): string => {
  let out = ""
  let seg = 0
  const n = t.length
  for (let i = 0; i < n; ) {
    const c = t.charCodeAt(i)
    if (c < 0xa9) {
      i++
      continue
    }
    const cp = codePointAt(t, i)
    const size = cp >= 0x10000 ? 2 : 1
    if ((classOf(cp) & EMOJI_CHAR) !== 0) {
      const m = t.slice(i, i + size)
      if (valence.has(m)) cues.push(m)
      out += seg < i ? t.slice(seg, i) + " " : " "
      seg = i + size
    }
    i += size
  }
  return seg === 0 ? t : seg < n ? out + t.slice(seg) : out
}

export const normalizeText = (merged: string, lex: CompiledLexicon): NormalizedText =>
  normalizeAndTokenize(merged, lex).normalized

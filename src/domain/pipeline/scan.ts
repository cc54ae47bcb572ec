/**
 * One pass over the tokens that finds every dictionary phrase (1…maxLen tokens, never across
 * a clause break). Intent, spam, aspect and sentiment steps all read this result, so no step
 * searches the text again. Matching whole tokens is what makes "km" never match inside
 * "kmart" and "k" never inside "kem".
 */
import type { CompiledLexicon, PhraseEntry, PhraseNode } from "./compile.ts"
import { type TokenInfos, tokenize, type Tokens, type WordInfo } from "./normalize.ts"

export interface PhraseMatch {
  readonly key: string
  readonly start: number
  readonly length: number
  readonly entry: PhraseEntry
}

export interface ScannedText {
  /** The compiled lexicon the scan used: an analyzer reuses the scan only if it is its own. */
  readonly lexicon: CompiledLexicon
  readonly cleanText: string
  readonly tokens: Tokens
  /** All matches, ordered by start, then by length descending. */
  readonly matches: ReadonlyArray<PhraseMatch>
  /** Start positions of phrases that are parts of compound intent patterns, and `<number>`. */
  readonly partPositions: ReadonlyMap<string, ReadonlyArray<number>>
  /**
   * What several steps derive from the scan, kept on first use so that it is found once per
   * post (`aspectMatches`, intent.ts `isQuestion`). Absent on a hand-made scan: then recomputed.
   */
  readonly memo?: ScanMemo
  /** What normalisation looked up about each of `tokens.words` (normalize.ts `WordInfo`), when the pipeline passed it. */
  readonly infos?: ReadonlyArray<WordInfo> | undefined
}

/** See `ScannedText.memo`: pure functions of the scan, filled lazily. */
export interface ScanMemo {
  aspects?: ReadonlyArray<PhraseMatch>
  question?: boolean
}

const LONG_NUMBER = /^\d{6,}$/

/** Module-level rather than a closure per scan (cheaper on the hot path). */
const addPart = (partPositions: Map<string, Array<number>>, key: string, at: number): void => {
  const list = partPositions.get(key)
  if (list === undefined) partPositions.set(key, [at])
  else list.push(at)
}

/**
 * `tokens` must be `tokenize(cleanText)`; the pipeline passes the ones normalisation found, and
 * with them what it looked up about each word (`infos`, used when they are of `lex`).
 */
export const scanText = (cleanText: string, lex: CompiledLexicon, tokens: Tokens = tokenize(cleanText), infos?: TokenInfos): ScannedText => {
  const { words, clause } = tokens
  const matches: Array<PhraseMatch> = []
  const partPositions = new Map<string, Array<number>>()
  const n = words.length
  const trie = lex.phraseTrie
  const known = infos !== undefined && infos.lexicon === lex && infos.list.length === n ? infos.list : undefined
  const edges = known !== undefined ? infos?.trie : undefined
  for (let i = 0; i < n; i++) {
    const first = words[i] ?? ""
    const c0 = first.charCodeAt(0)
    if (c0 >= 48 && c0 <= 57 && LONG_NUMBER.test(first)) addPart(partPositions, "<number>", i)
    const head = known !== undefined ? (known[i] as WordInfo).head : trie.get(first)
    if (head === undefined) continue
    let node: PhraseNode = head
    let id = known !== undefined ? (known[i] as WordInfo).headId : -1
    // Phrases starting here, shortest first, walking the trie within the clause; they are
    // then reversed into `matches` (longest first).
    const from = matches.length
    const c = clause[i]
    for (let len = 1; ; len++) {
      const entry = node.entry
      if (entry !== undefined) {
        matches.push({ key: node.key, start: i, length: len, entry })
        if (entry.compoundPart === true) addPart(partPositions, node.key, i)
      }
      const next: ReadonlyMap<string, PhraseNode> | undefined = node.next
      if (next === undefined || i + len >= n || clause[i + len] !== c) break
      if (edges !== undefined) {
        // The same step by numbers (normalize.ts `TrieEdges`).
        const token = ((known as ReadonlyArray<WordInfo>)[i + len] as WordInfo).tokenId
        if (token < 0) break
        id = edges.child(id, token)
        if (id < 0) break
        node = edges.nodes[id] as PhraseNode
        continue
      }
      const child: PhraseNode | undefined = next.get(words[i + len] ?? "")
      if (child === undefined) break
      node = child
    }
    for (let a = from, b = matches.length - 1; a < b; a++, b--) {
      const m = matches[a] as PhraseMatch
      matches[a] = matches[b] as PhraseMatch
      matches[b] = m
    }
  }
  return { lexicon: lex, cleanText, tokens, matches, partPositions, memo: {}, infos: known }
}

/**
 * The matches that name an aspect, without those that lie inside a longer match naming a
 * different aspect: in "giao nhanh" (SERVICE) the implied PERFORMANCE of "nhanh" is not meant,
 * in "giá vé" both words are PRICE anyway. Order as in `matches`.
 */
export const aspectMatches = (scanned: ScannedText): ReadonlyArray<PhraseMatch> => {
  // Keywords, aspect sentiment and the aspect polarity head all read them: found once per scan.
  const memo = scanned.memo
  if (memo === undefined) return findAspectMatches(scanned)
  return (memo.aspects ??= findAspectMatches(scanned))
}

const findAspectMatches = (scanned: ScannedText): ReadonlyArray<PhraseMatch> => {
  const out: Array<PhraseMatch> = []
  const all: Array<PhraseMatch> = []
  let longest = 0
  for (const m of scanned.matches) {
    if (m.entry.aspect === undefined) continue
    all.push(m)
    if (m.length > longest) longest = m.length
  }
  // `all` is ordered by start, and a match that covers `m` starts at most `longest - 1`
  // tokens before it: only that window is searched (linear in the text, not quadratic).
  let from = 0
  for (const m of all) {
    const aspect = m.entry.aspect?.aspect
    const end = m.start + m.length
    while ((all[from] as PhraseMatch).start <= m.start - longest) from++
    let shadowed = false
    for (let k = from; k < all.length; k++) {
      const o = all[k] as PhraseMatch
      if (o.start > m.start) break
      if (o.length > m.length && o.start + o.length >= end && o.entry.aspect?.aspect !== aspect) {
        shadowed = true
        break
      }
    }
    if (!shadowed) out.push(m)
  }
  return out
}

/** The first `k` with `xs[k] > v` in ascending `xs` (binary search); `xs.length` when there is none. */
export const firstAbove = (xs: ReadonlyArray<number>, v: number): number => {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((xs[mid] as number) > v) hi = mid
    else lo = mid + 1
  }
  return lo
}

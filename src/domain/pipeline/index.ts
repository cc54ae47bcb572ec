/**
 * The analytics pipeline (§3): one decoded item and its batch context in, one record out.
 * Pure and total: no I/O, no clock (`now` is an argument), and a defect for one item becomes
 * that item's `ANALYTICS_ERROR` record. Everything compiled from the lexicons (phrase index,
 * emoticon pattern) is built once in `makePipeline`, never per item.
 */
import type { BatchContext, Item } from "../item.ts"
import type { AnalyticsRecord, ItemRecord } from "../records.ts"
import { extractKeywords } from "./aspects.ts"
import { compileLexicon } from "./compile.ts"
import { analyticsErrorRecord, crawlErrorRecord, platformOf } from "./errors.ts"
import { computeImpact, defaultImpactSettings, emptyImpactBreakdown, type ImpactResult, type ImpactSettings } from "./impact.ts"
import { detectIntent, type IntentResult, isQuestion, refineIntent } from "./intent.ts"
import type { LexiconBundle } from "./lexicon.ts"
import { analyzedPart, mergeText } from "./merge.ts"
import { aspectWindows, onlyBeforeContrast, POLARITY_ASPECTS, polarityInput } from "./aspectPolarity.ts"
import { builtinClassifier, type Classifier, detectedAspects, featureSlots, polaritySlots, predict, type Prediction, probabilities, type PolarityInput, rulesSentimentSlots, scorePolarity, scoreSlots, scoreWords, withRulesSentiment } from "./model.ts"
import { type NormalizedText, normalizeAndTokenize } from "./normalize.ts"
import { scanText } from "./scan.ts"
import { makeLexiconSentimentAnalyzer, type SentimentAnalyzer, type SentimentResult } from "./sentiment.ts"
import { computeStats, shouldSkip } from "./stats.ts"

export { compileLexicon, type CompiledLexicon } from "./compile.ts"
export { errorCategory } from "./errors.ts"
export { computeImpact, defaultImpactSettings, riskLevel, type ImpactSettings } from "./impact.ts"
export { detectIntent, intentConfidence, isQuestion } from "./intent.ts"
export { builtinLexiconFiles, builtinLexicons, decodeLexiconBundle, decodeLexiconFiles, decodeLexiconManifest, LEXICON_FILES, type LexiconBundle, type LexiconFileName, type LexiconManifest } from "./lexicon.ts"
export { analyzedPart, mergeText } from "./merge.ts"
export { normalizeAndTokenize, normalizeText, tokenize, type NormalizedText, type Tokens } from "./normalize.ts"
export { scanText } from "./scan.ts"
export { makeLexiconSentimentAnalyzer, type SentimentAnalyzer } from "./sentiment.ts"
export { builtinClassifier, type Classifier, decodeClassifier, featureSlots, polaritySlots, type PolarityInput, stripDiacritics, WEIGHT_SCALE } from "./model.ts"

/**
 * Who decides sentiment and intent (contract §3.4): the lexicon rules alone, the learned
 * classifier alone, or both combined (rules where they are explicit, the classifier otherwise).
 */
export type ClassifierMode = "rules" | "model" | "combined"

/** Thresholds of the combined mode, chosen by cross-validation on data/train (bench/train.ts). */
export interface CombineSettings {
  /** The rules' sentiment stands when |score| is at least this (explicit opinion words). */
  readonly sentimentRulesScore: number
  /** Otherwise the classifier's sentiment is taken when its margin is at least this. */
  readonly sentimentModelMargin: number
  /**
   * The rules found a polar opinion (POSITIVE or NEGATIVE) and the classifier says the opposite
   * polarity: the classifier is taken only with at least this margin.
   */
  readonly sentimentFlipMargin: number
  /** Rules said DISCUSSION: the classifier's intent is taken when its margin is at least this. */
  readonly intentModelMargin: number
  /** Rules matched an intent pattern: the classifier overrides it only with at least this margin. */
  readonly intentOverrideMargin: number
  /**
   * An aspect the rules did not find is added when the classifier's yes/no score for it is at
   * least this (Infinity: never), with the post's overall label.
   */
  readonly aspectModelScore: number
  /** An aspect the rules found is dropped when the classifier's score for it is below this (-Infinity: never). */
  readonly aspectDropScore: number
  /**
   * Each aspect's label comes from the learned polarity head (words around its mentions)
   * instead of the rules' window or the overall label.
   */
  readonly aspectPolarityHead: boolean
  /** Added to the head's logit of the post's overall label: how much an aspect leans on it. */
  readonly aspectOverallWeight: number
  /** The same for an aspect mentioned only before a contrast word ("đẹp nhưng …"), whose clause the overall label does not follow. */
  readonly aspectOverallWeightBeforeContrast: number
}

export const defaultCombineSettings: CombineSettings = {
  sentimentRulesScore: Number.POSITIVE_INFINITY,
  sentimentModelMargin: 0,
  sentimentFlipMargin: 0,
  intentModelMargin: 0,
  intentOverrideMargin: 1,
  aspectModelScore: -0.5,
  aspectDropScore: Number.NEGATIVE_INFINITY,
  aspectPolarityHead: true,
  aspectOverallWeight: 2,
  aspectOverallWeightBeforeContrast: 0
}

/** The classifier's feature slots for a normalised, scanned text. */
const classifierSlots = (normalized: NormalizedText, words: ReadonlyArray<string>, question: boolean, buckets: number): Array<number> =>
  featureSlots({ words, cues: normalized.cues, question, phone: normalized.hasPhone }, buckets)

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6

const SENTIMENT_ORDER: ReadonlyArray<SentimentResult["label"]> = ["POSITIVE", "NEGATIVE", "NEUTRAL"]

/** A label and probabilities as a sentiment score inside that label's band (§3.7 thresholds). */
const bandedScore = (label: SentimentResult["label"], positive: number, negative: number): number => {
  const raw = round6(positive - negative)
  return label === "POSITIVE" ? Math.max(raw, 0.26) : label === "NEGATIVE" ? Math.min(raw, -0.26) : Math.max(-0.25, Math.min(0.25, raw))
}

const rulesSlotsOf = (rules: SentimentResult, buckets: number): Array<number> =>
  rulesSentimentSlots(rules.score, rules.probabilities.POSITIVE, rules.probabilities.NEGATIVE, buckets)

/** What training reads of one text: the classifier's slots, the rules' sentiment slots, the polarity head's input per aspect. */
export interface TrainingInputs {
  readonly slots: Array<number>
  readonly rulesSlots: Array<number>
  readonly polarityOf: (aspect: string) => PolarityInput | undefined
}

/** The classifier's inputs for a raw text, normalised and scanned as the pipeline does (training). */
export const trainingInputsOfText = (
  text: string,
  lex: ReturnType<typeof compileLexicon>,
  analyzer: SentimentAnalyzer,
  buckets: number
): TrainingInputs => {
  const { normalized, tokens } = normalizeAndTokenize(text, lex)
  const scanned = scanText(normalized.cleanText, lex, tokens)
  const asks = isQuestion(scanned)
  const rules = analyzer.analyze(normalized.cleanText, extractKeywords(scanned, []), { emoji: normalized.cues, scanned })
  const windows = aspectWindows(scanned)
  return {
    slots: classifierSlots(normalized, tokens.words, asks, buckets),
    rulesSlots: rulesSlotsOf(rules, buckets),
    polarityOf: (aspect) => polarityInput(aspect, windows, asks, rules.aspects[aspect as keyof SentimentResult["aspects"]], rules.label)
  }
}

/**
 * Each aspect of DESIGN/PERFORMANCE/PRICE/SERVICE relabelled by the polarity head: softmax of its
 * logits (plus `overallWeight` on the overall label's), score in the label's band, confidence the
 * label's probability; mentions and keywords kept.
 */
const headAspects = (
  classifier: Classifier,
  aspects: SentimentResult["aspects"],
  windows: ReturnType<typeof aspectWindows>,
  asks: boolean,
  rules: SentimentResult,
  overall: SentimentResult["label"],
  combine: CombineSettings
): SentimentResult["aspects"] => {
  const out: Record<string, NonNullable<SentimentResult["aspects"][keyof SentimentResult["aspects"]]>> = {}
  for (const [aspect, a] of Object.entries(aspects)) {
    if (a === undefined) continue
    if (!POLARITY_ASPECTS.includes(aspect)) {
      out[aspect] = a
      continue
    }
    const input = polarityInput(aspect, windows, asks, rules.aspects[aspect as keyof SentimentResult["aspects"]], rules.label)
    if (input === undefined) {
      out[aspect] = a
      continue
    }
    const logits = scorePolarity(classifier.polarity, polaritySlots(input, classifier.buckets, windows.get(aspect)?.nearInfos))
    const weight = onlyBeforeContrast(aspect, windows) ? combine.aspectOverallWeightBeforeContrast : combine.aspectOverallWeight
    if (weight !== 0) {
      const o = SENTIMENT_ORDER.indexOf(overall)
      logits[o] = (logits[o] as number) + weight
    }
    let best = 0
    for (let c = 1; c < 3; c++) if ((logits[c] as number) > (logits[best] as number)) best = c
    // Softmax (three classes), each probability rounded to six decimals like `probabilities`.
    const top = logits[best] as number
    const e0 = Math.exp((logits[0] as number) - top)
    const e1 = Math.exp((logits[1] as number) - top)
    const total = e0 + e1 + Math.exp((logits[2] as number) - top)
    const pPositive = round6(e0 / total)
    const pNegative = round6(e1 / total)
    const label = SENTIMENT_ORDER[best] as SentimentResult["label"]
    const confidence = best === 0 ? pPositive : best === 1 ? pNegative : round6(1 / total)
    out[aspect] = { ...a, label, score: bandedScore(label, pPositive, pNegative), confidence }
  }
  return out
}

/**
 * The classifier's sentiment as a `SentimentResult`: probabilities from its softmax, score
 * P(positive) − P(negative) held inside the band of its label (§3.7 thresholds) so that
 * `labelOf(score)` is the label; aspects are the rules' (the classifier has no aspect head).
 */
const modelSentiment = (p: Prediction, rules: SentimentResult): SentimentResult => {
  const probs = probabilities(p.scores)
  const byClass: Record<string, number> = {}
  p.scores.forEach((_, c) => (byClass[["POSITIVE", "NEGATIVE", "NEUTRAL"][c] as string] = probs[c] as number))
  const label = p.label as SentimentResult["label"]
  const POSITIVE = byClass["POSITIVE"] ?? 0
  const NEGATIVE = byClass["NEGATIVE"] ?? 0
  const raw = round6(POSITIVE - NEGATIVE)
  const score = label === "POSITIVE" ? Math.max(raw, 0.26) : label === "NEGATIVE" ? Math.min(raw, -0.26) : Math.max(-0.25, Math.min(0.25, raw))
  return {
    label,
    score,
    confidence: byClass[label] ?? 0,
    probabilities: { POSITIVE, NEGATIVE, NEUTRAL: round6(1 - POSITIVE - NEGATIVE) },
    aspects: rules.aspects
  }
}

const modelIntent = (p: Prediction): IntentResult => {
  const probs = probabilities(p.scores)
  let best = 0
  for (const x of probs) if (x > best) best = x
  return { intent: p.label as IntentResult["intent"], confidence: best, matchedPatterns: 0 }
}

/** Aspects without an opinion of their own (confidence 0) take the overall label and score. */
const inheritOverall = (aspects: SentimentResult["aspects"], overall: SentimentResult): SentimentResult["aspects"] => {
  const out: Record<string, NonNullable<SentimentResult["aspects"][keyof SentimentResult["aspects"]]>> = {}
  for (const [aspect, a] of Object.entries(aspects)) {
    if (a === undefined) continue
    out[aspect] = a.confidence === 0 ? { ...a, label: overall.label, score: overall.score } : a
  }
  return out
}

/**
 * Aspects the classifier detects and the rules did not find: the overall label and score (NEUTRAL
 * and 0 in a question: the aspect is asked about), confidence 0, no mention, no keyword. Aspects
 * the rules found are kept when they are in `kept` (the classifier does not rule them out).
 */
const addModelAspects = (
  aspects: SentimentResult["aspects"],
  overall: Pick<SentimentResult, "label" | "score">,
  found: ReadonlyArray<string>,
  asks: boolean,
  kept: ReadonlyArray<string>
): SentimentResult["aspects"] => {
  const present = Object.keys(aspects)
  if (found.every((a) => present.includes(a)) && present.every((a) => kept.includes(a))) return aspects
  const out: Record<string, NonNullable<SentimentResult["aspects"][keyof SentimentResult["aspects"]]>> = {}
  for (const [aspect, a] of Object.entries(aspects)) if (a !== undefined && kept.includes(aspect)) out[aspect] = a
  for (const aspect of found) {
    if (aspect in out) continue
    out[aspect] = asks
      ? { label: "NEUTRAL", score: 0, confidence: 0, mentions: 0, keywords: [] }
      : { label: overall.label, score: overall.score, confidence: 0, mentions: 0, keywords: [] }
  }
  return out
}

/** Sentiment decided per `mode` (see CombineSettings). */
const chooseSentiment = (mode: ClassifierMode, rules: SentimentResult, model: Prediction | undefined, c: CombineSettings): SentimentResult => {
  if (mode === "rules" || model === undefined) return rules
  if (mode === "model") return modelSentiment(model, rules)
  if (Math.abs(rules.score) >= c.sentimentRulesScore) return rules
  const flip = rules.label !== "NEUTRAL" && model.label !== "NEUTRAL"
  if (model.label !== rules.label && model.margin >= (flip ? c.sentimentFlipMargin : c.sentimentModelMargin)) return modelSentiment(model, rules)
  return rules
}

/** Intent decided per `mode` (see CombineSettings). */
const chooseIntent = (mode: ClassifierMode, rules: IntentResult, model: Prediction | undefined, c: CombineSettings): IntentResult => {
  if (mode === "rules" || model === undefined) return rules
  if (mode === "model") return modelIntent(model)
  if (model.label === rules.intent) return rules
  const threshold = rules.intent === "DISCUSSION" ? c.intentModelMargin : c.intentOverrideMargin
  return model.margin >= threshold ? modelIntent(model) : rules
}

/** What the record of a post says about the post itself (not its analysis). */
interface PostFacts {
  readonly item: Item
  readonly ctx: BatchContext
  readonly now: string
  readonly platform: string
  readonly followers: number
  readonly modelVersion: string
  readonly merged: string
  readonly truncated: boolean
}

/** One analytics record, built as one object literal (columns in their fixed order). */
const analyticsRecord = (
  post: PostFacts,
  intent: IntentResult,
  sentiment: Pick<SentimentResult, "label" | "score" | "confidence" | "probabilities">,
  impact: Pick<ImpactResult, "impact_score" | "risk_level" | "is_viral" | "is_kol" | "impact_breakdown">,
  aspects: SentimentResult["aspects"],
  keywords: AnalyticsRecord["keywords"],
  skipped: boolean
): AnalyticsRecord => {
  const { item, ctx } = post
  const meta = item.meta
  const author = item.author
  return {
    record: "analytics",
    id: meta.id,
    project_id: ctx.project_id,
    platform: post.platform,
    published_at: meta.published_at,
    analyzed_at: post.now,
    crawled_at: meta.crawled_at ?? ctx.event_time,
    primary_intent: intent.intent,
    intent_confidence: intent.confidence,
    view_count: item.interaction.views,
    like_count: item.interaction.likes,
    comment_count: item.interaction.comments_count,
    share_count: item.interaction.shares,
    save_count: item.interaction.saves,
    follower_count: post.followers,
    processing_time_ms: 0,
    model_version: post.modelVersion,
    job_id: meta.job_id ?? ctx.job_id,
    batch_index: ctx.batch_index,
    task_type: meta.task_type ?? ctx.task_type,
    keyword_source: meta.keyword_source ?? ctx.keyword_source,
    pipeline_version: meta.pipeline_version ?? ctx.pipeline_version,
    fetch_status: meta.fetch_status,
    brand_name: ctx.brand_name,
    keyword: ctx.keyword,
    content_text: post.merged,
    analyzed_text_truncated: post.truncated,
    permalink: meta.permalink,
    author_id: author?.id ?? null,
    author_name: author?.name ?? null,
    author_username: author?.username ?? null,
    author_is_verified: author?.is_verified ?? false,
    hashtags: item.content.hashtags,
    overall_sentiment: sentiment.label,
    overall_sentiment_score: sentiment.score,
    overall_confidence: sentiment.confidence,
    sentiment_probabilities: sentiment.probabilities,
    impact_score: impact.impact_score,
    risk_level: impact.risk_level,
    is_viral: impact.is_viral,
    is_kol: impact.is_kol,
    aspects_breakdown: aspects,
    keywords,
    impact_breakdown: impact.impact_breakdown,
    is_skipped: skipped
  }
}

export interface PipelineSettings {
  /** `PREPROCESSOR_MIN_TEXT_LENGTH`: shorter clean text is skipped as too short. */
  readonly minTextLength: number
  /** `PREPROCESSOR_MAX_COMMENTS`: most-liked comments merged into the text. */
  readonly maxComments: number
  /**
   * `PREPROCESSOR_MAX_ANALYZED_CHARS`: only the first this many characters (UTF-16 code units)
   * of the merged text are analysed; the rest is stored in `content_text`, not analysed, and
   * the record says `analyzed_text_truncated`. The pipeline is linear in the analysed length,
   * so this bounds the CPU time of one post (docs/batch-processing-rationale.md has the
   * measurement, `npm run bench:length`). `Infinity` analyses everything.
   */
  readonly maxAnalyzedChars: number
  readonly impact: ImpactSettings
  /** Default "combined". */
  readonly classifier?: ClassifierMode
  readonly combine?: CombineSettings
  /**
   * §3.4: a spam phrase alone ("lãi suất") skips the post. Default false: only a SPAM or
   * SEEDING intent skips it, since genuine bank complaints use the same words.
   */
  readonly skipOnSpamKeyword?: boolean
  /**
   * §3.4: a too-short post ("chán", "đỉnh 🔥") is skipped even when its sentiment is plain.
   * Default false: it is skipped only when the rules find no opinion in it.
   */
  readonly skipShortWithOpinion?: boolean
  /**
   * An aspect mentioned without an opinion of its own takes the post's overall label when that
   * is not NEUTRAL and the post asks nothing ("giao hàng 3 tuần mới tới, chán": SERVICE
   * NEGATIVE). Default true outside the "rules" mode.
   */
  readonly aspectsInheritOverall?: boolean
}

export const DEFAULT_MAX_ANALYZED_CHARS = 20_000

export const defaultPipelineSettings: PipelineSettings = {
  minTextLength: 10,
  maxComments: 5,
  maxAnalyzedChars: DEFAULT_MAX_ANALYZED_CHARS,
  impact: defaultImpactSettings
}

export interface Pipeline {
  /** The analyzer's name and lexicon version, as written to `model_version`. */
  readonly modelVersion: string
  /** `now` is the ISO-8601 UTC time of analysis; the same item and `now` give the same record. */
  analyze(item: Item, ctx: BatchContext, now: string): ItemRecord
}

/** Text for `warmUp`: an emoticon, emoji, a URL, a phone number, a hashtag, teencode, Vietnamese. */
const WARM_UP_TEXT = "Xe đẹp quá :) 😍 ko tệ, xem https://example.com/x #vinfast gọi 0912.345.678? Pin yếu nhưng giá rẻ!"

/**
 * Runs normalisation a few times on a sample when the pipeline is built, so that the first
 * post of the first batch does not pay for it: V8 compiles the emoticon pattern (an
 * alternation of every known emoticon) over its first runs, half a second or more on a busy
 * core, during which the event loop is blocked. Only caches are filled; no result changes.
 */
const warmUp = (lex: ReturnType<typeof compileLexicon>): void => {
  for (let k = 0; k < 3; k++) normalizeAndTokenize(WARM_UP_TEXT, lex)
}

export const makePipeline = (
  settings: PipelineSettings,
  lexicons: LexiconBundle,
  analyzer: SentimentAnalyzer = makeLexiconSentimentAnalyzer(lexicons),
  classifier: Classifier = builtinClassifier()
): Pipeline => {
  const lex = compileLexicon(lexicons)
  warmUp(lex)
  const mode = settings.classifier ?? "combined"
  const combine = settings.combine ?? defaultCombineSettings
  const skipOnSpamKeyword = settings.skipOnSpamKeyword ?? false
  const skipShortWithOpinion = settings.skipShortWithOpinion ?? false
  const aspectsInherit = settings.aspectsInheritOverall ?? mode !== "rules"
  const modelVersion = mode === "rules" ? analyzer.modelVersion : `${analyzer.modelVersion}+${classifier.version}`

  const analyzePost = (item: Item, ctx: BatchContext, now: string): AnalyticsRecord => {
    const merged = mergeText(item, settings.maxComments)
    const analyzed = analyzedPart(merged, settings.maxAnalyzedChars)
    const { normalized, tokens, infos } = normalizeAndTokenize(analyzed.text, lex)
    const scanned = scanText(normalized.cleanText, lex, tokens, infos)
    const stats = computeStats({
      scanned,
      hasPhone: normalized.hasPhone,
      hashtagCount: normalized.hashtagCount,
      itemHashtagCount: item.content.hashtags.length,
      hasTranscription: (item.content.transcription ?? "").trim() !== "",
      minTextLength: settings.minTextLength
    })
    const asks = mode !== "rules" || aspectsInherit ? isQuestion(scanned) : false
    const scores = mode === "rules"
      ? undefined
      : infos === undefined
      ? scoreSlots(classifier, classifierSlots(normalized, tokens.words, asks, classifier.buckets))
      : scoreWords(classifier, infos.list, normalized.cues, asks, normalized.hasPhone)
    const intentModel = scores === undefined ? undefined : predict(classifier.intent, scores)
    const intent = chooseIntent(mode, detectIntent(scanned, normalized.hasPhone), intentModel, combine)
    const platform = platformOf(item, ctx)
    const author = item.author
    const followers = author?.followers ?? 0
    const post: PostFacts = { item, ctx, now, platform, followers, modelVersion, merged, truncated: analyzed.truncated }
    const kolThreshold = settings.impact.kolFollowerThreshold

    const keywords = extractKeywords(scanned, item.content.hashtags)
    const cues = { emoji: normalized.cues, scanned }
    const advert = intent.intent === "SPAM" || intent.intent === "SEEDING" || (skipOnSpamKeyword && stats.has_spam_keyword)
    // A too-short post is read by the rules first: with a plain opinion it is analysed (§3.4).
    const shortSentiment = !advert && stats.is_too_short && !skipShortWithOpinion ? analyzer.analyze(normalized.cleanText, keywords, cues) : undefined
    const gateStats = {
      ...stats,
      is_too_short: stats.is_too_short && (skipShortWithOpinion || shortSentiment === undefined || shortSentiment.label === "NEUTRAL"),
      has_spam_keyword: stats.has_spam_keyword && skipOnSpamKeyword
    }
    if (shouldSkip(gateStats, intent.intent)) {
      return analyticsRecord(
        post,
        intent,
        { label: "NEUTRAL", score: 0, confidence: 0, probabilities: { POSITIVE: 0, NEGATIVE: 0, NEUTRAL: 1 } },
        { impact_score: 0, risk_level: "LOW", is_viral: false, is_kol: followers >= kolThreshold, impact_breakdown: emptyImpactBreakdown },
        {},
        [],
        true
      )
    }

    const rulesSentiment = shortSentiment ?? analyzer.analyze(normalized.cleanText, keywords, cues)
    const sentimentModel = scores === undefined
      ? undefined
      : predict(classifier.sentiment, withRulesSentiment(classifier, scores, rulesSlotsOf(rulesSentiment, classifier.buckets)))
    const sentiment = chooseSentiment(mode, rulesSentiment, sentimentModel, combine)
    // The aspects go through up to three steps; the label, score and probabilities stay the chosen ones.
    let aspects = aspectsInherit && sentiment.label !== "NEUTRAL" && !asks ? inheritOverall(sentiment.aspects, sentiment) : sentiment.aspects
    if (scores !== undefined) {
      aspects = addModelAspects(aspects, sentiment, detectedAspects(classifier, scores, combine.aspectModelScore), asks, detectedAspects(classifier, scores, combine.aspectDropScore))
      if (combine.aspectPolarityHead && Object.keys(aspects).length > 0) {
        aspects = headAspects(classifier, aspects, aspectWindows(scanned), asks, rulesSentiment, sentiment.label, combine)
      }
    }
    const impact = computeImpact(
      {
        views: item.interaction.views,
        likes: item.interaction.likes,
        comments: item.interaction.comments_count,
        saves: item.interaction.saves,
        shares: item.interaction.shares,
        followers,
        isVerified: author?.is_verified ?? false,
        platform,
        sentiment: sentiment.label
      },
      settings.impact
    )
    return analyticsRecord(post, refineIntent(intent, scanned, sentiment.label), sentiment, impact, aspects, keywords, false)
  }

  return {
    modelVersion,
    analyze(item, ctx, now) {
      try {
        if (item.meta.fetch_status === "error") return crawlErrorRecord(item, ctx, now)
        return analyzePost(item, ctx, now)
      } catch (defect) {
        try {
          return analyticsErrorRecord(item, ctx, now, defect)
        } catch {
          // The item itself is unreadable (e.g. a getter that throws): record what we can.
          return {
            record: "error",
            content_id: "",
            project_id: ctx.project_id,
            job_id: ctx.job_id,
            platform: (ctx.platform ?? "UNKNOWN").toUpperCase(),
            error_code: "ANALYTICS_ERROR",
            error_category: "processing",
            error_message: defect instanceof Error ? defect.message : String(defect),
            error_details: null,
            permalink: null,
            created_at: now
          }
        }
      }
    }
  }
}

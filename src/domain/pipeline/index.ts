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
import { computeImpact, defaultImpactSettings, emptyImpactBreakdown, type ImpactSettings } from "./impact.ts"
import { detectIntent, refineIntent } from "./intent.ts"
import type { LexiconBundle } from "./lexicon.ts"
import { analyzedPart, mergeText } from "./merge.ts"
import { normalizeAndTokenize } from "./normalize.ts"
import { scanText } from "./scan.ts"
import { makeLexiconSentimentAnalyzer, type SentimentAnalyzer } from "./sentiment.ts"
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
  analyzer: SentimentAnalyzer = makeLexiconSentimentAnalyzer(lexicons)
): Pipeline => {
  const lex = compileLexicon(lexicons)
  warmUp(lex)

  const analyzePost = (item: Item, ctx: BatchContext, now: string): AnalyticsRecord => {
    const merged = mergeText(item, settings.maxComments)
    const analyzed = analyzedPart(merged, settings.maxAnalyzedChars)
    const { normalized, tokens } = normalizeAndTokenize(analyzed.text, lex)
    const scanned = scanText(normalized.cleanText, lex, tokens)
    const stats = computeStats({
      scanned,
      hasPhone: normalized.hasPhone,
      hashtagCount: normalized.hashtagCount,
      itemHashtagCount: item.content.hashtags.length,
      hasTranscription: (item.content.transcription ?? "").trim() !== "",
      minTextLength: settings.minTextLength
    })
    const intent = detectIntent(scanned, normalized.hasPhone)
    const platform = platformOf(item, ctx)
    const author = item.author
    const followers = author?.followers ?? 0
    const base = {
      record: "analytics" as const,
      id: item.meta.id,
      project_id: ctx.project_id,
      platform,
      published_at: item.meta.published_at,
      analyzed_at: now,
      crawled_at: item.meta.crawled_at ?? ctx.event_time,
      primary_intent: intent.intent,
      intent_confidence: intent.confidence,
      view_count: item.interaction.views,
      like_count: item.interaction.likes,
      comment_count: item.interaction.comments_count,
      share_count: item.interaction.shares,
      save_count: item.interaction.saves,
      follower_count: followers,
      processing_time_ms: 0,
      model_version: analyzer.modelVersion,
      job_id: item.meta.job_id ?? ctx.job_id,
      batch_index: ctx.batch_index,
      task_type: item.meta.task_type ?? ctx.task_type,
      keyword_source: item.meta.keyword_source ?? ctx.keyword_source,
      pipeline_version: item.meta.pipeline_version ?? ctx.pipeline_version,
      fetch_status: item.meta.fetch_status,
      brand_name: ctx.brand_name,
      keyword: ctx.keyword,
      content_text: merged,
      analyzed_text_truncated: analyzed.truncated,
      permalink: item.meta.permalink,
      author_id: author?.id ?? null,
      author_name: author?.name ?? null,
      author_username: author?.username ?? null,
      author_is_verified: author?.is_verified ?? false,
      hashtags: item.content.hashtags
    }
    const kolThreshold = settings.impact.kolFollowerThreshold

    if (shouldSkip(stats, intent.intent)) {
      return {
        ...base,
        overall_sentiment: "NEUTRAL",
        overall_sentiment_score: 0,
        overall_confidence: 0,
        sentiment_probabilities: { POSITIVE: 0, NEGATIVE: 0, NEUTRAL: 1 },
        impact_score: 0,
        risk_level: "LOW",
        is_viral: false,
        is_kol: followers >= kolThreshold,
        aspects_breakdown: {},
        keywords: [],
        impact_breakdown: emptyImpactBreakdown,
        is_skipped: true
      }
    }

    const keywords = extractKeywords(scanned, item.content.hashtags)
    const sentiment = analyzer.analyze(normalized.cleanText, keywords, { emoji: normalized.cues, scanned })
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
    const refined = refineIntent(intent, scanned, sentiment.label)
    return {
      ...base,
      primary_intent: refined.intent,
      intent_confidence: refined.confidence,
      overall_sentiment: sentiment.label,
      overall_sentiment_score: sentiment.score,
      overall_confidence: sentiment.confidence,
      sentiment_probabilities: sentiment.probabilities,
      impact_score: impact.impact_score,
      risk_level: impact.risk_level,
      is_viral: impact.is_viral,
      is_kol: impact.is_kol,
      aspects_breakdown: sentiment.aspects,
      keywords,
      impact_breakdown: impact.impact_breakdown,
      is_skipped: false
    }
  }

  return {
    modelVersion: analyzer.modelVersion,
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

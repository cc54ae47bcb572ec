/**
 * §3.8 impact and risk. Constants come from settings; the defaults are the contract. The
 * formula is kept literal (no rounding) so the worked example reproduces to 1e-9.
 */
import type { ImpactBreakdown, RiskLevel, SentimentLabel } from "../records.ts"

export interface ImpactSettings {
  readonly weights: {
    readonly views: number
    readonly likes: number
    readonly comments: number
    readonly saves: number
    readonly shares: number
  }
  /** Upper-case platform → multiplier; a platform not listed counts 1.0. */
  readonly platformWeights: Readonly<Record<string, number>>
  readonly amplifiers: { readonly NEGATIVE: number; readonly POSITIVE: number; readonly NEUTRAL: number }
  readonly viralThreshold: number
  readonly kolFollowerThreshold: number
  readonly maxRawScoreCeiling: number
}

export const defaultImpactSettings: ImpactSettings = {
  weights: { views: 0.01, likes: 1, comments: 2, saves: 3, shares: 5 },
  platformWeights: { TIKTOK: 1.0, FACEBOOK: 1.2, YOUTUBE: 1.5, INSTAGRAM: 1.1 },
  amplifiers: { NEGATIVE: 1.5, POSITIVE: 1.1, NEUTRAL: 1.0 },
  viralThreshold: 70,
  kolFollowerThreshold: 50000,
  maxRawScoreCeiling: 100000
}

export interface ImpactInput {
  readonly views: number
  readonly likes: number
  readonly comments: number
  readonly saves: number
  readonly shares: number
  readonly followers: number
  readonly isVerified: boolean
  readonly platform: string
  readonly sentiment: SentimentLabel
}

export interface ImpactResult {
  readonly impact_score: number
  readonly risk_level: RiskLevel
  readonly is_viral: boolean
  readonly is_kol: boolean
  readonly impact_breakdown: ImpactBreakdown
}

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0)

export const computeImpact = (input: ImpactInput, settings: ImpactSettings): ImpactResult => {
  const w = settings.weights
  const engagement =
    nonNegative(input.views) * w.views +
    nonNegative(input.likes) * w.likes +
    nonNegative(input.comments) * w.comments +
    nonNegative(input.saves) * w.saves +
    nonNegative(input.shares) * w.shares
  const followers = nonNegative(input.followers)
  // log10 is not correctly rounded: JavaScript engines may differ in the last bit. Rounded to 12
  // decimals, the same post gives the same record on Node and Deno.
  const reach = followers <= 0 ? 0 : Math.round(Math.log10(followers + 1) * (input.isVerified ? 1.2 : 1) * 1e12) / 1e12
  const platform = settings.platformWeights[input.platform.toUpperCase()] ?? 1.0
  const amplifier = settings.amplifiers[input.sentiment]
  const raw = engagement * reach * platform * amplifier
  const impact = raw <= 0 ? 0 : Math.min(100, (raw / settings.maxRawScoreCeiling) * 100)
  const isKol = followers >= settings.kolFollowerThreshold
  return {
    impact_score: impact,
    risk_level: riskLevel(impact, input.sentiment, isKol, settings.viralThreshold),
    is_viral: impact >= settings.viralThreshold,
    is_kol: isKol,
    impact_breakdown: {
      engagement_score: engagement,
      reach_score: reach,
      platform_multiplier: platform,
      sentiment_amplifier: amplifier,
      raw_impact: raw
    }
  }
}

/**
 * impact ≥ 70 ∧ NEGATIVE ∧ KOL → CRITICAL; impact ≥ 70 ∧ NEGATIVE → HIGH;
 * (40 ≤ impact < 70 ∧ NEGATIVE) ∨ (impact ≥ 60 ∧ not NEGATIVE) → MEDIUM; else LOW.
 * The 70 is the viral threshold; 40 and 60 are fixed by the contract.
 */
export const riskLevel = (impact: number, sentiment: SentimentLabel, isKol: boolean, viralThreshold = 70): RiskLevel => {
  const negative = sentiment === "NEGATIVE"
  if (impact >= viralThreshold && negative) return isKol ? "CRITICAL" : "HIGH"
  if ((negative && impact >= 40 && impact < viralThreshold) || (!negative && impact >= 60)) return "MEDIUM"
  return "LOW"
}

/** What a skipped post carries: no impact computed, every figure 0. */
export const emptyImpactBreakdown: ImpactBreakdown = {
  engagement_score: 0,
  reach_score: 0,
  platform_multiplier: 0,
  sentiment_amplifier: 0,
  raw_impact: 0
}

/**
 * Pure pieces of the read side that every AnalyticsQueries adapter shares, so the PostgreSQL
 * adapter and its in-memory twin cannot drift: the post view, the crisis radar's reasons and
 * ordering, and local wall-clock buckets in a named time zone.
 */
import { DateTime } from "effect"
import type { AnalyticsRecord, Aspect, RiskLevel, SentimentLabel } from "./records.ts"

export interface PostViewOf {
  readonly id: string
  readonly platform: string
  readonly published_at: string
  readonly permalink: string | null
  readonly author_name: string | null
  readonly author_username: string | null
  readonly content_text: string
  readonly overall_sentiment: SentimentLabel
  readonly overall_sentiment_score: number
  readonly primary_intent: AnalyticsRecord["primary_intent"]
  readonly risk_level: RiskLevel
  readonly impact_score: number
  readonly is_viral: boolean
  readonly is_kol: boolean
  readonly aspects: ReadonlyArray<{ readonly aspect: string; readonly label: SentimentLabel }>
  readonly keywords: ReadonlyArray<string>
  readonly view_count: number
  readonly like_count: number
  readonly comment_count: number
  readonly share_count: number
}

/** Distinct keywords in first-seen order. */
const distinct = (values: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(values)]

/** The stored columns a post view is made of (the PostgreSQL adapter selects only these). */
export const POST_VIEW_SOURCE = [
  "id", "platform", "published_at", "permalink", "author_name", "author_username", "content_text", "overall_sentiment",
  "overall_sentiment_score", "primary_intent", "risk_level", "impact_score", "is_viral", "is_kol", "aspects_breakdown",
  "keywords", "view_count", "like_count", "comment_count", "share_count"
] as const satisfies ReadonlyArray<keyof AnalyticsRecord>

/** What a post view reads of a stored post: those columns, and of its aspects and keywords only the labels and words. */
export type PostViewSource =
  & Omit<Pick<AnalyticsRecord, (typeof POST_VIEW_SOURCE)[number]>, "aspects_breakdown" | "keywords">
  & {
    readonly aspects_breakdown: { readonly [K in Aspect]?: { readonly label: SentimentLabel } | undefined }
    readonly keywords: ReadonlyArray<{ readonly keyword: string }>
  }

/** Only posts with a published_at are viewed (the caller filters). Aspects in name order. */
export const toPostView = (r: PostViewSource & { readonly published_at: string }): PostViewOf => ({
  id: r.id,
  platform: r.platform,
  published_at: r.published_at,
  permalink: r.permalink,
  author_name: r.author_name,
  author_username: r.author_username,
  content_text: r.content_text,
  overall_sentiment: r.overall_sentiment,
  overall_sentiment_score: r.overall_sentiment_score,
  primary_intent: r.primary_intent,
  risk_level: r.risk_level,
  impact_score: r.impact_score,
  is_viral: r.is_viral,
  is_kol: r.is_kol,
  aspects: Object.entries(r.aspects_breakdown)
    .filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== undefined && e[1] !== null)
    .map(([aspect, a]) => ({ aspect, label: a.label }))
    .sort((a, b) => (a.aspect < b.aspect ? -1 : a.aspect > b.aspect ? 1 : 0)),
  keywords: distinct(r.keywords.map((k) => k.keyword)),
  view_count: r.view_count,
  like_count: r.like_count,
  comment_count: r.comment_count,
  share_count: r.share_count
})

/** Higher is riskier: the radar lists CRITICAL before HIGH. */
export const riskRank = (risk: RiskLevel): number =>
  risk === "CRITICAL" ? 4 : risk === "HIGH" ? 3 : risk === "MEDIUM" ? 2 : 1

/** Why a post is on the crisis radar, most serious first; every reason is read from the stored row. */
export const crisisReasons = (p: PostViewOf): ReadonlyArray<string> => {
  const reasons: Array<string> = [`risk ${p.risk_level}`]
  if (p.primary_intent === "CRISIS" || p.primary_intent === "COMPLAINT") reasons.push(`intent ${p.primary_intent}`)
  if (p.overall_sentiment === "NEGATIVE") reasons.push(`negative sentiment (${p.overall_sentiment_score.toFixed(2)})`)
  for (const a of p.aspects) if (a.label === "NEGATIVE") reasons.push(`negative on ${a.aspect}`)
  if (p.is_viral) reasons.push("viral")
  if (p.is_kol) reasons.push("KOL author")
  reasons.push(`impact ${p.impact_score.toFixed(1)}`)
  return reasons
}

/**
 * The names found valid so far: making a formatter to check one costs about 0.14 ms, on every
 * trend request. Only valid names are kept, so the set is bounded by the runtime's zone names.
 */
const knownTimeZones = new Set<string>()

/** True when `name` is a time zone name the runtime knows (IANA names, `UTC`). */
export const isTimeZone = (name: string): boolean => {
  if (knownTimeZones.has(name)) return true
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return false
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name })
  } catch {
    return false
  }
  knownTimeZones.add(name)
  return true
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/**
 * The local wall-clock start (`YYYY-MM-DDTHH:00`) of the hour or day holding `instant` in
 * `timeZone`: the same label PostgreSQL gives `date_trunc(bucket, published_at AT TIME ZONE tz)`.
 */
export const localBucket = (instant: string, bucket: "hour" | "day", timeZone: string): string => {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit"
    })
    formatters.set(timeZone, f)
  }
  const parts: Record<string, string> = {}
  for (const part of f.formatToParts(DateTime.toEpochMillis(DateTime.makeUnsafe(instant)))) parts[part.type] = part.value
  const year = (parts["year"] ?? "").padStart(4, "0")
  const hour = bucket === "day" ? "00" : parts["hour"] ?? "00"
  return `${year}-${parts["month"]}-${parts["day"]}T${hour}:00`
}

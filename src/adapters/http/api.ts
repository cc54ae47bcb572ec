/**
 * The read-side HTTP API, declared: every path, parameter and response is an `effect/Schema`,
 * so requests are validated before a handler runs (400 with the offending parameter otherwise)
 * and the OpenAPI document (`/openapi.json`) is generated from the same declarations.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiError, HttpApiGroup, HttpApiMiddleware, HttpApiSecurity, OpenApi } from "effect/http-api"
import { isTimeZone } from "../../domain/readModel.ts"
import { ASPECTS, ERROR_CATEGORIES, INTENTS, RISK_LEVELS, SENTIMENT_LABELS } from "../../domain/records.ts"

// ---------------------------------------------------------------------------------------------
// Parameters

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
/** ISO-8601 date and time with a zone (`Z` or an offset): an instant, never a local time. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

export const ProjectId = Schema.String.check(
  Schema.makeFilter((s: string) => UUID.test(s) || "must be a project id (a UUID)")
).annotate({ description: "Project id (UUID)", examples: ["a95796bc-5c7b-432b-bf99-0afa8ed81f0c"] })

export const Instant = Schema.String.check(
  Schema.makeFilter((s: string) =>
    (INSTANT.test(s) && !Number.isNaN(Date.parse(s))) || "must be an ISO-8601 instant with a zone, e.g. 2025-12-06T00:00:00Z")
).annotate({ description: "ISO-8601 instant with Z or an offset", examples: ["2025-12-06T00:00:00Z"] })

const TimeZone = Schema.String.check(
  Schema.makeFilter((s: string) => isTimeZone(s) || "must be an IANA time zone name, e.g. Asia/Ho_Chi_Minh or UTC")
).annotate({ description: "IANA time zone name", examples: ["Asia/Ho_Chi_Minh"] })

const intBetween = (min: number, max: number, description: string) =>
  Schema.Int.check(Schema.isBetween({ minimum: min, maximum: max })).annotate({ description })

const text = (max: number, description: string) =>
  Schema.String.check(Schema.isBetweenLength(1, max)).annotate({ description })

const range = {
  from: Schema.optional(Instant).annotate({ description: "published_at from (inclusive)" }),
  to: Schema.optional(Instant).annotate({ description: "published_at until (exclusive)" })
}

export const PostsParams = {
  ...range,
  platform: Schema.optional(Schema.String.check(
    Schema.makeFilter((s: string) => /^[A-Za-z0-9_]{1,32}$/.test(s) || "must be a platform name (letters, digits, _), e.g. TIKTOK")
  )).annotate({ description: "Platform, e.g. TIKTOK (case-insensitive)" }),
  sentiment: Schema.optional(Schema.Literals(SENTIMENT_LABELS)),
  intent: Schema.optional(Schema.Literals(INTENTS)),
  risk: Schema.optional(Schema.Literals(RISK_LEVELS)),
  aspect: Schema.optional(Schema.Literals(ASPECTS)),
  keyword: Schema.optional(text(100, "An extracted keyword, exactly as listed by /keywords")),
  q: Schema.optional(text(200, "Case-insensitive text search in the post's content")),
  limit: Schema.optional(intBetween(1, 200, "Page size, 1–200 (default 50)")),
  cursor: Schema.optional(Schema.String.check(
    Schema.makeFilter((s: string) => /^[A-Za-z0-9_-]{1,512}$/.test(s) || "must be the `next` cursor of a previous page")
  )).annotate({ description: "The `next` cursor of the previous page" })
}

// ---------------------------------------------------------------------------------------------
// Responses

const Nullable = <S extends Schema.Top>(s: S) => Schema.NullOr(s)
const Counts = <const L extends ReadonlyArray<string>>(labels: L) =>
  Schema.Struct(Object.fromEntries(labels.map((l) => [l, Schema.Number])) as { readonly [K in L[number]]: typeof Schema.Number })

export const ProjectListing = Schema.Struct({ projectId: Schema.String })

export const PostView = Schema.Struct({
  id: Schema.String,
  platform: Schema.String,
  published_at: Schema.String,
  permalink: Nullable(Schema.String),
  author_name: Nullable(Schema.String),
  author_username: Nullable(Schema.String),
  content_text: Schema.String,
  overall_sentiment: Schema.Literals(SENTIMENT_LABELS),
  overall_sentiment_score: Schema.Number,
  primary_intent: Schema.Literals(INTENTS),
  risk_level: Schema.Literals(RISK_LEVELS),
  impact_score: Schema.Number,
  is_viral: Schema.Boolean,
  is_kol: Schema.Boolean,
  aspects: Schema.Array(Schema.Struct({ aspect: Schema.String, label: Schema.Literals(SENTIMENT_LABELS) })),
  keywords: Schema.Array(Schema.String),
  view_count: Schema.Number,
  like_count: Schema.Number,
  comment_count: Schema.Number,
  share_count: Schema.Number
}).annotate({ identifier: "Post" })

export const PostsPage = Schema.Struct({
  items: Schema.Array(PostView),
  next: Nullable(Schema.String).annotate({ description: "Cursor of the next page; null on the last page" })
}).annotate({ identifier: "PostsPage" })

export const ProjectSummary = Schema.Struct({
  total: Schema.Number,
  bySentiment: Counts(SENTIMENT_LABELS),
  byIntent: Counts(INTENTS),
  byRisk: Counts(RISK_LEVELS),
  byPlatform: Schema.Record(Schema.String, Schema.Number),
  averageImpact: Nullable(Schema.Number),
  averageSentiment: Nullable(Schema.Number),
  views: Schema.Number,
  engagement: Schema.Number,
  firstPublishedAt: Nullable(Schema.String),
  lastPublishedAt: Nullable(Schema.String)
}).annotate({ identifier: "ProjectSummary" })

export const TrendPoint = Schema.Struct({
  local: Schema.String.annotate({ description: "Local wall-clock start of the bucket, YYYY-MM-DDTHH:00" }),
  posts: Schema.Number,
  positive: Schema.Number,
  negative: Schema.Number,
  neutral: Schema.Number,
  averageImpact: Schema.Number
}).annotate({ identifier: "TrendPoint" })

export const Trend = Schema.Struct({
  bucket: Schema.Literals(["hour", "day"]),
  timeZone: Schema.String,
  from: Schema.String,
  to: Schema.String,
  points: Schema.Array(TrendPoint)
}).annotate({ identifier: "Trend" })

export const KeywordStat = Schema.Struct({
  keyword: Schema.String,
  aspect: Nullable(Schema.String),
  mentions: Schema.Number,
  positive: Schema.Number,
  negative: Schema.Number,
  neutral: Schema.Number
}).annotate({ identifier: "KeywordStat" })

export const AspectStat = Schema.Struct({
  aspect: Schema.String,
  posts: Schema.Number,
  positive: Schema.Number,
  negative: Schema.Number,
  neutral: Schema.Number
}).annotate({ identifier: "AspectStat" })

export const CrisisPost = Schema.Struct({
  post: PostView,
  reasons: Schema.Array(Schema.String)
}).annotate({ identifier: "CrisisPost" })

export const CrawlErrors = Schema.Struct({
  total: Schema.Number,
  byCategory: Schema.Record(Schema.String, Schema.Number),
  recent: Schema.Array(Schema.Struct({
    content_id: Schema.String,
    platform: Schema.String,
    job_id: Nullable(Schema.String),
    error_code: Schema.String,
    error_category: Schema.Literals(ERROR_CATEGORIES),
    error_message: Nullable(Schema.String),
    permalink: Nullable(Schema.String),
    created_at: Schema.String
  }))
}).annotate({ identifier: "CrawlErrors" })

export const BatchHealth = Schema.Struct({
  batches: Schema.Number,
  completed: Schema.Number,
  deadLettered: Schema.Number,
  sizeMismatches: Schema.Number,
  redelivered: Schema.Number,
  items: Schema.Struct({ stored: Schema.Number, skipped: Schema.Number, errors: Schema.Number }),
  recent: Schema.Array(Schema.Struct({
    object_path: Schema.String,
    platform: Schema.String,
    batch_index: Nullable(Schema.Number),
    status: Schema.Literals(["completed", "failed"]),
    expected_size: Nullable(Schema.Number),
    actual_size: Schema.Number,
    stored_count: Schema.Number,
    skipped_count: Schema.Number,
    error_count: Schema.Number,
    attempts: Schema.Number,
    last_attempt_at: Schema.String,
    failure_reason: Nullable(Schema.String)
  }))
}).annotate({ identifier: "BatchHealth" })

// ---------------------------------------------------------------------------------------------
// Errors and security

export class Unauthorized extends HttpApiError.Problem<Unauthorized>()("Unauthorized", {
  type: "about:blank",
  status: 401,
  title: "Unauthorized"
}) {}

export class Unavailable extends HttpApiError.Problem<Unavailable>()("Unavailable", {
  type: "about:blank",
  status: 503,
  title: "Service Unavailable"
}) {}

/** Bearer-token authentication (`API_TOKEN`); when the server runs without a token, every request passes. */
export class ApiAuth extends HttpApiMiddleware.Service<ApiAuth>()("smap/http/ApiAuth", {
  error: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

// ---------------------------------------------------------------------------------------------
// Endpoints

const project = { projectId: ProjectId }
const errors = [HttpApiError.BadRequestProblem, Unavailable] as const

export const AnalyticsGroup = HttpApiGroup.make("analytics")
  .add(HttpApiEndpoint.get("projects", "/api/projects", {
    success: Schema.Array(ProjectListing),
    error: errors
  }).annotate(OpenApi.Description, "Projects with at least one stored post, in id order."))
  .add(HttpApiEndpoint.get("summary", "/api/projects/:projectId/summary", {
    params: project,
    query: range,
    success: ProjectSummary,
    error: errors
  }).annotate(OpenApi.Description, "Counts by sentiment, intent, risk and platform; average impact; first and last published_at."))
  .add(HttpApiEndpoint.get("posts", "/api/projects/:projectId/posts", {
    params: project,
    query: PostsParams,
    success: PostsPage,
    error: errors
  }).annotate(OpenApi.Description, "A page of posts, newest first (ties by platform, then id), filtered; pass `next` as `cursor` for the following page."))
  .add(HttpApiEndpoint.get("trend", "/api/projects/:projectId/trend", {
    params: project,
    query: {
      bucket: Schema.optional(Schema.Literals(["hour", "day"])).annotate({ description: "Bucket size (default day)" }),
      tz: Schema.optional(TimeZone).annotate({ description: "Time zone of the buckets (default UTC)" }),
      from: Instant.annotate({ description: "Start (inclusive)" }),
      to: Instant.annotate({ description: "End (exclusive); at most 31 days after `from` by hour, 3 years by day" })
    },
    success: Trend,
    error: errors
  }).annotate(OpenApi.Description, "Posts and sentiment per local hour or day in the named time zone."))
  .add(HttpApiEndpoint.get("keywords", "/api/projects/:projectId/keywords", {
    params: project,
    query: { ...range, limit: Schema.optional(intBetween(1, 100, "How many (default 20)")) },
    success: Schema.Array(KeywordStat),
    error: errors
  }).annotate(OpenApi.Description, "Most mentioned keywords with their aspect and the sentiment of the posts mentioning them."))
  .add(HttpApiEndpoint.get("aspects", "/api/projects/:projectId/aspects", {
    params: project,
    query: range,
    success: Schema.Array(AspectStat),
    error: errors
  }).annotate(OpenApi.Description, "Posts per aspect by the aspect's sentiment."))
  .add(HttpApiEndpoint.get("crisis", "/api/projects/:projectId/crisis", {
    params: project,
    query: { ...range, limit: Schema.optional(intBetween(1, 100, "How many (default 20)")) },
    success: Schema.Array(CrisisPost),
    error: errors
  }).annotate(OpenApi.Description, "The crisis radar: HIGH and CRITICAL posts, CRITICAL first, then by impact, with the reasons."))
  .add(HttpApiEndpoint.get("errors", "/api/projects/:projectId/errors", {
    params: project,
    query: { limit: Schema.optional(intBetween(1, 200, "How many recent errors (default 50)")) },
    success: CrawlErrors,
    error: errors
  }).annotate(OpenApi.Description, "Crawl errors: counts by category and the most recent."))
  .add(HttpApiEndpoint.get("batches", "/api/projects/:projectId/batches", {
    params: project,
    query: { limit: Schema.optional(intBetween(1, 200, "How many recent batches (default 50)")) },
    success: BatchHealth,
    error: errors
  }).annotate(OpenApi.Description, "Batch health from the ledger: batches, dead letters, size mismatches, redeliveries, recent batches."))

export const ReadApi = HttpApi.make("smap-analytics")
  .add(AnalyticsGroup)
  .middleware(HttpApiMiddleware.ProblemDetails)
  .middleware(ApiAuth)
  .annotate(OpenApi.Title, "SMAP Analytics read API")
  .annotate(OpenApi.Version, "1")
  .annotate(OpenApi.Description, "Read-only analytics per project. Send `Authorization: Bearer <API_TOKEN>` when the server has a token.")

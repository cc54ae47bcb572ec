import { Effect, Schema, SchemaTransformation } from "effect"
import type { Item } from "./item.ts"
import { toPlatform } from "./platform.ts"
import {
  clampCount,
  cleanJson,
  cleanText,
  MAX_HASHTAG_LENGTH,
  MAX_HASHTAGS,
  MAX_KEY_TEXT_LENGTH,
  MAX_LONG_TEXT_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  postIdProblem
} from "./sanitize.ts"
import { toUtcIso } from "./time.ts"

/**
 * Tolerant leaf schemas for crawler items (§2). Crawlers send counts as null, negative
 * numbers or strings; those are made safe here (invalid → 0, negative → 0, beyond 2^53 − 1 →
 * 2^53 − 1) and never fail an item; text is made storable (sanitize.ts). Only what makes an
 * item meaningless fails: no `meta.id`, or an id that cannot be stored as sent (`InvalidPostId`).
 */
const tolerant = <T>(decode: (input: unknown) => T, to: Schema.Codec<T>) =>
  Schema.Unknown.pipe(
    Schema.decodeTo(to, SchemaTransformation.transform({ decode, encode: (value: T): unknown => value }))
  ).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null)))

const toCount = (u: unknown): number =>
  clampCount(typeof u === "number" ? u : typeof u === "string" && u.trim() !== "" ? Number(u.trim().replaceAll(",", "")) : 0)
const toNumberOrNull = (u: unknown): number | null => {
  const n = typeof u === "number" ? u : typeof u === "string" && u.trim() !== "" ? Number(u) : Number.NaN
  return Number.isFinite(n) ? n : null
}
const toTextOf = (max: number) => (u: unknown): string | null =>
  typeof u === "string"
    ? cleanText(u, max)
    : (typeof u === "number" && Number.isFinite(u)) || typeof u === "bigint"
    ? String(u)
    : null
const toBool = (u: unknown): boolean => u === true || u === "true" || u === 1
const toStrings = (u: unknown): ReadonlyArray<string> =>
  Array.isArray(u)
    ? u.slice(0, MAX_HASHTAGS).flatMap((v) => {
      const tag = typeof v === "string" ? cleanText(v.trim().replace(/^#/, ""), MAX_HASHTAG_LENGTH).trim() : ""
      return tag === "" ? [] : [tag]
    })
    : []

const Count = tolerant(toCount, Schema.Number)
const Num = tolerant(toNumberOrNull, Schema.NullOr(Schema.Number))
const Text = tolerant(toTextOf(MAX_SHORT_TEXT_LENGTH), Schema.NullOr(Schema.String))
const KeyText = tolerant(toTextOf(MAX_KEY_TEXT_LENGTH), Schema.NullOr(Schema.String))
const LongText = tolerant(toTextOf(MAX_LONG_TEXT_LENGTH), Schema.NullOr(Schema.String))
const Time = tolerant(toUtcIso, Schema.NullOr(Schema.String))
const Bool = tolerant(toBool, Schema.Boolean)
const Strings = tolerant(toStrings, Schema.Array(Schema.String))
const Json = tolerant(cleanJson, Schema.Unknown)

/** A post id: a string, or a JSON number (big ones arrive as their exact digits, see `parseJson`). */
const PostId = Schema.Union([Schema.String, Schema.Number]).pipe(
  Schema.decodeTo(
    Schema.String.check(Schema.isMinLength(1)),
    SchemaTransformation.transform<string, string | number>({ decode: (v) => String(v).trim(), encode: (v) => v })
  )
)

const Meta = Schema.Struct({
  id: PostId,
  platform: Text,
  job_id: KeyText,
  task_type: Text,
  crawled_at: Time,
  published_at: Time,
  permalink: Text,
  keyword_source: Text,
  lang: Text,
  region: Text,
  pipeline_version: Text,
  fetch_status: Text,
  error_code: Text,
  error_message: LongText,
  error_details: Json
})

const Content = Schema.Struct({
  text: LongText,
  description: LongText,
  title: LongText,
  duration: Num,
  hashtags: Strings,
  sound_name: Text,
  category: Text,
  transcription: LongText,
  transcription_status: Text
})

const Interaction = Schema.Struct({
  views: Count,
  likes: Count,
  comments_count: Count,
  shares: Count,
  saves: Count,
  engagement_rate: Num,
  updated_at: Time
})

const Author = Schema.Struct({
  id: Text,
  name: Text,
  username: Text,
  followers: Count,
  following: Count,
  likes: Count,
  videos: Count,
  is_verified: Bool,
  avatar_url: Text,
  profile_url: Text,
  country: Text
})

const Comment = Schema.Struct({
  id: Text,
  text: LongText,
  author_name: Text,
  likes: Count,
  created_at: Time,
  replies_count: Count
})

const emptyObject = Effect.succeed({})
const RawItem = Schema.Struct({
  meta: Meta,
  content: Schema.NullOr(Content).pipe(Schema.withDecodingDefaultKey(emptyObject)),
  interaction: Schema.NullOr(Interaction).pipe(Schema.withDecodingDefaultKey(emptyObject)),
  author: Schema.NullOr(Author).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null))),
  comments: Schema.NullOr(Schema.Array(Schema.Unknown)).pipe(Schema.withDecodingDefaultKey(Effect.succeed([])))
})

const decodeRawItem = Schema.decodeUnknownSync(RawItem, { errors: "all" })
const decodeComment = Schema.decodeUnknownOption(Comment)
const decodeDefaults = <S extends Schema.Codec<unknown>>(schema: S) => Schema.decodeUnknownSync(schema)

const emptyContent = decodeDefaults(Content)({})
const emptyInteraction = decodeDefaults(Interaction)({})

/** An item whose post id cannot be stored as sent (see `postIdProblem`): an `INVALID_ID` row. */
export class InvalidPostId extends Error {
  override readonly name = "InvalidPostId"
}

const rawPostId = (input: unknown): unknown =>
  typeof input === "object" && input !== null && "meta" in input && typeof input.meta === "object" &&
    input.meta !== null && "id" in input.meta
    ? input.meta.id
    : undefined

/**
 * Decodes one item; throws `InvalidPostId` when its id cannot be stored as sent, else a
 * SchemaError (with a readable message) when it is unusable.
 */
export const decodeItemSync = (input: unknown): Item => {
  const idProblem = postIdProblem(rawPostId(input))
  if (idProblem !== null) throw new InvalidPostId(idProblem)
  const raw = decodeRawItem(input)
  const content = raw.content ?? emptyContent
  const interaction = raw.interaction ?? emptyInteraction
  const status = raw.meta.fetch_status?.trim().toLowerCase() === "error" ? "error" : "success"
  const comments = (raw.comments ?? []).flatMap((c) => {
    const decoded = decodeComment(c)
    return decoded._tag === "Some" && decoded.value.text !== null && decoded.value.text.trim() !== ""
      ? [{ ...decoded.value, text: decoded.value.text }]
      : []
  })
  return {
    meta: {
      ...raw.meta,
      platform: toPlatform(raw.meta.platform),
      fetch_status: status
    },
    content: {
      text: content.text ?? content.description ?? "",
      title: content.title,
      duration: content.duration,
      hashtags: content.hashtags,
      sound_name: content.sound_name,
      category: content.category,
      transcription: content.transcription,
      transcription_status: content.transcription_status
    },
    interaction,
    author: raw.author,
    comments
  }
}

/**
 * A batch item after tolerant decoding (§2, contract v2). Decoding has already made every
 * count a safe non-negative number, every timestamp an ISO-8601 UTC string of years 1–9999 or
 * null, every text storable (sanitize.ts), and the post id an exact string; the pipeline never
 * sees raw crawler JSON.
 */

export type FetchStatus = "success" | "error"

export interface ItemMeta {
  readonly id: string
  /** In the closed set of platform.ts (`TIKTOK`, …, `OTHER`), or null when the crawler did not say. */
  readonly platform: string | null
  readonly job_id: string | null
  readonly task_type: string | null
  readonly crawled_at: string | null
  readonly published_at: string | null
  readonly permalink: string | null
  readonly keyword_source: string | null
  readonly lang: string | null
  readonly region: string | null
  readonly pipeline_version: string | null
  readonly fetch_status: FetchStatus
  readonly error_code: string | null
  readonly error_message: string | null
  readonly error_details: unknown
}

export interface ItemContent {
  /** `content.text`, else `content.description`, else "". */
  readonly text: string
  readonly title: string | null
  readonly duration: number | null
  readonly hashtags: ReadonlyArray<string>
  readonly sound_name: string | null
  readonly category: string | null
  readonly transcription: string | null
  readonly transcription_status: string | null
}

export interface ItemInteraction {
  readonly views: number
  readonly likes: number
  readonly comments_count: number
  readonly shares: number
  readonly saves: number
  readonly engagement_rate: number | null
  readonly updated_at: string | null
}

export interface ItemAuthor {
  readonly id: string | null
  readonly name: string | null
  readonly username: string | null
  readonly followers: number
  readonly following: number
  readonly likes: number
  readonly videos: number
  readonly is_verified: boolean
  readonly avatar_url: string | null
  readonly profile_url: string | null
  readonly country: string | null
}

export interface ItemComment {
  readonly id: string | null
  readonly text: string
  readonly author_name: string | null
  readonly likes: number
  readonly created_at: string | null
  readonly replies_count: number
}

export interface Item {
  readonly meta: ItemMeta
  readonly content: ItemContent
  readonly interaction: ItemInteraction
  readonly author: ItemAuthor | null
  readonly comments: ReadonlyArray<ItemComment>
}

/**
 * What the pipeline needs to know about the batch an item came in (from the event, §1).
 * Item fields win over these where both exist (`crawled_at`, `keyword_source`, …).
 */
export interface BatchContext {
  readonly event_id: string | null
  /** A UUID or null (already sanitised). */
  readonly project_id: string | null
  readonly job_id: string | null
  /** Upper case platform from the event, or null (then the item's `meta.platform`). */
  readonly platform: string | null
  readonly batch_index: number | null
  readonly task_type: string | null
  readonly brand_name: string | null
  readonly keyword: string | null
  /** The event's timestamp (ISO UTC), used as `crawled_at` fallback. */
  readonly event_time: string | null
  readonly keyword_source: string | null
  readonly pipeline_version: string | null
}

/** The context of an item analysed on its own, outside any event (`analyze`, evaluation). */
export const noBatchContext: BatchContext = {
  event_id: null,
  project_id: null,
  job_id: null,
  platform: null,
  batch_index: null,
  task_type: null,
  brand_name: null,
  keyword: null,
  event_time: null,
  keyword_source: null,
  pipeline_version: null
}

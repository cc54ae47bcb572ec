/** Builders for pipeline tests: a complete `Item` and `BatchContext` with overridable parts. */
import type { BatchContext, Item, ItemAuthor, ItemComment, ItemContent, ItemInteraction, ItemMeta } from "../../../src/domain/item.ts"

export interface ItemOverrides {
  readonly meta?: Partial<ItemMeta>
  readonly content?: Partial<ItemContent>
  readonly interaction?: Partial<ItemInteraction>
  readonly author?: Partial<ItemAuthor> | null
  readonly comments?: ReadonlyArray<Partial<ItemComment> & { text: string }>
}

export const makeItem = (o: ItemOverrides = {}): Item => ({
  meta: {
    id: "7312345678901234567",
    platform: "TIKTOK",
    job_id: null,
    task_type: null,
    crawled_at: "2025-12-06T10:00:00Z",
    published_at: "2025-12-05T08:00:00Z",
    permalink: "https://www.tiktok.com/@u/video/7312345678901234567",
    keyword_source: null,
    lang: "vi",
    region: "VN",
    pipeline_version: null,
    fetch_status: "success",
    error_code: null,
    error_message: null,
    error_details: null,
    ...o.meta
  },
  content: {
    text: "",
    title: null,
    duration: 30,
    hashtags: [],
    sound_name: null,
    category: null,
    transcription: null,
    transcription_status: null,
    ...o.content
  },
  interaction: {
    views: 0,
    likes: 0,
    comments_count: 0,
    shares: 0,
    saves: 0,
    engagement_rate: null,
    updated_at: null,
    ...o.interaction
  },
  author: o.author === null
    ? null
    : {
      id: "a1",
      name: "Author",
      username: "author",
      followers: 0,
      following: 0,
      likes: 0,
      videos: 0,
      is_verified: false,
      avatar_url: null,
      profile_url: null,
      country: null,
      ...o.author
    },
  comments: (o.comments ?? []).map((c, i) => ({
    id: `c${i}`,
    author_name: null,
    likes: 0,
    created_at: null,
    replies_count: 0,
    ...c
  }))
})

export const context: BatchContext = {
  event_id: "evt_1",
  project_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c",
  job_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c-brand-0",
  platform: "TIKTOK",
  batch_index: 1,
  task_type: "research_and_crawl",
  brand_name: "VinFast",
  keyword: "VinFast VF8",
  event_time: "2025-12-06T10:15:30Z",
  keyword_source: "brand",
  pipeline_version: "crawler-v2"
}

export const NOW = "2025-12-06T10:16:00.000Z"

/**
 * Crawler-shaped batch items (contract v2, §2) as raw JSON values, deterministic for a given
 * seed: what a crawler uploads, not what the decoder produces.
 */

const CAPTIONS = [
  "VinFast VF8 thiết kế đẹp quá, chạy êm, rất đáng tiền 😍",
  "Xe đi được 3 tháng thì lỗi phần mềm, bảo hành chậm, thất vọng ghê",
  "Giá VF3 bao nhiêu vậy shop? Mua ở đâu được lái thử?",
  "Cách sạc pin VF8 ở nhà thế nào mọi người ơi, có hướng dẫn không",
  "Review nhanh nội thất VF8: màn hình to, ghế ngồi thoải mái nhưng giá hơi cao",
  "Pin yếu quá, đi xa ko yên tâm, dịch vụ hậu mãi tệ",
  "Tẩy chay hãng này đi mọi người, lừa đảo khách hàng",
  "Vay vốn lãi suất thấp, giải ngân trong ngày, liên hệ 0912345678",
  "Xe đẹp, thiết kế sang, nhân viên showroom nhiệt tình, rất hài lòng",
  "Hôm nay đi thử xe điện, cảm giác lái khá ổn"
]
const COMMENTS = [
  "Xe đẹp thật sự 👍",
  "Giá cao quá mình không mua nổi",
  "Bảo hành lâu quá, đợi cả tháng",
  "Chạy êm, tiết kiệm, recommend",
  "ko đẹp lắm đâu",
  "Màu này đẹp dc đó",
  "Showroom ở Hà Nội có không ạ?"
]

export interface RawItemOptions {
  readonly platform?: "TIKTOK" | "YOUTUBE"
  readonly id?: string | number
  readonly crawledAt?: string
  readonly fetchStatus?: "success" | "error"
}

export const rawItem = (seed: number, options: RawItemOptions = {}) => {
  const platform = options.platform ?? "TIKTOK"
  const id = options.id ?? (platform === "TIKTOK" ? `75762764511718${String(80000 + seed).padStart(5, "0")}` : `yt_${seed}_dQw4w9WgXcQ`)
  if (options.fetchStatus === "error") {
    return {
      meta: {
        id,
        platform,
        fetch_status: "error",
        error_code: seed % 2 === 0 ? "CONTENT_REMOVED" : "RATE_LIMITED",
        error_message: "the crawler could not fetch this post",
        error_details: { http_status: seed % 2 === 0 ? 404 : 429 },
        permalink: `https://www.tiktok.com/@user/video/${id}`
      }
    }
  }
  return {
    meta: {
      id,
      platform,
      job_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c-brand-0",
      task_type: "research_and_crawl",
      crawled_at: options.crawledAt ?? "2025-12-06T10:14:00Z",
      published_at: `2025-12-0${1 + (seed % 5)}T0${seed % 10}:30:00+07:00`,
      permalink: platform === "TIKTOK" ? `https://www.tiktok.com/@user${seed}/video/${id}` : `https://www.youtube.com/watch?v=${id}`,
      keyword_source: "brand",
      lang: "vi",
      region: "VN",
      pipeline_version: "crawler_v2",
      fetch_status: "success"
    },
    content: {
      text: CAPTIONS[seed % CAPTIONS.length],
      ...(platform === "YOUTUBE" ? { title: `VinFast VF8 review #${seed}` } : {}),
      duration: 15 + (seed % 60),
      hashtags: ["vinfast", "vf8", ...(seed % 3 === 0 ? ["xedien"] : [])],
      sound_name: "original sound",
      category: null,
      transcription: seed % 4 === 0 ? "Xin chào mọi người, hôm nay mình review chiếc xe này" : null
    },
    interaction: {
      views: 1000 * (seed + 1) * 7,
      likes: 40 * (seed + 1),
      comments_count: seed % 7 === 0 ? null : 3 + seed,
      shares: platform === "YOUTUBE" ? null : seed * 2,
      saves: platform === "YOUTUBE" ? null : String(seed * 3),
      engagement_rate: 0.05,
      updated_at: "2025-12-06T10:14:00Z"
    },
    author: seed % 9 === 8 ? null : {
      id: `author_${seed}`,
      name: `Người dùng ${seed}`,
      username: `user${seed}`,
      followers: seed % 5 === 0 ? 120_000 : 200 + seed * 13,
      following: 10,
      likes: 1000,
      videos: 20,
      is_verified: seed % 5 === 0,
      avatar_url: null,
      profile_url: null,
      country: "VN"
    },
    comments: Array.from({ length: seed % 8 }, (_, c) => ({
      id: `c_${seed}_${c}`,
      text: COMMENTS[(seed + c) % COMMENTS.length],
      author_name: `fan${c}`,
      likes: (seed * 7 + c * 13) % 50,
      created_at: "2025-12-06T09:00:00Z",
      replies_count: c
    }))
  }
}

export const rawBatch = (size: number, options: RawItemOptions & { readonly errorEvery?: number; readonly offset?: number } = {}) =>
  Array.from({ length: size }, (_, i) => {
    const seed = i + (options.offset ?? 0)
    return rawItem(seed, {
      ...options,
      ...(options.errorEvery !== undefined && i % options.errorEvery === options.errorEvery - 1 ? { fetchStatus: "error" as const } : {})
    })
  })

export const PROJECT_ID = "a95796bc-5c7b-432b-bf99-0afa8ed81f0c"

export const eventFor = (minioPath: string, payload: Record<string, unknown> = {}) => ({
  event_id: `evt_${minioPath.length}_${Math.abs(hash(minioPath))}`,
  event_type: "data.collected",
  timestamp: "2025-12-06T10:15:30Z",
  payload: {
    minio_path: minioPath,
    project_id: PROJECT_ID,
    job_id: `${PROJECT_ID}-brand-0`,
    platform: "tiktok",
    batch_index: 1,
    content_count: 50,
    task_type: "research_and_crawl",
    brand_name: "VinFast",
    keyword: "VinFast VF8",
    total_batches: 12,
    ...payload
  }
})

const hash = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7)

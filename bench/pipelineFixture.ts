/**
 * The bench:pipeline corpus (bench/pipeline.ts), shared with bench/outputDigest.ts: realistic
 * 50-post TikTok batches of Vietnamese text with 6–8 comments each.
 */
import type { BatchContext, Item } from "../src/domain/item.ts"

const captions = [
  "Review chi tiết VinFast VF8 sau 3 tháng sử dụng, thiết kế rất đẹp nhưng giá hơi cao #vinfast #vf8 #xedien",
  "Trải nghiệm lái thử VF 6, xe chạy êm, cách âm tốt, pin đi được khoảng 380 km 😍 #review",
  "Mình đã mua iPhone 15 ở shop này, giao hàng nhanh, đóng gói cẩn thận, nhân viên tư vấn nhiệt tình",
  "Son này lên màu đẹp nhưng hơi khô môi, giá cũng ok, mn thấy sao? #mypham #son",
  "Thất vọng với dịch vụ bảo hành, xe bị lỗi màn hình 2 tuần rồi mà chưa sửa xong 😡",
  "Quán phở ngon, nước dùng đậm đà, giá hợp lý, phục vụ nhanh, sẽ quay lại lần sau",
  "App ngân hàng dạo này hay bị lỗi, chuyển khoản không được, tổng đài thì không ai nghe máy",
  "Giá lăn bánh VF5 bao nhiêu vậy mọi người? Có trả góp không, mình muốn đặt cọc"
]
const commentPool = [
  "xe dep qua, gia hop ly", "pin ko trâu lắm nhưng đi phố thì ok", "dịch vụ hậu mãi tốt, nv nhiệt tình :))",
  "giá bao nhiêu vậy ad", "mình thấy bt, không có gì đặc biệt", "sạc chậm quá, trạm sạc còn ít",
  "tuyệt vời, ủng hộ hàng Việt 👍👍", "shop giao nhanh, sp đúng mô tả", "không đáng tiền, thất vọng",
  "thiết kế sang trọng, nội thất rộng rãi", "đừng mua, lỗi vặt nhiều lắm", "cho mình xin giá lăn bánh với",
  "camera chụp đẹp, pin cũng ổn", "vay vốn nhanh liên hệ 0912.345.678", "màu này đẹp ghê, có size M không shop"
]

const makeItem = (i: number): Item => ({
  meta: {
    id: String(7300000000000000000n + BigInt(i)), platform: "TIKTOK", job_id: null, task_type: null,
    crawled_at: "2025-12-06T10:00:00Z", published_at: "2025-12-05T08:00:00Z", permalink: null,
    keyword_source: null, lang: "vi", region: "VN", pipeline_version: null, fetch_status: "success",
    error_code: null, error_message: null, error_details: null
  },
  content: {
    text: captions[i % captions.length] ?? "", title: null, duration: 42, hashtags: ["vinfast", "review"],
    sound_name: null, category: null, transcription: i % 3 === 0 ? "Xin chào các bạn, hôm nay mình sẽ review chiếc xe này" : null,
    transcription_status: null
  },
  interaction: { views: 1000 + i * 37, likes: 50 + i, comments_count: 12, shares: 3, saves: 7, engagement_rate: null, updated_at: null },
  author: { id: "a", name: "A", username: "a", followers: 200 + i * 100, following: 1, likes: 1, videos: 1, is_verified: i % 7 === 0, avatar_url: null, profile_url: null, country: null },
  comments: Array.from({ length: 6 + (i % 3) }, (_, k) => ({
    id: `c${k}`, text: commentPool[(i * 7 + k * 3) % commentPool.length] ?? "", author_name: null,
    likes: (i * 13 + k * 17) % 50, created_at: null, replies_count: 0
  }))
})

export const pipelineBenchContext: BatchContext = {
  event_id: "evt", project_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c", job_id: "job", platform: "TIKTOK",
  batch_index: 1, task_type: "research_and_crawl", brand_name: "VinFast", keyword: "VinFast VF8",
  event_time: "2025-12-06T10:15:30Z", keyword_source: null, pipeline_version: null
}

export const BATCH = 50
export const BATCHES = 40

/** `BATCHES` batches of `BATCH` posts. */
export const pipelineBenchBatches = (): Array<Array<Item>> =>
  Array.from({ length: BATCHES }, (_, b) => Array.from({ length: BATCH }, (_, i) => makeItem(b * BATCH + i)))

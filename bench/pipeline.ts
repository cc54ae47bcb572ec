/**
 * Pipeline throughput on one core: realistic 50-post TikTok batches of Vietnamese text with
 * 5+ comments each, warm-up then several timed rounds. The baseline is the cost of merely
 * NFC-normalising and lower-casing the same merged text, so the ratio says how much the
 * analytics add on this machine. Run: `npm run bench:pipeline`.
 */
import { builtinLexicons, defaultPipelineSettings, makePipeline, mergeText } from "../src/domain/pipeline/index.ts"
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

const ctx: BatchContext = {
  event_id: "evt", project_id: "a95796bc-5c7b-432b-bf99-0afa8ed81f0c", job_id: "job", platform: "TIKTOK",
  batch_index: 1, task_type: "research_and_crawl", brand_name: "VinFast", keyword: "VinFast VF8",
  event_time: "2025-12-06T10:15:30Z", keyword_source: null, pipeline_version: null
}

const BATCH = 50
const BATCHES = 40
const ROUNDS = 7
const batches = Array.from({ length: BATCHES }, (_, b) => Array.from({ length: BATCH }, (_, i) => makeItem(b * BATCH + i)))
const posts = BATCH * BATCHES
const pipeline = makePipeline(defaultPipelineSettings, builtinLexicons)
/** The lexicon rules without the learned classifier, to show what the classifier costs. */
const rulesOnly = makePipeline({ ...defaultPipelineSettings, classifier: "rules" }, builtinLexicons)
const now = "2025-12-06T10:16:00.000Z"
let sink = 0

const runPipeline = () => {
  for (const batch of batches) for (const item of batch) sink += pipeline.analyze(item, ctx, now).record.length
}
const runRules = () => {
  for (const batch of batches) for (const item of batch) sink += rulesOnly.analyze(item, ctx, now).record.length
}
const runBaseline = () => {
  for (const batch of batches) for (const item of batch) sink += mergeText(item, 5).normalize("NFC").toLowerCase().length
}
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const time = (fn: () => void): Array<number> => {
  for (let w = 0; w < 3; w++) fn()
  const out: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now()
    fn()
    out.push(performance.now() - t0)
  }
  return out
}

const avgChars = batches.flat().reduce((n, item) => n + mergeText(item, 5).length, 0) / posts
/** Pipeline and rules-alone rounds alternate, so that a change in machine load hits both alike. */
const timeBoth = (): [Array<number>, Array<number>] => {
  for (let w = 0; w < 3; w++) {
    runPipeline()
    runRules()
  }
  const a: Array<number> = []
  const b: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now()
    runPipeline()
    const t1 = performance.now()
    runRules()
    a.push(t1 - t0)
    b.push(performance.now() - t1)
  }
  return [a, b]
}
const [pipelineMs, rulesMs] = timeBoth()
const baselineMs = time(runBaseline)
const rulesUsPerPost = (median(rulesMs) * 1000) / posts
const usPerPost = (median(pipelineMs) * 1000) / posts
const baseUsPerPost = (median(baselineMs) * 1000) / posts
console.log(`pipeline bench: ${BATCHES} batches × ${BATCH} posts (${posts} posts, avg ${avgChars.toFixed(0)} chars merged, 6–8 comments each), ${ROUNDS} rounds after 3 warm-up, one core`)
console.log(`pipeline : ${usPerPost.toFixed(2)} µs/post, ${Math.round(1e6 / usPerPost).toLocaleString("en-US")} posts/s (median round ${median(pipelineMs).toFixed(1)} ms; min ${Math.min(...pipelineMs).toFixed(1)} ms)`)
console.log(`rules    : ${rulesUsPerPost.toFixed(2)} µs/post without the learned classifier (classifier share ${(((usPerPost - rulesUsPerPost) / usPerPost) * 100).toFixed(0)}%)`)
console.log(`baseline : ${baseUsPerPost.toFixed(2)} µs/post (merge + NFC + toLowerCase only)`)
console.log(`ratio    : pipeline / baseline = ${(usPerPost / baseUsPerPost).toFixed(1)}×`)
console.log(`target   : ≥ 20,000 posts/s (≤ 50 µs/post): ${usPerPost <= 50 ? "met" : "NOT met"}${sink === 0 ? "" : ""}`)

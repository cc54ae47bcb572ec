/**
 * The end-to-end bench's fixture: crawler batch objects (contract v2, §2) as the crawlers upload
 * them, generated from a seed so that every run and every variant reads the same bytes.
 *
 * Two TikTok batches of 50 posts for each YouTube batch of 20 (the crawlers' batch sizes, see
 * examples/), pretty-printed JSON like examples/*.json, TikTok ids as 19-digit JSON numbers
 * (the parser's big-integer path, as in examples/tiktok_batch_000.json) and YouTube ids as
 * strings. Captions, titles, transcriptions and 0–15 comments per post are composed from
 * Vietnamese phrases (with and without diacritics, teen code, emoji, hashtags, phone numbers),
 * so the pipeline sees text of varying length and every sentiment and intent. One item in 40 is
 * a crawler error (`fetch_status: "error"`), stored as an error row.
 */

/** mulberry32: a small deterministic PRNG (32-bit state). */
const makeRandom = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[int(xs.length)] as A
  return { next, int, pick }
}

const BRANDS = [
  { brand: "VinFast", keyword: "VinFast VF8", products: ["VF8", "VF3", "VF5", "VF6", "VF9"] },
  { brand: "Vinamilk", keyword: "sữa Vinamilk", products: ["sữa tươi", "sữa chua", "Optimum Gold"] },
  { brand: "Highlands", keyword: "Highlands Coffee", products: ["phin sữa đá", "trà sen vàng", "freeze"] }
]
const OPENINGS = [
  "Review chi tiết {p} sau 3 tháng sử dụng", "Hôm nay mình thử {p}", "Mọi người ơi cho hỏi về {p}",
  "Trải nghiệm thực tế {p}", "Lần đầu mua {p} ở {city}", "Ai dùng {p} rồi cho xin ý kiến",
  "Unbox {p} nè cả nhà", "Đánh giá nhanh {p}", "Góc chia sẻ: {p} có đáng tiền không?"
]
const BODIES = [
  "thiết kế rất đẹp, chạy êm, rất đáng tiền 😍", "giá hơi cao nhưng chất lượng ổn", "nhân viên tư vấn nhiệt tình, giao hàng nhanh",
  "bị lỗi sau 2 tuần, bảo hành chậm, thất vọng ghê 😡", "pin yếu quá, đi xa ko yên tâm", "dịch vụ hậu mãi tệ, gọi tổng đài không ai nghe",
  "cảm giác dùng khá ổn, không có gì đặc biệt", "mua ở đâu được giá tốt vậy shop?", "giá lăn bánh bao nhiêu, có trả góp không",
  "cách sạc pin ở nhà thế nào mọi người ơi", "tẩy chay hãng này đi mọi người, lừa đảo khách hàng", "chất lượng tuyệt vời, ủng hộ hàng Việt 👍",
  "vị hơi ngọt nhưng uống vẫn ngon", "đóng gói cẩn thận, sp đúng mô tả", "ko ngon như quảng cáo, hơi phí tiền",
  "xe dep qua, gia hop ly, recommend nha", "mn thấy sao? cmt cho mình biết với"
]
const TAILS = ["", " #review", " #xuhuong #fyp", " 🔥🔥", " ai cần inbox mình", " liên hệ 0912.345.678 để được tư vấn", " :))"]
const CITIES = ["Hà Nội", "TP.HCM", "Đà Nẵng", "Cần Thơ", "Hải Phòng"]
const COMMENTS = [
  "Xe đẹp thật sự 👍", "Giá cao quá mình không mua nổi", "Bảo hành lâu quá, đợi cả tháng", "Chạy êm, tiết kiệm, recommend",
  "ko đẹp lắm đâu", "Màu này đẹp dc đó", "Showroom ở Hà Nội có không ạ?", "giá bao nhiêu vậy ad", "mình thấy bt",
  "sạc chậm quá, trạm sạc còn ít", "shop giao nhanh, sp đúng mô tả", "không đáng tiền, thất vọng", "đừng mua, lỗi vặt nhiều lắm",
  "cho mình xin giá lăn bánh với", "ngon lắm, uống hoài không chán", "vay vốn nhanh liên hệ 0987654321", "hay quá bạn ơi 😂😂",
  "Sản phẩm tốt, dịch vụ chu đáo, sẽ ủng hộ tiếp", "tệ thật sự, không bao giờ quay lại", "ib mình nha"
]
const TRANSCRIPTS = [
  "Xin chào mọi người, hôm nay mình review chiếc xe này sau một thời gian sử dụng",
  "Các bạn thấy đấy, nội thất khá rộng rãi, màn hình to, ghế ngồi thoải mái",
  "Nói thật là mình hơi thất vọng về dịch vụ bảo hành của hãng"
]

const PROJECT_ID = "a95796bc-5c7b-432b-bf99-0afa8ed81f0c"
export const BUCKET = "crawl-results"

export interface FixtureBatch {
  readonly index: number
  readonly platform: "tiktok" | "youtube"
  readonly key: string
  readonly bytes: Uint8Array
  /** Items in the object (posts and crawler errors). */
  readonly items: number
  readonly brand: string
  readonly keyword: string
}

const text = (r: ReturnType<typeof makeRandom>, product: string) => {
  const opening = r.pick(OPENINGS).replace("{p}", product).replace("{city}", r.pick(CITIES))
  const parts = Array.from({ length: 1 + r.int(3) }, () => r.pick(BODIES))
  return `${opening}, ${parts.join(", ")}${r.pick(TAILS)}`
}

const BIG_ID = "__BIGINT__"

const item = (r: ReturnType<typeof makeRandom>, platform: "TIKTOK" | "YOUTUBE", n: number, brand: (typeof BRANDS)[number]) => {
  const id = platform === "TIKTOK" ? `${BIG_ID}${7500000000000000000n + BigInt(n) * 7919n}` : `yt_${n.toString(36).padStart(11, "x")}`
  const permalink = platform === "TIKTOK"
    ? `https://www.tiktok.com/@user${n % 5000}/video/${id.replace(BIG_ID, "")}`
    : `https://www.youtube.com/watch?v=${id}`
  if (r.int(40) === 0) {
    return {
      meta: {
        id, platform, fetch_status: "error", error_code: r.pick(["CONTENT_REMOVED", "RATE_LIMITED", "PRIVATE"]),
        error_message: "the crawler could not fetch this post", error_details: { http_status: r.pick([404, 429, 403]) }, permalink
      }
    }
  }
  const product = r.pick(brand.products)
  const day = 1 + r.int(28)
  const hour = r.int(24)
  const comments = r.int(16)
  return {
    meta: {
      id, platform, job_id: `${PROJECT_ID}-brand-0`, task_type: "research_and_crawl", crawled_at: "2025-12-06T10:14:00Z",
      published_at: `2025-11-${String(day).padStart(2, "0")}T${String(hour).padStart(2, "0")}:${String(r.int(60)).padStart(2, "0")}:00+07:00`,
      permalink, keyword_source: "brand", lang: "vi", region: "VN", pipeline_version: "crawler_v2", fetch_status: "success"
    },
    content: {
      text: text(r, product),
      ...(platform === "YOUTUBE" ? { title: `${brand.brand} ${product}: ${r.pick(OPENINGS).replace("{p}", product).replace("{city}", r.pick(CITIES))}` } : {}),
      duration: 10 + r.int(platform === "YOUTUBE" ? 1200 : 180),
      hashtags: [brand.brand.toLowerCase(), ...(r.int(2) === 0 ? ["review"] : []), ...(r.int(3) === 0 ? ["xuhuong"] : [])],
      sound_name: platform === "TIKTOK" ? "original sound" : null,
      category: platform === "YOUTUBE" ? "Autos & Vehicles" : null,
      transcription: r.int(4) === 0 ? r.pick(TRANSCRIPTS) : null
    },
    interaction: {
      views: 100 + r.int(2_000_000), likes: r.int(50_000), comments_count: comments === 0 ? null : comments * (1 + r.int(20)),
      shares: platform === "YOUTUBE" ? null : r.int(3000), saves: platform === "YOUTUBE" ? null : String(r.int(900)),
      engagement_rate: Math.round(r.next() * 1000) / 10000, updated_at: "2025-12-06T10:14:00Z"
    },
    author: r.int(12) === 0 ? null : {
      id: `author_${r.int(20000)}`, name: `Người dùng ${r.int(20000)}`, username: `user${r.int(20000)}`,
      followers: r.int(10) === 0 ? 50_000 + r.int(2_000_000) : 50 + r.int(20_000), following: r.int(500), likes: r.int(100_000),
      videos: r.int(400), is_verified: r.int(15) === 0, avatar_url: null, profile_url: null, country: "VN"
    },
    comments: Array.from({ length: comments }, (_, c) => ({
      id: `c_${n}_${c}`, text: r.pick(COMMENTS), author_name: `fan${r.int(9999)}`, likes: r.int(500),
      created_at: "2025-12-06T09:00:00Z", replies_count: r.int(5)
    }))
  }
}

/** The fixture: `batches` objects, the same for the same seed. */
export const makeFixture = (batches: number, seed = 20251206): ReadonlyArray<FixtureBatch> => {
  const r = makeRandom(seed)
  const encoder = new TextEncoder()
  let n = 0
  return Array.from({ length: batches }, (_, index) => {
    const platform = index % 3 === 2 ? "youtube" : "tiktok"
    const size = platform === "tiktok" ? 50 : 20
    const brand = BRANDS[index % BRANDS.length] as (typeof BRANDS)[number]
    const items = Array.from({ length: size }, () => item(r, platform === "tiktok" ? "TIKTOK" : "YOUTUBE", n++, brand))
    // Big integers as JSON number literals, the way TikTok crawlers write them.
    const json = JSON.stringify(items, null, 2).replace(new RegExp(`"${BIG_ID}(\\d+)"`, "g"), "$1")
    return {
      index,
      platform,
      key: `${platform}/${PROJECT_ID}/brand/bench_${String(index).padStart(5, "0")}.json`,
      bytes: encoder.encode(json),
      items: size,
      brand: brand.brand,
      keyword: brand.keyword
    }
  })
}

/** The `data.collected` event for a batch; `eventId` unique per publish. */
export const eventFor = (batch: FixtureBatch, eventId: string) => ({
  event_id: eventId,
  event_type: "data.collected",
  timestamp: "2025-12-06T10:15:30Z",
  payload: {
    minio_path: `${BUCKET}/${batch.key}`,
    project_id: PROJECT_ID,
    job_id: `${PROJECT_ID}-brand-0`,
    platform: batch.platform,
    batch_index: batch.index + 1,
    content_count: batch.items,
    task_type: "research_and_crawl",
    brand_name: batch.brand,
    keyword: batch.keyword,
    total_batches: 1000
  }
})

/**
 * One TikTok batch of about `targetBytes` (memory experiments, bench/memoryProfile.ts): the
 * fixture's posts, as many as a typical batch's density gives (≈ 4 KiB a post, pretty-printed) up to
 * `maxItems` (MAX_BATCH_ITEMS), each given extra comments until the batch reaches its size. A
 * big batch is thus what a crawler writes for a viral post: many comments, the service's
 * heaviest input per byte (many small objects).
 */
export const makeSizedBatch = (index: number, targetBytes: number, maxItems = 1000, seed = 20251206): FixtureBatch => {
  const r = makeRandom(seed + index)
  const brand = BRANDS[index % BRANDS.length] as (typeof BRANDS)[number]
  const count = Math.max(1, Math.min(maxItems, Math.round(targetBytes / 4000)))
  const encoder = new TextEncoder()
  const items = Array.from({ length: count }, (_, i) => item(r, "TIKTOK", index * 1_000_000 + i, brand))
  const size = (x: unknown) => encoder.encode(JSON.stringify(x, null, 2)).length
  const perItem = targetBytes / count
  for (const [i, it] of items.entries()) {
    if (!("comments" in it)) continue
    // A comment pretty-printed at this depth takes about its own JSON size plus indentation.
    const sample = { id: `c_${i}_0`, text: r.pick(COMMENTS), author_name: "fan0000", likes: 0, created_at: "2025-12-06T09:00:00Z", replies_count: 0 }
    const commentBytes = size(sample) + 60
    const missing = Math.floor((0.9 * perItem - size(it)) / commentBytes)
    for (let c = 0; c < missing; c++) {
      it.comments.push({
        id: `c_${i}_x${c}`, text: r.pick(COMMENTS), author_name: `fan${r.int(9999)}`, likes: r.int(500),
        created_at: "2025-12-06T09:00:00Z", replies_count: r.int(5)
      })
    }
  }
  const json = JSON.stringify(items, null, 2).replace(new RegExp(`"${BIG_ID}(\\d+)"`, "g"), "$1")
  return {
    index,
    platform: "tiktok",
    key: `tiktok/${PROJECT_ID}/brand/sized_${String(index).padStart(5, "0")}.json`,
    bytes: encoder.encode(json),
    items: count,
    brand: brand.brand,
    keyword: brand.keyword
  }
}

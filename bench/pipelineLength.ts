/**
 * Time per post against its length: one post of `LENGTHS` characters, analysed alone, with the
 * analysed-length cap disabled (the algorithm itself: µs per KB must stay flat if the pipeline
 * is linear) and with the default cap (`PREPROCESSOR_MAX_ANALYZED_CHARS`, what the consumer
 * pays per post). Two texts: the defect's repeated review sentence, and the realistic captions
 * and comments of bench/pipeline.ts joined. Time is the process's CPU time (`process.cpuUsage`,
 * user + system, so garbage collection counts) rather than wall time: on a shared machine wall
 * time mostly measures waiting for a core. Median of several runs after a warm-up; the ratio is
 * against the 1 KB figure of the same run. Run: `npm run bench:length`.
 */
import process from "node:process"
import { builtinLexicons, DEFAULT_MAX_ANALYZED_CHARS, defaultPipelineSettings, makePipeline } from "../src/domain/pipeline/index.ts"
import { type BatchContext, type Item, noBatchContext } from "../src/domain/item.ts"

const KB = 1024
/** `BENCH_MAX_KB=64` stops early (e.g. to time an older, quadratic pipeline). */
const MAX_KB = Number(process.env["BENCH_MAX_KB"] ?? "2048")
const LENGTHS = [1, 4, 16, 64, 256, 1024, 2048].filter((k) => k <= MAX_KB).map((k) => k * KB)
const TEXTS: ReadonlyArray<readonly [string, string]> = [
  ["repeated \"pin yếu quá nhưng giá rẻ \"", "pin yếu quá nhưng giá rẻ "],
  [
    "mixed reviews",
    "Review chi tiết VinFast VF8 sau 3 tháng sử dụng, thiết kế rất đẹp nhưng giá hơi cao #vinfast. " +
    "Trải nghiệm lái thử VF 6, xe chạy êm, cách âm tốt, pin đi được khoảng 380 km 😍 " +
    "Thất vọng với dịch vụ bảo hành, xe bị lỗi màn hình 2 tuần rồi mà chưa sửa xong 😡 " +
    "Giá lăn bánh VF5 bao nhiêu vậy mọi người? Có trả góp không, mình muốn đặt cọc. " +
    "pin ko trâu lắm nhưng đi phố thì ok, dịch vụ hậu mãi tốt, nv nhiệt tình :)) vay vốn nhanh liên hệ 0912.345.678 "
  ]
]

const itemOf = (text: string): Item => ({
  meta: {
    id: "7300000000000000001", platform: "TIKTOK", job_id: null, task_type: null, crawled_at: "2025-12-06T10:00:00Z",
    published_at: "2025-12-05T08:00:00Z", permalink: null, keyword_source: null, lang: "vi", region: "VN",
    pipeline_version: null, fetch_status: "success", error_code: null, error_message: null, error_details: null
  },
  content: {
    text, title: null, duration: 42, hashtags: ["vinfast"], sound_name: null, category: null, transcription: null,
    transcription_status: null
  },
  interaction: { views: 1000, likes: 50, comments_count: 0, shares: 3, saves: 7, engagement_rate: null, updated_at: null },
  author: null,
  comments: []
})

const ctx: BatchContext = noBatchContext
const now = "2025-12-06T10:16:00.000Z"
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
let sink = 0

/** CPU milliseconds of this process so far. */
const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const timeOne = (analyze: (item: Item) => { readonly record: string }, item: Item, length: number): number => {
  // Enough runs for a stable median on small posts, few on the large ones.
  const runs = Math.max(3, Math.min(200, Math.round((64 * KB * 20) / length)))
  analyze(item)
  const out: Array<number> = []
  for (let r = 0; r < runs; r++) {
    const t0 = cpuMs()
    sink += analyze(item).record.length
    out.push(cpuMs() - t0)
  }
  return median(out)
}

const capped = makePipeline(defaultPipelineSettings, builtinLexicons)
const uncapped = makePipeline({ ...defaultPipelineSettings, maxAnalyzedChars: Number.POSITIVE_INFINITY }, builtinLexicons)

console.log(`CPU time per post against length (median; ratio = µs/KB ÷ µs/KB at 1 KB); default cap ${DEFAULT_MAX_ANALYZED_CHARS} chars`)
for (const [name, unit] of TEXTS) {
  console.log(`\n${name}`)
  console.log("  length   | no cap: ms/post   µs/KB  ratio | default cap: ms/post")
  let base = 0
  for (const length of LENGTHS) {
    const text = unit.repeat(Math.ceil(length / unit.length)).slice(0, length)
    const item = itemOf(text)
    const free = timeOne((i) => uncapped.analyze(i, ctx, now), item, length)
    const cap = timeOne((i) => capped.analyze(i, ctx, now), item, length)
    const perKb = (free * 1000) / (length / KB)
    if (length === KB) base = perKb
    const label = length >= 1024 * KB ? `${length / 1024 / KB} MB` : `${length / KB} KB`
    console.log(
      `  ${label.padStart(7)}  | ${free.toFixed(2).padStart(14)} ${perKb.toFixed(0).padStart(7)} ${(perKb / base).toFixed(2).padStart(6)} | ${cap.toFixed(2).padStart(12)}`
    )
  }
}
if (sink < 0) console.log(sink)

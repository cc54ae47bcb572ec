import { describe, expect, it } from "vitest"
import type { AnalyticsRecord, ErrorRecord, ItemRecord } from "../../../src/domain/records.ts"
import {
  builtinLexicons,
  compileLexicon,
  computeImpact,
  decodeLexiconBundle,
  defaultImpactSettings,
  defaultPipelineSettings,
  detectIntent,
  errorCategory,
  intentConfidence,
  makeLexiconSentimentAnalyzer,
  builtinClassifier,
  makePipeline,
  mergeText,
  normalizeText,
  riskLevel,
  scanText,
  type SentimentAnalyzer
} from "../../../src/domain/pipeline/index.ts"
import { context, makeItem, NOW } from "./fixtures.ts"

const lex = compileLexicon(builtinLexicons)
const pipeline = makePipeline(defaultPipelineSettings, builtinLexicons)
const analyzer = makeLexiconSentimentAnalyzer(builtinLexicons)
const clean = (text: string) => normalizeText(text, lex).cleanText
const sentiment = (text: string) => {
  const n = normalizeText(text, lex)
  return analyzer.analyze(n.cleanText, [], { emoji: n.cues })
}
const intentOf = (text: string) => {
  const n = normalizeText(text, lex)
  return detectIntent(scanText(n.cleanText, lex), n.hasPhone)
}
const analytics = (r: ItemRecord): AnalyticsRecord => {
  if (r.record !== "analytics") throw new Error(`expected analytics, got ${JSON.stringify(r)}`)
  return r
}
const error = (r: ItemRecord): ErrorRecord => {
  if (r.record !== "error") throw new Error("expected an error record")
  return r
}

describe("merge (§3.2)", () => {
  it("joins transcription, caption, title and the top comments by likes, trimmed of trailing punctuation", () => {
    const item = makeItem({
      content: { transcription: "Xin chào mọi người!", text: "Review VF8...", title: "VF8 có đáng mua?" },
      comments: [
        { text: "ít like", likes: 1 },
        { text: "nhiều like nhất!!", likes: 99 },
        { text: "thứ hai;", likes: 50 }
      ]
    })
    expect(mergeText(item, 2)).toBe("Xin chào mọi người. Review VF8. VF8 có đáng mua. nhiều like nhất. thứ hai")
  })
})

describe("normalise (§3.3)", () => {
  it("expands teencode only on whole words: 'k' inside 'kem' is untouched", () => {
    expect(clean("Kem này k tốt, mik thấy dc")).toBe("kem này không tốt, mình thấy được")
    expect(clean("kem chống nắng")).toBe("kem chống nắng")
  })
  it("removes URLs, turns #tag into tag, collapses whitespace and lower-cases", () => {
    expect(clean("Xem  https://example.com/x?a=1  #VinFast   NGAY")).toBe("xem vinfast ngay")
  })
  it("reads emoji and emoticons as cues, then removes them", () => {
    const n = normalizeText("Đẹp quá 😍😍 :)) ", lex)
    expect(n.cleanText).toBe("đẹp quá")
    expect([...n.cues].sort()).toEqual([":))", "😍", "😍"])
  })
  it("finds Vietnamese mobile numbers with separators", () => {
    expect(normalizeText("gọi 0912.345.678 nhé", lex).hasPhone).toBe(true)
    expect(normalizeText("gọi +84 912 345 678", lex).hasPhone).toBe(true)
    expect(normalizeText("giá 1.250.000.000 đồng", lex).hasPhone).toBe(false)
  })
})

describe("aspect keywords (§3.6)", () => {
  it("match whole words only: 'km' is found in '400 km' but not inside 'kmart' or 'kmh'", () => {
    const scan = (t: string) => scanText(clean(t), lex).matches.map((m) => m.key)
    expect(scan("đi được 400 km một lần sạc")).toContain("km")
    expect(scan("mua ở kmart, tốc độ 100kmh")).not.toContain("km")
  })
  it("are deduplicated, at most 30, sorted by score then keyword", () => {
    const r = analytics(pipeline.analyze(makeItem({
      content: { text: "Thiết kế đẹp, giá tốt, dịch vụ tốt, thiết kế sang trọng, pin trâu", hashtags: ["vinfast", "xedien"] }
    }), context, NOW))
    const keys = r.keywords.map((k) => k.keyword)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys.length).toBeLessThanOrEqual(30)
    const sorted = [...r.keywords].sort((a, b) => b.score - a.score || (a.keyword < b.keyword ? -1 : 1))
    expect(r.keywords).toEqual(sorted)
    expect(r.keywords).toContainEqual({ keyword: "xedien", aspect: "GENERAL", score: 0.3, source: "hashtag" })
  })
})

describe("sentiment (§3.7)", () => {
  it("a positive word is positive, a negated positive is negative ('không tốt')", () => {
    expect(sentiment("sản phẩm tốt").label).toBe("POSITIVE")
    expect(sentiment("sản phẩm không tốt").label).toBe("NEGATIVE")
    expect(sentiment("this car is not good").label).toBe("NEGATIVE")
    expect(sentiment("sp ko tốt").label).toBe("NEGATIVE")
  })
  it("intensifiers strengthen the opinion", () => {
    expect(sentiment("xe rất tốt").score).toBeGreaterThan(sentiment("xe tốt").score)
    expect(sentiment("xe tốt lắm").score).toBeGreaterThan(sentiment("xe tốt").score)
  })
  it("contrast weights the later clause", () => {
    expect(sentiment("xe đẹp nhưng pin yếu").label).toBe("NEGATIVE")
    expect(sentiment("pin yếu nhưng xe đẹp").label).toBe("POSITIVE")
    expect(sentiment("the design is ugly but the price is great").score).toBeGreaterThan(0)
  })
  it("emoji and emoticons count as cues", () => {
    expect(sentiment("mình vừa nhận xe").label).toBe("NEUTRAL")
    expect(sentiment("mình vừa nhận xe 😍😍").label).toBe("POSITIVE")
    expect(sentiment("mình vừa nhận xe 😡").label).toBe("NEGATIVE")
    expect(sentiment("mình vừa nhận xe :((").label).toBe("NEGATIVE")
  })
  it("works on unaccented spellings", () => {
    expect(sentiment("tuyet voi").label).toBe("POSITIVE")
    expect(sentiment("that vong qua").label).toBe("NEGATIVE")
  })
  it("scores in [-1,1], confidence in [0,1], probabilities summing to 1", () => {
    for (const t of ["tuyệt vời tuyệt vời tuyệt vời", "tệ tệ tệ tệ tệ", "xe đẹp nhưng đắt", "bình thường"]) {
      const r = sentiment(t)
      expect(Math.abs(r.score)).toBeLessThanOrEqual(1)
      expect(r.confidence).toBeGreaterThanOrEqual(0)
      expect(r.confidence).toBeLessThanOrEqual(1)
      const p = r.probabilities
      expect(p.POSITIVE + p.NEGATIVE + p.NEUTRAL).toBeCloseTo(1, 9)
    }
  })
  it("reads each aspect from its own clause", () => {
    const r = analytics(pipeline.analyze(makeItem({ content: { text: "Thiết kế rất đẹp nhưng giá quá cao" } }), context, NOW))
    expect(r.aspects_breakdown.DESIGN?.label).toBe("POSITIVE")
    expect(r.aspects_breakdown.PRICE?.label).toBe("NEGATIVE")
    expect(r.aspects_breakdown.PRICE?.mentions).toBe(1)
  })
})

describe("intent (§3.5)", () => {
  it("defaults to DISCUSSION with confidence 1.0", () => {
    expect(intentOf("hôm nay trời đẹp quá")).toEqual({ intent: "DISCUSSION", confidence: 1, matchedPatterns: 0 })
  })
  it("highest priority wins: CRISIS over COMPLAINT over LEAD over SUPPORT", () => {
    expect(intentOf("lừa đảo, thất vọng quá").intent).toBe("CRISIS")
    expect(intentOf("thất vọng, giá bao nhiêu").intent).toBe("COMPLAINT")
    expect(intentOf("giá bao nhiêu, bảo hành thế nào").intent).toBe("LEAD")
    expect(intentOf("bảo hành ở đâu").intent).toBe("SUPPORT")
  })
  it("ties at priority 9 go to SPAM before SEEDING: the spam topic decides, not the contact channel", () => {
    expect(intentOf("vay vốn nhanh liên hệ 0912345678").intent).toBe("SPAM")
    expect(intentOf("son chính hãng liên hệ 0912345678").intent).toBe("SEEDING")
    expect(intentOf("vay vốn nhanh").intent).toBe("SPAM")
  })
  it("confidence = min(0.5 + 0.1 × patterns matched, 1.0)", () => {
    expect(intentOf("tẩy chay").confidence).toBe(0.6)
    expect(intentOf("tẩy chay, lừa đảo, scam").confidence).toBe(0.8)
    expect(intentConfidence(3)).toBe(0.8)
    expect(intentConfidence(12)).toBe(1)
  })
  it("compound patterns: 'lỗi … chưa sửa' is a complaint, 'inbox … giá' is seeding", () => {
    expect(intentOf("xe bị lỗi màn hình mà hãng chưa sửa").intent).toBe("COMPLAINT")
    expect(intentOf("ib mình báo giá nhé").intent).toBe("SEEDING")
    expect(intentOf("zalo 0912 345 678").intent).toBe("SEEDING")
  })
})

describe("impact and risk (§3.8)", () => {
  const input = {
    views: 18000, likes: 839, comments: 36, shares: 93, saves: 469,
    followers: 204, isVerified: false, platform: "TIKTOK", sentiment: "NEUTRAL" as const
  }
  it("reproduces the worked example to 1e-9", () => {
    const r = computeImpact(input, defaultImpactSettings)
    expect(Math.abs(r.impact_breakdown.engagement_score - 2963)).toBeLessThan(1e-9)
    expect(Math.abs(r.impact_breakdown.reach_score - 2.311753861055754)).toBeLessThan(1e-9)
    expect(Math.abs(r.impact_score - 6.8497266903082)).toBeLessThan(1e-9)
    expect(r.risk_level).toBe("LOW")
    expect(r.is_viral).toBe(false)
    expect(r.is_kol).toBe(false)
  })
  it("applies verification, platform and sentiment multipliers and the 100 ceiling", () => {
    const yt = computeImpact({ ...input, platform: "YOUTUBE", isVerified: true, sentiment: "NEGATIVE" }, defaultImpactSettings)
    expect(yt.impact_breakdown.platform_multiplier).toBe(1.5)
    expect(yt.impact_breakdown.sentiment_amplifier).toBe(1.5)
    expect(yt.impact_breakdown.reach_score).toBeCloseTo(2.311753861055754 * 1.2, 12)
    expect(computeImpact({ ...input, platform: "MYSPACE" }, defaultImpactSettings).impact_breakdown.platform_multiplier).toBe(1)
    expect(computeImpact({ ...input, views: 1e12, followers: 1e7 }, defaultImpactSettings).impact_score).toBe(100)
    expect(computeImpact({ ...input, followers: 0 }, defaultImpactSettings).impact_score).toBe(0)
  })
  it("risk rules", () => {
    expect(riskLevel(70, "NEGATIVE", true)).toBe("CRITICAL")
    expect(riskLevel(70, "NEGATIVE", false)).toBe("HIGH")
    expect(riskLevel(69.9, "NEGATIVE", true)).toBe("MEDIUM")
    expect(riskLevel(40, "NEGATIVE", false)).toBe("MEDIUM")
    expect(riskLevel(39.9, "NEGATIVE", false)).toBe("LOW")
    expect(riskLevel(60, "POSITIVE", true)).toBe("MEDIUM")
    expect(riskLevel(95, "NEUTRAL", true)).toBe("MEDIUM")
    expect(riskLevel(59.9, "NEUTRAL", false)).toBe("LOW")
  })
})

describe("records (§3.1, §3.4, §3.9)", () => {
  it("a post becomes an analytics record with context fallbacks", () => {
    const r = analytics(pipeline.analyze(makeItem({
      meta: { crawled_at: null, keyword_source: "search", platform: "YOUTUBE" },
      content: { text: "Xe chạy rất êm, pin trâu, mình rất hài lòng", hashtags: ["vf8"] }
    }), context, NOW))
    expect(r).toMatchObject({
      id: "7312345678901234567", platform: "TIKTOK", crawled_at: context.event_time, keyword_source: "search",
      pipeline_version: "crawler-v2", job_id: context.job_id, analyzed_at: NOW, processing_time_ms: 0,
      brand_name: "VinFast", keyword: "VinFast VF8", batch_index: 1, project_id: context.project_id,
      overall_sentiment: "POSITIVE", is_skipped: false, hashtags: ["vf8"],
      model_version: `lexicon-vi-en@${builtinLexicons.version}+${builtinClassifier().version}`
    })
    expect(r.content_text).toBe("Xe chạy rất êm, pin trâu, mình rất hài lòng")
  })
  it("skipped posts have the §3.4 shape", () => {
    const item = makeItem({
      content: { text: "Vay vốn lãi suất thấp giải ngân trong ngày" },
      interaction: { views: 5000, likes: 10 }, author: { followers: 60000 }
    })
    const r = analytics(pipeline.analyze(item, context, NOW))
    expect(r).toMatchObject({
      is_skipped: true, overall_sentiment: "NEUTRAL", overall_sentiment_score: 0, overall_confidence: 0,
      sentiment_probabilities: { POSITIVE: 0, NEGATIVE: 0, NEUTRAL: 1 }, primary_intent: "SPAM",
      impact_score: 0, risk_level: "LOW", is_viral: false, aspects_breakdown: {}, keywords: [],
      view_count: 5000, like_count: 10, follower_count: 60000
    })
    const short = analytics(pipeline.analyze(makeItem({ content: { text: "vf8 à" } }), context, NOW))
    expect(short).toMatchObject({ is_skipped: true, overall_sentiment: "NEUTRAL", aspects_breakdown: {} })
    // Short with a plain opinion: analysed (§3.4), not skipped.
    const plain = analytics(pipeline.analyze(makeItem({ content: { text: "ok 👍" } }), context, NOW))
    expect(plain).toMatchObject({ is_skipped: false, overall_sentiment: "POSITIVE" })
    const rulesOnly = makePipeline({ ...defaultPipelineSettings, skipShortWithOpinion: true }, builtinLexicons)
    expect(analytics(rulesOnly.analyze(makeItem({ content: { text: "ok 👍" } }), context, NOW)).is_skipped).toBe(true)
  })
  it("error items map codes to categories per the §4 table", () => {
    const rec = (code: string | null) =>
      error(pipeline.analyze(makeItem({ meta: { fetch_status: "error", error_code: code, error_message: "boom", error_details: { a: 1 } } }), context, NOW))
    expect(rec("RATE_LIMITED")).toMatchObject({ error_code: "RATE_LIMITED", error_category: "rate_limiting", error_message: "boom", error_details: { a: 1 }, created_at: NOW, content_id: "7312345678901234567" })
    expect(rec("CONTENT_REMOVED").error_category).toBe("content")
    expect(rec("DNS_ERROR").error_category).toBe("network")
    expect(rec("INVALID_URL").error_category).toBe("parsing")
    expect(rec("MEDIA_TOO_LARGE").error_category).toBe("media")
    expect(rec("DATABASE_ERROR").error_category).toBe("storage")
    expect(rec("SOMETHING_NEW")).toMatchObject({ error_code: "SOMETHING_NEW", error_category: "generic" })
    expect(rec(null)).toMatchObject({ error_code: "UNKNOWN_ERROR", error_category: "generic" })
    expect(errorCategory("analytics_error")).toBe("processing")
  })
  it("a thrown defect inside the pipeline for one item becomes an ANALYTICS_ERROR record", () => {
    const throwing: SentimentAnalyzer = {
      modelVersion: "broken@0",
      analyze: () => {
        throw new Error("model exploded")
      }
    }
    const p = makePipeline(defaultPipelineSettings, builtinLexicons, throwing)
    const r = error(p.analyze(makeItem({ content: { text: "một bài viết đủ dài để phân tích" } }), context, NOW))
    expect(r).toMatchObject({ error_code: "ANALYTICS_ERROR", error_category: "processing", error_message: "model exploded", created_at: NOW })
    expect(p.analyze(makeItem({ content: { text: "vay vốn giải ngân nhanh" } }), context, NOW).record).toBe("analytics")
  })
  it("is deterministic: same input and now give deep-equal output", () => {
    const item = makeItem({
      content: { text: "Thiết kế đẹp nhưng giá cao 😍 #VinFast", hashtags: ["vinfast"] },
      comments: [{ text: "pin yếu quá", likes: 3 }, { text: "nhân viên tư vấn nhiệt tình", likes: 3 }],
      interaction: { views: 1000, likes: 50 }, author: { followers: 1000 }
    })
    const again = makePipeline(defaultPipelineSettings, builtinLexicons)
    expect(pipeline.analyze(item, context, NOW)).toEqual(again.analyze(item, context, NOW))
  })
})

describe("lexicon bundle", () => {
  it("the built-in bundle has at least 800 Vietnamese entries and 60 teencode entries", () => {
    expect(Object.keys(builtinLexicons.sentiment_vi.entries).length).toBeGreaterThanOrEqual(800)
    expect(Object.keys(builtinLexicons.teencode.entries).length).toBeGreaterThanOrEqual(60)
  })
  it("decodeLexiconBundle rejects a malformed bundle with a message naming the field", () => {
    const bad = { ...builtinLexicons, sentiment_vi: { version: "x", entries: { "tốt": 9 } } }
    expect(() => decodeLexiconBundle(bad)).toThrow(/sentiment_vi.*entries.*tốt/)
    const { intents: _, ...missing } = builtinLexicons
    expect(() => decodeLexiconBundle(missing)).toThrow(/intents/)
  })
})

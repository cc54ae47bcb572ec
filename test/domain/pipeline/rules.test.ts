/**
 * General linguistic rules added on top of the phrase lexicons (intent gating, negation,
 * grievance fallback, sentiment reversal, aspect scoring). Each test uses sentences written
 * for the rule, not sentences from the evaluation set.
 */
import { describe, expect, it } from "vitest"
import type { AnalyticsRecord, ItemRecord } from "../../../src/domain/records.ts"
import {
  builtinLexicons,
  compileLexicon,
  defaultPipelineSettings,
  detectIntent,
  isQuestion,
  makeLexiconSentimentAnalyzer,
  makePipeline,
  normalizeText,
  scanText
} from "../../../src/domain/pipeline/index.ts"
import { context, makeItem, NOW } from "./fixtures.ts"

const lex = compileLexicon(builtinLexicons)
/** The lexicon rules alone (§3.5, §3.7); the learned classifier is tested in model.test.ts. */
const pipeline = makePipeline({ ...defaultPipelineSettings, classifier: "rules" }, builtinLexicons)
const analyzer = makeLexiconSentimentAnalyzer(builtinLexicons)
const scan = (text: string) => scanText(normalizeText(text, lex).cleanText, lex)
const intentOf = (text: string) => {
  const n = normalizeText(text, lex)
  return detectIntent(scanText(n.cleanText, lex), n.hasPhone).intent
}
const sentiment = (text: string) => {
  const n = normalizeText(text, lex)
  return analyzer.analyze(n.cleanText, [], { emoji: n.cues })
}
const analytics = (r: ItemRecord): AnalyticsRecord => {
  if (r.record !== "analytics") throw new Error(`expected analytics, got ${JSON.stringify(r)}`)
  return r
}
const post = (text: string) => analytics(pipeline.analyze(makeItem({ content: { text } }), context, NOW))

describe("intent: a SUPPORT topic noun needs a question or request", () => {
  it("a SUPPORT noun without a question or request cue is not SUPPORT", () => {
    expect(intentOf("Nhân viên đại lý nhiệt tình, mình rất ưng")).toBe("DISCUSSION")
    expect(intentOf("Hãng vừa khai trương thêm 20 trạm sạc ở Hà Nội")).toBe("DISCUSSION")
    expect(intentOf("The warranty center near my house is clean and modern")).toBe("DISCUSSION")
    expect(intentOf("tong dai vien lich su lam")).toBe("DISCUSSION")
  })
  it("the same noun in a question or request is SUPPORT", () => {
    expect(intentOf("Đại lý gần nhất ở đâu vậy mọi người")).toBe("SUPPORT")
    expect(intentOf("cho mình hỏi bảo dưỡng lần đầu mất bao lâu")).toBe("SUPPORT")
    expect(intentOf("Does the warranty include the charger")).toBe("SUPPORT")
    expect(intentOf("Is the service center open on Sunday? Thanks")).toBe("SUPPORT")
  })
  it("a clause ending in a question particle, before vocatives, is a question", () => {
    expect(isQuestion(scan("bảo hành có đổi máy mới không shop"))).toBe(true)
    expect(isQuestion(scan("xe sửa xong chưa ạ"))).toBe(true)
    expect(isQuestion(scan("xe này không đẹp"))).toBe(false)
    expect(isQuestion(scan("không"))).toBe(false)
  })
  it("explicit how-to phrases are SUPPORT on their own", () => {
    expect(intentOf("How do I pair my phone with the car")).toBe("SUPPORT")
    expect(intentOf("cho em hỏi cách cài ứng dụng trên máy mới")).toBe("SUPPORT")
  })
})

describe("intent: complaints", () => {
  it("negated complaint words are not a COMPLAINT", () => {
    expect(intentOf("Hàng rẻ mà không hề kém chất lượng")).toBe("DISCUSSION")
    expect(intentOf("Dùng 2 năm chưa bao giờ thất vọng")).not.toBe("COMPLAINT")
    expect(intentOf("Hàng kém chất lượng")).toBe("COMPLAINT")
  })
  it("a refused grievance act stays a COMPLAINT ('không chịu đổi trả')", () => {
    expect(intentOf("shop không chịu đổi trả")).toBe("COMPLAINT")
  })
  it("cashback ('hoàn tiền') is not a complaint, a refund demand is", () => {
    expect(intentOf("Thẻ này hoàn tiền 5% khi mua sắm")).toBe("DISCUSSION")
    expect(intentOf("Mình đòi hoàn tiền 2 tuần rồi")).toBe("COMPLAINT")
  })
  it("grievance phrases without the old trigger words", () => {
    expect(intentOf("shop giao nhầm size cho mình")).toBe("COMPLAINT")
    expect(intentOf("nhắn mãi mà shop không rep")).toBe("COMPLAINT")
    expect(intentOf("Don't buy this charger")).toBe("COMPLAINT")
    expect(intentOf("The seller keeps ignoring me")).toBe("COMPLAINT")
    expect(intentOf("The dealer still hasn't fixed the door")).toBe("COMPLAINT")
    expect(intentOf("máy giặt hỏng 3 lần mà vẫn chưa sửa")).toBe("COMPLAINT")
  })
  it("a NEGATIVE post with a first-person experience cue is a low-confidence COMPLAINT", () => {
    const r = post("Mới mua được 2 tuần mà máy nóng kinh khủng, pin yếu")
    expect(r.overall_sentiment).toBe("NEGATIVE")
    expect(r.primary_intent).toBe("COMPLAINT")
    expect(r.intent_confidence).toBe(0.5)
  })
  it("without the experience cue, or when not negative, it stays DISCUSSION", () => {
    expect(post("Pin yếu kinh khủng, máy nóng").primary_intent).toBe("DISCUSSION")
    expect(post("Mới mua được 2 tuần, máy chạy mượt, pin trâu").primary_intent).toBe("DISCUSSION")
  })
})

describe("intent: crisis, lead and spam phrases", () => {
  it("ambiguous unaccented crisis phrases are dropped: 'xe chay' is 'xe chạy'", () => {
    expect(intentOf("xe chay rat em")).toBe("DISCUSSION")
    expect(intentOf("anh ay to cao dep trai")).toBe("DISCUSSION")
    expect(intentOf("xe bốc cháy trên cao tốc")).toBe("CRISIS")
  })
  it("English crisis, lead and support phrases", () => {
    expect(intentOf("Warning: fake dealer pages are taking deposits")).toBe("CRISIS")
    expect(intentOf("Where can I buy the blue one")).toBe("LEAD")
    expect(intentOf("What's the price of the long range version")).toBe("LEAD")
    expect(intentOf("Where is the nearest store")).toBe("LEAD")
  })
  it("loan and SIM spam, accented or not, is SPAM and trips the spam gate", () => {
    expect(intentOf("vay tin chap lai suat uu dai, chi can cccd")).toBe("SPAM")
    expect(intentOf("Personal loans approved in 5 minutes")).toBe("SPAM")
    expect(intentOf("SIM cards for sale, all networks")).toBe("SPAM")
    expect(post("Personal loans approved in 5 minutes, no credit check").is_skipped).toBe(true)
  })
  it("every spam-gate keyword except bare 'lãi suất' is also a SPAM pattern", () => {
    const spamPatterns = new Set(builtinLexicons.intents.intents.SPAM.patterns.filter((p) => typeof p === "string"))
    const missing = builtinLexicons.spam.keywords.filter((k) => !spamPatterns.has(k) && k !== "lãi suất" && k !== "lai suat")
    expect(missing).toEqual([])
  })
})

describe("sentiment rules", () => {
  it("'nhanh'/'fast' after a draining verb is negative, alone it is praise", () => {
    expect(sentiment("pin sụt nhanh").label).toBe("NEGATIVE")
    expect(sentiment("máy hao pin nhanh quá").label).toBe("NEGATIVE")
    expect(sentiment("the battery drains really fast").label).toBe("NEGATIVE")
    expect(sentiment("shop giao hàng nhanh").label).toBe("POSITIVE")
    expect(sentiment("pin tụt, nhưng sạc nhanh").label).toBe("POSITIVE")
  })
  it("'hay' before a fault means 'often', not 'good'", () => {
    expect(sentiment("xe hay lỗi").label).toBe("NEGATIVE")
    expect(sentiment("phim này hay").label).toBe("POSITIVE")
  })
  it("negative idioms and English phrases", () => {
    for (const t of ["mùi hắc quá", "ăn vài miếng là ngán", "nhìn hơi kỳ", "màu này không hợp mắt", "trả lời cộc lốc", "not impressed", "the case breaks easily"]) {
      expect(sentiment(t).label, t).toBe("NEGATIVE")
    }
  })
  it("'I'd like to buy' is a wish, not praise", () => {
    expect(sentiment("I'd like to buy two").label).toBe("NEUTRAL")
  })
})

describe("aspect rules", () => {
  it("'hơi' softens but does not cancel: a contrast weighs the overall score, not the aspect's own clause", () => {
    const r = post("Tuy giá hơi đắt nhưng dịch vụ rất tốt")
    expect(r.aspects_breakdown.PRICE?.label).toBe("NEGATIVE")
    expect(r.aspects_breakdown.SERVICE?.label).toBe("POSITIVE")
    expect(r.overall_sentiment).toBe("POSITIVE")
  })
  it("implied aspects: adjectives and everyday nouns name their aspect", () => {
    expect(post("Chiếc váy này đẹp lắm").aspects_breakdown.DESIGN?.label).toBe("POSITIVE")
    expect(post("Mạng ở quê yếu kinh khủng").aspects_breakdown.PERFORMANCE?.label).toBe("NEGATIVE")
    expect(post("Phanh ăn, đi rất êm").aspects_breakdown.PERFORMANCE?.label).toBe("POSITIVE")
    expect(post("The fees are ridiculous").aspects_breakdown.PRICE?.label).toBe("NEGATIVE")
    expect(post("Gói cước này hời thật").aspects_breakdown.PRICE?.label).toBe("POSITIVE")
  })
})

describe("lexicon terms are keyed the way the text is normalised", () => {
  it("an unaccented term whose words are teencode keys ('khong', 'duoc') still matches", () => {
    // The text "khong hai long" is normalised to "không hai long"; the term must be too.
    expect(intentOf("Mua xong khong hai long chut nao")).toBe("COMPLAINT")
    expect(scan("khong hai long").matches.some((m) => m.key === "không hai long")).toBe(true)
  })
  it("a variant spelling never overrides the valence of the canonical one", () => {
    // "thanks" expands to "cảm ơn"; the Vietnamese entry keeps its own weight.
    expect(lex.phrases.get("cảm ơn")?.valence).toBe(builtinLexicons.sentiment_vi.entries["cảm ơn"])
  })
  it("compound intent parts are keyed the same way", () => {
    const test = { ...builtinLexicons, intents: { ...builtinLexicons.intents, intents: { ...builtinLexicons.intents.intents,
      LEAD: { priority: 5, patterns: [{ all: ["khong", "ship"] as [string, ...Array<string>], within: 3 }] } } } }
    const l = compileLexicon(test)
    const n = normalizeText("ko ship được à", l)
    expect(detectIntent(scanText(n.cleanText, l), n.hasPhone).intent).toBe("LEAD")
  })
})

describe("sentiment: praise inside a question is what is asked about", () => {
  it("a positive word in a clause that asks does not count", () => {
    expect(sentiment("Mọi người gợi ý giúp con nào tốt không").label).toBe("NEUTRAL")
    expect(sentiment("mua loại kem này ở đâu rẻ nhỉ").label).toBe("NEUTRAL")
    expect(sentiment("Is the new model any good?").label).toBe("NEUTRAL")
  })
  it("praise in its own clause still counts, and blame phrased as a question still counts", () => {
    expect(sentiment("Áo đẹp quá, mua ở đâu vậy ạ?").label).toBe("POSITIVE")
    expect(sentiment("Sao app lại tệ thế này?").label).toBe("NEGATIVE")
  })
})

describe("intent: a complaint or support word in a positive review", () => {
  it("a POSITIVE post is not a COMPLAINT, nor SUPPORT when it asks nothing", () => {
    expect(post("Đổi trả ở cửa hàng này nhanh gọn, rất hài lòng").primary_intent).toBe("DISCUSSION")
    expect(post("Nhân viên hướng dẫn cài đặt rất tận tình, cảm ơn nhiều").primary_intent).toBe("DISCUSSION")
  })
  it("a support question stays SUPPORT even when polite", () => {
    expect(post("Cho mình hỏi cách cài ứng dụng với ạ, cảm ơn nhiều").primary_intent).toBe("SUPPORT")
  })
})

describe("aspect rules: implied aspects", () => {
  const aspectsOf = (text: string) => {
    const r = post(text)
    return Object.fromEntries(Object.entries(r.aspects_breakdown).map(([k, v]) => [k, v?.label]))
  }
  it("an implied aspect inside a longer phrase of another aspect is not reported", () => {
    // "giao nhanh" is SERVICE; the "nhanh"/"chậm" inside it does not add PERFORMANCE.
    const keys = post("Cửa hàng giao chậm ghê, hai tuần mới tới").keywords.map((k) => k.aspect)
    expect(keys).toContain("SERVICE")
    expect(keys).not.toContain("PERFORMANCE")
  })
  it("an opinion word that implies its aspect is read by itself, not with the clause's other opinions", () => {
    expect(aspectsOf("Máy nhìn sang trọng mà chạy chậm rì")).toMatchObject({ DESIGN: "POSITIVE", PERFORMANCE: "NEGATIVE" })
    expect(aspectsOf("Điện thoại này không hề chậm, pin trâu")).toMatchObject({ PERFORMANCE: "POSITIVE" })
  })
})

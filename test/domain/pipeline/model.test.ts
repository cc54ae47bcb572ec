import { describe, expect, it } from "vitest"
import {
  builtinClassifier,
  builtinLexicons,
  compileLexicon,
  decodeClassifier,
  defaultPipelineSettings,
  featureSlots,
  makePipeline,
  stripDiacritics
} from "../../../src/domain/pipeline/index.ts"
import classifierFile from "../../../data/model/classifier.json" with { type: "json" }
import type { AnalyticsRecord, ItemRecord } from "../../../src/domain/records.ts"
import { aspectWindows } from "../../../src/domain/pipeline/aspectPolarity.ts"
import { scoreSlots, scoreWords } from "../../../src/domain/pipeline/model.ts"
import { normalizeAndTokenize, scanText } from "../../../src/domain/pipeline/index.ts"
import { context, makeItem, NOW } from "./fixtures.ts"

const analytics = (r: ItemRecord): AnalyticsRecord => {
  if (r.record !== "analytics") throw new Error(`expected an analytics record, got ${JSON.stringify(r)}`)
  return r
}

const combined = makePipeline(defaultPipelineSettings, builtinLexicons)
const rules = makePipeline({ ...defaultPipelineSettings, classifier: "rules" }, builtinLexicons)
const run = (p: typeof combined, text: string) => analytics(p.analyze(makeItem({ content: { text } }), context, NOW))

describe("learned classifier (contract §3.4)", () => {
  it("the weights file is schema-checked: a bad file is refused with a message", () => {
    expect(() => decodeClassifier({ ...classifierFile, buckets: 1000 })).toThrow(/buckets/)
    expect(() => decodeClassifier({ ...classifierFile, intent: { ...classifierFile.intent, classes: ["DISCUSSION"] } })).toThrow(/intent/)
    expect(() => decodeClassifier({ ...classifierFile, sentiment: { ...classifierFile.sentiment, rows: [[-1, 0, 0, 0]] } })).toThrow(/bad row/)
    expect(() => decodeClassifier({ ...classifierFile, aspect_polarity: { ...classifierFile.aspect_polarity, classes: ["POSITIVE", "NEGATIVE"] } })).toThrow(/aspect_polarity/)
    expect(() => decodeClassifier({ ...classifierFile, aspect_polarity: { ...classifierFile.aspect_polarity, rows: [[5, 1, 2]] } })).toThrow(/aspect_polarity: bad row/)
    const { aspect_polarity: _, ...withoutPolarity } = classifierFile
    expect(() => decodeClassifier(withoutPolarity)).toThrow(/aspect_polarity/)
    expect(builtinClassifier().version).toBe(classifierFile.version)
  })
  it("features ignore diacritics for matching but keep the accented word as well", () => {
    expect(stripDiacritics("giao hàng chậm đâu")).toBe("giao hang cham dau")
    const input = (words: Array<string>) => ({ words, cues: [], question: false, phone: false })
    const accented = featureSlots(input(["giao", "hàng", "chậm"]), 1 << 16)
    const plain = featureSlots(input(["giao", "hang", "cham"]), 1 << 16)
    for (const slot of plain) expect(accented).toContain(slot)
    expect(accented.length).toBeGreaterThan(plain.length)
  })
  it("a complaint told as a story, without a complaint phrase, is a COMPLAINT; the rules alone call it DISCUSSION", () => {
    const text = "Mua cái máy xay sinh tố về dùng được 4 hôm thì mô tơ kêu khét rồi tắt hẳn, mang ra cửa hàng thì bảo phải gửi hãng 3 tuần"
    expect(run(rules, text).primary_intent).toBe("DISCUSSION")
    expect(run(combined, text)).toMatchObject({ primary_intent: "COMPLAINT", overall_sentiment: "NEGATIVE" })
  })
  it("model_version names the lexicon and the classifier; the rules-only mode names the lexicon alone", () => {
    expect(combined.modelVersion).toBe(`lexicon-vi-en@${builtinLexicons.version}+${builtinClassifier().version}`)
    expect(rules.modelVersion).toBe(`lexicon-vi-en@${builtinLexicons.version}`)
  })
  it("short posts with a plain opinion are analysed, not skipped (§3.4)", () => {
    expect(run(combined, "chán")).toMatchObject({ is_skipped: false, overall_sentiment: "NEGATIVE" })
    expect(run(combined, "đỉnh 🔥")).toMatchObject({ is_skipped: false, overall_sentiment: "POSITIVE" })
  })
  it("a bare spam keyword in a genuine bank complaint does not skip the post (§3.4)", () => {
    const r = run(combined, "Lãi suất thẻ tín dụng bị tính sai 2 tháng liền, gọi tổng đài mãi không ai xử lý, quá bực")
    expect(r).toMatchObject({ is_skipped: false, overall_sentiment: "NEGATIVE" })
    expect(r.primary_intent).not.toBe("SPAM")
  })
  it("is deterministic and its scores are the same after a re-decode", () => {
    const again = makePipeline(defaultPipelineSettings, builtinLexicons, undefined, decodeClassifier(classifierFile))
    const item = makeItem({ content: { text: "Shop giao sai màu, nhắn tin không trả lời, chán thật 😡" } })
    expect(again.analyze(item, context, NOW)).toEqual(combined.analyze(item, context, NOW))
  })

  it("an aspect's window stops at a contrast word: each side of 'nhưng' is read for its own aspect", () => {
    const lex = compileLexicon(builtinLexicons)
    const { normalized, tokens } = normalizeAndTokenize("Màn hình to đẹp nhưng loa nghe rè", lex)
    const windows = aspectWindows(scanText(normalized.cleanText, lex, tokens))
    expect(windows.get("DESIGN")).toMatchObject({ near: ["màn", "hình", "to", "đẹp"], beforeContrast: true, afterContrast: false })
    expect(windows.get("PERFORMANCE")).toMatchObject({ near: ["loa", "nghe", "rè"], beforeContrast: false, afterContrast: true })
  })
  it("the polarity head gives each aspect of a contrast post its own polarity, the one before 'nhưng' too", () => {
    const withHead = run(combined, "Màn hình to đẹp nhưng loa nghe rè").aspects_breakdown
    expect(withHead.DESIGN?.label).toBe("POSITIVE")
    expect(withHead.PERFORMANCE?.label).toBe("NEGATIVE")
    const staff = run(combined, "Nhân viên nhiệt tình nhưng giá hơi cao").aspects_breakdown
    expect(staff.SERVICE?.label).toBe("POSITIVE")
    expect(staff.PRICE?.label).toBe("NEGATIVE")
  })
  it("an aspect's score stays inside its label's band and its confidence is a probability", () => {
    for (const a of Object.values(run(combined, "Giá rẻ nhưng nhân viên phục vụ quá chậm").aspects_breakdown)) {
      if (a === undefined) continue
      if (a.label === "POSITIVE") expect(a.score).toBeGreaterThan(0.25)
      if (a.label === "NEGATIVE") expect(a.score).toBeLessThan(-0.25)
      expect(a.confidence).toBeGreaterThan(0)
      expect(a.confidence).toBeLessThanOrEqual(1)
    }
  })
})

describe("the pipeline's feature path (interned tokens)", () => {
  it("scores what training's features (featureSlots) score, bit for bit, for any bucket count", () => {
    const lex = compileLexicon(builtinLexicons)
    const texts = [
      "Xe đẹp quá :) 😍 ko tệ, xem https://example.com/x #vinfast gọi 0912.345.678? Pin yếu nhưng giá rẻ!",
      "giao hang cham, shop ko tra loi tin nhan, mn dung mua nha",
      "Sạc chậm quá, trạm sạc còn ít. Đừng mua, lỗi vặt nhiều lắm",
      "great phone but the battery drains fast, don't buy",
      "dc nha, sp ok lắm, giá hợp lý, mn ủng hộ shop nhé"
    ]
    const model = builtinClassifier()
    // The same weights under other bucket counts: only the slots change.
    for (const classifier of [model, { ...model, buckets: 1 << 12, index: model.index.subarray(0, 1 << 12) }, model]) {
      for (const text of texts) {
        const { normalized, tokens, infos } = normalizeAndTokenize(text, lex)
        expect(infos?.list.map((i) => i.word)).toEqual(tokens.words)
        for (const question of [false, true]) {
          const fast = scoreWords(classifier, infos?.list ?? [], normalized.cues, question, normalized.hasPhone)
          const slots = featureSlots({ words: tokens.words, cues: normalized.cues, question, phone: normalized.hasPhone }, classifier.buckets)
          const reference = scoreSlots(classifier, slots)
          expect(Array.from(fast).map((x) => x.toString())).toEqual(Array.from(reference).map((x) => x.toString()))
        }
      }
    }
  })
})

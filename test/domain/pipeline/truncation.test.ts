/**
 * The analysed-length cap (`PREPROCESSOR_MAX_ANALYZED_CHARS`): a post longer than the cap is
 * analysed on its first part only, stored whole, and its record says so. No timing here: the
 * pipeline's linearity is shown by `npm run bench:length`.
 */
import { describe, expect, it } from "vitest"
import type { AnalyticsRecord, ItemRecord } from "../../../src/domain/records.ts"
import {
  analyzedPart,
  builtinLexicons,
  DEFAULT_MAX_ANALYZED_CHARS,
  defaultPipelineSettings,
  makePipeline,
  mergeText
} from "../../../src/domain/pipeline/index.ts"
import { context, makeItem, NOW } from "./fixtures.ts"

const analytics = (r: ItemRecord): AnalyticsRecord => {
  if (r.record !== "analytics") throw new Error(`expected analytics, got ${JSON.stringify(r).slice(0, 300)}`)
  return r
}
const withCap = (maxAnalyzedChars: number) => makePipeline({ ...defaultPipelineSettings, maxAnalyzedChars }, builtinLexicons)
const post = (text: string, cap: number) => analytics(withCap(cap).analyze(makeItem({ content: { text } }), context, NOW))
/** The record without the fields that differ between a post and its analysed prefix. */
const analysis = (r: AnalyticsRecord) => {
  const { content_text: _text, analyzed_text_truncated: _flag, ...rest } = r
  return rest
}

const praise = "xe chạy êm, thiết kế rất đẹp. "
const blame = "pin yếu quá, dịch vụ tệ, thất vọng ghê, giá đắt. "

describe("analysed-length cap", () => {
  it("defaults to 20 000 characters", () => {
    expect(DEFAULT_MAX_ANALYZED_CHARS).toBe(20_000)
    expect(defaultPipelineSettings.maxAnalyzedChars).toBe(20_000)
  })

  it("a post within the cap is analysed whole and not flagged", () => {
    const text = praise.repeat(10) + blame.repeat(30)
    const r = post(text, text.length)
    expect(r.analyzed_text_truncated).toBe(false)
    expect(r.content_text).toBe(mergeText(makeItem({ content: { text } }), 5))
    expect(r.overall_sentiment).toBe("NEGATIVE")
  })

  it("a longer post: only its start is analysed, the whole text is stored, the record says truncated", () => {
    const head = praise.repeat(40)
    const text = head + blame.repeat(200)
    const cap = head.length
    const r = post(text, cap)
    expect(r.analyzed_text_truncated).toBe(true)
    // Stored whole (mergeText only trims the end), not cut to the cap.
    expect(r.content_text).toBe(mergeText(makeItem({ content: { text } }), 5))
    expect(r.content_text.length).toBeGreaterThan(cap * 5)
    // The complaint after the cap is not analysed: the result is that of the head alone.
    expect(r.overall_sentiment).toBe("POSITIVE")
    expect(r.keywords.map((k) => k.keyword)).not.toContain("dịch vụ")
    expect(analysis(r)).toEqual(analysis(post(head, Number.POSITIVE_INFINITY)))
    // Without the cap the same post is read whole.
    const whole = post(text, Number.POSITIVE_INFINITY)
    expect(whole.analyzed_text_truncated).toBe(false)
    expect(whole.overall_sentiment).toBe("NEGATIVE")
  })

  it("the cap counts the merged text: comments past it are stored but not analysed", () => {
    const item = makeItem({
      content: { text: praise.repeat(5).trim() },
      comments: [{ text: blame.repeat(20).trim(), likes: 3 }]
    })
    const merged = mergeText(item, 5)
    const r = analytics(withCap(praise.length * 5).analyze(item, context, NOW))
    expect(r.content_text).toBe(merged)
    expect(r.analyzed_text_truncated).toBe(true)
    expect(r.overall_sentiment).toBe("POSITIVE")
  })

  it("a 200 KB post completes with the default cap, flagged, stored whole", () => {
    const text = "pin yếu quá nhưng giá rẻ ".repeat(8192)
    expect(text.length).toBeGreaterThan(200_000)
    const r = analytics(makePipeline(defaultPipelineSettings, builtinLexicons).analyze(makeItem({ content: { text } }), context, NOW))
    expect(r.analyzed_text_truncated).toBe(true)
    expect(r.content_text).toBe(text.trim())
    expect(r.is_skipped).toBe(false)
  })
})

describe("analyzedPart", () => {
  it("keeps text within the limit as is", () => {
    expect(analyzedPart("abc def", 7)).toEqual({ text: "abc def", truncated: false })
  })

  it("cuts at the last whitespace before the limit, so no word is cut in half", () => {
    expect(analyzedPart("một hai ba bốn", 12)).toEqual({ text: "một hai ba", truncated: true })
  })

  it("cuts at the limit when there is no whitespace near it", () => {
    const word = "a".repeat(200)
    expect(analyzedPart(word, 100)).toEqual({ text: "a".repeat(100), truncated: true })
  })

  it("never splits a surrogate pair", () => {
    const text = "x".repeat(99) + "😍".repeat(10)
    const part = analyzedPart(text, 100)
    expect(part.truncated).toBe(true)
    expect(part.text).toBe("x".repeat(99))
    expect(analyzedPart(text, 101).text).toBe("x".repeat(99) + "😍")
  })
})

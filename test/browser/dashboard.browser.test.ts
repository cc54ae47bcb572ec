/// <reference lib="dom" />
import { Effect, Layer, ManagedRuntime } from "effect"
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { AnalyticsRecord } from "../../src/domain/records.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { ReadServer, readServerLayer } from "../api/harness.ts"
import { sevenPosts } from "../contracts/analyticsQueries.contract.ts"
import { analyticsRecord, errorRecord, ledgerEntry } from "../support/records.ts"
import { testSettings } from "../support/testServices.ts"

/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against `serve` on seeded data. Without the browser these tests fail: install it with
 * `apt-get install -y chromium` (or point CHROMIUM_PATH at one).
 */
const CHROMIUM = testSettings.chromium.value
const ARTIFACTS = join(process.cwd(), "test-artifacts")
const P = "0b0b0b0b-0000-4000-8000-000000000001"
const TOKEN = "browser-test-token-0123456789"

/** Seven hand-made posts plus 53 generated ones: 59 with a published_at, so 3 pages of 25. */
const generated = (): ReadonlyArray<AnalyticsRecord> =>
  Array.from({ length: 53 }, (_, i) => {
    const sentiment = (["POSITIVE", "NEGATIVE", "NEUTRAL"] as const)[i % 3] ?? "NEUTRAL"
    return analyticsRecord({
      id: `g${String(i).padStart(3, "0")}`,
      project_id: P,
      platform: i % 4 === 0 ? "YOUTUBE" : "TIKTOK",
      // Pairs share an instant, so pages break inside ties.
      published_at: new Date(Date.parse("2025-12-01T00:00:00Z") + Math.floor(i / 2) * 3 * 3_600_000).toISOString(),
      overall_sentiment: sentiment,
      overall_sentiment_score: sentiment === "NEGATIVE" ? -0.6 : sentiment === "POSITIVE" ? 0.6 : 0,
      risk_level: i % 11 === 0 ? "HIGH" : "LOW",
      primary_intent: i % 5 === 0 ? "COMPLAINT" : "DISCUSSION",
      impact_score: 5 + (i % 17),
      content_text: `Bài viết số ${i}: xe điện VinFast — trải nghiệm lái thử ở Hà Nội`,
      permalink: `https://www.tiktok.com/@khach/video/${9_000 + i}`
    })
  })

const seeded = Effect.gen(function*() {
  const repo = yield* AnalyticsRepository
  yield* repo.writeBatch({
    ledger: ledgerEntry({ object_path: "crawl-results/tiktok/browser/batch_000.json", project_id: P, expected_size: 60, actual_size: 62, stored_count: 60, error_count: 2 }),
    analytics: [...sevenPosts(P), ...generated()],
    errors: [errorRecord({ project_id: P, content_id: "e1" }), errorRecord({ project_id: P, content_id: "e2", error_category: "network" })]
  })
  yield* repo.recordFailedBatch(ledgerEntry({ object_path: "crawl-results/tiktok/browser/batch_001.json", project_id: P, status: "failed", failure_reason: "invalid JSON", actual_size: 0, stored_count: 0, error_count: 0 }))
})

const launch = async (): Promise<{ context: BrowserContext; dir: string }> => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`)
  }
  const dir = mkdtempSync(join(tmpdir(), "smap-chromium-"))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1366, height: 900 },
    locale: "vi-VN",
    timezoneId: "Asia/Ho_Chi_Minh"
  })
  return { context, dir }
}

/** A page that records console errors and uncaught exceptions. */
const watched = async (context: BrowserContext) => {
  const page = await context.newPage()
  const errors: Array<string> = []
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()) })
  page.on("pageerror", (e) => errors.push(String(e)))
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`))
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`) })
  return { page, errors }
}

const ready = (page: Page) => page.waitForSelector("body[data-ready=true]", { timeout: 20_000 })

const postIds = (page: Page) => page.$$eval("#posts tbody tr[data-post-id]", (rows) => rows.map((r) => r.getAttribute("data-post-id") ?? ""))

/** Non-transparent pixels on a canvas: a drawn chart has thousands. */
const inkOf = (page: Page, id: string) =>
  page.$eval(`#${id}`, (c) => {
    const canvas = c as HTMLCanvasElement
    const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray()
    let ink = 0
    for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) ink += 1
    return ink
  })

describe.each([
  { auth: false },
  { auth: true }
])("dashboard in Chromium (token: $auth)", ({ auth }) => {
  let runtime: ManagedRuntime.ManagedRuntime<ReadServer, unknown>
  let url = ""
  let browser: { context: BrowserContext; dir: string }

  beforeAll(async () => {
    runtime = ManagedRuntime.make(Layer.effectDiscard(seeded).pipe(Layer.provideMerge(readServerLayer(auth ? TOKEN : null))))
    url = (await runtime.runPromise(Effect.service(ReadServer))).url
    browser = await launch()
  }, 120_000)

  afterAll(async () => {
    await browser?.context.close()
    if (browser !== undefined) rmSync(browser.dir, { recursive: true, force: true })
    await runtime?.dispose()
  })

  const open = async () => {
    const w = await watched(browser.context)
    await w.page.goto(`${url}/#/projects/${P}`)
    if (auth) {
      await w.page.waitForSelector("#auth:not([hidden])")
      await w.page.fill("#token", TOKEN)
      await w.page.press("#token", "Enter")
    }
    await ready(w.page)
    // The token prompt's 401s are expected; nothing else may be logged.
    const unexpected = () => w.errors.filter((e) => !(auth && /401/.test(e)))
    return { ...w, unexpected }
  }

  if (!auth) {
    it("the project page loads without console errors, draws its charts and shows Vietnamese text", async () => {
      const { page, unexpected } = await open()
      for (const id of ["trend-chart", "intent-chart", "aspect-chart"]) {
        expect(await page.getAttribute(`#${id}`, "data-drawn"), id).toBe("true")
        expect(await inkOf(page, id), id).toBeGreaterThan(500)
      }
      expect(await page.textContent("#summary")).toContain("Posts60")
      expect(await page.$$eval("#crisis > li", (l) => l.length)).toBeGreaterThan(3)
      expect(await page.textContent("#crisis")).toContain("risk CRITICAL")
      expect(await page.textContent("#keywords")).toContain("thiết kế")
      expect(await page.textContent("#health")).toContain("Dead-lettered1")
      const cell = await page.$$eval("#posts td.text", (cells) => cells.map((c) => c.textContent))
      expect(cell).toContain("Bài viết số 52: xe điện VinFast — trải nghiệm lái thử ở Hà Nội")
      // Links open the original post.
      const href = await page.getAttribute("#posts tbody tr[data-post-id=g052] a", "href")
      expect(href).toBe("https://www.tiktok.com/@khach/video/9052")
      expect(await page.getAttribute("#posts tbody tr[data-post-id=g052] a", "rel")).toBe("noopener noreferrer")
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true })
      expect(unexpected()).toEqual([])
      await page.close()
    }, 60_000)

    it("pagination walks every post exactly once, by keyboard", async () => {
      const { page, unexpected } = await open()
      const seen: Array<string> = [...await postIds(page)]
      let pages = 1
      while (!(await page.isDisabled("#next-page")) && pages < 10) {
        await page.focus("#next-page")
        const before = await page.textContent("#posts-status")
        await page.keyboard.press("Enter")
        await page.waitForFunction((b) => document.querySelector("#posts-status")?.textContent !== b, before)
        seen.push(...await postIds(page))
        pages += 1
      }
      expect(pages).toBe(3)
      expect(seen.length).toBe(59)
      expect(new Set(seen).size).toBe(59)
      const expected = [...sevenPosts(P), ...generated()].filter((p) => p.published_at !== null).map((p) => p.id).sort()
      expect([...seen].sort()).toEqual(expected)
      expect(unexpected()).toEqual([])
      await page.close()
    }, 60_000)

    it("filters change the table: sentiment, platform, text search (keyboard) and a top keyword", async () => {
      const { page, unexpected } = await open()
      const apply = async (change: () => Promise<void>) => {
        const before = await page.getAttribute("#posts", "data-renders")
        await change()
        await page.waitForFunction((b) => document.querySelector("#posts")?.getAttribute("data-renders") !== b, before)
      }
      await apply(async () => {
        await page.selectOption("#filters select[name=sentiment]", "NEGATIVE")
        await page.selectOption("#filters select[name=platform]", "YOUTUBE")
        await page.click("#filters button[type=submit]")
      })
      const negativeYoutube = await page.$$eval("#posts tbody tr[data-post-id]", (rows) => rows.map((r) => [r.children[1]?.textContent, r.children[4]?.textContent]))
      expect(negativeYoutube.length).toBeGreaterThan(0)
      for (const [platform, sentiment] of negativeYoutube) {
        expect(platform).toBe("YOUTUBE")
        expect(sentiment).toBe("NEGATIVE")
      }
      await apply(() => page.click("#filters button[type=reset]"))
      expect((await postIds(page)).length).toBe(25)
      await apply(async () => {
        await page.focus("#filters input[name=q]")
        await page.keyboard.type("GIÁ CAO")
        await page.keyboard.press("Enter")
      })
      expect(await postIds(page)).toEqual(["2"])
      await page.fill("#filters input[name=q]", "")
      await apply(() => page.click("#keywords button[data-keyword='dịch vụ']"))
      expect(await postIds(page)).toEqual(["2"])
      expect(await page.inputValue("#filters input[name=keyword]")).toBe("dịch vụ")
      expect(unexpected()).toEqual([])
      await page.close()
    }, 60_000)

    it("is readable on a phone: nothing wider than the screen but the tables' own scroll areas", async () => {
      const page = await browser.context.newPage()
      await page.setViewportSize({ width: 390, height: 844 })
      await page.goto(`${url}/#/projects/${P}`)
      await ready(page)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow).toBeLessThanOrEqual(0)
      expect(await inkOf(page, "trend-chart")).toBeGreaterThan(500)
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true })
      await page.close()
    }, 60_000)

    it("the project list links to the project; the API reference page renders", async () => {
      const { page, unexpected } = await watched(browser.context).then((w) => ({ ...w, unexpected: () => w.errors }))
      await page.goto(`${url}/`)
      // One project: the list opens it.
      await page.waitForURL(`${url}/#/projects/${P}`)
      await ready(page)
      await page.goto(`${url}/docs`)
      await page.waitForFunction(() => (document.body.textContent ?? "").includes("SMAP Analytics read API"), null, { timeout: 20_000 })
      expect(unexpected()).toEqual([])
      await page.close()
    }, 60_000)
  } else {
    it("asks for the token, then loads the project with it", async () => {
      const { page, unexpected } = await open()
      expect(await page.getAttribute("#trend-chart", "data-drawn")).toBe("true")
      expect((await postIds(page)).length).toBe(25)
      expect(unexpected()).toEqual([])
      await page.close()
    }, 60_000)
  }
})

import { createHash } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventFor, PROJECT_ID, rawBatch } from "../support/crawlerBatch.ts"
import { makeWorld, waitFor, type World } from "./harness.ts"

/**
 * One giant post must not stall the service (the defect: a 200 KB post blocked the consumer for
 * minutes, `/healthz` stopped answering, the broker dropped the connection). A batch holding a
 * 2 MB post goes through the real `consume` process while `/healthz` is probed every 100 ms:
 * every probe must answer within a second, and the post must end stored whole, flagged as
 * analysed on its first part only.
 */
const PROBE_EVERY_MS = 100
const PROBE_TIMEOUT_MS = 1000
const GIANT_CHARS = 2 * 1024 * 1024
const GIANT_ID = "7576276451171899999"

describe("a 2 MB post, end to end", () => {
  let world: World
  beforeAll(async () => {
    world = await makeWorld()
    world.startConsumer("node")
    await waitFor("readiness", async () => (await world.ready()) === 200, 60_000)
  }, 120_000)
  afterAll(async () => {
    await world?.close()
  }, 60_000)

  it("is stored whole and flagged truncated while /healthz answers every probe within a second", async () => {
    const unit = "pin yếu quá nhưng giá rẻ "
    const giantText = unit.repeat(Math.ceil(GIANT_CHARS / unit.length)).slice(0, GIANT_CHARS)
    const batch = rawBatch(20)
    const giant = batch[7] as { meta: Record<string, unknown>; content: Record<string, unknown>; comments: Array<unknown> }
    giant.meta["id"] = GIANT_ID
    giant.content["text"] = giantText
    giant.content["transcription"] = null
    giant.comments = [] // so that the stored text is exactly the post's text
    const key = `tiktok/${PROJECT_ID}/brand/giant_post.json`
    await world.upload(key, batch)

    interface Probe { readonly at: number; readonly ms: number; readonly ok: boolean; readonly detail: string }
    const probes: Array<Probe> = []
    let probing = true
    const started = performance.now()
    const prober = (async () => {
      while (probing) {
        const t0 = performance.now()
        let ok = false
        let detail = ""
        try {
          const response = await fetch(`http://127.0.0.1:${world.env["METRICS_PORT"]}/healthz`, {
            signal: AbortSignal.timeout(PROBE_TIMEOUT_MS)
          })
          ok = response.status === 200
          detail = `status ${response.status}`
          await response.arrayBuffer()
        } catch (e) {
          detail = String(e)
        }
        const ms = performance.now() - t0
        probes.push({ at: Math.round(t0 - started), ms: Math.round(ms), ok, detail })
        await new Promise((r) => setTimeout(r, Math.max(0, PROBE_EVERY_MS - ms)))
      }
    })()

    let notStored: unknown = null
    try {
      await world.publish(eventFor(`${world.bucket}/${key}`, { content_count: 20 }))
      await waitFor(
        "the giant batch stored",
        async () =>
          Number((await world.query<{ n: string }>(
            "SELECT count(*)::text AS n FROM batch_ledger WHERE status = 'completed'"
          ))[0]?.n ?? "0") === 1,
        60_000
      )
    } catch (e) {
      notStored = e
    } finally {
      probing = false
      await prober
    }

    // Health first: on a stalled consumer this is the failure that explains the rest.
    const failed = probes.filter((p) => !p.ok || p.ms > PROBE_TIMEOUT_MS)
    expect(failed, `${failed.length} of ${probes.length} probes failed or were slow; first: ${JSON.stringify(failed.slice(0, 5))}`).toEqual([])
    if (notStored !== null) throw notStored
    // The probes really covered the processing: at least one per 100 ms window, give or take.
    expect(probes.length).toBeGreaterThanOrEqual(3)

    const [row] = await world.query<{ truncated: boolean; length: number; digest: string }>(
      `SELECT analyzed_text_truncated AS truncated, length(content_text) AS length, md5(content_text) AS digest
       FROM post_analytics WHERE id = '${GIANT_ID}'`
    )
    // Stored whole: the same text, not the analysed part.
    const stored = giantText.trim()
    expect(row?.truncated).toBe(true)
    expect(row?.length).toBe(stored.length)
    expect(row?.digest).toBe(createHash("md5").update(stored, "utf8").digest("hex"))
    const [others] = await world.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM post_analytics WHERE id <> '${GIANT_ID}' AND NOT analyzed_text_truncated`
    )
    expect(Number(others?.n)).toBe(19)
  }, 150_000)
})

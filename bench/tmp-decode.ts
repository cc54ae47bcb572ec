import { makeFixture } from "./e2e/fixture.ts"
import { parseJson, parseJsonWithReviver } from "../src/domain/json.ts"
import { decodeEntries } from "../src/domain/batch.ts"
import { builtinLexicons, defaultPipelineSettings, makePipeline } from "../src/domain/pipeline/index.ts"
const fx = makeFixture(200)
const pipeline = makePipeline(defaultPipelineSettings, builtinLexicons)
const td = new TextDecoder("utf-8", { fatal: true })
const ctx = { event_id: "e", project_id: null, job_id: null, platform: "TIKTOK", batch_index: 1, task_type: null, brand_name: null, keyword: null, event_time: null, keyword_source: null, pipeline_version: null }
const time = (name: string, f: () => void) => { for (let i = 0; i < 2; i++) f(); const t = performance.now(); for (let i = 0; i < 3; i++) f(); const ms = (performance.now() - t) / 3; console.log(name.padEnd(30), ms.toFixed(1), "ms", (ms * 1000 / 8000).toFixed(1), "µs/item") }
const texts = fx.map((b) => td.decode(b.bytes))
const parsed = texts.map((t) => parseJson(t) as Array<unknown>)
time("reviver", () => { for (const t of texts) parseJsonWithReviver(t) })
time("parseJson fast", () => { for (const t of texts) parseJson(t) })
time("JSON.parse plain", () => { for (const t of texts) JSON.parse(t) })
if (process.argv[2]) time("decodeEntries", () => { for (const p of parsed) decodeEntries(p, "x") })
const items = parsed.map((p) => decodeEntries(p, "x"))
if (process.argv[2]) time("analyze", () => { for (const es of items) for (const e of es) if (e._tag === "Item") pipeline.analyze(e.item, ctx as never, "2025-12-06T10:16:00.000Z") })

/**
 * Pipeline throughput on one core: realistic 50-post TikTok batches of Vietnamese text with
 * 5+ comments each, warm-up then several timed rounds. The baseline is the cost of merely
 * NFC-normalising and lower-casing the same merged text, so the ratio says how much the
 * analytics add on this machine. Run: `npm run bench:pipeline`.
 */
import { builtinLexicons, defaultPipelineSettings, makePipeline, mergeText } from "../src/domain/pipeline/index.ts"
import { BATCH, BATCHES, pipelineBenchBatches, pipelineBenchContext } from "./pipelineFixture.ts"

const ctx = pipelineBenchContext
const ROUNDS = 7
const batches = pipelineBenchBatches()
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

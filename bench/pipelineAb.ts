/**
 * Paired A/B of the pipeline against another checkout of this repository, in one process: rounds
 * of the bench:pipeline corpus alternate between the two versions (the order flips every round),
 * so a change in machine load hits both alike; reports each side's CPU time per post
 * (`process.cpuUsage`) and the median of the per-round speed-ups. For a busy machine, where
 * separate `npm run bench:pipeline` runs scatter too much to compare.
 * Run: `npx tsx bench/pipelineAb.ts <other checkout> [rounds]` (the other checkout needs
 * node_modules, e.g. a symbolic link to this one's).
 */
import { resolve } from "node:path"
import process from "node:process"
import { pathToFileURL } from "node:url"
import type { Item } from "../src/domain/item.ts"
import { pipelineBenchBatches, pipelineBenchContext } from "./pipelineFixture.ts"

const other = process.argv[2]
if (other === undefined) throw new Error("usage: tsx bench/pipelineAb.ts <other checkout> [rounds]")
const rounds = Number(process.argv[3] ?? 40)

type PipelineModule = typeof import("../src/domain/pipeline/index.ts")
const load = async (root: string): Promise<PipelineModule> =>
  (await import(pathToFileURL(resolve(root, "src/domain/pipeline/index.ts")).href)) as PipelineModule

const batches: ReadonlyArray<ReadonlyArray<Item>> = pipelineBenchBatches()
const posts = batches.reduce((n, b) => n + b.length, 0)
const runnerOf = (m: PipelineModule) => {
  const pipeline = m.makePipeline(m.defaultPipelineSettings, m.builtinLexicons)
  let sink = 0
  return (): number => {
    const c0 = process.cpuUsage()
    for (const batch of batches) for (const item of batch) sink += pipeline.analyze(item, pipelineBenchContext, "2025-12-06T10:16:00.000Z").record.length
    const c = process.cpuUsage(c0)
    return sink < 0 ? 0 : (c.user + c.system) / posts
  }
}

const thisRun = runnerOf(await load(resolve(import.meta.dirname, "..")))
const otherRun = runnerOf(await load(other))
for (let w = 0; w < 5; w++) {
  thisRun()
  otherRun()
}
const mine: Array<number> = []
const theirs: Array<number> = []
const speedUps: Array<number> = []
for (let r = 0; r < rounds; r++) {
  let a: number
  let b: number
  if (r % 2 === 0) {
    a = thisRun()
    b = otherRun()
  } else {
    b = otherRun()
    a = thisRun()
  }
  mine.push(a)
  theirs.push(b)
  speedUps.push(b / a)
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0
console.log(`pipeline A/B, ${rounds} paired rounds of ${posts} posts, CPU time per post`)
console.log(`this checkout : median ${median(mine).toFixed(2)} µs, min ${Math.min(...mine).toFixed(2)} µs`)
console.log(`${other} : median ${median(theirs).toFixed(2)} µs, min ${Math.min(...theirs).toFixed(2)} µs`)
console.log(`speed-up of this checkout (median of the per-round ratios): ${median(speedUps).toFixed(3)}×`)

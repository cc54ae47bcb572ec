/**
 * A SHA-256 of everything the analytics pipeline outputs on a fixed corpus, to show that a speed
 * change leaves every output bit-identical: the same digest before and after. Corpus: the tuned
 * sets (data/eval/posts.jsonl, dev.jsonl), every data/train text, the bench:pipeline batches, and
 * long posts built from the train texts (many comments, many clauses and aspects). For each: the
 * records of the combined, model and rules pipelines, and what training reads (classifier slots,
 * the rules' slots, polarity slots per aspect). Never reads the held-out sets.
 * Run: `npx tsx bench/outputDigest.ts` (`--verbose` prints one digest per part).
 */
import { createHash } from "node:crypto"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"
import type { BatchContext, Item } from "../src/domain/item.ts"
import { noBatchContext } from "../src/domain/item.ts"
import {
  builtinLexicons,
  compileLexicon,
  defaultPipelineSettings,
  makeLexiconSentimentAnalyzer,
  makePipeline,
  polaritySlots,
  trainingInputsOfText
} from "../src/domain/pipeline/index.ts"
import { type Example, itemOf, loadJsonl, loadTxt } from "./eval-data.ts"
import { pipelineBenchBatches, pipelineBenchContext } from "./pipelineFixture.ts"

const root = fileURLToPath(new URL("..", import.meta.url))
const NOW = "2025-12-06T10:15:30Z"
const verbose = process.argv.includes("--verbose")

const tuned = ["posts", "dev"].flatMap((n) => loadJsonl(join(root, `data/eval/${n}.jsonl`)))
const trainDir = join(root, "data/train")
const train = readdirSync(trainDir).filter((f) => f.endsWith(".txt")).sort().flatMap((f) => loadTxt(join(trainDir, f), f))
const texts: ReadonlyArray<Example> = [...tuned, ...train]

/** Long posts: a caption and up to 12 comments drawn from the corpus texts, with likes to reorder them. */
const longItems: ReadonlyArray<Item> = Array.from({ length: 400 }, (_, i) => {
  const base = itemOf(texts[(i * 37) % texts.length] as Example)
  const n = 1 + (i % 12)
  return {
    ...base,
    content: { ...base.content, hashtags: i % 2 === 0 ? ["vinfast"] : [], transcription: i % 5 === 0 ? (texts[(i * 11) % texts.length] as Example).text : null },
    comments: Array.from({ length: n }, (_, k) => ({
      id: `c${k}`, text: (texts[(i * 101 + k * 53) % texts.length] as Example).text, author_name: null,
      likes: (i * 7 + k * 13) % 10, created_at: null, replies_count: 0
    }))
  }
})

/** JSON with -0 told apart from 0. */
const json = (x: unknown): string => JSON.stringify(x, (_, v) => (typeof v === "number" && Object.is(v, -0) ? "-0" : v))

const pipelines = {
  combined: makePipeline(defaultPipelineSettings, builtinLexicons),
  model: makePipeline({ ...defaultPipelineSettings, classifier: "model" }, builtinLexicons),
  rules: makePipeline({ ...defaultPipelineSettings, classifier: "rules" }, builtinLexicons)
}

const total = createHash("sha256")
const part = (name: string, lines: Iterable<string>): void => {
  const h = createHash("sha256")
  let n = 0
  for (const line of lines) {
    h.update(line).update("\n")
    total.update(line).update("\n")
    n++
  }
  if (verbose) console.log(`${name.padEnd(24)} ${String(n).padStart(6)} ${h.digest("hex")}`)
}

function* records(items: Iterable<Item>, ctx: BatchContext) {
  for (const item of items) for (const p of Object.values(pipelines)) yield json(p.analyze(item, ctx, NOW))
}

const lex = compileLexicon(builtinLexicons)
const analyzer = makeLexiconSentimentAnalyzer(builtinLexicons)
function* features(examples: Iterable<Example>) {
  for (const buckets of [1 << 16, 1 << 12]) {
    for (const e of examples) {
      const inputs = trainingInputsOfText(e.text, lex, analyzer, buckets)
      const polarity = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE"].map((a) => {
        const input = inputs.polarityOf(a)
        return input === undefined ? null : [input, polaritySlots(input, buckets)]
      })
      yield json([inputs.slots, inputs.rulesSlots, polarity])
    }
  }
}

part("records:tuned", records(tuned.map(itemOf), noBatchContext))
part("records:train", records(train.map(itemOf), noBatchContext))
part("records:bench", records(pipelineBenchBatches().flat(), pipelineBenchContext))
part("records:long", records(longItems, pipelineBenchContext))
part("features:texts", features(texts))
console.log(`output digest (${texts.length} texts, ${longItems.length} long posts, bench batches): ${total.digest("hex")}`)

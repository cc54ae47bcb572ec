/**
 * `npm run train`: trains the learned classifier (src/domain/pipeline/model.ts) from
 * data/train/*.txt and the tuned sets data/eval/posts.jsonl and dev.jsonl, and writes
 * data/model/classifier.json. Held-out sets are never read.
 *
 *   npx tsx bench/train.ts            write data/model/classifier.json
 *   npx tsx bench/train.ts --check    exit 1 unless the committed file equals a fresh run
 *   npx tsx bench/train.ts --cv       5-fold cross-validation on data/train: rules, model and
 *                                     combined variants side by side (the training data of
 *                                     each fold never holds its test examples)
 *   npx tsx bench/train.ts --cv --errors   the same, listing the misclassified examples
 *   npx tsx bench/train.ts --cv --split b3_   also the combined figures on b3_* files and the rest
 *   npx tsx bench/train.ts --cv --train-only b5_   b5_* files in every fold's training, never tested;
 *                                     the other examples keep the folds they have without them
 *   npx tsx bench/train.ts --cross b3_    train on the data/train files whose name does not
 *                                     start with b3_ (plus posts and dev) and test on those that
 *                                     do, then the other way round: a check of generalisation
 *                                     from one batch of training text to another
 *
 * Heads: overall sentiment (also reading the band of the rules' score), intent, a yes/no score
 * per aspect, and the polarity of one aspect from the words around its first mention
 * (src/domain/pipeline/aspectPolarity.ts), one sample per gold aspect with a mention.
 *
 * Training is deterministic: multinomial logistic regression, AdaGrad over the examples in an
 * order fixed by a seeded generator, class-balanced, L2-regularised; only feature slots seen in
 * at least MIN_DF training examples get weights; weights rounded to 1/WEIGHT_SCALE.
 */
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"
import {
  builtinLexicons,
  type Classifier,
  type ClassifierMode,
  type CombineSettings,
  compileLexicon,
  decodeClassifier,
  defaultCombineSettings,
  defaultPipelineSettings,
  makeLexiconSentimentAnalyzer,
  makePipeline,
  polaritySlots,
  trainingInputsOfText,
  WEIGHT_SCALE
} from "../src/domain/pipeline/index.ts"
import { INTENTS, SENTIMENT_LABELS } from "../src/domain/records.ts"
import { type Example, loadExamples, runExamples } from "./eval-data.ts"
import { formatTable, percent, summarize } from "./eval-metrics.ts"

const root = fileURLToPath(new URL("..", import.meta.url))
const TRAIN_DIR = join(root, "data/train")
const TUNED = ["data/eval/posts.jsonl", "data/eval/dev.jsonl"]
const OUT = join(root, "data/model/classifier.json")

const VERSION = "logreg-2026.12.8"
const DEFAULT_SETTINGS = { buckets: 1 << 16, epochs: 30, rate: 0.3, l2: 0.0001, minDf: 2, seed: 20261203, folds: 5, fraction: 1, stackRules: 1, classPower: 0.5, intentClassPower: 0.75, tunedWeight: 1 }
/** `--set name=value` (cross-validation and --cross only) overrides a setting, to compare settings. */
const SETTINGS: typeof DEFAULT_SETTINGS = { ...DEFAULT_SETTINGS }
{
  const argv = process.argv.slice(2)
  argv.forEach((a, i) => {
    if (a !== "--set") return
    const [key, value] = (argv[i + 1] ?? "").split("=")
    if (key === undefined || !(key in SETTINGS) || value === undefined) throw new Error(`bad --set ${argv[i + 1]}`)
    ;(SETTINGS as Record<string, number>)[key] = Number(value)
  })
  if (!argv.includes("--cv") && !argv.includes("--cross") && JSON.stringify(SETTINGS) !== JSON.stringify(DEFAULT_SETTINGS)) throw new Error("--set only with --cv")
}
const SENTIMENT_CLASSES = ["POSITIVE", "NEGATIVE", "NEUTRAL"] as const
const INTENT_CLASSES = ["DISCUSSION", "COMPLAINT", "SUPPORT", "LEAD", "CRISIS", "SPAM", "SEEDING"] as const
const ASPECT_CLASSES = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE"] as const

const dataFiles = (): ReadonlyArray<string> => [
  ...readdirSync(TRAIN_DIR).filter((f) => f.endsWith(".txt")).sort().map((f) => `data/train/${f}`),
  ...TUNED
]

interface Sample {
  readonly slots: ReadonlyArray<number>
  readonly sentiment: number
  readonly intent: number
  /** 1 when the gold labels name the aspect, per ASPECT_CLASSES. */
  readonly aspects: ReadonlyArray<number>
  /** Slots read unscaled, by the sentiment head only (the rules' reading, model.ts `rulesSentimentSlots`). */
  readonly extra?: ReadonlyArray<number>
  /** Polarity head samples of this example, one per gold aspect. */
  readonly polarity?: ReadonlyArray<Sample>
  /** Weight of the example in the loss: `tunedWeight` for posts and dev, else 1. */
  readonly weight?: number
}

const lex = compileLexicon(builtinLexicons)
const rulesAnalyzer = makeLexiconSentimentAnalyzer(builtinLexicons)

const sampleOf = (e: Example): Sample => {
  const inputs = trainingInputsOfText(e.text, lex, rulesAnalyzer, SETTINGS.buckets)
  return {
    slots: inputs.slots,
    sentiment: SENTIMENT_CLASSES.indexOf(e.gold.sentiment as (typeof SENTIMENT_CLASSES)[number]),
    intent: INTENT_CLASSES.indexOf(e.gold.intent as (typeof INTENT_CLASSES)[number]),
    aspects: ASPECT_CLASSES.map((a) => (e.gold.aspects[a] === undefined ? 0 : 1)),
    // stackRules 2: the rules' reading is a feature only where it is honest (data/train, not the tuned sets).
    weight: e.id.includes(":") ? 1 : SETTINGS.tunedWeight,
    extra: SETTINGS.stackRules === 2 && !e.id.includes(":") ? [] : inputs.rulesSlots,
    // One sample per gold aspect for the polarity head; `sentiment` is the aspect's label.
    polarity: ASPECT_CLASSES.flatMap((a) => {
      const input = e.gold.aspects[a] === undefined ? undefined : inputs.polarityOf(a)
      return input === undefined ? [] : [{
        slots: polaritySlots(input, SETTINGS.buckets),
        sentiment: SENTIMENT_CLASSES.indexOf(e.gold.aspects[a] as (typeof SENTIMENT_CLASSES)[number]),
        intent: 0,
        aspects: []
      }]
    })
  }
}

/** Park–Miller generator: the same order on every run. */
const shuffled = (n: number, seed: number): Array<number> => {
  const order = Array.from({ length: n }, (_, i) => i)
  let s = seed % 2147483647
  for (let i = n - 1; i > 0; i--) {
    s = (s * 16807) % 2147483647
    const j = s % (i + 1)
    const t = order[i] as number
    order[i] = order[j] as number
    order[j] = t
  }
  return order
}

interface TrainedHead {
  readonly bias: Array<number>
  /** Sparse: slot → k weights (real). */
  readonly rows: Map<number, Array<number>>
}

const trainHead = (samples: ReadonlyArray<Sample>, label: (s: Sample) => number, k: number, withExtra = false, classPower = SETTINGS.classPower): TrainedHead => {
  const df = new Map<number, number>()
  for (const s of samples) for (const slot of new Set(s.slots)) df.set(slot, (df.get(slot) ?? 0) + 1)
  const kept = samples.map((s) => {
    const counts = new Map<number, number>()
    for (const slot of s.slots) if ((df.get(slot) ?? 0) >= SETTINGS.minDf) counts.set(slot, (counts.get(slot) ?? 0) + 1)
    const scale = s.slots.length === 0 ? 0 : 1 / Math.sqrt(s.slots.length)
    const features = [...counts].map(([slot, c]) => [slot, c * scale] as const)
    if (withExtra) for (const slot of s.extra ?? []) features.push([slot, 1] as const)
    return { features, y: label(s), w: s.weight ?? 1 }
  })
  const perClass = new Array<number>(k).fill(0)
  for (const s of kept) perClass[s.y] = (perClass[s.y] as number) + 1
  // classPower (intentClassPower for the intent head) 0.5: the square root of the balanced weight; 0 unweighted, 1 fully balanced.
  const classWeight = perClass.map((n) => (n === 0 ? 0 : Math.pow(kept.length / (k * n), classPower)))
  const bias = new Array<number>(k).fill(0)
  const biasG = new Array<number>(k).fill(1e-8)
  const rows = new Map<number, Array<number>>()
  const grads = new Map<number, Array<number>>()
  for (let epoch = 0; epoch < SETTINGS.epochs; epoch++) {
    for (const i of shuffled(kept.length, SETTINGS.seed + epoch)) {
      const ex = kept[i]!
      const z = bias.slice()
      for (const [slot, x] of ex.features) {
        const w = rows.get(slot)
        if (w !== undefined) for (let c = 0; c < k; c++) z[c] = (z[c] as number) + (w[c] as number) * x
      }
      const max = Math.max(...z)
      const e = z.map((v) => Math.exp(v - max))
      const total = e.reduce((a, b) => a + b, 0)
      const cw = (classWeight[ex.y] as number) * ex.w
      const err = e.map((v, c) => cw * (v / total - (c === ex.y ? 1 : 0)))
      for (let c = 0; c < k; c++) {
        const g = err[c] as number
        biasG[c] = (biasG[c] as number) + g * g
        bias[c] = (bias[c] as number) - (SETTINGS.rate * g) / Math.sqrt(biasG[c] as number)
      }
      for (const [slot, x] of ex.features) {
        let w = rows.get(slot)
        let G = grads.get(slot)
        if (w === undefined || G === undefined) {
          w = new Array<number>(k).fill(0)
          G = new Array<number>(k).fill(1e-8)
          rows.set(slot, w)
          grads.set(slot, G)
        }
        for (let c = 0; c < k; c++) {
          const g = (err[c] as number) * x + SETTINGS.l2 * (w[c] as number)
          G[c] = (G[c] as number) + g * g
          w[c] = (w[c] as number) - (SETTINGS.rate * g) / Math.sqrt(G[c] as number)
        }
      }
    }
  }
  return { bias, rows }
}

const quantize = (x: number): number => Math.round(x * WEIGHT_SCALE) || 0

const headFile = (classes: ReadonlyArray<string>, head: TrainedHead) => ({
  classes,
  bias: head.bias.map(quantize),
  rows: [...head.rows]
    .map(([slot, w]) => [slot, ...w.map(quantize)])
    .filter((row) => row.slice(1).some((v) => v !== 0))
    .sort((a, b) => (a[0] as number) - (b[0] as number))
})

/**
 * One yes/no head per aspect: a two-class model per aspect, stored as the single logit
 * "yes − no" (bias and weights), so that a score ≥ 0 means P(yes) ≥ 0.5.
 */
const aspectHead = (samples: ReadonlyArray<Sample>): TrainedHead => {
  const heads = ASPECT_CLASSES.map((_, a) => trainHead(samples, (s) => s.aspects[a] as number, 2))
  const rows = new Map<number, Array<number>>()
  heads.forEach((h, a) => {
    for (const [slot, w] of h.rows) {
      const row = rows.get(slot) ?? new Array<number>(ASPECT_CLASSES.length).fill(0)
      row[a] = (w[1] as number) - (w[0] as number)
      rows.set(slot, row)
    }
  })
  return { bias: heads.map((h) => (h.bias[1] as number) - (h.bias[0] as number)), rows: new Map([...rows].sort((x, y) => x[0] - y[0])) }
}

const trainFile = (examples: ReadonlyArray<Example>, shas: Record<string, string>) => {
  const samples = examples.map(sampleOf)
  return {
    version: VERSION,
    description:
      "Multinomial logistic regression over hashed word features (src/domain/pipeline/model.ts): sentiment, intent, " +
      "aspect detection, and aspect polarity from the words around each aspect's mentions; " +
      "written by npm run train (bench/train.ts); weights are integers, the real weight times 1000.",
    buckets: SETTINGS.buckets,
    training: { ...SETTINGS, examples: samples.length },
    data_sha256: shas,
    sentiment: headFile(SENTIMENT_CLASSES, trainHead(samples, (s) => s.sentiment, SENTIMENT_CLASSES.length, SETTINGS.stackRules >= 1)),
    intent: headFile(INTENT_CLASSES, trainHead(samples, (s) => s.intent, INTENT_CLASSES.length, false, SETTINGS.intentClassPower)),
    aspects: headFile(ASPECT_CLASSES, aspectHead(samples)),
    aspect_polarity: headFile(SENTIMENT_CLASSES, trainHead(samples.flatMap((s) => s.polarity ?? []), (s) => s.sentiment, SENTIMENT_CLASSES.length))
  }
}

/** One row per line, so that a diff of two trainings stays readable. */
const serialize = (file: ReturnType<typeof trainFile>): string => {
  const head = (h: ReturnType<typeof headFile>) =>
    `{\n  "classes": ${JSON.stringify(h.classes)},\n  "bias": ${JSON.stringify(h.bias)},\n  "rows": [\n` +
    h.rows.map((r) => `   ${JSON.stringify(r)}`).join(",\n") +
    "\n  ]\n }"
  const { sentiment, intent, aspects, aspect_polarity, ...rest } = file
  const top = JSON.stringify(rest, null, 1).slice(0, -2)
  return `${top},\n "sentiment": ${head(sentiment)},\n "intent": ${head(intent)},\n "aspects": ${head(aspects)},\n "aspect_polarity": ${head(aspect_polarity)}\n}\n`
}

const readAll = () => {
  const files = dataFiles()
  const shas: Record<string, string> = {}
  const examples: Array<Example> = []
  for (const f of files) {
    shas[f] = createHash("sha256").update(readFileSync(join(root, f))).digest("hex")
    examples.push(...loadExamples(join(root, f)))
  }
  return { files, shas, examples }
}

// ---------------------------------------------------------------------------------------
// Cross-validation

interface Variant {
  readonly name: string
  readonly mode: ClassifierMode
  readonly combine?: CombineSettings
}

const combined = (name: string, c: Partial<CombineSettings>): Variant => ({ name, mode: "combined", combine: { ...defaultCombineSettings, ...c } })

const VARIANTS: ReadonlyArray<Variant> = [
  { name: "rules", mode: "rules" },
  { name: "model", mode: "model" },
  { name: "combined (default)", mode: "combined" },
  // Aspect polarity: rules' window and overall label (as in logreg-2026.12.3) or the learned head.
  combined("combined, aspect polarity from rules and overall label", { aspectPolarityHead: false }),
  ...[0, 1, 2, 3].map((w) => combined(`combined, polarity head + ${w} on the overall label`, { aspectPolarityHead: true, aspectOverallWeight: w, aspectOverallWeightBeforeContrast: w })),
  ...[1, 1.5, 2].flatMap((o) =>
    [0, 1].map((w) => combined(`combined, polarity head + ${o} on the overall label, + ${w} before a contrast`, { aspectPolarityHead: true, aspectOverallWeight: o, aspectOverallWeightBeforeContrast: w }))
  ),
  // Aspect detection thresholds.
  ...[0, -0.5, -1].flatMap((t) =>
    [Number.NEGATIVE_INFINITY, -2].map((d) => combined(`combined, aspects added at ≥ ${t}, dropped below ${d}`, { aspectModelScore: t, aspectDropScore: d }))
  ),
  // Overall sentiment: the classifier (which reads the rules' score band) or the rules where explicit.
  combined("combined, sentiment as in logreg-2026.12.3 (rules at |score| ≥ 0.75, else classifier at margin ≥ 0.5)", { sentimentRulesScore: 0.75, sentimentModelMargin: 0.5, sentimentFlipMargin: 0.5 }),
  ...[1, 2].map((f) => combined(`combined, rules at |score| ≥ 0.75, classifier flips their polarity at margin ≥ ${f}`, { sentimentRulesScore: 0.75, sentimentModelMargin: 0.5, sentimentFlipMargin: f })),
  ...[0.9, 1.5].flatMap((r) =>
    [0, 0.5].map((m) => combined(`combined, sentiment rules at |score| ≥ ${r}, classifier margin ≥ ${m}`, { sentimentRulesScore: r, sentimentModelMargin: m, sentimentFlipMargin: m }))
  )
]

const crossValidate = (): void => {
  const { examples } = readAll()
  // `--train-only PREFIX`: the data/train examples of files starting with PREFIX join the training
  // data of every fold and are never tested; the other examples keep exactly the folds they have
  // without those files, so that a run with and one without them test the same examples the same way.
  const trainOnlyAt = process.argv.indexOf("--train-only")
  const trainOnly = trainOnlyAt < 0 ? undefined : process.argv[trainOnlyAt + 1]
  if (trainOnlyAt >= 0 && (trainOnly === undefined || trainOnly.startsWith("--"))) throw new Error("--train-only needs a file prefix, e.g. --train-only b5_")
  const isExtra = (e: Example) => trainOnly !== undefined && e.id.startsWith(trainOnly)
  const own = examples.filter((e) => e.id.includes(":") && !isExtra(e))
  const extra = examples.filter((e) => e.id.includes(":") && isExtra(e))
  const tuned = examples.filter((e) => !e.id.includes(":"))
  const order = shuffled(own.length, SETTINGS.seed)
  const results = new Map<string, Array<ReturnType<typeof runExamples>[number]>>()
  for (let fold = 0; fold < SETTINGS.folds; fold++) {
    const test = order.filter((_, i) => i % SETTINGS.folds === fold).map((i) => own[i]!)
    // `fraction` < 1 keeps that share of the fold's data/train examples: a learning curve.
    const ownTrain = order.filter((_, i) => i % SETTINGS.folds !== fold).map((i) => own[i]!)
    const train = [...ownTrain.slice(0, Math.round(ownTrain.length * SETTINGS.fraction)), ...extra, ...tuned]
    const classifier: Classifier = decodeClassifier(JSON.parse(serialize(trainFile(train, {}))))
    for (const v of VARIANTS) {
      const pipeline = makePipeline({ ...defaultPipelineSettings, classifier: v.mode, ...(v.combine ? { combine: v.combine } : {}) }, builtinLexicons, undefined, classifier)
      const list = results.get(v.name) ?? []
      list.push(...runExamples(pipeline, test))
      results.set(v.name, list)
    }
  }
  const rows = VARIANTS.map((v) => {
    const s = summarize(results.get(v.name)!, SENTIMENT_LABELS, INTENTS, 0)
    const minRecall = Math.min(...s.intent.labels.map((l) => l.recall ?? 0))
    return [
      v.name, percent(s.sentiment.accuracy), percent(s.intent.accuracy), percent(minRecall), percent(s.intent.macroF1),
      percent(s.aspects.detection.precision), percent(s.aspects.detection.recall), percent(s.aspects.polarityAccuracy), percent(s.aspects.accuracy)
    ]
  })
  if (process.argv.includes("--errors")) {
    for (const r of results.get(VARIANTS[2]!.name)!) {
      const p = r.predicted
      if (p === null) continue
      const wrong = p.sentiment !== r.gold.sentiment || p.intent !== r.gold.intent ||
        Object.entries(r.gold.aspects).some(([a, l]) => p.aspects[a] !== undefined && p.aspects[a] !== l)
      if (wrong) process.stdout.write(`${r.id}\tgold ${r.gold.sentiment} ${r.gold.intent} ${JSON.stringify(r.gold.aspects)}\tgot ${p.sentiment} ${p.intent} ${JSON.stringify(p.aspects)}\t${r.text.slice(0, 140)}\n`)
    }
  }
  const best = summarize(results.get(VARIANTS[2]!.name)!, SENTIMENT_LABELS, INTENTS, 0)
  const rulesOnly = summarize(results.get(VARIANTS[0]!.name)!, SENTIMENT_LABELS, INTENTS, 0)
  const modelOnly = summarize(results.get(VARIANTS[1]!.name)!, SENTIMENT_LABELS, INTENTS, 0)
  process.stdout.write(
    `Intent recall per class (rules / model / combined default)\n${formatTable(
      ["intent", "gold", "rules", "model", "combined"],
      best.intent.labels.map((l, i) => [l.label, String(l.support), percent(rulesOnly.intent.labels[i]?.recall ?? null), percent(modelOnly.intent.labels[i]?.recall ?? null), percent(l.recall)])
    )}\n`
  )
  // Sentiment and intent of the combined default by language (`vi`: the text has a Vietnamese letter).
  process.stdout.write(`Combined default by language\n${formatTable(["language", "n", "sentiment", "intent"],
    Object.entries(best.byLanguage).map(([lang, v]) => [lang, String(v.sentiment.total), percent(v.sentiment.accuracy), percent(v.intent.accuracy)])
  )}\n`)
  // `--split PREFIX`: the combined default's figures on the files starting with PREFIX and on the rest.
  const split = process.argv.indexOf("--split")
  if (split >= 0) {
    const prefix = process.argv[split + 1] ?? "b3_"
    const all = results.get(VARIANTS[2]!.name)!
    const part = (f: (id: string) => boolean, name: string) => {
      const s = summarize(all.filter((r) => f(r.id)), SENTIMENT_LABELS, INTENTS, 0)
      return [name, String(all.filter((r) => f(r.id)).length), percent(s.sentiment.accuracy),
        percent(s.byLanguage["en"]?.sentiment.accuracy ?? null), percent(s.byLanguage["vi"]?.sentiment.accuracy ?? null), percent(s.intent.accuracy),
        ...INTENT_CLASSES.map((c) => percent(s.intent.labels.find((l) => l.label === c)?.recall ?? null)),
        percent(s.aspects.detection.recall), percent(s.aspects.polarityAccuracy)]
    }
    process.stdout.write(`Combined default by batch\n${formatTable(["batch", "n", "sentiment", "sent. en", "sent. vi", "intent", ...INTENT_CLASSES.map((c) => c.slice(0, 5)), "aspect R", "polarity"], [
      part((id) => id.startsWith(prefix), `${prefix}*`), part((id) => !id.startsWith(prefix), `other data/train`)
    ])}\n`)
  }
  process.stdout.write(
    `${SETTINGS.folds}-fold cross-validation on data/train (${own.length} examples; posts and dev${extra.length > 0 ? ` and ${extra.length} ${trainOnly}* examples` : ""} always in training)\n` +
      `${formatTable(["variant", "sentiment", "intent", "min class recall", "intent F1", "aspect P", "aspect R", "polarity", "aspect acc"], rows)}\n`
  )
}

/** `--cross PREFIX`: train on one batch of data/train files, test on the other, both ways. */
const crossBatch = (prefix: string): void => {
  const { examples } = readAll()
  const isNew = (e: Example) => e.id.includes(":") && e.id.startsWith(prefix)
  const isOld = (e: Example) => e.id.includes(":") && !e.id.startsWith(prefix)
  const tuned = examples.filter((e) => !e.id.includes(":"))
  const pick = (f: (e: Example) => boolean) => examples.filter(f)
  const runs = [
    { name: `train: data/train without ${prefix}* + posts + dev → test: ${prefix}*`, train: [...pick(isOld), ...tuned], test: pick(isNew) },
    { name: `train: ${prefix}* + posts + dev → test: data/train without ${prefix}*`, train: [...pick(isNew), ...tuned], test: pick(isOld) },
    { name: `train: ${prefix}* only → test: data/train without ${prefix}*`, train: pick(isNew), test: pick(isOld) },
    { name: `train: data/train without ${prefix}* only → test: ${prefix}*`, train: pick(isOld), test: pick(isNew) }
  ]
  for (const run of runs) {
    const classifier: Classifier = decodeClassifier(JSON.parse(serialize(trainFile(run.train, {}))))
    const rows = (["rules", "model", "combined"] as const).map((mode) => {
      const pipeline = makePipeline({ ...defaultPipelineSettings, classifier: mode }, builtinLexicons, undefined, classifier)
      const s = summarize(runExamples(pipeline, run.test), SENTIMENT_LABELS, INTENTS, 0)
      return [
        mode, percent(s.sentiment.accuracy), percent(s.intent.accuracy),
        ...INTENT_CLASSES.map((c) => percent(s.intent.labels.find((l) => l.label === c)?.recall ?? null)),
        percent(s.aspects.detection.recall), percent(s.aspects.polarityAccuracy)
      ]
    })
    process.stdout.write(
      `${run.name} (${run.train.length} training, ${run.test.length} test examples)\n` +
        `${formatTable(["variant", "sentiment", "intent", ...INTENT_CLASSES.map((c) => c.slice(0, 5)), "aspect R", "polarity"], rows)}\n\n`
    )
  }
}

const main = (): number => {
  const argv = process.argv.slice(2)
  const cross = argv.indexOf("--cross")
  if (cross >= 0) {
    crossBatch(argv[cross + 1] ?? "b3_")
    return 0
  }
  if (argv.includes("--cv")) {
    crossValidate()
    return 0
  }
  const { shas, examples } = readAll()
  const text = serialize(trainFile(examples, shas))
  decodeClassifier(JSON.parse(text))
  if (argv.includes("--check")) {
    const committed = readFileSync(OUT, "utf8")
    if (committed !== text) {
      process.stderr.write(`${OUT} differs from a fresh training run: run npm run train and commit the result\n`)
      return 1
    }
    process.stdout.write(`classifier ${VERSION}: committed weights equal a fresh training run (${examples.length} examples)\n`)
    return 0
  }
  writeFileSync(OUT, text)
  process.stdout.write(`classifier ${VERSION}: ${examples.length} examples, written to ${OUT} (${text.length} bytes)\n`)
  return 0
}

process.exitCode = main()

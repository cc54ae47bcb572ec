/**
 * What the learned aspect polarity head (model.ts `polaritySlots`) reads about each aspect of a
 * post: the words around the aspect's mentions, bounded by clause breaks and contrast words, so
 * that "đẹp nhưng pin yếu" reads "đẹp" for DESIGN and "pin yếu" for PERFORMANCE instead of one
 * overall label for both. Pure; one pass over the aspect matches the scan already found.
 */
import type { AspectSentiment, SentimentLabel } from "../records.ts"
import type { PolarityInput } from "./model.ts"
import type { WordInfo } from "./normalize.ts"
import { aspectMatches, type ScannedText } from "./scan.ts"

/** The aspects the head labels (GENERAL, from hashtags, keeps the rules' reading). */
export const POLARITY_ASPECTS: ReadonlyArray<string> = ["DESIGN", "PERFORMANCE", "PRICE", "SERVICE"]

interface Window {
  /** Words of the first mention's clause, bounded by contrast words and NEAR_RADIUS. */
  readonly near: Array<string>
  /** The `WordInfo` of each of `near`, when the scan has them (the classifier keeps word features there). */
  readonly nearInfos: Array<WordInfo> | undefined
  /** That mention has a contrast word after it in its sentence ("đẹp nhưng …"): the conclusion lies elsewhere. */
  readonly beforeContrast: boolean
  /** That mention follows a contrast word in its sentence ("… nhưng pin yếu"). */
  readonly afterContrast: boolean
}

/**
 * The head reads an aspect around its first mention only, at most this many words either way
 * within the clause. Reading more (every mention, or the whole sentence as well) did not raise
 * cross-validated polarity on data/train (85.7 → 85.9 % without them) and cost a quarter of
 * the pipeline's time on long posts with many comments (bench:pipeline).
 */
const NEAR_RADIUS = 5

/** Per aspect (of POLARITY_ASPECTS) with at least one mention: the window of its first mention. */
export const aspectWindows = (scanned: ScannedText): ReadonlyMap<string, Window> => {
  const { words, clause, sentence } = scanned.tokens
  const infos = scanned.infos
  const n = words.length
  const out = new Map<string, Window>()
  let contrasts: Array<number> | undefined
  for (const m of aspectMatches(scanned)) {
    const aspect = m.entry.aspect?.aspect
    if (aspect === undefined || aspect === "GENERAL" || out.has(aspect)) continue
    if (contrasts === undefined) {
      contrasts = []
      for (const c of scanned.matches) if (c.entry.contrast === "after" && contrasts[contrasts.length - 1] !== c.start) contrasts.push(c.start)
    }
    const at = m.start
    let k = 0
    while (k < contrasts.length && (contrasts[k] as number) < at) k++
    const sideFrom = k > 0 ? (contrasts[k - 1] as number) : -1
    const sideTo = k < contrasts.length ? (contrasts[k] as number) : n
    const c = clause[at]
    let from = at
    while (from - 1 > sideFrom && from > at - NEAR_RADIUS && clause[from - 1] === c) from--
    const to = Math.min(sideTo, at + m.length + NEAR_RADIUS)
    const near: Array<string> = []
    const nearInfos: Array<WordInfo> | undefined = infos === undefined ? undefined : []
    for (let t = from; t < to && clause[t] === c; t++) {
      near.push(words[t] as string)
      if (nearInfos !== undefined) nearInfos.push(infos?.[t] as WordInfo)
    }
    out.set(aspect, {
      near,
      nearInfos,
      beforeContrast: sideTo < n && sentence[sideTo] === sentence[at],
      afterContrast: sideFrom >= 0 && sentence[sideFrom] === sentence[at]
    })
  }
  return out
}

const A_KEYS: Readonly<Record<string, string>> = { DESIGN: "a:DESIGN", PERFORMANCE: "a:PERFORMANCE", PRICE: "a:PRICE", SERVICE: "a:SERVICE" }
const LABELS = ["POSITIVE", "NEGATIVE", "NEUTRAL", "none"] as const
/** Context feature strings built once, so that scoring a post makes no new string. */
const keys = (prefix: string): Readonly<Record<string, string>> => Object.fromEntries(LABELS.map((l) => [l, `${prefix}${l}`]))
const O_KEYS = keys("o:")
const R_KEYS = keys("r:")
const CB_KEYS = keys("cb:")
const CA_KEYS = keys("ca:")
const AR_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.fromEntries(
  POLARITY_ASPECTS.map((a) => [a, keys(`ar:${a}:`)])
)

/**
 * The head's input for one aspect with at least one mention: its first mention's window, whether the post asks,
 * the rules' own reading of the aspect (when they found an opinion next to it), their overall
 * label, and on which side of a contrast word the mentions stand. Undefined for an aspect
 * without a mention (one the classifier detected from the whole post): it keeps its label
 * (the overall one, NEUTRAL in a question); reading the whole post for it again cost time and
 * no cross-validated accuracy.
 */
export const polarityInput = (
  aspect: string,
  windows: ReadonlyMap<string, Window>,
  asks: boolean,
  rulesAspect: AspectSentiment | undefined,
  rulesOverall: SentimentLabel
): PolarityInput | undefined => {
  const w = windows.get(aspect)
  if (w === undefined) return undefined
  const rules = rulesAspect === undefined || rulesAspect.confidence === 0 ? "none" : rulesAspect.label
  const context = [A_KEYS[aspect] as string, O_KEYS[rulesOverall] as string, R_KEYS[rules] as string, (AR_KEYS[aspect] as Record<string, string>)[rules] as string]
  if (asks) context.push("q")
  if (w.beforeContrast) context.push("cb", CB_KEYS[rulesOverall] as string)
  if (w.afterContrast) context.push("ca", CA_KEYS[rulesOverall] as string)
  return { near: w.near, context }
}

/** The aspect's mentions all stand before a contrast word of their sentence ("đẹp nhưng …"). */
export const onlyBeforeContrast = (aspect: string, windows: ReadonlyMap<string, Window>): boolean => {
  const w = windows.get(aspect)
  return w !== undefined && w.beforeContrast && !w.afterContrast
}

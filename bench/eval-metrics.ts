/**
 * Pure scoring for the labelled evaluation set (`data/eval/posts.jsonl`): accuracy, confusion
 * matrices, per-language accuracy, aspect pairs, threshold checks and plain-text tables.
 * No I/O here, so every number printed by `bench/eval.ts` can be unit-tested.
 */

/** Predicted label for a gold aspect the pipeline did not report at all. */
export const MISSING = "MISSING"

export interface Pair {
  readonly gold: string
  readonly predicted: string
}

export interface Confusion {
  /** Gold labels, one row each. */
  readonly rows: ReadonlyArray<string>
  /** Predicted labels, one column each. */
  readonly columns: ReadonlyArray<string>
  /** `counts[r][c]`: examples with gold `rows[r]` predicted as `columns[c]`. */
  readonly counts: ReadonlyArray<ReadonlyArray<number>>
  readonly total: number
  readonly correct: number
}

export interface LabelScore {
  readonly label: string
  /** Gold examples with this label. */
  readonly support: number
  /** Null when nothing was predicted (or expected) with this label. */
  readonly precision: number | null
  readonly recall: number | null
  readonly f1: number | null
}

/** Share of pairs whose prediction equals the gold label; null for no pairs. */
export const accuracy = (pairs: ReadonlyArray<Pair>): number | null =>
  pairs.length === 0 ? null : pairs.filter((p) => p.gold === p.predicted).length / pairs.length

const withExtras = (base: ReadonlyArray<string>, seen: Iterable<string>): ReadonlyArray<string> => {
  const out = [...base]
  for (const label of seen) if (!out.includes(label)) out.push(label)
  return out
}

/**
 * Confusion matrix with the given row and column order. A gold or predicted label outside
 * the given lists gets its own row or column (appended in order of first appearance), so no
 * example is ever dropped from the counts.
 */
export const confusion = (
  pairs: ReadonlyArray<Pair>,
  rowLabels: ReadonlyArray<string>,
  columnLabels: ReadonlyArray<string> = rowLabels
): Confusion => {
  const rows = withExtras(rowLabels, pairs.map((p) => p.gold))
  const columns = withExtras(columnLabels, pairs.map((p) => p.predicted))
  const counts = rows.map(() => columns.map(() => 0))
  for (const { gold, predicted } of pairs) {
    const row = counts[rows.indexOf(gold)]
    const c = columns.indexOf(predicted)
    if (row !== undefined) row[c] = (row[c] ?? 0) + 1
  }
  const correct = pairs.filter((p) => p.gold === p.predicted).length
  return { rows, columns, counts, total: pairs.length, correct }
}

const cell = (c: Confusion, gold: string, predicted: string): number =>
  c.counts[c.rows.indexOf(gold)]?.[c.columns.indexOf(predicted)] ?? 0

/** Precision, recall and F1 for each gold label (row) of a confusion matrix. */
export const labelScores = (c: Confusion): ReadonlyArray<LabelScore> =>
  c.rows.map((label) => {
    const tp = cell(c, label, label)
    const support = c.counts[c.rows.indexOf(label)]?.reduce((a, b) => a + b, 0) ?? 0
    const predictedAs = c.rows.reduce((sum, gold) => sum + cell(c, gold, label), 0)
    const precision = predictedAs === 0 ? null : tp / predictedAs
    const recall = support === 0 ? null : tp / support
    const f1 =
      precision === null || recall === null || precision + recall === 0
        ? null
        : (2 * precision * recall) / (precision + recall)
    return { label, support, precision, recall, f1 }
  })

/**
 * Macro-F1: the mean F1 over the gold labels that occur (support > 0), each label weighing the
 * same whatever its size. A label that occurs but is never predicted correctly counts as F1 0.
 * Null when no label occurs.
 */
export const macroF1 = (scores: ReadonlyArray<LabelScore>): number | null => {
  const present = scores.filter((s) => s.support > 0)
  return present.length === 0 ? null : present.reduce((sum, s) => sum + (s.f1 ?? 0), 0) / present.length
}

/**
 * Aspect detection over (example, aspect) pairs, GENERAL ignored: a gold aspect the pipeline
 * reports is a true positive, one it does not report a false negative, an aspect it reports
 * beyond the gold ones a false positive. Null when the denominator is 0.
 */
export const detectionScores = (
  detected: number,
  missed: number,
  extra: number
): { readonly precision: number | null; readonly recall: number | null } => ({
  precision: detected + extra === 0 ? null : detected / (detected + extra),
  recall: detected + missed === 0 ? null : detected / (detected + missed)
})

/** The off-diagonal cells, largest first (ties by gold then predicted label). */
export const topConfusions = (
  c: Confusion,
  limit: number
): ReadonlyArray<{ readonly gold: string; readonly predicted: string; readonly count: number }> =>
  c.rows
    .flatMap((gold) =>
      c.columns
        .filter((predicted) => predicted !== gold)
        .map((predicted) => ({ gold, predicted, count: cell(c, gold, predicted) }))
    )
    .filter((x) => x.count > 0)
    .sort((a, b) => b.count - a.count || a.gold.localeCompare(b.gold) || a.predicted.localeCompare(b.predicted))
    .slice(0, limit)

/**
 * One pair per gold aspect: the predicted label for that aspect, or `MISSING` when the
 * pipeline did not report the aspect. Aspects the pipeline reported beyond the gold ones are
 * not pairs (see `extraAspects`).
 */
export const aspectPairs = (
  gold: Readonly<Record<string, string>>,
  predicted: Readonly<Record<string, string>>
): ReadonlyArray<Pair & { readonly aspect: string }> =>
  Object.entries(gold).map(([aspect, label]) => ({
    aspect,
    gold: label,
    predicted: predicted[aspect] ?? MISSING
  }))

/** Aspects the pipeline reported that the gold labels do not list (GENERAL is ignored). */
export const extraAspects = (
  gold: Readonly<Record<string, string>>,
  predicted: Readonly<Record<string, string>>
): ReadonlyArray<string> => Object.keys(predicted).filter((a) => a !== "GENERAL" && !(a in gold))

// ---------------------------------------------------------------------------------------
// Whole-set summary

export interface Labels {
  readonly sentiment: string
  readonly intent: string
  /** Aspect → sentiment label. */
  readonly aspects: Readonly<Record<string, string>>
}

export interface ExampleResult {
  readonly id: string
  readonly lang: string
  readonly text: string
  readonly gold: Labels
  /** Null when the pipeline returned an error record or threw for this example. */
  readonly predicted: Labels | null
  /** Why `predicted` is null. */
  readonly error?: string
}

export interface Score {
  readonly total: number
  readonly correct: number
  readonly accuracy: number | null
}

export interface Summary {
  readonly examples: number
  /** Examples the pipeline did not analyse (error record or exception): wrong on every count. */
  readonly errors: number
  readonly sentiment: Score & { readonly confusion: Confusion; readonly labels: ReadonlyArray<LabelScore>; readonly macroF1: number | null }
  readonly intent: Score & { readonly confusion: Confusion; readonly labels: ReadonlyArray<LabelScore>; readonly macroF1: number | null }
  readonly aspects: Score & {
    readonly confusion: Confusion
    /** Gold aspects the pipeline found at all, whatever the label. */
    readonly detected: number
    /** Predicted aspects not in the gold labels. */
    readonly extra: number
    /** Aspect detection precision and recall (see `detectionScores`). */
    readonly detection: { readonly precision: number | null; readonly recall: number | null }
    /** Label accuracy over the gold aspects the pipeline found (MISSING pairs left out). */
    readonly polarityAccuracy: number | null
    readonly byAspect: Readonly<Record<string, Score>>
  }
  readonly byLanguage: Readonly<Record<string, { readonly sentiment: Score; readonly intent: Score }>>
  readonly misclassified: ReadonlyArray<ExampleResult>
  /** The misclassified examples, worst first (see `errorSeverity`). */
  readonly worst: ReadonlyArray<ExampleResult & { readonly severity: number }>
}

/** Placeholder prediction for an example the pipeline could not analyse. */
export const ERROR = "ERROR"

const score = (pairs: ReadonlyArray<Pair>): Score => ({
  total: pairs.length,
  correct: pairs.filter((p) => p.gold === p.predicted).length,
  accuracy: accuracy(pairs)
})

const sentimentPair = (r: ExampleResult): Pair => ({
  gold: r.gold.sentiment,
  predicted: r.predicted?.sentiment ?? ERROR
})
const intentPair = (r: ExampleResult): Pair => ({ gold: r.gold.intent, predicted: r.predicted?.intent ?? ERROR })
const aspectPairsOf = (r: ExampleResult) => aspectPairs(r.gold.aspects, r.predicted?.aspects ?? {})

const POLAR: ReadonlySet<string> = new Set(["POSITIVE", "NEGATIVE"])

/**
 * How bad an example's errors are, to list the worst first: no prediction at all 10; sentiment
 * flipped between POSITIVE and NEGATIVE 3, otherwise wrong 2; intent wrong 2; each gold aspect
 * with the opposite polarity 2, otherwise wrong or missing 1. 0 for a correct example.
 */
export const errorSeverity = (r: ExampleResult): number => {
  const p = r.predicted
  if (p === null) return 10
  const flipped = (gold: string, predicted: string) => POLAR.has(gold) && POLAR.has(predicted) && gold !== predicted
  let severity = 0
  if (p.sentiment !== r.gold.sentiment) severity += flipped(r.gold.sentiment, p.sentiment) ? 3 : 2
  if (p.intent !== r.gold.intent) severity += 2
  for (const pair of aspectPairsOf(r)) {
    if (pair.gold !== pair.predicted) severity += flipped(pair.gold, pair.predicted) ? 2 : 1
  }
  return severity
}

/** The `limit` misclassified examples with the highest severity (ties by id). */
export const worstErrors = (
  results: ReadonlyArray<ExampleResult>,
  limit: number
): ReadonlyArray<ExampleResult & { readonly severity: number }> =>
  results
    .map((r) => ({ ...r, severity: errorSeverity(r) }))
    .filter((r) => r.severity > 0)
    .sort((a, b) => b.severity - a.severity || a.id.localeCompare(b.id))
    .slice(0, limit)

/** True when sentiment, intent or any gold aspect label is wrong. */
export const isMisclassified = (r: ExampleResult): boolean =>
  r.predicted === null ||
  r.predicted.sentiment !== r.gold.sentiment ||
  r.predicted.intent !== r.gold.intent ||
  aspectPairsOf(r).some((p) => p.gold !== p.predicted)

export const summarize = (
  results: ReadonlyArray<ExampleResult>,
  sentimentLabels: ReadonlyArray<string>,
  intentLabels: ReadonlyArray<string>,
  worstLimit = 10
): Summary => {
  const sentimentPairs = results.map(sentimentPair)
  const intentPairs = results.map(intentPair)
  const aspectPairList = results.flatMap(aspectPairsOf)
  const sentimentConfusion = confusion(sentimentPairs, sentimentLabels)
  const intentConfusion = confusion(intentPairs, intentLabels)
  const aspectConfusion = confusion(aspectPairList, sentimentLabels, [...sentimentLabels, MISSING])
  const sentimentScores = labelScores(sentimentConfusion)
  const intentScores = labelScores(intentConfusion)
  const found = aspectPairList.filter((p) => p.predicted !== MISSING)
  const extra = results.reduce((n, r) => n + extraAspects(r.gold.aspects, r.predicted?.aspects ?? {}).length, 0)

  const byAspect: Record<string, Score> = {}
  for (const aspect of [...new Set(aspectPairList.map((p) => p.aspect))].sort()) {
    byAspect[aspect] = score(aspectPairList.filter((p) => p.aspect === aspect))
  }
  const byLanguage: Record<string, { sentiment: Score; intent: Score }> = {}
  for (const lang of [...new Set(results.map((r) => r.lang))].sort()) {
    const subset = results.filter((r) => r.lang === lang)
    byLanguage[lang] = { sentiment: score(subset.map(sentimentPair)), intent: score(subset.map(intentPair)) }
  }

  return {
    examples: results.length,
    errors: results.filter((r) => r.predicted === null).length,
    sentiment: { ...score(sentimentPairs), confusion: sentimentConfusion, labels: sentimentScores, macroF1: macroF1(sentimentScores) },
    intent: { ...score(intentPairs), confusion: intentConfusion, labels: intentScores, macroF1: macroF1(intentScores) },
    aspects: {
      ...score(aspectPairList),
      confusion: aspectConfusion,
      detected: found.length,
      extra,
      detection: detectionScores(found.length, aspectPairList.length - found.length, extra),
      polarityAccuracy: accuracy(found),
      byAspect
    },
    byLanguage,
    misclassified: results.filter(isMisclassified),
    worst: worstErrors(results, worstLimit)
  }
}

// ---------------------------------------------------------------------------------------
// Thresholds and command-line flags

export interface Thresholds {
  readonly sentiment: number | null
  readonly intent: number | null
  readonly aspects: number | null
}

/** One message per threshold the summary falls below (an undefined accuracy always fails). */
export const thresholdFailures = (s: Summary, t: Thresholds): ReadonlyArray<string> => {
  const checks: ReadonlyArray<readonly [string, number | null, number | null]> = [
    ["sentiment", s.sentiment.accuracy, t.sentiment],
    ["intent", s.intent.accuracy, t.intent],
    ["aspect", s.aspects.accuracy, t.aspects]
  ]
  return checks.flatMap(([name, actual, min]) =>
    min === null || (actual !== null && actual >= min)
      ? []
      : [`${name} accuracy ${actual === null ? "n/a" : actual.toFixed(4)} is below the minimum ${min}`]
  )
}

export interface EvalOptions {
  readonly json: boolean
  /** One set to evaluate; null = every set of data/eval (or the tuned ones with `tuned`). */
  readonly data: string | null
  /** Only the tuned sets (posts, dev): what CI gates with the `--min-*` thresholds. */
  readonly tuned: boolean
  readonly thresholds: Thresholds
  /** How many of the worst errors to list per set; null = the default, 10. */
  readonly maxErrors: number | null
}

export const USAGE = `usage: tsx bench/eval.ts [--json] [--data <set.jsonl> | --tuned] [--max-errors <n>]
                         [--min-sentiment <0..1>] [--min-intent <0..1>] [--min-aspect <0..1>]`

const parseUnit = (flag: string, raw: string | undefined): number => {
  const n = raw === undefined || raw.trim() === "" ? NaN : Number(raw)
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${flag} needs a number between 0 and 1, got ${raw ?? "nothing"}`)
  return n
}

/** Parses the flags of `bench/eval.ts`; throws an Error with a readable message on bad input. */
export const parseEvalArgs = (argv: ReadonlyArray<string>): EvalOptions => {
  let json = false
  let tuned = false
  let data: string | null = null
  let maxErrors: number | null = null
  const thresholds = { sentiment: null as number | null, intent: null as number | null, aspects: null as number | null }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ""
    const eq = arg.indexOf("=")
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg
    const value = (): string | undefined => (flag !== arg ? arg.slice(eq + 1) : argv[++i])
    switch (flag) {
      case "--json":
        json = true
        break
      case "--tuned":
        tuned = true
        break
      case "--data": {
        const v = value()
        if (v === undefined || v === "") throw new Error("--data needs a path")
        data = v
        break
      }
      case "--max-errors": {
        const raw = value()
        const n = Number(raw)
        if (raw === undefined || !Number.isInteger(n) || n < 0) throw new Error(`--max-errors needs a whole number, got ${raw ?? "nothing"}`)
        maxErrors = n
        break
      }
      case "--min-sentiment":
        thresholds.sentiment = parseUnit(flag, value())
        break
      case "--min-intent":
        thresholds.intent = parseUnit(flag, value())
        break
      case "--min-aspect":
        thresholds.aspects = parseUnit(flag, value())
        break
      default:
        throw new Error(`unknown argument ${arg}`)
    }
  }
  if (tuned && data !== null) throw new Error("--tuned and --data are exclusive")
  return { json, data, tuned, thresholds, maxErrors }
}

// ---------------------------------------------------------------------------------------
// Plain-text tables

/** `0.8523` → `85.2%`; null → `n/a`. */
export const percent = (x: number | null): string => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`)

/**
 * Aligns cells into columns separated by two spaces: the first column left-aligned, the
 * others right-aligned (they hold numbers). A rule follows the header.
 */
export const formatTable = (header: ReadonlyArray<string>, body: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [header, ...body]
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)))
  const line = (row: ReadonlyArray<string>) =>
    widths
      .map((w, c) => (c === 0 ? (row[c] ?? "").padEnd(w) : (row[c] ?? "").padStart(w)))
      .join("  ")
      .trimEnd()
  const rule = widths.map((w) => "-".repeat(w)).join("  ")
  return [line(header), rule, ...body.map(line)].join("\n")
}

/** Confusion matrix as a table: rows gold, columns predicted, then row total and recall. */
export const formatConfusion = (c: Confusion, corner = "gold \\ predicted"): string => {
  const scores = labelScores(c)
  const body = c.rows.map((gold, r) => {
    const counts = c.counts[r] ?? []
    const total = counts.reduce((a, b) => a + b, 0)
    return [gold, ...counts.map(String), String(total), percent(scores[r]?.recall ?? null)]
  })
  const columnTotals = c.columns.map((_, col) => c.counts.reduce((sum, row) => sum + (row[col] ?? 0), 0))
  body.push(["total", ...columnTotals.map(String), String(c.total), ""])
  const precision = c.columns.map((label) => {
    const s = scores.find((x) => x.label === label)
    return s === undefined ? "" : percent(s.precision)
  })
  body.push(["precision", ...precision, "", ""])
  return formatTable([corner, ...c.columns, "total", "recall"], body)
}

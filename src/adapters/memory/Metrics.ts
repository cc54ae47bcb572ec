import { Context, Effect, Layer } from "effect"
import { Metrics } from "../../ports/Metrics.ts"

export type MetricLabels = Readonly<Record<string, string>>

/** One recorded series: its §7 name, its labels, and its value or observations. */
export interface MetricSeries {
  readonly name: string
  readonly labels: MetricLabels
  readonly value: number
  readonly observations: ReadonlyArray<number>
}

/**
 * What the in-memory Metrics adapter recorded, under the same series names and label names as
 * the Prometheus adapter (§7), so a test reads it the way a dashboard query would. Each reader
 * sums (or concatenates) every series of `name` whose labels include all the given ones, like
 * `sum(name{...})` in PromQL; pass no labels for the total over all series.
 */
export class MetricsMemoryState extends Context.Service<
  MetricsMemoryState,
  {
    /** Counter total, or gauge value, summed over matching series; 0 when nothing matches. */
    readonly counter: (name: string, labels?: MetricLabels) => number
    /** Same as `counter`; named for gauges (`analytics_inflight_batches`, `analytics_dependency_up`). */
    readonly gauge: (name: string, labels?: MetricLabels) => number
    /** Histogram observations of matching series, in recording order. */
    readonly observations: (name: string, labels?: MetricLabels) => ReadonlyArray<number>
    /** Every series recorded so far. */
    readonly snapshot: Effect.Effect<ReadonlyArray<MetricSeries>>
  }
>()("smap/adapters/memory/MetricsMemoryState") {}

interface MutableSeries {
  readonly name: string
  readonly labels: MetricLabels
  value: number
  readonly observations: Array<number>
}

const keyOf = (name: string, labels: MetricLabels): string =>
  JSON.stringify([name, Object.keys(labels).sort().map((k) => [k, labels[k]])])

const matches = (series: MutableSeries, name: string, labels: MetricLabels): boolean =>
  series.name === name && Object.entries(labels).every(([k, v]) => series.labels[k] === v)

const makeStore = () => {
  const series = new Map<string, MutableSeries>()
  const at = (name: string, labels: MetricLabels): MutableSeries => {
    const key = keyOf(name, labels)
    const existing = series.get(key)
    if (existing !== undefined) return existing
    const created: MutableSeries = { name, labels: { ...labels }, value: 0, observations: [] }
    series.set(key, created)
    return created
  }
  const select = (name: string, labels: MetricLabels) =>
    [...series.values()].filter((s) => matches(s, name, labels))
  const sum = (name: string, labels: MetricLabels = {}) =>
    select(name, labels).reduce((total, s) => total + s.value, 0)
  return {
    add: (name: string, labels: MetricLabels, delta: number) =>
      Effect.sync(() => {
        at(name, labels).value += delta
      }),
    set: (name: string, labels: MetricLabels, value: number) =>
      Effect.sync(() => {
        at(name, labels).value = value
      }),
    observe: (name: string, labels: MetricLabels, value: number) =>
      Effect.sync(() => {
        const s = at(name, labels)
        s.observations.push(value)
        s.value += 1
      }),
    state: MetricsMemoryState.of({
      counter: sum,
      gauge: sum,
      observations: (name, labels = {}) => select(name, labels).flatMap((s) => s.observations),
      snapshot: Effect.sync(() =>
        [...series.values()].map((s) => ({ ...s, labels: { ...s.labels }, observations: [...s.observations] }))
      )
    })
  }
}

/**
 * The Metrics port recording into plain maps, for tests and for runs without Prometheus. A
 * histogram series' `value` is its observation count. Each build starts empty.
 */
export const MetricsMemory: Layer.Layer<Metrics | MetricsMemoryState> = Layer.effectContext(
  Effect.sync(() => {
    const store = makeStore()
    const metrics = Metrics.of({
      batchSizeMismatch: (platform, expectedSize, actualSize) =>
        store.add(
          "analytics_batch_size_mismatch_total",
          { platform, expected_size: expectedSize, actual_size: actualSize },
          1
        ),
      message: (outcome) => store.add("analytics_messages_total", { outcome }, 1),
      items: (platform, outcome, count) => store.add("analytics_items_total", { platform, outcome }, count),
      batchDuration: (platform, seconds) => store.observe("analytics_batch_duration_seconds", { platform }, seconds),
      stageDuration: (stage, seconds) => store.observe("analytics_stage_duration_seconds", { stage }, seconds),
      error: (stage, errorCategory) =>
        store.add("analytics_errors_total", { stage, error_category: errorCategory }, 1),
      inflight: (delta) => store.add("analytics_inflight_batches", {}, delta),
      dependencyUp: (dependency, up) => store.set("analytics_dependency_up", { dependency }, up ? 1 : 0),
      deadLettered: (code) => store.add("analytics_dead_letters_total", { code }, 1),
      queueMessagesReady: (count) => store.set("analytics_queue_messages_ready", {}, count)
    })
    return Context.make(Metrics, metrics).pipe(Context.add(MetricsMemoryState, store.state))
  })
)

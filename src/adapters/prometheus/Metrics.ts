import { Context, Effect, Layer } from "effect"
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client"
import { DEAD_LETTER_CODES, ITEM_OUTCOMES, MESSAGE_OUTCOMES, Metrics, PLATFORMS } from "../../ports/Metrics.ts"

/**
 * The prom-client registry holding this process's §7 series and the runtime defaults. It is
 * a registry of its own, never prom-client's global one, so two layers (two tests) never see
 * each other's values. The HTTP adapter serves `metrics()` with `contentType` on `/metrics`.
 */
export class PrometheusRegistry extends Context.Service<PrometheusRegistry, Registry>()(
  "smap/adapters/prometheus/PrometheusRegistry"
) {}

/** Batch wall time: a TikTok batch of 50 usually takes well under a second, a slow S3 read tens. */
export const batchDurationBuckets: ReadonlyArray<number> = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60
]

/** Stages range from a sub-millisecond decode to a multi-second fetch or write. */
export const stageDurationBuckets: ReadonlyArray<number> = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
]

const makeSeries = (registry: Registry) => {
  const registers = [registry]
  return {
    batchSizeMismatch: new Counter({
      name: "analytics_batch_size_mismatch_total",
      help: "Batches whose item count differs from the expected size for their platform, by platform, expected and actual size.",
      labelNames: ["platform", "expected_size", "actual_size"] as const,
      registers
    }),
    messages: new Counter({
      name: "analytics_messages_total",
      help: "Broker messages settled by the consumer, by outcome (acked, dead_lettered, requeued).",
      labelNames: ["outcome"] as const,
      registers
    }),
    items: new Counter({
      name: "analytics_items_total",
      help: "Batch items processed, by platform and outcome (stored as analytics rows, skipped, or stored as error rows).",
      labelNames: ["platform", "outcome"] as const,
      registers
    }),
    batchDuration: new Histogram({
      name: "analytics_batch_duration_seconds",
      help: "Wall time to process one batch from delivery to commit, in seconds, by platform.",
      labelNames: ["platform"] as const,
      buckets: [...batchDurationBuckets],
      registers
    }),
    stageDuration: new Histogram({
      name: "analytics_stage_duration_seconds",
      help: "Wall time spent in one processing stage (decode, fetch, pipeline, write, ack, publish), in seconds.",
      labelNames: ["stage"] as const,
      buckets: [...stageDurationBuckets],
      registers
    }),
    errors: new Counter({
      name: "analytics_errors_total",
      help: "Failures observed while processing, by stage and error category.",
      labelNames: ["stage", "error_category"] as const,
      registers
    }),
    inflight: new Gauge({
      name: "analytics_inflight_batches",
      help: "Batches currently being processed (delivered and not yet settled).",
      registers
    }),
    dependencyUp: new Gauge({
      name: "analytics_dependency_up",
      help: "Whether a dependency (broker, database, storage) is reachable: 1 up, 0 down.",
      labelNames: ["dependency"] as const,
      registers
    }),
    deadLetters: new Counter({
      name: "analytics_dead_letters_total",
      help: "Messages the consumer moved to the dead-letter queue, by dead-letter code (x-smap-error-code).",
      labelNames: ["code"] as const,
      registers
    }),
    queueMessagesReady: new Gauge({
      name: "analytics_queue_messages_ready",
      help: "Messages ready for delivery in the main event queue, as the broker reported at the last readiness probe (every 5 s).",
      registers
    })
  }
}

/**
 * Creates at 0 every counter series an alert reads, so the first increment after a start is a
 * change Prometheus sees: `increase()` and `rate()` need two samples of a series, and a series
 * born at 1 has no earlier sample, so the first dead letter after a restart would raise nothing.
 * The label values are the bounded sets of the port; mismatch sizes and the errors' categories
 * are not known in advance and start on first use.
 */
const zeroInitialise = (s: ReturnType<typeof makeSeries>) => {
  for (const outcome of MESSAGE_OUTCOMES) s.messages.inc({ outcome }, 0)
  for (const code of DEAD_LETTER_CODES) s.deadLetters.inc({ code }, 0)
  for (const platform of PLATFORMS) {
    for (const outcome of ITEM_OUTCOMES) s.items.inc({ platform, outcome }, 0)
  }
}

/**
 * Recording never fails (the port's contract): prom-client only throws on a caller bug such as
 * a negative counter increment or a non-finite value, which is logged and dropped rather than
 * allowed to fail the batch being measured.
 */
const record = (what: string, f: () => void): Effect.Effect<void> =>
  Effect.try({ try: f, catch: (cause) => cause }).pipe(
    Effect.catch((cause) => Effect.logWarning(`metrics: could not record ${what}`, cause))
  )

/** Both the registry and the Metrics port over it, built together so they share the series. */
export const MetricsLive: Layer.Layer<Metrics | PrometheusRegistry> = Layer.effectContext(
  Effect.acquireRelease(
    Effect.sync(() => {
      const registry = new Registry()
      collectDefaultMetrics({ register: registry })
      return registry
    }),
    (registry) => Effect.sync(() => registry.clear())
  ).pipe(
    Effect.map((registry) => {
      const s = makeSeries(registry)
      zeroInitialise(s)
      const metrics = Metrics.of({
        batchSizeMismatch: (platform, expectedSize, actualSize) =>
          record("batch size mismatch", () =>
            s.batchSizeMismatch.inc({ platform, expected_size: expectedSize, actual_size: actualSize })),
        message: (outcome) => record("message", () => s.messages.inc({ outcome })),
        items: (platform, outcome, count) => record("items", () => s.items.inc({ platform, outcome }, count)),
        batchDuration: (platform, seconds) =>
          record("batch duration", () => s.batchDuration.observe({ platform }, seconds)),
        stageDuration: (stage, seconds) => record("stage duration", () => s.stageDuration.observe({ stage }, seconds)),
        error: (stage, errorCategory) => record("error", () => s.errors.inc({ stage, error_category: errorCategory })),
        inflight: (delta) => record("inflight", () => (delta >= 0 ? s.inflight.inc(delta) : s.inflight.dec(-delta))),
        dependencyUp: (dependency, up) => record("dependency", () => s.dependencyUp.set({ dependency }, up ? 1 : 0)),
        deadLettered: (code) => record("dead letter", () => s.deadLetters.inc({ code })),
        queueMessagesReady: (count) => record("queue depth", () => s.queueMessagesReady.set(count))
      })
      return Context.make(Metrics, metrics).pipe(Context.add(PrometheusRegistry, registry))
    })
  )
)

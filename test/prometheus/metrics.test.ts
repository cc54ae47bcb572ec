import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { type MetricLabels, MetricsMemory, MetricsMemoryState } from "../../src/adapters/memory/Metrics.ts"
import { MetricsLive, PrometheusRegistry } from "../../src/adapters/prometheus/Metrics.ts"
import { Readiness } from "../../src/ports/Readiness.ts"
import { DEAD_LETTER_CODES, Metrics } from "../../src/ports/Metrics.ts"

/** How a suite reads back what an adapter recorded, summed over series whose labels include `labels`. */
interface Reader {
  readonly value: (name: string, labels?: MetricLabels) => Effect.Effect<number>
  /** Observation count and sum of a histogram. */
  readonly histogram: (name: string, labels?: MetricLabels) => Effect.Effect<{ count: number; sum: number }>
}

const includes = (labels: Partial<Record<string, string | number>>, wanted: MetricLabels) =>
  Object.entries(wanted).every(([k, v]) => String(labels[k]) === v)

const prometheusReader = Effect.map(Effect.service(PrometheusRegistry), (registry): Reader => {
  const samples = (metricName: string, labels: MetricLabels) =>
    Effect.promise(() => registry.getMetricsAsJSON()).pipe(
      Effect.map((all) =>
        all.flatMap((m) => m.values)
          .filter((v) => "metricName" in v && v.metricName === metricName)
          .filter((v) => includes(v.labels, labels))
          .reduce((total, v) => total + v.value, 0)
      )
    )
  return {
    value: (name, labels = {}) =>
      Effect.promise(() => registry.getMetricsAsJSON()).pipe(
        Effect.map((all) =>
          all.filter((m) => m.name === name)
            .flatMap((m) => m.values)
            .filter((v) => includes(v.labels, labels))
            .reduce((total, v) => total + v.value, 0)
        )
      ),
    histogram: (name, labels = {}) =>
      Effect.all({ count: samples(`${name}_count`, labels), sum: samples(`${name}_sum`, labels) })
  }
})

const memoryReader = Effect.map(Effect.service(MetricsMemoryState), (state): Reader => ({
  value: (name, labels) => Effect.sync(() => state.counter(name, labels)),
  histogram: (name, labels) =>
    Effect.sync(() => {
      const observed = state.observations(name, labels)
      return { count: observed.length, sum: observed.reduce((a, b) => a + b, 0) }
    })
}))

/** The Metrics port's contract, run against every adapter. */
const contract = <R>(adapter: string, layer: Layer.Layer<Metrics | R>, reader: Effect.Effect<Reader, never, R>) =>
  describe(`Metrics port contract: ${adapter}`, () => {
    const run = <A>(body: (metrics: Metrics["Service"], read: Reader) => Effect.Effect<A>) =>
      Effect.gen(function*() {
        const metrics = yield* Metrics
        const read: Reader = yield* reader
        return yield* body(metrics, read)
      }).pipe(Effect.provide(layer))

    it.effect("counts batch size mismatches per platform, expected and actual size", () =>
      run((metrics, read) =>
        Effect.gen(function*() {
          yield* metrics.batchSizeMismatch("TIKTOK", "50", "7")
          yield* metrics.batchSizeMismatch("TIKTOK", "50", "7")
          yield* metrics.batchSizeMismatch("YOUTUBE", "20", "3")
          const name = "analytics_batch_size_mismatch_total"
          assert.strictEqual(yield* read.value(name, { platform: "TIKTOK", expected_size: "50", actual_size: "7" }), 2)
          assert.strictEqual(yield* read.value(name, { platform: "YOUTUBE", expected_size: "20", actual_size: "3" }), 1)
          assert.strictEqual(yield* read.value(name, { platform: "YOUTUBE", expected_size: "20", actual_size: "7" }), 0)
          assert.strictEqual(yield* read.value(name), 3)
        })
      ))

    it.effect("counts messages by outcome and items by platform and outcome", () =>
      run((metrics, read) =>
        Effect.gen(function*() {
          yield* metrics.message("acked")
          yield* metrics.message("acked")
          yield* metrics.message("dead_lettered")
          yield* metrics.items("TIKTOK", "stored", 48)
          yield* metrics.items("TIKTOK", "error", 2)
          yield* metrics.items("TIKTOK", "stored", 2)
          yield* metrics.items("YOUTUBE", "skipped", 1)
          assert.strictEqual(yield* read.value("analytics_messages_total", { outcome: "acked" }), 2)
          assert.strictEqual(yield* read.value("analytics_messages_total", { outcome: "dead_lettered" }), 1)
          assert.strictEqual(yield* read.value("analytics_messages_total", { outcome: "requeued" }), 0)
          assert.strictEqual(yield* read.value("analytics_items_total", { platform: "TIKTOK", outcome: "stored" }), 50)
          assert.strictEqual(yield* read.value("analytics_items_total", { platform: "TIKTOK", outcome: "error" }), 2)
          assert.strictEqual(yield* read.value("analytics_items_total", { platform: "YOUTUBE", outcome: "skipped" }), 1)
        })
      ))

    it.effect("observes batch and stage durations", () =>
      run((metrics, read) =>
        Effect.gen(function*() {
          yield* metrics.batchDuration("TIKTOK", 0.25)
          yield* metrics.batchDuration("TIKTOK", 1.5)
          yield* metrics.batchDuration("YOUTUBE", 4)
          yield* metrics.stageDuration("fetch", 0.125)
          const tiktok = yield* read.histogram("analytics_batch_duration_seconds", { platform: "TIKTOK" })
          assert.deepStrictEqual(tiktok, { count: 2, sum: 1.75 })
          const fetch = yield* read.histogram("analytics_stage_duration_seconds", { stage: "fetch" })
          assert.deepStrictEqual(fetch, { count: 1, sum: 0.125 })
          const write = yield* read.histogram("analytics_stage_duration_seconds", { stage: "write" })
          assert.strictEqual(write.count, 0)
        })
      ))

    it.effect("counts errors by stage and category, tracks in-flight batches and dependency state", () =>
      run((metrics, read) =>
        Effect.gen(function*() {
          yield* metrics.error("fetch", "transient")
          yield* metrics.error("fetch", "transient")
          yield* metrics.error("decode", "permanent")
          yield* metrics.inflight(1)
          yield* metrics.inflight(1)
          yield* metrics.inflight(-1)
          yield* metrics.dependencyUp("broker", true)
          yield* metrics.dependencyUp("database", true)
          yield* metrics.dependencyUp("database", false)
          assert.strictEqual(yield* read.value("analytics_errors_total", { stage: "fetch", error_category: "transient" }), 2)
          assert.strictEqual(yield* read.value("analytics_errors_total", { stage: "decode", error_category: "permanent" }), 1)
          assert.strictEqual(yield* read.value("analytics_inflight_batches"), 1)
          assert.strictEqual(yield* read.value("analytics_dependency_up", { dependency: "broker" }), 1)
          assert.strictEqual(yield* read.value("analytics_dependency_up", { dependency: "database" }), 0)
          yield* metrics.deadLettered("OBJECT_MISSING")
          yield* metrics.deadLettered("OBJECT_MISSING")
          yield* metrics.deadLettered("a_code_not_known_in_advance")
          assert.strictEqual(yield* read.value("analytics_dead_letters_total", { code: "OBJECT_MISSING" }), 2)
          assert.strictEqual(yield* read.value("analytics_dead_letters_total", { code: "a_code_not_known_in_advance" }), 1)
          assert.strictEqual(yield* read.value("analytics_dead_letters_total"), 3)
          yield* metrics.queueMessagesReady(12)
          yield* metrics.queueMessagesReady(7)
          assert.strictEqual(yield* read.value("analytics_queue_messages_ready"), 7)
        })
      ))

    it.effect("Readiness publishes every dependency as down at start and each change after", () =>
      Effect.gen(function*() {
        const read: Reader = yield* reader
        const readiness = yield* Readiness
        for (const dependency of ["broker", "database", "storage"]) {
          assert.strictEqual(yield* read.value("analytics_dependency_up", { dependency }), 0)
        }
        yield* readiness.setDependency("storage", true)
        assert.strictEqual(yield* read.value("analytics_dependency_up", { dependency: "storage" }), 1)
        assert.strictEqual(yield* read.value("analytics_dependency_up"), 1)
        assert.isFalse((yield* readiness.ready).ready)
      }).pipe(Effect.provide(Readiness.layer.pipe(Layer.provideMerge(layer)))))
  })

contract("prometheus", MetricsLive, prometheusReader)
contract("memory", MetricsMemory, memoryReader)

describe("MetricsLive", () => {
  const exposition = Effect.flatMap(Effect.service(PrometheusRegistry), (r) => Effect.promise(() => r.metrics()))

  it.effect("each layer has its own registry, so one layer's values never show in another's", () =>
    Effect.gen(function*() {
      yield* Effect.flatMap(Effect.service(Metrics), (m) => m.message("requeued")).pipe(
        Effect.provide(MetricsLive)
      )
      const fresh = yield* exposition.pipe(Effect.provide(MetricsLive))
      assert.notInclude(fresh, `analytics_messages_total{outcome="requeued"} 1`)
      assert.include(fresh, `analytics_messages_total{outcome="requeued"} 0`)
      assert.include(fresh, "# TYPE analytics_messages_total counter")
    }))

  it.effect("a fresh registry exposes at 0 every counter series an alert reads, so a first increment is seen", () =>
    Effect.gen(function*() {
      const text = yield* exposition
      const lines = text.split("\n")
      for (const outcome of ["acked", "dead_lettered", "requeued"]) {
        assert.include(lines, `analytics_messages_total{outcome="${outcome}"} 0`, outcome)
      }
      for (const platform of ["TIKTOK", "YOUTUBE"]) {
        for (const outcome of ["stored", "skipped", "error"]) {
          assert.include(lines, `analytics_items_total{platform="${platform}",outcome="${outcome}"} 0`, `${platform} ${outcome}`)
        }
      }
      for (const code of DEAD_LETTER_CODES) assert.include(lines, `analytics_dead_letters_total{code="${code}"} 0`, code)
      assert.include(lines, "analytics_queue_messages_ready 0")
      // Recording adds to the pre-created series rather than creating a second one.
      yield* (yield* Metrics).message("dead_lettered")
      const after = (yield* exposition).split("\n").filter((l) => l.startsWith("analytics_messages_total{"))
      assert.deepStrictEqual(after.sort(), [
        `analytics_messages_total{outcome="acked"} 0`,
        `analytics_messages_total{outcome="dead_lettered"} 1`,
        `analytics_messages_total{outcome="requeued"} 0`
      ])
    }).pipe(Effect.provide(MetricsLive)))

  it.effect("declares histograms with buckets spanning 0.01 s to 60 s and help texts for every series", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      yield* metrics.batchDuration("TIKTOK", 0.005)
      yield* metrics.batchDuration("TIKTOK", 45)
      const text = yield* exposition
      assert.include(text, `analytics_batch_duration_seconds_bucket{le="0.01",platform="TIKTOK"} 1`)
      assert.include(text, `analytics_batch_duration_seconds_bucket{le="30",platform="TIKTOK"} 1`)
      assert.include(text, `analytics_batch_duration_seconds_bucket{le="60",platform="TIKTOK"} 2`)
      assert.include(text, "# TYPE analytics_batch_duration_seconds histogram")
      assert.include(text, "# TYPE analytics_stage_duration_seconds histogram")
      assert.include(text, "# TYPE analytics_inflight_batches gauge")
      assert.include(text, "# TYPE analytics_dependency_up gauge")
      const helps = text.split("\n").filter((l) => l.startsWith("# HELP analytics_"))
      assert.include(text, "# TYPE analytics_queue_messages_ready gauge")
      assert.strictEqual(helps.length, 10)
      for (const help of helps) assert.isAbove(help.split(" ").slice(3).join(" ").length, 20, help)
    }).pipe(Effect.provide(MetricsLive)))

  it.effect("exports the runtime defaults: CPU, memory and event-loop lag", () =>
    Effect.gen(function*() {
      const text = yield* exposition
      for (
        const name of [
          "process_cpu_user_seconds_total",
          "process_cpu_seconds_total",
          "nodejs_heap_size_used_bytes",
          "nodejs_eventloop_lag_seconds"
        ]
      ) assert.match(text, new RegExp(`^${name} `, "m"), name)
    }).pipe(Effect.provide(MetricsLive)))

  it.effect("a caller bug (negative counter increment, NaN) is dropped and logged, never a failure", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      const exit = yield* Effect.exit(
        Effect.all([metrics.items("TIKTOK", "stored", -3), metrics.batchDuration("TIKTOK", Number.NaN)])
      )
      assert.isTrue(Exit.isSuccess(exit))
      yield* metrics.items("TIKTOK", "stored", 4)
      const text = yield* exposition
      assert.include(text, `analytics_items_total{platform="TIKTOK",outcome="stored"} 4`)
    }).pipe(Effect.provide(MetricsLive)))
})

describe("MetricsMemory", () => {
  it.effect("snapshot lists every series recorded, with its labels and value", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      const state = yield* MetricsMemoryState
      assert.deepStrictEqual(yield* state.snapshot, [])
      yield* metrics.batchSizeMismatch("TIKTOK", "50", "7")
      yield* metrics.stageDuration("write", 0.5)
      const snapshot = yield* state.snapshot
      assert.deepStrictEqual(snapshot, [
        {
          name: "analytics_batch_size_mismatch_total",
          labels: { platform: "TIKTOK", expected_size: "50", actual_size: "7" },
          value: 1,
          observations: []
        },
        { name: "analytics_stage_duration_seconds", labels: { stage: "write" }, value: 1, observations: [0.5] }
      ])
      assert.strictEqual(state.counter("analytics_batch_size_mismatch_total", { platform: "TIKTOK", expected_size: "50", actual_size: "7" }), 1)
      assert.deepStrictEqual(state.observations("analytics_stage_duration_seconds", { stage: "write" }), [0.5])
    }).pipe(Effect.provide(MetricsMemory)))

  it.effect("each build starts empty", () =>
    Effect.gen(function*() {
      yield* Effect.flatMap(Effect.service(Metrics), (m) => m.message("acked")).pipe(Effect.provide(MetricsMemory))
      const total = yield* Effect.map(Effect.service(MetricsMemoryState), (s) => s.counter("analytics_messages_total"))
        .pipe(Effect.provide(MetricsMemory))
      assert.strictEqual(total, 0)
    }))
})

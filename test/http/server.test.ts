import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import { createServer } from "node:net"
import { OpsHttpLive, opsHttpServer } from "../../src/adapters/http/server.ts"
import { MetricsLive } from "../../src/adapters/prometheus/Metrics.ts"
import { Readiness } from "../../src/ports/Readiness.ts"
import { AppConfig } from "../../src/ports/Config.ts"
import { Metrics } from "../../src/ports/Metrics.ts"

/** A real server on a free loopback port, with the services a test drives it through. */
const ServerTest = opsHttpServer({ host: "127.0.0.1", port: 0 }).pipe(
  Layer.provideMerge(Readiness.layer),
  Layer.provideMerge(MetricsLive)
)

const baseUrl = Effect.map(Effect.service(HttpServer.HttpServer), (server) => HttpServer.formatAddress(server.address))

interface Reply {
  readonly status: number
  readonly contentType: string | null
  readonly body: string
}

const get = (path: string) =>
  Effect.flatMap(baseUrl, (url) =>
    Effect.promise(async (): Promise<Reply> => {
      const response = await fetch(`${url}${path}`)
      return { status: response.status, contentType: response.headers.get("content-type"), body: await response.text() }
    }))

const allUp = Effect.gen(function*() {
  const readiness = yield* Readiness
  yield* readiness.setDependency("broker", true)
  yield* readiness.setDependency("database", true)
  yield* readiness.setDependency("storage", true)
})

/** A port that was free a moment ago: the OS hands it out and it is released at once. */
const freePort = Effect.promise(() =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
)

const refused = (url: string) =>
  Effect.promise(() => fetch(url).then(() => false, () => true))

describe("ops HTTP server", () => {
  it.live("GET /healthz answers 200 {status: ok} while the process is alive", () =>
    Effect.gen(function*() {
      const reply = yield* get("/healthz")
      assert.strictEqual(reply.status, 200)
      assert.deepStrictEqual(JSON.parse(reply.body), { status: "ok" })
      assert.match(reply.contentType ?? "", /^application\/json/)
    }).pipe(Effect.provide(ServerTest)))

  it.live("GET /readyz is 503 before any dependency has been reached", () =>
    Effect.gen(function*() {
      const reply = yield* get("/readyz")
      assert.strictEqual(reply.status, 503)
      assert.deepStrictEqual(JSON.parse(reply.body), {
        ready: false,
        dependencies: { broker: false, database: false, storage: false },
        draining: false
      })
    }).pipe(Effect.provide(ServerTest)))

  it.live("GET /readyz is 503 while one dependency is down and 200 once all are up", () =>
    Effect.gen(function*() {
      const readiness = yield* Readiness
      yield* readiness.setDependency("broker", true)
      yield* readiness.setDependency("database", true)
      const partial = yield* get("/readyz")
      assert.strictEqual(partial.status, 503)
      assert.deepStrictEqual(JSON.parse(partial.body).dependencies, { broker: true, database: true, storage: false })

      yield* readiness.setDependency("storage", true)
      const ready = yield* get("/readyz")
      assert.strictEqual(ready.status, 200)
      assert.deepStrictEqual(JSON.parse(ready.body), {
        ready: true,
        dependencies: { broker: true, database: true, storage: true },
        draining: false
      })

      yield* readiness.setDependency("database", false)
      const lost = yield* get("/readyz")
      assert.strictEqual(lost.status, 503)
      assert.strictEqual(JSON.parse(lost.body).dependencies.database, false)
    }).pipe(Effect.provide(ServerTest)))

  it.live("GET /readyz is 503 while draining even with every dependency up, and /healthz stays 200", () =>
    Effect.gen(function*() {
      yield* allUp
      const readiness = yield* Readiness
      yield* readiness.setDraining(true)
      const draining = yield* get("/readyz")
      assert.strictEqual(draining.status, 503)
      assert.deepStrictEqual(JSON.parse(draining.body), {
        ready: false,
        dependencies: { broker: true, database: true, storage: true },
        draining: true
      })
      assert.strictEqual((yield* get("/healthz")).status, 200)
    }).pipe(Effect.provide(ServerTest)))

  it.live("an unknown path, or a known path under another method, is 404", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* get("/nope")).status, 404)
      assert.strictEqual((yield* get("/metrics/extra")).status, 404)
      const url = yield* baseUrl
      const post = yield* Effect.promise(() => fetch(`${url}/healthz`, { method: "POST" }))
      assert.strictEqual(post.status, 404)
    }).pipe(Effect.provide(ServerTest)))

  it.live("GET /metrics serves every §7 series with its labels and values in Prometheus text format", () =>
    Effect.gen(function*() {
      yield* allUp
      const metrics = yield* Metrics
      yield* metrics.batchSizeMismatch("TIKTOK", "50", "7")
      yield* metrics.batchSizeMismatch("TIKTOK", "50", "7")
      yield* metrics.message("acked")
      yield* metrics.message("dead_lettered")
      yield* metrics.items("TIKTOK", "stored", 5)
      yield* metrics.items("TIKTOK", "error", 2)
      yield* metrics.batchDuration("TIKTOK", 0.3)
      yield* metrics.stageDuration("fetch", 0.02)
      yield* metrics.error("fetch", "transient")
      yield* metrics.inflight(2)
      yield* metrics.inflight(-1)
      yield* Effect.flatMap(Effect.service(Readiness), (r) => r.setDependency("storage", false))

      const reply = yield* get("/metrics")
      assert.strictEqual(reply.status, 200)
      assert.match(reply.contentType ?? "", /^text\/plain; version=0\.0\.4/)
      const lines = reply.body.split("\n")
      const expected = [
        `analytics_batch_size_mismatch_total{platform="TIKTOK",expected_size="50",actual_size="7"} 2`,
        `analytics_messages_total{outcome="acked"} 1`,
        `analytics_messages_total{outcome="dead_lettered"} 1`,
        `analytics_items_total{platform="TIKTOK",outcome="stored"} 5`,
        `analytics_items_total{platform="TIKTOK",outcome="error"} 2`,
        `analytics_batch_duration_seconds_bucket{le="0.25",platform="TIKTOK"} 0`,
        `analytics_batch_duration_seconds_bucket{le="0.5",platform="TIKTOK"} 1`,
        `analytics_batch_duration_seconds_count{platform="TIKTOK"} 1`,
        `analytics_batch_duration_seconds_sum{platform="TIKTOK"} 0.3`,
        `analytics_stage_duration_seconds_bucket{le="0.025",stage="fetch"} 1`,
        `analytics_stage_duration_seconds_count{stage="fetch"} 1`,
        `analytics_errors_total{stage="fetch",error_category="transient"} 1`,
        `analytics_inflight_batches 1`,
        `analytics_dependency_up{dependency="broker"} 1`,
        `analytics_dependency_up{dependency="database"} 1`,
        `analytics_dependency_up{dependency="storage"} 0`
      ]
      for (const line of expected) assert.include(lines, line)
      for (
        const name of [
          "analytics_batch_size_mismatch_total",
          "analytics_messages_total",
          "analytics_items_total",
          "analytics_batch_duration_seconds",
          "analytics_stage_duration_seconds",
          "analytics_errors_total",
          "analytics_inflight_batches",
          "analytics_dependency_up"
        ]
      ) {
        assert.isTrue(lines.some((l) => l.startsWith(`# HELP ${name} `)), `HELP for ${name}`)
        assert.isTrue(lines.some((l) => l.startsWith(`# TYPE ${name} `)), `TYPE for ${name}`)
      }
      // Runtime defaults: CPU, memory, event-loop lag.
      for (const name of ["process_cpu_seconds_total", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds"]) {
        assert.isTrue(lines.some((l) => l.startsWith(`${name} `)), `runtime metric ${name}`)
      }
    }).pipe(Effect.provide(ServerTest)))
})

describe("OpsHttpLive (configured by METRICS_ENABLED, METRICS_HOST, METRICS_PORT)", () => {
  const live = (env: Record<string, string>) =>
    OpsHttpLive.pipe(
      Layer.provide(AppConfig.layer),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))),
      Layer.provide(Readiness.layer),
      Layer.provide(MetricsLive)
    )

  it.live("listens on METRICS_HOST:METRICS_PORT when metrics are enabled", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const reply = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/healthz`)).pipe(
        Effect.provide(live({ METRICS_ENABLED: "true", METRICS_HOST: "127.0.0.1", METRICS_PORT: String(port) }))
      )
      assert.strictEqual(reply.status, 200)
      // Closing the layer's scope stops the server.
      assert.isTrue(yield* refused(`http://127.0.0.1:${port}/healthz`))
    }))

  it.live("does not listen at all when METRICS_ENABLED is false", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const isRefused = yield* refused(`http://127.0.0.1:${port}/healthz`).pipe(
        Effect.provide(live({ METRICS_ENABLED: "false", METRICS_HOST: "127.0.0.1", METRICS_PORT: String(port) }))
      )
      assert.isTrue(isRefused)
    }))
})

import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import type { ServeError } from "effect/http/HttpServerError"
import { createServer } from "node:http"
import { Readiness } from "../../ports/Readiness.ts"
import { AppConfig } from "../../ports/Config.ts"
import { PrometheusRegistry } from "../prometheus/Metrics.ts"

const metricsRoute = (registry: PrometheusRegistry["Service"]) =>
  HttpRouter.route(
    "GET",
    "/metrics",
    Effect.tryPromise(() => registry.metrics()).pipe(
      Effect.map((body) => HttpServerResponse.text(body, { contentType: registry.contentType })),
      Effect.catch((error) =>
        Effect.logError("metrics: collection failed", error).pipe(
          Effect.as(HttpServerResponse.text("metrics collection failed\n", { status: 500 }))
        )
      )
    )
  )

const healthzRoute = HttpRouter.route("GET", "/healthz", HttpServerResponse.jsonUnsafe({ status: "ok" }))

const readyzRoute = (readiness: Readiness["Service"]) =>
  HttpRouter.route(
    "GET",
    "/readyz",
    Effect.map(readiness.ready, (report) => HttpServerResponse.jsonUnsafe(report, { status: report.ready ? 200 : 503 }))
  )

/**
 * The operations surface of §7: `/metrics` (Prometheus text exposition of the registry),
 * `/healthz` (200 while the process can answer at all) and `/readyz` (200 with the readiness
 * report when ready, 503 with the same report otherwise). Any other path is a 404.
 */
export const OpsRoutes: Layer.Layer<never, never, HttpRouter.HttpRouter | PrometheusRegistry | Readiness> =
  HttpRouter.use((router) =>
    Effect.gen(function*() {
      const registry = yield* PrometheusRegistry
      const readiness = yield* Readiness
      yield* router.addAll([metricsRoute(registry), healthzRoute, readyzRoute(readiness)])
    })
  )

export interface OpsHttpOptions {
  readonly host: string
  /** 0 picks a free port; read it back from the `HttpServer` service's `address`. */
  readonly port: number
}

const nodeServer = (options: OpsHttpOptions) =>
  NodeHttpServer.layer(() => createServer(), { host: options.host, port: options.port })

/** Scrapes and probes are not logged per request: they arrive every few seconds, forever. */
const servedRoutes = HttpRouter.serve(OpsRoutes, { disableLogger: true })

/**
 * The ops endpoints served by Node's `node:http` (also available under Deno) on `host:port`.
 * The listening `HttpServer` is exposed so a caller (a test binding port 0) can read its address.
 */
export const opsHttpServer = (
  options: OpsHttpOptions
): Layer.Layer<HttpServer.HttpServer, ServeError, PrometheusRegistry | Readiness> =>
  Layer.merge(servedRoutes, Layer.effect(HttpServer.HttpServer, Effect.service(HttpServer.HttpServer))).pipe(
    Layer.provide(nodeServer(options))
  )

/**
 * The ops HTTP server configured by `METRICS_ENABLED`, `METRICS_HOST` and `METRICS_PORT`; when
 * metrics are disabled nothing listens at all (and `/healthz`, `/readyz` go with it).
 */
export const OpsHttpLive: Layer.Layer<never, ServeError, AppConfig | PrometheusRegistry | Readiness> = Layer.unwrap(
  Effect.map(Effect.service(AppConfig), (config) =>
    config.metricsEnabled
      ? servedRoutes.pipe(Layer.provide(nodeServer({ host: config.metricsHost, port: config.metricsPort })))
      : Layer.empty)
)

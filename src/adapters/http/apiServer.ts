import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Clock, Effect, Layer, Redacted, Schema } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse, HttpStaticServer } from "effect/http"
import type { ServeError } from "effect/http/HttpServerError"
import { HttpApiBuilder, HttpApiError, HttpApiMiddleware, HttpApiScalar } from "effect/http-api"
import { createHash, timingSafeEqual } from "node:crypto"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Histogram } from "prom-client"
import { AnalyticsQueries, type PostCursor, type TimeRange } from "../../ports/AnalyticsQueries.ts"
import type { RepositoryError } from "../../ports/AnalyticsRepository.ts"
import { PrometheusRegistry } from "../prometheus/Metrics.ts"
import {
  ApiAuth,
  AspectStat,
  BatchHealth,
  CrawlErrors,
  CrisisPost,
  KeywordStat,
  PostsPage,
  ProjectListing,
  ProjectSummary,
  ReadApi,
  Trend,
  Unauthorized,
  Unavailable
} from "./api.ts"

// ---------------------------------------------------------------------------------------------
// Cursor: opaque to clients, base64url of [published_at, platform, id].

export const encodeCursor = (c: PostCursor): string =>
  Buffer.from(JSON.stringify([c.published_at, c.platform, c.id]), "utf8").toString("base64url")

export const decodeCursor = (s: string): PostCursor | null => {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, "base64url").toString("utf8"))
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "string")) return null
    const [published_at, platform, id] = v as [string, string, string]
    if (Number.isNaN(Date.parse(published_at)) || !/^\d{4}-\d{2}-\d{2}T/.test(published_at)) return null
    if (platform.length > 64 || id.length > 256) return null
    return { published_at, platform, id }
  } catch {
    return null
  }
}

const badRequest = (detail: string) => new HttpApiError.BadRequestProblem({ detail })

/** A read that failed: bad input PostgreSQL refused is the caller's (400), an outage is a 503, anything else a 500. */
const fromRepository = (e: RepositoryError): Effect.Effect<never, HttpApiError.BadRequestProblem | Unavailable> =>
  e.reason === "InvalidData"
    ? Effect.fail(badRequest(e.message))
    : e.reason === "Unavailable"
    ? Effect.fail(new Unavailable({ detail: "the analytics database is unavailable" }))
    : Effect.die(e)

const checkRange = (r: TimeRange) =>
  r.from !== undefined && r.to !== undefined && Date.parse(r.from) >= Date.parse(r.to)
    ? Effect.fail(badRequest("`from` must be before `to`"))
    : Effect.void

/**
 * A handler's answer as the JSON response the framework would make of it, without its per-field
 * Schema encoding: every success schema of api.ts is made of strings, numbers, booleans,
 * literals, nulls, arrays, records and structs, whose encoded form is the value itself, so that
 * encoding only copied the answer, at more than the cost of serialising it (a page of 50 posts).
 * The answer is still checked against the schema's type at compile time; the API tests
 * check every body against what the schema encodes (no extra or missing key).
 */
const answer = <S extends Schema.Top>(_schema: S) => (value: S["Type"]): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(JSON.stringify(value), { contentType: "application/json" })

/** One per endpoint, with the endpoint's success schema (api.ts). */
const respond = {
  projects: answer(Schema.Array(ProjectListing)),
  summary: answer(ProjectSummary),
  posts: answer(PostsPage),
  trend: answer(Trend),
  keywords: answer(Schema.Array(KeywordStat)),
  aspects: answer(Schema.Array(AspectStat)),
  crisis: answer(Schema.Array(CrisisPost)),
  errors: answer(CrawlErrors),
  batches: answer(BatchHealth)
}

const HOUR = 3_600_000
const MAX_SPAN = { hour: 31 * 24 * HOUR, day: 3 * 366 * 24 * HOUR }

/**
 * Answers shared for `ttlMs` by every request with the same key (endpoint, project, parameters):
 * concurrent identical requests run the query once, and a dashboard refreshed by many people
 * costs one query per TTL. Failures are not kept. At most `capacity` entries (oldest out first).
 */
export const responseCache = (ttlMs: number, capacity = 2_000) => {
  const entries = new Map<string, { readonly expires: number; readonly value: Effect.Effect<unknown, unknown> }>()
  return <A, E>(key: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    ttlMs <= 0 ? effect : Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const hit = entries.get(key)
      if (hit !== undefined && hit.expires > now) return hit.value as Effect.Effect<A, E>
      return Effect.flatMap(Effect.cached(effect), (memo) => {
        const value = Effect.tapError(memo, () => Effect.sync(() => entries.delete(key)))
        entries.delete(key)
        entries.set(key, { expires: now + ttlMs, value })
        if (entries.size > capacity) {
          const oldest = entries.keys().next().value
          if (oldest !== undefined) entries.delete(oldest)
        }
        return value
      })
    })
}

const handlersLive = (cacheMs: number) => HttpApiBuilder.group(ReadApi, "analytics", (handlers) =>
  Effect.gen(function*() {
    const raw = yield* AnalyticsQueries
    const cache = responseCache(cacheMs)
    const key = (name: string, ...parts: ReadonlyArray<unknown>) => JSON.stringify([name, ...parts])
    // The same port, each call behind the response cache (without one, the port itself: no key to build).
    const q: typeof raw = cacheMs <= 0 ? raw : {
      projects: cache(key("projects"), raw.projects),
      posts: (query) => cache(key("posts", query), raw.posts(query)),
      summary: (p, range) => cache(key("summary", p, range), raw.summary(p, range)),
      trend: (query) => cache(key("trend", query), raw.trend(query)),
      topKeywords: (p, range, limit) => cache(key("keywords", p, range, limit), raw.topKeywords(p, range, limit)),
      aspects: (p, range) => cache(key("aspects", p, range), raw.aspects(p, range)),
      crisis: (query) => cache(key("crisis", query), raw.crisis(query)),
      crawlErrors: (p, limit) => cache(key("errors", p, limit), raw.crawlErrors(p, limit)),
      batchHealth: (p, limit) => cache(key("batches", p, limit), raw.batchHealth(p, limit))
    }
    const lower = (s: string) => s.toLowerCase()
    return handlers
      .handle("projects", () => Effect.map(Effect.catch(q.projects, fromRepository), respond.projects))
      .handle("summary", ({ params, query }) =>
        checkRange(query).pipe(
          Effect.andThen(Effect.catch(q.summary(lower(params.projectId), query), fromRepository)),
          Effect.map(respond.summary)
        ))
      .handle("posts", ({ params, query }) =>
        Effect.gen(function*() {
          yield* checkRange(query)
          const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
          if (after === null) return yield* badRequest("cursor: not a cursor this API issued")
          const page = yield* Effect.catch(q.posts({
            projectId: lower(params.projectId),
            from: query.from,
            to: query.to,
            platform: query.platform?.toUpperCase(),
            sentiment: query.sentiment,
            intent: query.intent,
            risk: query.risk,
            aspect: query.aspect,
            keyword: query.keyword,
            text: query.q,
            limit: query.limit ?? 50,
            after
          }), fromRepository)
          return respond.posts({ items: page.items, next: page.next === null ? null : encodeCursor(page.next) })
        }))
      .handle("trend", ({ params, query }) =>
        Effect.gen(function*() {
          const bucket = query.bucket ?? "day"
          const timeZone = query.tz ?? "UTC"
          yield* checkRange(query)
          if (Date.parse(query.to) - Date.parse(query.from) > MAX_SPAN[bucket]) {
            return yield* badRequest(bucket === "hour" ? "hourly trend spans at most 31 days" : "daily trend spans at most 3 years")
          }
          const points = yield* Effect.catch(
            q.trend({ projectId: lower(params.projectId), bucket, timeZone, from: query.from, to: query.to }),
            fromRepository
          )
          return respond.trend({ bucket, timeZone, from: query.from, to: query.to, points })
        }))
      .handle("keywords", ({ params, query }) =>
        checkRange(query).pipe(
          Effect.andThen(Effect.catch(q.topKeywords(lower(params.projectId), query, query.limit ?? 20), fromRepository)),
          Effect.map(respond.keywords)
        ))
      .handle("aspects", ({ params, query }) =>
        checkRange(query).pipe(
          Effect.andThen(Effect.catch(q.aspects(lower(params.projectId), query), fromRepository)),
          Effect.map(respond.aspects)
        ))
      .handle("crisis", ({ params, query }) =>
        checkRange(query).pipe(
          Effect.andThen(Effect.catch(
            q.crisis({ projectId: lower(params.projectId), from: query.from, to: query.to, limit: query.limit ?? 20 }),
            fromRepository
          )),
          Effect.map(respond.crisis)
        ))
      .handle("errors", ({ params, query }) =>
        Effect.map(Effect.catch(q.crawlErrors(lower(params.projectId), query.limit ?? 50), fromRepository), respond.errors))
      .handle("batches", ({ params, query }) =>
        Effect.map(Effect.catch(q.batchHealth(lower(params.projectId), query.limit ?? 50), fromRepository), respond.batches))
  }))

// ---------------------------------------------------------------------------------------------
// Authentication

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest()

/** No token: every request passes. A token: `Authorization: Bearer <token>`, compared in constant time. */
export const layerApiAuth = (token: Redacted.Redacted<string> | null) => {
  const expected = token === null ? null : digest(Redacted.value(token))
  return Layer.succeed(ApiAuth, {
    bearer: (httpEffect, { credential }) =>
      expected === null || timingSafeEqual(digest(Redacted.value(credential)), expected)
        ? httpEffect
        : Effect.fail(new Unauthorized({ detail: "a valid bearer token is required (Authorization: Bearer <API_TOKEN>)" }))
  })
}

// ---------------------------------------------------------------------------------------------
// Metrics, caching and security headers for every response

const UUID_SEGMENT = /\/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?=\/|$)/

/** The route label: API paths with the project id replaced, everything else grouped, so labels stay bounded. */
export const routeLabel = (url: string): string => {
  const p = url.split("?")[0] ?? "/"
  if (p.startsWith("/api/")) {
    const route = p.replace(UUID_SEGMENT, "/:projectId")
    return /^\/api\/projects(\/:projectId\/(summary|posts|trend|keywords|aspects|crisis|errors|batches))?$/.test(route) ? route : "/api/other"
  }
  if (p === "/openapi.json" || p === "/docs" || p === "/metrics" || p === "/healthz") return p
  return "static"
}

const makeHistogram = (registry: PrometheusRegistry["Service"]) => {
  const name = "analytics_api_request_duration_seconds"
  const existing = registry.getSingleMetric(name)
  return (existing as Histogram<"route" | "method" | "status"> | undefined) ?? new Histogram({
    name,
    help: "Read API and dashboard response time by route, method and status.",
    labelNames: ["route", "method", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry]
  })
}

/** API answers change only when a batch lands: a short private max-age, and an ETag to revalidate for free. */
const API_CACHE_CONTROL = "private, max-age=10, must-revalidate"
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

const withHeaders = (request: HttpServerRequest.HttpServerRequest, route: string, response: HttpServerResponse.HttpServerResponse) => {
  let r = HttpServerResponse.setHeaders(response, {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY"
  })
  // The reference page at /docs runs the bundled Scalar script inline; everything else is 'self' only.
  r = HttpServerResponse.setHeader(r, "Content-Security-Policy", route === "/docs" ? DOCS_CSP : CSP)
  if (request.method === "GET" && (route.startsWith("/api/projects") || route === "/openapi.json") && r.status === 200 && r.body._tag === "Uint8Array") {
    const etag = `"${createHash("sha1").update(r.body.body).digest("base64url")}"`
    const cached = { ETag: etag, "Cache-Control": API_CACHE_CONTROL, Vary: "Authorization" }
    const ifNoneMatch = request.headers["if-none-match"]
    if (ifNoneMatch !== undefined && ifNoneMatch.split(",").some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      return HttpServerResponse.empty({ status: 304, headers: { ...cached, "X-Content-Type-Options": "nosniff" } })
    }
    r = HttpServerResponse.setHeaders(r, cached)
  } else if (route.startsWith("/api/")) {
    r = HttpServerResponse.setHeader(r, "Cache-Control", "no-store")
  }
  return r
}

const ResponseMiddleware = Layer.unwrap(Effect.gen(function*() {
  const histogram = makeHistogram(yield* PrometheusRegistry)
  return HttpRouter.middleware((httpEffect) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const started = process.hrtime.bigint()
      const route = routeLabel(request.url)
      const response = yield* Effect.onExit(httpEffect, (exit) =>
        Effect.sync(() => {
          if (exit._tag === "Failure") {
            histogram.observe({ route, method: request.method, status: "500" }, Number(process.hrtime.bigint() - started) / 1e9)
          }
        }))
      const out = withHeaders(request, route, response)
      histogram.observe({ route, method: request.method, status: String(out.status) }, Number(process.hrtime.bigint() - started) / 1e9)
      return out
    }), { global: true })
}))

// ---------------------------------------------------------------------------------------------
// Static dashboard, chart library, docs, metrics

const here = path.dirname(fileURLToPath(import.meta.url))
/** The dashboard's files (plain HTML, CSS and ES modules; no build step). */
export const WEB_ROOT = path.resolve(here, "../../../web")
const chartJsDir = path.dirname(createRequire(import.meta.url).resolve("chart.js"))

const StaticRoutes = Layer.mergeAll(
  HttpStaticServer.layer({ root: chartJsDir, prefix: "/vendor/chartjs", cacheControl: "public, max-age=86400" }),
  HttpStaticServer.layer({ root: WEB_ROOT, cacheControl: "no-cache" })
)

const OpsRoutes = Layer.unwrap(Effect.gen(function*() {
  const registry = yield* PrometheusRegistry
  return Layer.mergeAll(
    HttpRouter.add("GET", "/metrics", Effect.tryPromise(() => registry.metrics()).pipe(
      Effect.map((body) => HttpServerResponse.text(body, { contentType: registry.contentType })),
      Effect.orElseSucceed(() => HttpServerResponse.text("metrics collection failed\n", { status: 500 }))
    )),
    HttpRouter.add("GET", "/healthz", HttpServerResponse.jsonUnsafe({ status: "ok" })),
    // Browsers ask for it on every page (the reference page too); there is none.
    HttpRouter.add("GET", "/favicon.ico", HttpServerResponse.empty({ status: 204, headers: { "Cache-Control": "public, max-age=86400" } }))
  )
}))

export interface ReadServerOptions {
  readonly host: string
  /** 0 picks a free port; read it back from the `HttpServer` service's `address`. */
  readonly port: number
  /** Null: no authentication. */
  readonly token: Redacted.Redacted<string> | null
  /** How long identical requests share one answer (default 10 s, as `Cache-Control: max-age`); 0: never. */
  readonly cacheSeconds?: number | undefined
}

/** Every route of `serve`: the API, its OpenAPI document and reference page, the dashboard, /metrics and /healthz. */
export const readRoutes = (token: Redacted.Redacted<string> | null, cacheSeconds = 10) =>
  Layer.mergeAll(
    HttpApiBuilder.layer(ReadApi, { openapiPath: "/openapi.json" }).pipe(
      Layer.provide(handlersLive(cacheSeconds * 1000)),
      Layer.provide(layerApiAuth(token)),
      Layer.provide(HttpApiMiddleware.layerProblemDetails({ includeDetails: true }))
    ),
    // Scalar's own fonts come from its CDN; without them it uses the system's (the CSP allows no other origin).
    HttpApiScalar.layer(ReadApi, { path: "/docs", scalar: { withDefaultFonts: false } as HttpApiScalar.ScalarConfig }),
    StaticRoutes,
    OpsRoutes,
    ResponseMiddleware
  )

/**
 * The read-side server on `host:port`. Needs the queries and a Prometheus registry (its own
 * response-time histogram is registered there and served at /metrics).
 */
export const readServer = (
  options: ReadServerOptions
): Layer.Layer<HttpServer.HttpServer, ServeError | Error, AnalyticsQueries | PrometheusRegistry> =>
  Layer.merge(
    HttpRouter.serve(readRoutes(options.token, options.cacheSeconds), { disableLogger: true }),
    Layer.effect(HttpServer.HttpServer, Effect.service(HttpServer.HttpServer))
  ).pipe(Layer.provide(NodeHttpServer.layer(() => createServer(), { host: options.host, port: options.port }))) as never

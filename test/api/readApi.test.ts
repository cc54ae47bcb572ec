import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted, Result, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import {
  AspectStat,
  BatchHealth,
  CrawlErrors,
  CrisisPost,
  KeywordStat,
  PostsPage,
  ProjectListing,
  ProjectSummary,
  Trend
} from "../../src/adapters/http/api.ts"
import { encodeCursor } from "../../src/adapters/http/apiServer.ts"
import { layerPgReadOnlyClient } from "../../src/adapters/postgres/readOnlyClient.ts"
import { isLoopback, resolveServeSettings, serveSettings } from "../../src/cli/serve.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { sevenPosts } from "../contracts/analyticsQueries.contract.ts"
import { TEST_DATABASE_URL, TestSchema } from "../postgres/testDatabase.ts"
import { errorRecord, ledgerEntry } from "../support/records.ts"
import { get, ReadServer, readServerLayer } from "./harness.ts"

const P = "0a0a0a0a-0000-4000-8000-000000000001"
const EMPTY = "0a0a0a0a-0000-4000-8000-0000000000ff"
const TOKEN = "s3cret-token-for-tests-only"

const seed = Effect.gen(function*() {
  const repo = yield* AnalyticsRepository
  yield* repo.writeBatch({
    ledger: ledgerEntry({ object_path: "b/api/1", project_id: P, expected_size: 50, actual_size: 9, stored_count: 7, error_count: 2 }),
    analytics: sevenPosts(P),
    errors: [errorRecord({ project_id: P, content_id: "e1" }), errorRecord({ project_id: P, content_id: "e2", error_category: "network" })]
  })
})

interface Problem {
  readonly status: number
  readonly title: string
  readonly detail?: string
  readonly errors?: ReadonlyArray<{ readonly path: ReadonlyArray<string | number>; readonly message: string }>
}

/** Each invalid parameter gets a 400 problem naming it. [path and query, where the problem points, or the detail]. */
const invalid: ReadonlyArray<readonly [string, string]> = [
  [`/api/projects/not-a-uuid/summary`, "params.projectId"],
  [`/api/projects/${P}x/posts`, "params.projectId"],
  [`/api/projects/${P}/summary?from=yesterday`, "query.from"],
  [`/api/projects/${P}/summary?to=2025-12-06`, "query.to"],
  [`/api/projects/${P}/summary?from=2025-12-06T00:00:00`, "query.from"],
  [`/api/projects/${P}/summary?from=2025-12-07T00:00:00Z&to=2025-12-06T00:00:00Z`, "`from` must be before `to`"],
  [`/api/projects/${P}/posts?platform=TIK%20TOK`, "query.platform"],
  [`/api/projects/${P}/posts?sentiment=GOOD`, "query.sentiment"],
  [`/api/projects/${P}/posts?intent=crisis`, "query.intent"],
  [`/api/projects/${P}/posts?risk=SEVERE`, "query.risk"],
  [`/api/projects/${P}/posts?aspect=COLOR`, "query.aspect"],
  [`/api/projects/${P}/posts?keyword=`, "query.keyword"],
  [`/api/projects/${P}/posts?keyword=${"k".repeat(101)}`, "query.keyword"],
  [`/api/projects/${P}/posts?q=`, "query.q"],
  [`/api/projects/${P}/posts?q=${"q".repeat(201)}`, "query.q"],
  [`/api/projects/${P}/posts?limit=0`, "query.limit"],
  [`/api/projects/${P}/posts?limit=201`, "query.limit"],
  [`/api/projects/${P}/posts?limit=ten`, "query.limit"],
  [`/api/projects/${P}/posts?limit=1.5`, "query.limit"],
  [`/api/projects/${P}/posts?cursor=not%20a%20cursor`, "query.cursor"],
  [`/api/projects/${P}/posts?cursor=abc`, "cursor: not a cursor this API issued"],
  [`/api/projects/${P}/posts?from=2025-12-07T00:00:00Z&to=2025-12-07T00:00:00Z`, "`from` must be before `to`"],
  [`/api/projects/${P}/trend?to=2025-12-08T00:00:00Z`, "query.from"],
  [`/api/projects/${P}/trend?from=2025-12-01T00:00:00Z`, "query.to"],
  [`/api/projects/${P}/trend?from=2025-12-01T00:00:00Z&to=2025-12-08T00:00:00Z&bucket=week`, "query.bucket"],
  [`/api/projects/${P}/trend?from=2025-12-01T00:00:00Z&to=2025-12-08T00:00:00Z&tz=Mars/Olympus`, "query.tz"],
  [`/api/projects/${P}/trend?from=2025-12-01T00:00:00Z&to=2025-12-08T00:00:00Z&tz=UTC';--`, "query.tz"],
  [`/api/projects/${P}/trend?from=2025-01-01T00:00:00Z&to=2025-03-01T00:00:00Z&bucket=hour`, "hourly trend spans at most 31 days"],
  [`/api/projects/${P}/trend?from=2020-01-01T00:00:00Z&to=2025-03-01T00:00:00Z`, "daily trend spans at most 3 years"],
  [`/api/projects/${P}/keywords?limit=101`, "query.limit"],
  [`/api/projects/${P}/keywords?from=x`, "query.from"],
  [`/api/projects/${P}/aspects?to=x`, "query.to"],
  [`/api/projects/${P}/crisis?limit=-1`, "query.limit"],
  [`/api/projects/${P}/crisis?from=2025-13-01T00:00:00Z`, "query.from"],
  [`/api/projects/${P}/errors?limit=1000`, "query.limit"],
  [`/api/projects/${P}/batches?limit=x`, "query.limit"]
]

const pointsAt = (body: Problem, where: string) =>
  body.detail === where || (body.errors ?? []).some((e) => e.path.join(".") === where)

/** Strings an attacker would try in any parameter. */
const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE post_analytics; --",
  "\" OR 1=1 --",
  "%' OR 1=1 --",
  "1) UNION SELECT * FROM batch_ledger --",
  "\\",
  "$1",
  "<script>alert(1)</script>",
  "${jndi:ldap://x}",
  "giá'); SELECT pg_sleep(5); --"
]

layer(Layer.effectDiscard(seed).pipe(Layer.provideMerge(readServerLayer(null))), { timeout: 120_000 })("read API (no token)", (it) => {
  it.effect("every endpoint answers the seeded project", () =>
    Effect.gen(function*() {
      const { url } = yield* ReadServer
      const projects = yield* get(`${url}/api/projects`)
      assert.strictEqual(projects.status, 200)
      assert.deepStrictEqual(projects.body, [{ projectId: P }])

      const summary = yield* get(`${url}/api/projects/${P}/summary`)
      assert.strictEqual(summary.status, 200)
      const s = summary.body as { total: number; bySentiment: unknown; byPlatform: unknown; lastPublishedAt: string }
      assert.strictEqual(s.total, 7)
      assert.deepStrictEqual(s.bySentiment, { POSITIVE: 3, NEGATIVE: 3, NEUTRAL: 1 })
      assert.deepStrictEqual(s.byPlatform, { FACEBOOK: 1, TIKTOK: 5, YOUTUBE: 1 })
      assert.strictEqual(s.lastPublishedAt, "2025-12-07T00:00:00.000Z")
      // Upper-case ids name the same project.
      assert.strictEqual(((yield* get(`${url}/api/projects/${P.toUpperCase()}/summary`)).body as { total: number }).total, 7)

      const posts = yield* get(`${url}/api/projects/${P}/posts?platform=tiktok&sentiment=NEGATIVE`)
      assert.strictEqual(posts.status, 200)
      assert.deepStrictEqual((posts.body as { items: Array<{ id: string }> }).items.map((p) => p.id), ["1"])
      const text = yield* get(`${url}/api/projects/${P}/posts?q=${encodeURIComponent("GIÁ")}`)
      assert.deepStrictEqual((text.body as { items: Array<{ id: string }> }).items.map((p) => p.id), ["2", "1"])

      const trend = yield* get(`${url}/api/projects/${P}/trend?from=2025-12-01T00:00:00Z&to=2025-12-08T00:00:00Z&tz=Asia/Ho_Chi_Minh`)
      assert.strictEqual(trend.status, 200)
      const t = trend.body as { bucket: string; timeZone: string; points: Array<{ local: string; posts: number }> }
      assert.strictEqual(t.bucket, "day")
      assert.deepStrictEqual(t.points.map((p) => [p.local, p.posts]), [["2025-12-05T00:00", 1], ["2025-12-06T00:00", 4], ["2025-12-07T00:00", 1]])

      const keywords = yield* get(`${url}/api/projects/${P}/keywords?limit=2`)
      assert.deepStrictEqual((keywords.body as Array<{ keyword: string; mentions: number }>).map((k) => [k.keyword, k.mentions]), [["thiết kế", 5], ["giá", 2]])
      const aspects = yield* get(`${url}/api/projects/${P}/aspects`)
      assert.deepStrictEqual((aspects.body as Array<{ aspect: string }>).map((a) => a.aspect), ["DESIGN", "PRICE", "SERVICE"])
      const crisis = yield* get(`${url}/api/projects/${P}/crisis`)
      assert.deepStrictEqual((crisis.body as Array<{ post: { id: string }; reasons: Array<string> }>).map((c) => [c.post.id, c.reasons[0]]), [
        ["1", "risk CRITICAL"], ["3", "risk HIGH"], ["2", "risk HIGH"]
      ])
      const errors = yield* get(`${url}/api/projects/${P}/errors`)
      assert.deepStrictEqual((errors.body as { byCategory: unknown }).byCategory, { content: 1, network: 1 })
      const batches = yield* get(`${url}/api/projects/${P}/batches`)
      const b = batches.body as { batches: number; sizeMismatches: number; recent: Array<{ object_path: string }> }
      assert.strictEqual(b.batches, 1)
      assert.strictEqual(b.sizeMismatches, 1)
      assert.deepStrictEqual(b.recent.map((r) => r.object_path), ["b/api/1"])

      const empty = yield* get(`${url}/api/projects/${EMPTY}/summary`)
      assert.strictEqual((empty.body as { total: number }).total, 0)
    }))

  it.effect("every answer is exactly what its declared schema encodes: no key added, missing or retyped", () =>
    Effect.gen(function*() {
      // The handlers serialise answers without the framework's Schema encoding (apiServer.ts,
      // `answer`); the schema's own decode-then-encode of each body must give the body back.
      const { url } = yield* ReadServer
      const range = "from=2025-12-01T00:00:00Z&to=2025-12-08T00:00:00Z"
      const cases: ReadonlyArray<readonly [string, Schema.Codec<unknown, unknown>]> = [
        ["/api/projects", Schema.Array(ProjectListing) as never],
        [`/api/projects/${P}/summary`, ProjectSummary as never],
        [`/api/projects/${EMPTY}/summary`, ProjectSummary as never],
        [`/api/projects/${P}/posts?limit=3`, PostsPage as never],
        [`/api/projects/${P}/trend?${range}&tz=Asia/Ho_Chi_Minh&bucket=hour`, Trend as never],
        [`/api/projects/${P}/keywords`, Schema.Array(KeywordStat) as never],
        [`/api/projects/${P}/aspects`, Schema.Array(AspectStat) as never],
        [`/api/projects/${P}/crisis`, Schema.Array(CrisisPost) as never],
        [`/api/projects/${P}/errors`, CrawlErrors as never],
        [`/api/projects/${P}/batches`, BatchHealth as never]
      ]
      for (const [path, schema] of cases) {
        const r = yield* get(url + path)
        assert.strictEqual(r.status, 200, path)
        assert.strictEqual(r.headers.get("content-type"), "application/json", path)
        const decoded = Schema.decodeUnknownSync(schema, { onExcessProperty: "error" })(r.body)
        assert.deepStrictEqual(Schema.encodeSync(schema)(decoded), r.body, path)
      }
    }))

  it.effect("cursor pages walk every post exactly once", () =>
    Effect.gen(function*() {
      const { url } = yield* ReadServer
      const seen: Array<string> = []
      let next: string | null = null
      let requests = 0
      do {
        const cursor: string = next === null ? "" : `&cursor=${next}`
        const page = yield* get(`${url}/api/projects/${P}/posts?limit=4${cursor}`)
        assert.strictEqual(page.status, 200)
        const body = page.body as { items: Array<{ id: string }>; next: string | null }
        seen.push(...body.items.map((p) => p.id))
        next = body.next
        requests += 1
      } while (next !== null && requests < 10)
      assert.deepStrictEqual(seen, ["6", "5", "4", "3", "2", "1"])
      assert.strictEqual(requests, 2)
    }))

  it.effect("every invalid parameter is a 400 problem that names it", () =>
    Effect.gen(function*() {
      const { url } = yield* ReadServer
      for (const [path, where] of invalid) {
        const r = yield* get(url + path)
        assert.strictEqual(r.status, 400, `${path}: ${r.text}`)
        assert.strictEqual(r.headers.get("content-type"), "application/problem+json", path)
        const body = r.body as Problem
        assert.strictEqual(body.title, "Bad Request", path)
        assert.ok(pointsAt(body, where), `${path} should point at ${where}: ${r.text}`)
      }
    }))

  it.effect("injection attempts in every parameter are refused or matched literally, and the tables stay", () =>
    Effect.gen(function*() {
      const { url } = yield* ReadServer
      const base = `${url}/api/projects/${P}`
      for (const attack of INJECTIONS) {
        const a = encodeURIComponent(attack)
        // Constrained parameters refuse them.
        for (const path of [
          `${url}/api/projects/${a}/summary`,
          `${base}/summary?from=${a}`, `${base}/summary?to=${a}`,
          `${base}/posts?platform=${a}`, `${base}/posts?sentiment=${a}`, `${base}/posts?intent=${a}`,
          `${base}/posts?risk=${a}`, `${base}/posts?aspect=${a}`, `${base}/posts?limit=${a}`, `${base}/posts?cursor=${a}`,
          `${base}/trend?from=2025-12-01T00:00:00Z&to=2025-12-08T00:00:00Z&tz=${a}`,
          `${base}/trend?from=2025-12-01T00:00:00Z&to=2025-12-08T00:00:00Z&bucket=${a}`,
          `${base}/keywords?limit=${a}`, `${base}/crisis?limit=${a}`, `${base}/errors?limit=${a}`, `${base}/batches?limit=${a}`
        ]) {
          const r = yield* get(path)
          assert.include([400, 404], r.status, `${path}: ${r.status} ${r.text}`)
        }
        // Free text is a bound parameter: matched literally, so it finds nothing.
        for (const path of [`${base}/posts?keyword=${a}`, `${base}/posts?q=${a}`]) {
          const r = yield* get(path)
          assert.strictEqual(r.status, 200, path)
          assert.deepStrictEqual((r.body as { items: Array<unknown> }).items, [], path)
        }
        // A well-formed cursor carrying the attack is only a position.
        const crafted = encodeCursor({ published_at: "2025-12-06T02:00:00.000Z", platform: attack, id: attack })
        const r = yield* get(`${base}/posts?cursor=${crafted}`)
        assert.strictEqual(r.status, 200)
      }
      const summary = yield* get(`${base}/summary`)
      assert.strictEqual((summary.body as { total: number }).total, 7)
    }))

  it.effect("API responses carry an ETag and Cache-Control; a matching If-None-Match is a 304", () =>
    Effect.gen(function*() {
      const { url } = yield* ReadServer
      const first = yield* get(`${url}/api/projects/${P}/summary`)
      const etag = first.headers.get("etag")
      assert.match(etag ?? "", /^"[A-Za-z0-9_-]+"$/)
      assert.strictEqual(first.headers.get("cache-control"), "private, max-age=10, must-revalidate")
      const again = yield* get(`${url}/api/projects/${P}/summary`, { headers: { "If-None-Match": etag ?? "" } })
      assert.strictEqual(again.status, 304)
      assert.strictEqual(again.text, "")
      const other = yield* get(`${url}/api/projects/${P}/summary?from=2025-12-06T00:00:00Z`, { headers: { "If-None-Match": etag ?? "" } })
      assert.strictEqual(other.status, 200)
      const bad = yield* get(`${url}/api/projects/nope/summary`)
      assert.strictEqual(bad.headers.get("cache-control"), "no-store")
      assert.strictEqual(first.headers.get("x-content-type-options"), "nosniff")
    }))

  it.effect("OpenAPI document, reference page, dashboard, chart library and response-time metrics", () =>
    Effect.gen(function*() {
      const { url } = yield* ReadServer
      const openapi = yield* get(`${url}/openapi.json`)
      assert.strictEqual(openapi.status, 200)
      const doc = openapi.body as { openapi: string; paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } }
      assert.strictEqual(doc.openapi, "3.1.0")
      assert.deepStrictEqual(Object.keys(doc.paths).sort(), [
        "/api/projects",
        "/api/projects/{projectId}/aspects",
        "/api/projects/{projectId}/batches",
        "/api/projects/{projectId}/crisis",
        "/api/projects/{projectId}/errors",
        "/api/projects/{projectId}/keywords",
        "/api/projects/{projectId}/posts",
        "/api/projects/{projectId}/summary",
        "/api/projects/{projectId}/trend"
      ])
      assert.property(doc.components.securitySchemes, "bearer")
      const docs = yield* get(`${url}/docs`)
      assert.strictEqual(docs.status, 200)
      assert.include(docs.text, "SMAP Analytics read API")
      // The reference page's script is bundled: nothing is loaded from a CDN, and the CSP forbids other origins.
      assert.notMatch(docs.text, /<script[^>]+src=["']?https?:/)
      assert.include(docs.headers.get("content-security-policy") ?? "", "default-src 'self'")
      const page = yield* get(`${url}/`)
      assert.strictEqual(page.status, 200)
      assert.include(page.headers.get("content-type") ?? "", "text/html")
      assert.include(page.headers.get("content-security-policy") ?? "", "script-src 'self'")
      const chart = yield* get(`${url}/vendor/chartjs/chart.umd.min.js`)
      assert.strictEqual(chart.status, 200)
      assert.include(chart.text, "Chart.js v4")
      const traversal = yield* get(`${url}/vendor/chartjs/..%2F..%2F..%2Fpackage.json`)
      assert.notStrictEqual(traversal.status, 200)
      yield* get(`${url}/api/projects/${P}/crisis`)
      const metrics = yield* get(`${url}/metrics`)
      assert.match(metrics.text, /analytics_api_request_duration_seconds_count\{route="\/api\/projects\/:projectId\/crisis",method="GET",status="200"\} [1-9]/)
      assert.match(metrics.text, /analytics_api_request_duration_seconds_count\{route="\/api\/projects\/:projectId\/summary",method="GET",status="400"\} [1-9]/)
    }))
})

layer(Layer.effectDiscard(seed).pipe(Layer.provideMerge(readServerLayer(TOKEN))), { timeout: 120_000 })("read API (API_TOKEN set)", (it) => {
  it.effect("every API endpoint needs the bearer token; documents and the page do not", () =>
    Effect.gen(function*() {
      const { url } = yield* ReadServer
      const endpoints = ["/api/projects", ...["summary", "posts", "keywords", "aspects", "crisis", "errors", "batches"].map((e) => `/api/projects/${P}/${e}`),
        `/api/projects/${P}/trend?from=2025-12-01T00:00:00Z&to=2025-12-08T00:00:00Z`]
      for (const path of endpoints) {
        const none = yield* get(url + path)
        assert.strictEqual(none.status, 401, path)
        assert.strictEqual((none.body as Problem).title, "Unauthorized")
        const wrong = yield* get(url + path, { headers: { Authorization: `Bearer ${TOKEN}x` } })
        assert.strictEqual(wrong.status, 401, path)
        const basic = yield* get(url + path, { headers: { Authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}` } })
        assert.strictEqual(basic.status, 401, path)
        const right = yield* get(url + path, { headers: { Authorization: `Bearer ${TOKEN}` } })
        assert.strictEqual(right.status, 200, path)
      }
      for (const path of ["/openapi.json", "/docs", "/", "/healthz"]) {
        assert.strictEqual((yield* get(url + path)).status, 200, path)
      }
    }))
})

describe("serve settings", () => {
  const settings = (over: Partial<Parameters<typeof resolveServeSettings>[0]>) =>
    resolveServeSettings({ args: [], host: "127.0.0.1", port: 8080, token: null, auth: null, ...over })

  it("loopback without a token: no authentication; a token turns it on", () => {
    const open = settings({})
    assert.deepStrictEqual(typeof open === "string" ? open : [open.host, open.port, open.token], ["127.0.0.1", 8080, null])
    const locked = settings({ token: TOKEN })
    assert.strictEqual(typeof locked === "string" ? locked : Redacted.value(locked.token ?? Redacted.make("")), TOKEN)
  })

  it("any other address needs a token unless API_AUTH=off", () => {
    assert.match(String(settings({ host: "0.0.0.0" })), /API_TOKEN is required when serving on 0\.0\.0\.0/)
    assert.match(String(settings({ args: ["--host", "10.0.0.5"] })), /API_TOKEN is required/)
    const off = settings({ host: "0.0.0.0", auth: "off" })
    assert.strictEqual(typeof off === "string" ? off : off.token, null)
    const on = settings({ host: "0.0.0.0", token: TOKEN })
    assert.notStrictEqual(typeof on === "string" ? null : on.token, null)
    assert.match(String(settings({ auth: "on" })), /API_TOKEN is required/)
    assert.match(String(settings({ token: "short" })), /at least 16/)
    assert.match(String(settings({ args: ["--port", "99999"] })), /--port/)
    assert.isTrue(isLoopback("127.0.0.2"))
    assert.isFalse(isLoopback("127.0.0.1.evil.example"))
  })

  it.effect("API_DB_CONNECTIONS sizes the read pool, 1-100, default 10", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        serveSettings([]).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: TEST_DATABASE_URL, ...env }))))
      assert.strictEqual((yield* read({})).dbConnections, 10)
      const four = yield* read({ API_DB_CONNECTIONS: "4" })
      assert.strictEqual(four.dbConnections, 4)
      assert.notStrictEqual(typeof four.settings, "string")
      for (const bad of ["0", "101"]) {
        assert.match(String((yield* read({ API_DB_CONNECTIONS: bad })).settings), new RegExp(`API_DB_CONNECTIONS: expected 1-100, got ${bad}`))
      }
      assert.isTrue(Result.isFailure(yield* Effect.result(read({ API_DB_CONNECTIONS: "many" }))))
    }))
})

layer(readServerLayer(null), { timeout: 60_000 })("read-only pool", (it) => {
  it.effect("a write through the read side's pool fails: the session is read-only", () =>
    Effect.gen(function*() {
      const { name } = yield* TestSchema
      const error = yield* Effect.flatMap(SqlClient, (sql) => sql.unsafe(`CREATE TABLE ${name}.x (a int)`)).pipe(
        Effect.provide(layerPgReadOnlyClient({ url: Redacted.make(TEST_DATABASE_URL), searchPath: name, maxConnections: 1 })),
        Effect.flip
      )
      assert.include(String(error.reason.cause instanceof Error ? error.reason.cause.message : error.message), "read-only transaction")
    }))
})

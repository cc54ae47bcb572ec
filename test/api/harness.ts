import { Context, Effect, Layer, Redacted } from "effect"
import { HttpServer } from "effect/http"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { readSideLayers } from "../../src/main.ts"
import { TEST_DATABASE_URL, TestPgMigrated, TestSchema } from "../postgres/testDatabase.ts"

/** A running `serve` (real HTTP server on a free loopback port) over a fresh migrated schema. */
export class ReadServer extends Context.Service<ReadServer, { readonly url: string }>()("test/ReadServer") {}

export const readServerLayer = (token: string | null) =>
  Layer.unwrap(Effect.gen(function*() {
    const { name } = yield* TestSchema
    const server = readSideLayers(
      { url: Redacted.make(TEST_DATABASE_URL), searchPath: name, maxConnections: 4 },
      { host: "127.0.0.1", port: 0, token: token === null ? null : Redacted.make(token) }
    )
    return Layer.effect(ReadServer, Effect.map(Effect.service(HttpServer.HttpServer), (s) => ({
      url: HttpServer.formatAddress(s.address)
    }))).pipe(Layer.provide(server))
  })).pipe(Layer.provideMerge(AnalyticsRepositoryLive), Layer.provideMerge(TestPgMigrated))

export const get = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    const text = await response.text()
    let body: unknown = null
    try {
      body = text.length === 0 ? null : JSON.parse(text)
    } catch {
      body = text
    }
    return { status: response.status, headers: response.headers, body, text }
  })

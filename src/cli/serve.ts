import { Config, Effect, Layer, Option, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { HttpServer } from "effect/http"
import { databaseUrlConfig } from "../ports/Config.ts"
import { runCommand, UsageError } from "./command.ts"

const description = `Serve the read API and the dashboard over the stored analytics (read-only).

  Serves the read API (/api/…, OpenAPI at /openapi.json, reference at /docs), the dashboard (/)
  and /metrics from the database at DATABASE_URL, read-only.

  DATABASE_URL   PostgreSQL URL; give it a SELECT-only role (docs/read-side.md)
  API_HOST       address to bind (default 127.0.0.1); --host overrides
  API_PORT       port (default 8080); --port overrides
  API_TOKEN      bearer token required on /api/… when set
  API_AUTH       on | off: off serves a non-loopback address without a token (default: on
                 when bound to anything but loopback, where API_TOKEN is then required)
  API_CACHE_SECONDS  identical requests share one answer this long (default 10; 0: off)
  API_DB_CONNECTIONS  read-only connections to PostgreSQL, 1-100 (default 10)`

export interface ServeSettings {
  readonly host: string
  readonly port: number
  readonly token: Redacted.Redacted<string> | null
  readonly cacheSeconds?: number | undefined
}

export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

/**
 * Where to listen and whether to authenticate. Authentication is on with a token; bound to
 * anything but loopback, a missing token is an error unless API_AUTH=off says so explicitly.
 */
export const resolveServeSettings = (input: {
  readonly args: ReadonlyArray<string>
  readonly host: string
  readonly port: number
  readonly token: string | null
  readonly auth: "on" | "off" | null
}): ServeSettings | string => {
  const flag = (name: string) => {
    const at = input.args.indexOf(name)
    return at === -1 ? undefined : input.args[at + 1] ?? ""
  }
  const host = flag("--host") ?? input.host
  const portText = flag("--port")
  const port = portText === undefined ? input.port : Number(portText)
  if (host.length === 0) return "--host: expected an address"
  if (!Number.isInteger(port) || port < 0 || port > 65535) return `--port: expected 0-65535, got '${portText}'`
  const token = input.token === null || input.token.length === 0 ? null : input.token
  if (input.auth === "off") return { host, port, token: null }
  if (token === null && (input.auth === "on" || !isLoopback(host))) {
    return `API_TOKEN is required when serving on ${host} (not loopback); set it, or set API_AUTH=off to serve without authentication`
  }
  if (token !== null && token.length < 16) return "API_TOKEN: use at least 16 characters"
  return { host, port, token: token === null ? null : Redacted.make(token) }
}

const settingsConfig = Config.all({
  databaseUrl: databaseUrlConfig,
  host: Config.String("API_HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.Port("API_PORT").pipe(Config.withDefault(8080)),
  token: Config.option(Config.String("API_TOKEN")),
  auth: Config.option(Config.Literals(["on", "off"], "API_AUTH")),
  cacheSeconds: Config.Int("API_CACHE_SECONDS").pipe(Config.withDefault(10)),
  dbConnections: Config.Int("API_DB_CONNECTIONS").pipe(Config.withDefault(10))
})

/** `serve`'s settings from the environment and the arguments; a string is the reason they are unusable. */
export const serveSettings = (args: ReadonlyArray<string>) =>
  Effect.map(settingsConfig, (config) => ({
    databaseUrl: config.databaseUrl,
    /** The read pool's size. */
    dbConnections: config.dbConnections,
    settings: ((settings) =>
      typeof settings === "string"
        ? settings
        : config.dbConnections < 1 || config.dbConnections > 100
        ? `API_DB_CONNECTIONS: expected 1-100, got ${config.dbConnections}`
        : { ...settings, cacheSeconds: Math.max(0, config.cacheSeconds) })(
      resolveServeSettings({
        args,
        host: config.host,
        port: config.port,
        token: Option.getOrNull(config.token),
        auth: Option.getOrNull(config.auth)
      })
    )
  }))

/** `--host` and `--port`, shared by `serve` and `local --serve`. */
export const serveFlags = {
  host: Flag.String("host").pipe(Flag.withDescription("address to bind (API_HOST)"), Flag.optional),
  port: Flag.Int("port").pipe(Flag.withDescription("port (API_PORT; 0: any free port)"), Flag.optional)
}

/** The flags back as arguments for `resolveServeSettings`. */
export const serveArgs = (flags: { readonly host: Option.Option<string>; readonly port: Option.Option<number> }): ReadonlyArray<string> => [
  ...Option.match(flags.host, { onNone: () => [], onSome: (h) => ["--host", h] }),
  ...Option.match(flags.port, { onNone: () => [], onSome: (p) => ["--port", String(p)] })
]

/** Serves until interrupted (Ctrl-C, SIGTERM); prints the dashboard's address once listening. */
export const serveUntilInterrupted = <E, R>(layer: Layer.Layer<HttpServer.HttpServer, E, R>) =>
  Effect.gen(function*() {
    const server = yield* HttpServer.HttpServer
    yield* Effect.sync(() => console.log(`dashboard: ${HttpServer.formatAddress(server.address)}/  (API reference: /docs; Ctrl-C stops)`))
    return yield* Effect.never
  }).pipe(Effect.provide(layer))

export const serve = Command.make("serve", serveFlags, (flags) =>
  runCommand(
    "serve",
    "service",
    Effect.gen(function*() {
      const { databaseUrl, dbConnections, settings } = yield* serveSettings(serveArgs(flags))
      if (typeof settings === "string") return yield* Effect.fail(new UsageError(settings))
      const { readSideLayers } = yield* Effect.promise(() => import("../main.ts"))
      return yield* serveUntilInterrupted(readSideLayers({ url: databaseUrl, maxConnections: dbConnections }, settings))
    }).pipe(Effect.scoped)
  )).pipe(
    Command.withDescription(description),
    Command.withShortDescription("Serve the read API and the dashboard over the stored analytics (read-only).")
  )

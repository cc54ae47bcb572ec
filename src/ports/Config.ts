import { Config, ConfigProvider, Context, Effect, Layer, type LogLevel, Option, Redacted, Schema } from "effect"
import { DEFAULT_MAX_ANALYZED_CHARS, type ImpactSettings } from "../domain/pipeline/index.ts"

/**
 * The validated configuration (§6). Read once, through Effect `Config`, when the layer is
 * built: a missing or invalid variable fails start-up with one line naming it. Secrets stay
 * `Redacted` until the client call that needs them.
 */
export interface AppConfigShape {
  readonly databaseUrl: Redacted.Redacted<string>
  /**
   * The longest a service statement may run (server-side `statement_timeout`); a write with no
   * answer a little after it (a silently stalled connection) fails as unavailable.
   */
  readonly databaseStatementTimeoutMs: number
  readonly rabbitmqUrl: Redacted.Redacted<string>
  readonly prefetchCount: number
  readonly eventExchange: string
  readonly eventRoutingKey: string
  readonly eventQueueName: string
  /**
   * The main queue's type: `quorum` (the default), which counts deliveries itself, so a batch
   * that kills the process (out of memory, a native crash) is dead-lettered `POISON` past
   * `maxDeliveryAttempts` instead of looping for ever; or `classic`. An existing classic queue
   * is adopted as it is, with a warning.
   */
  readonly eventQueueType: "classic" | "quorum"
  readonly deadLetterExchange: string
  readonly deadLetterQueue: string
  readonly maxDeliveryAttempts: number
  readonly minioEndpoint: URL
  readonly minioAccessKey: Redacted.Redacted<string>
  readonly minioSecretKey: Redacted.Redacted<string>
  readonly minioRegion: string
  /** Buckets batches may be read from; the first is where `publish` uploads. */
  readonly buckets: ReadonlyArray<string>
  readonly storageTimeoutMs: number
  readonly maxBatchBytes: number
  readonly maxBatchItems: number
  readonly expectedBatchSize: Readonly<Record<string, number>>
  readonly maxConcurrentBatches: number
  readonly minTextLength: number
  readonly maxComments: number
  /** Longest merged text analysed (characters); the rest is stored, not analysed. */
  readonly maxAnalyzedChars: number
  readonly impact: ImpactSettings
  readonly metricsEnabled: boolean
  readonly metricsHost: string
  readonly metricsPort: number
  readonly logLevel: string
  readonly logFormat: "json" | "pretty"
  readonly publishEnabled: boolean
  readonly publishExchange: string
  readonly publishRoutingKey: string
  readonly shutdownGraceSeconds: number
  readonly lexiconPath: string | null
}

const positiveInt = (name: string, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isGreaterThan(0)), name).pipe(Config.withDefault(fallback))
const nonNegative = (name: string, fallback: number) =>
  Config.schema(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)), name).pipe(Config.withDefault(fallback))
const text = (name: string, fallback: string) => Config.String(name).pipe(Config.withDefault(fallback))
const secret = (name: string, fallback: string) => Config.Redacted(name).pipe(Config.withDefault(Redacted.make(fallback)))

/**
 * Why a service URL cannot be used, or null. The value itself is never quoted: it may carry a
 * password. Checked at start-up so that a typo stops the service with one line instead of a
 * client retrying an unreachable address forever.
 */
export const serviceUrlProblem = (value: string, schemes: ReadonlyArray<string>): string | null => {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    return `not a URL (expected ${schemes.map((s) => `${s}//…`).join(" or ")}; the port must be a number)`
  }
  if (!schemes.includes(url.protocol)) {
    return `scheme '${url.protocol.slice(0, 20)}' is not ${schemes.map((s) => `'${s}'`).join(" or ")}`
  }
  if (url.hostname === "" && !(url.protocol.startsWith("postgres") && url.searchParams.has("host"))) return "the URL names no host"
  return null
}

const serviceUrl = (name: string, fallback: string, schemes: ReadonlyArray<string>) =>
  Config.String(name).pipe(
    Config.withDefault(fallback),
    Config.mapEffect((value) => {
      const problem = serviceUrlProblem(value, schemes)
      return problem === null
        ? Effect.succeed(value.trim())
        : Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message: `${name}: ${problem}` })))
    })
  )

/** DATABASE_URL alone (for `migrate`, which must not be blocked by, say, a bad METRICS_PORT). */
export const databaseUrlConfig: Config.Config<Redacted.Redacted<string>> = serviceUrl(
  "DATABASE_URL",
  "postgres://postgres@127.0.0.1:5432/postgres",
  ["postgres:", "postgresql:"]
).pipe(Config.map(Redacted.make))

/** `LOG_LEVEL` values and the Effect log level each stands for. */
export const LOG_LEVELS: Readonly<Record<string, LogLevel.LogLevel>> = {
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  warning: "Warn",
  error: "Error",
  fatal: "Fatal"
}

/** The pipeline's own settings: what `analyze` reads, and nothing else. */
export const pipelineConfig = Config.all({
  minTextLength: positiveInt("PREPROCESSOR_MIN_TEXT_LENGTH", 10),
  maxComments: Config.Int("PREPROCESSOR_MAX_COMMENTS").pipe(Config.withDefault(5)),
  maxAnalyzedChars: positiveInt("PREPROCESSOR_MAX_ANALYZED_CHARS", DEFAULT_MAX_ANALYZED_CHARS),
  impact: Config.all({
    weights: Config.all({
      views: nonNegative("IMPACT_WEIGHT_VIEW", 0.01),
      likes: nonNegative("IMPACT_WEIGHT_LIKE", 1),
      comments: nonNegative("IMPACT_WEIGHT_COMMENT", 2),
      saves: nonNegative("IMPACT_WEIGHT_SAVE", 3),
      shares: nonNegative("IMPACT_WEIGHT_SHARE", 5)
    }),
    platformWeights: Config.all({
      TIKTOK: nonNegative("IMPACT_PLATFORM_WEIGHT_TIKTOK", 1.0),
      FACEBOOK: nonNegative("IMPACT_PLATFORM_WEIGHT_FACEBOOK", 1.2),
      YOUTUBE: nonNegative("IMPACT_PLATFORM_WEIGHT_YOUTUBE", 1.5),
      INSTAGRAM: nonNegative("IMPACT_PLATFORM_WEIGHT_INSTAGRAM", 1.1),
      UNKNOWN: nonNegative("IMPACT_PLATFORM_WEIGHT_UNKNOWN", 1.0)
    }),
    amplifiers: Config.all({
      NEGATIVE: nonNegative("IMPACT_AMP_NEGATIVE", 1.5),
      POSITIVE: nonNegative("IMPACT_AMP_POSITIVE", 1.1),
      NEUTRAL: nonNegative("IMPACT_AMP_NEUTRAL", 1.0)
    }),
    viralThreshold: nonNegative("IMPACT_VIRAL_THRESHOLD", 70),
    kolFollowerThreshold: nonNegative("IMPACT_KOL_FOLLOWER_THRESHOLD", 50_000),
    maxRawScoreCeiling: positiveInt("IMPACT_MAX_RAW_SCORE_CEILING", 100_000)
  }),
  lexiconPath: Config.option(Config.String("LEXICON_PATH")).pipe(Config.map(Option.getOrNull))
})

export const appConfig: Config.Config<AppConfigShape> = Config.all({
  pipeline: pipelineConfig,
  service: Config.all({
    databaseUrl: databaseUrlConfig,
    databaseStatementTimeoutMs: positiveInt("DATABASE_STATEMENT_TIMEOUT_MS", 10_000),
    rabbitmqUrl: serviceUrl("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672", ["amqp:", "amqps:"]).pipe(Config.map(Redacted.make)),
    prefetchCount: positiveInt("RABBITMQ_PREFETCH_COUNT", 16),
    eventExchange: text("EVENT_EXCHANGE", "smap.events"),
    eventRoutingKey: text("EVENT_ROUTING_KEY", "data.collected"),
    eventQueueName: text("EVENT_QUEUE_NAME", "analytics.data.collected"),
    eventQueueType: Config.Literals(["classic", "quorum"], "EVENT_QUEUE_TYPE").pipe(Config.withDefault("quorum" as const)),
    deadLetterExchange: text("DEAD_LETTER_EXCHANGE", "smap.events.dlx"),
    deadLetterQueue: text("DEAD_LETTER_QUEUE", "analytics.data.collected.dlq"),
    maxDeliveryAttempts: positiveInt("MAX_DELIVERY_ATTEMPTS", 5),
    minioEndpoint: serviceUrl("MINIO_ENDPOINT", "http://127.0.0.1:9000", ["http:", "https:"]).pipe(Config.map((s) => new URL(s))),
    minioAccessKey: secret("MINIO_ACCESS_KEY", "minioadmin"),
    minioSecretKey: secret("MINIO_SECRET_KEY", "minioadmin"),
    minioRegion: text("MINIO_REGION", "us-east-1"),
    buckets: Config.String("MINIO_CRAWL_RESULTS_BUCKET").pipe(
      Config.withDefault("crawl-results"),
      Config.map((s) => s.split(",").map((b) => b.trim()).filter((b) => b.length > 0))
    ),
    storageTimeoutMs: positiveInt("MINIO_TIMEOUT_MS", 30_000),
    maxBatchBytes: positiveInt("MAX_BATCH_BYTES", 16 * 1024 * 1024),
    maxBatchItems: positiveInt("MAX_BATCH_ITEMS", 1000),
    expectedBatchSize: Config.all({
      TIKTOK: positiveInt("EXPECTED_BATCH_SIZE_TIKTOK", 50),
      YOUTUBE: positiveInt("EXPECTED_BATCH_SIZE_YOUTUBE", 20)
    }),
    maxConcurrentBatches: positiveInt("MAX_CONCURRENT_BATCHES", 4),
    metricsEnabled: Config.Boolean("METRICS_ENABLED").pipe(Config.withDefault(true)),
    metricsHost: text("METRICS_HOST", "0.0.0.0"),
    metricsPort: Config.Port("METRICS_PORT").pipe(Config.withDefault(9090)),
    logLevel: Config.Literals(["trace", "debug", "info", "warning", "warn", "error", "fatal"], "LOG_LEVEL").pipe(
      Config.withDefault("info" as const)
    ),
    logFormat: Config.Literals(["json", "pretty"], "LOG_FORMAT").pipe(Config.withDefault("json" as const)),
    publishEnabled: Config.Boolean("PUBLISH_ENABLED").pipe(Config.withDefault(false)),
    publishExchange: text("PUBLISH_EXCHANGE", "results.inbound"),
    publishRoutingKey: text("PUBLISH_ROUTING_KEY", "analyze.result"),
    shutdownGraceSeconds: nonNegative("SHUTDOWN_GRACE_SECONDS", 25),
  })
}).pipe(Config.map(({ pipeline, service }) => ({ ...service, ...pipeline })))

/** The validated configuration as a service. */
export class AppConfig extends Context.Service<AppConfig, AppConfigShape>()("smap/ports/AppConfig") {
  /** Reads the configuration from the current ConfigProvider (the environment by default). */
  static readonly layer = Layer.effect(AppConfig, Effect.map(appConfig, AppConfig.of))
}

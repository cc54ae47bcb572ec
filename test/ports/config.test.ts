import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { mainQueueArguments, topologyFromConfig } from "../../src/adapters/rabbitmq/topology.ts"
import { formatStartupError } from "../../src/cli/errors.ts"
import { appConfig } from "../../src/ports/Config.ts"

const load = (env: Record<string, string>) => appConfig.parse(ConfigProvider.fromEnv({ env }))
const problem = (env: Record<string, string>) =>
  load(env).pipe(Effect.flip, Effect.map(formatStartupError))

describe("configuration (§6)", () => {
  it.effect("every variable has the documented default", () =>
    Effect.gen(function*() {
      const config = yield* load({})
      assert.strictEqual(Redacted.value(config.databaseUrl), "postgres://postgres@127.0.0.1:5432/postgres")
      assert.strictEqual(config.prefetchCount, 16)
      assert.strictEqual(config.eventExchange, "smap.events")
      assert.strictEqual(config.eventRoutingKey, "data.collected")
      assert.strictEqual(config.eventQueueName, "analytics.data.collected")
      assert.strictEqual(config.eventQueueType, "quorum")
      assert.strictEqual(config.maxDeliveryAttempts, 5)
      assert.strictEqual(config.minioEndpoint.href, "http://127.0.0.1:9000/")
      assert.deepStrictEqual(config.buckets, ["crawl-results"])
      assert.deepStrictEqual(config.expectedBatchSize, { TIKTOK: 50, YOUTUBE: 20 })
      assert.strictEqual(config.minTextLength, 10)
      assert.strictEqual(config.maxComments, 5)
      assert.strictEqual(config.maxAnalyzedChars, 20_000)
      assert.strictEqual(config.impact.viralThreshold, 70)
      assert.strictEqual(config.impact.kolFollowerThreshold, 50_000)
      assert.strictEqual(config.impact.maxRawScoreCeiling, 100_000)
      assert.strictEqual(config.impact.platformWeights["YOUTUBE"], 1.5)
      assert.strictEqual(config.metricsEnabled, true)
      assert.strictEqual(config.metricsPort, 9090)
      assert.strictEqual(config.logFormat, "json")
      assert.strictEqual(config.publishEnabled, false)
      assert.strictEqual(config.publishExchange, "results.inbound")
      assert.strictEqual(config.publishRoutingKey, "analyze.result")
      assert.strictEqual(config.shutdownGraceSeconds, 25)
      assert.strictEqual(config.lexiconPath, null)
    }))

  it.effect("names are those of the earlier service and values are read from them", () =>
    Effect.gen(function*() {
      const config = yield* load({
        RABBITMQ_PREFETCH_COUNT: "4",
        MINIO_CRAWL_RESULTS_BUCKET: "crawl-results, crawl-archive",
        EXPECTED_BATCH_SIZE_TIKTOK: "40",
        IMPACT_WEIGHT_SHARE: "7",
        IMPACT_AMP_NEGATIVE: "2",
        METRICS_ENABLED: "false",
        LOG_FORMAT: "pretty",
        PUBLISH_ENABLED: "true",
        PREPROCESSOR_MAX_ANALYZED_CHARS: "5000"
      })
      assert.strictEqual(config.prefetchCount, 4)
      assert.strictEqual(config.maxAnalyzedChars, 5000)
      assert.deepStrictEqual(config.buckets, ["crawl-results", "crawl-archive"])
      assert.strictEqual(config.expectedBatchSize["TIKTOK"], 40)
      assert.strictEqual(config.impact.weights.shares, 7)
      assert.strictEqual(config.impact.amplifiers.NEGATIVE, 2)
      assert.strictEqual(config.metricsEnabled, false)
      assert.strictEqual(config.logFormat, "pretty")
      assert.strictEqual(config.publishEnabled, true)
    }))

  it.effect("an invalid value stops start-up with one line naming the variable and the expected form", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* problem({ MAX_BATCH_ITEMS: "0" }), "invalid configuration: MAX_BATCH_ITEMS: Expected a value greater than 0")
      assert.match(yield* problem({ METRICS_PORT: "http" }), /^invalid configuration: METRICS_PORT: /)
      assert.match(yield* problem({ LOG_FORMAT: "xml" }), /^invalid configuration: LOG_FORMAT: Expected "json" \| "pretty"/)
      assert.match(yield* problem({ MINIO_ENDPOINT: "not a url" }), /^invalid configuration: MINIO_ENDPOINT: /)
      assert.match(yield* problem({ IMPACT_WEIGHT_VIEW: "-1" }), /^invalid configuration: IMPACT_WEIGHT_VIEW: /)
      for (const line of [yield* problem({ MAX_BATCH_ITEMS: "0" }), yield* problem({ LOG_FORMAT: "xml" })]) {
        assert.notInclude(line, "\n")
      }
    }))

  it.effect("malformed service URLs stop start-up with one line that names the variable and never the value", () =>
    Effect.gen(function*() {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ DATABASE_URL: "app:s3cret@db:5432/smap" }, /^invalid configuration: DATABASE_URL: scheme 'app:' is not 'postgres:' or 'postgresql:'$/],
        [{ DATABASE_URL: "db.internal/smap" }, /^invalid configuration: DATABASE_URL: not a URL/],
        [{ DATABASE_URL: "postgres://app:s3cret@db:notaport/smap" }, /^invalid configuration: DATABASE_URL: not a URL .*port must be a number/],
        [{ RABBITMQ_URL: "http://guest:s3cret@127.0.0.1:5672" }, /^invalid configuration: RABBITMQ_URL: scheme 'http:' is not 'amqp:' or 'amqps:'$/],
        [{ RABBITMQ_URL: "amqp://u:s3cret@[bad" }, /^invalid configuration: RABBITMQ_URL: not a URL/],
        [{ MINIO_ENDPOINT: "ftp://s3cret@minio:9000" }, /^invalid configuration: MINIO_ENDPOINT: scheme 'ftp:' is not 'http:' or 'https:'$/],
        [{ MINIO_ENDPOINT: "http://" }, /^invalid configuration: MINIO_ENDPOINT: not a URL/]
      ]
      for (const [env, expected] of cases) {
        const line = yield* problem(env)
        assert.match(line, expected, JSON.stringify(env))
        assert.notInclude(line, "s3cret")
        assert.notInclude(line, "\n")
      }
      const ok = yield* load({
        DATABASE_URL: "postgresql://app:pw@db.internal:6543/smap?sslmode=require",
        RABBITMQ_URL: "amqps://u:p@mq.internal/vhost",
        MINIO_ENDPOINT: "https://s3.internal"
      })
      assert.strictEqual(ok.minioEndpoint.hostname, "s3.internal")
      assert.strictEqual(Redacted.value(ok.rabbitmqUrl), "amqps://u:p@mq.internal/vhost")
      assert.strictEqual((yield* load({ DATABASE_URL: "postgres:///smap?host=/var/run/postgresql" })).lexiconPath, null)
    }))

  it.effect("EVENT_QUEUE_TYPE: quorum by default with the delivery limit from MAX_DELIVERY_ATTEMPTS, classic on request, nothing else", () =>
    Effect.gen(function*() {
      const byDefault = yield* load({})
      assert.strictEqual(byDefault.eventQueueType, "quorum")
      assert.deepStrictEqual(mainQueueArguments(topologyFromConfig(byDefault)), {
        "x-queue-type": "quorum",
        "x-delivery-limit": 5,
        "x-dead-letter-exchange": "smap.events.dlx"
      })
      assert.strictEqual(mainQueueArguments(topologyFromConfig(yield* load({ MAX_DELIVERY_ATTEMPTS: "3" })))["x-delivery-limit"], 3)
      // classic declares exactly the arguments the classic queue always had: existing queues match.
      const classic = yield* load({ EVENT_QUEUE_TYPE: "classic" })
      assert.strictEqual(classic.eventQueueType, "classic")
      assert.deepStrictEqual(mainQueueArguments(topologyFromConfig(classic)), { "x-dead-letter-exchange": "smap.events.dlx" })
      assert.match(yield* problem({ EVENT_QUEUE_TYPE: "stream" }), /^invalid configuration: EVENT_QUEUE_TYPE: Expected "classic" \| "quorum"/)
    }))

  it.effect("secrets stay redacted when printed", () =>
    Effect.gen(function*() {
      const config = yield* load({ DATABASE_URL: "postgres://app:s3cret@db:5432/smap", MINIO_SECRET_KEY: "hunter2" })
      assert.notInclude(String(config.databaseUrl), "s3cret")
      assert.notInclude(JSON.stringify(config), "s3cret")
      assert.notInclude(JSON.stringify(config), "hunter2")
      assert.strictEqual(Redacted.value(config.minioSecretKey), "hunter2")
    }))
})

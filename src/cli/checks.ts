import { Effect, Layer } from "effect"
import { RabbitConnectionLive } from "../adapters/rabbitmq/connection.ts"
import { inspectTopology } from "../adapters/rabbitmq/inspect.ts"
import { RabbitConnection } from "../adapters/rabbitmq/connection.ts"
import { topologyFromConfig } from "../adapters/rabbitmq/topology.ts"
import { BatchStorageS3Live } from "../adapters/s3/BatchStorageS3.ts"
import { AppConfig } from "../ports/Config.ts"
import { BatchStorage } from "../ports/BatchStorage.ts"
import type { Check, CheckResult } from "./check.ts"

/** RabbitMQ: the §5 exchanges and queues exist (checked passively). */
export const rabbitmqCheck: Check = {
  group: "rabbitmq",
  run: Effect.gen(function*() {
    const config = yield* AppConfig
    const connection = yield* RabbitConnection
    const findings = yield* inspectTopology(connection, topologyFromConfig(config))
    return findings.map((f): CheckResult => ({ group: "rabbitmq", ...f }))
  }).pipe(Effect.provide(Layer.fresh(RabbitConnectionLive)), Effect.scoped)
}

/** Storage: every configured bucket is reachable. */
export const storageCheck: Check = {
  group: "storage",
  run: Effect.gen(function*() {
    const storage = yield* BatchStorage
    const config = yield* AppConfig
    return yield* storage.check.pipe(
      Effect.map((): ReadonlyArray<CheckResult> => [{
        group: "storage",
        name: "buckets",
        ok: true,
        detail: `${config.buckets.join(", ")} reachable at ${config.minioEndpoint.origin}`
      }]),
      Effect.catch((error) => Effect.succeed([{ group: "storage", name: "buckets", ok: false, detail: error.message }]))
    )
  }).pipe(Effect.provide(BatchStorageS3Live))
}

export const brokerAndStorageChecks: ReadonlyArray<Check> = [rabbitmqCheck, storageCheck]

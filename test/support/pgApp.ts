import { ConfigProvider, Effect, Layer } from "effect"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { layersWithRepository } from "../../src/main.ts"
import { appConfig } from "../../src/ports/Config.ts"
import { TestPgMigrated } from "../postgres/testDatabase.ts"

/**
 * The delivery handler's ports as the composition root builds them, with the real PostgreSQL
 * repository on a fresh migrated schema and everything else in memory: decode → pipeline →
 * one-transaction write as in production.
 */
export const pgApp = (env: Record<string, string> = {}) =>
  Layer.unwrap(Effect.map(
    appConfig.parse(ConfigProvider.fromEnv({ env })),
    (config) => layersWithRepository(config, AnalyticsRepositoryLive.pipe(Layer.provideMerge(TestPgMigrated)))
  )).pipe(Layer.orDie)

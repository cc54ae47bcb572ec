import { ConfigProvider, Effect, Layer } from "effect"
import { memoryLayers } from "../../src/main.ts"
import type { AnalyticsPipeline } from "../../src/ports/AnalyticsPipeline.ts"
import { appConfig } from "../../src/ports/Config.ts"

/**
 * Every port served in memory, as the service's composition root builds it (`memoryLayers`),
 * plus the controls tests use to seed data and inject faults. `pipeline` replaces the
 * configured pipeline (e.g. one whose analyzer throws).
 */
export const memoryApp = (options: { readonly env?: Record<string, string>; readonly pipeline?: Layer.Layer<AnalyticsPipeline> } = {}) =>
  Layer.unwrap(Effect.map(
    appConfig.parse(ConfigProvider.fromEnv({ env: options.env ?? {} })),
    (config) => memoryLayers(config, { pipeline: options.pipeline })
  )).pipe(Layer.orDie)

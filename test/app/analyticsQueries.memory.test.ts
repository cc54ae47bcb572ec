import { Layer } from "effect"
import { AnalyticsQueriesMemory } from "../../src/adapters/memory/AnalyticsQueries.ts"
import { AnalyticsRepositoryMemory } from "../../src/adapters/memory/AnalyticsRepository.ts"
import { analyticsQueriesContract } from "../contracts/analyticsQueries.contract.ts"

analyticsQueriesContract("in memory", AnalyticsQueriesMemory.pipe(Layer.provideMerge(AnalyticsRepositoryMemory)))

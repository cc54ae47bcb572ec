import { Layer } from "effect"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { AnalyticsQueriesLive } from "../../src/adapters/postgres/AnalyticsQueries.ts"
import { analyticsQueriesContract } from "../contracts/analyticsQueries.contract.ts"
import { TestPgMigrated } from "./testDatabase.ts"

analyticsQueriesContract("PostgreSQL", Layer.merge(AnalyticsQueriesLive, AnalyticsRepositoryLive).pipe(Layer.provide(TestPgMigrated)))

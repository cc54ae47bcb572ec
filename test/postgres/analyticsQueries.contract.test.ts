import { Layer } from "effect"
import { AnalyticsRepositoryPg } from "../../src/adapters/postgres/analyticsRepository.ts"
import { AnalyticsQueriesPg } from "../../src/adapters/postgres/analyticsQueries.ts"
import { analyticsQueriesContract } from "../contracts/analyticsQueries.contract.ts"
import { TestPgMigrated } from "./testDatabase.ts"

analyticsQueriesContract("PostgreSQL", Layer.merge(AnalyticsQueriesPg, AnalyticsRepositoryPg).pipe(Layer.provide(TestPgMigrated)))

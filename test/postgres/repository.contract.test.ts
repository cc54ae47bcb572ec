import { Layer } from "effect"
import { AnalyticsRepositoryPg } from "../../src/adapters/postgres/analyticsRepository.ts"
import { analyticsRepositoryContract } from "../contracts/analyticsRepository.contract.ts"
import { TestPgMigrated } from "./testDatabase.ts"

analyticsRepositoryContract("PostgreSQL", AnalyticsRepositoryPg.pipe(Layer.provide(TestPgMigrated)))

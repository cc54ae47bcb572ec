import { Layer } from "effect"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { analyticsRepositoryContract } from "../contracts/analyticsRepository.contract.ts"
import { TestPgMigrated } from "./testDatabase.ts"

analyticsRepositoryContract("PostgreSQL", AnalyticsRepositoryLive.pipe(Layer.provide(TestPgMigrated)))

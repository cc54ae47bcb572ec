import { AnalyticsRepositoryMemory } from "../../src/adapters/memory/AnalyticsRepository.ts"
import { analyticsRepositoryContract } from "../contracts/analyticsRepository.contract.ts"

analyticsRepositoryContract("in-memory", AnalyticsRepositoryMemory)

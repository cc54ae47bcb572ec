import { AnalyticsRepositoryMemory } from "../../src/adapters/memory/repository.ts"
import { analyticsRepositoryContract } from "../contracts/analyticsRepository.contract.ts"

analyticsRepositoryContract("in-memory", AnalyticsRepositoryMemory)

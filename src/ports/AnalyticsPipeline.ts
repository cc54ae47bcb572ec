import { Context } from "effect"
import type { BatchContext, Item } from "../domain/item.ts"
import type { ItemRecord } from "../domain/records.ts"

/**
 * The analytics pipeline (§3) as configured for this process: settings from the
 * environment, lexicons built in or loaded from `LEXICON_PATH`, and a sentiment analyzer
 * (the lexicon one by default; a model-based one can be put behind the same interface).
 * `analyze` is pure and total: the same item and `now` give the same record, and a defect
 * inside it becomes an `ANALYTICS_ERROR` record rather than a failure.
 */
export class AnalyticsPipeline extends Context.Service<AnalyticsPipeline, {
  readonly modelVersion: string
  readonly analyze: (item: Item, context: BatchContext, now: string) => ItemRecord
}>()("smap/ports/AnalyticsPipeline") {}

/**
 * The service's per-batch work without its runtime: decode the event, decode the object, run the
 * pipeline on every item, deduplicate, build the ledger row. The same domain functions the
 * service's handler (src/app/handleDelivery.ts) calls, in the same order, used by the pipeline
 * ceiling, the COPY ceiling (to compute the rows) and the naive baseline.
 */
import { Effect } from "effect"
import { decodeEntries, readBatchArray, unreadableRecord } from "../../src/domain/batch.ts"
import { decodeEvent } from "../../src/domain/event.ts"
import { completedLedger, type DedupedBatch, dedupeBatch, ledgerSubject } from "../../src/domain/ledger.ts"
import { builtinLexicons, defaultPipelineSettings, makePipeline } from "../../src/domain/pipeline/index.ts"
import { batchPlatform } from "../../src/domain/platform.ts"
import type { AnalyticsRecord, BatchLedgerEntry, ErrorRecord } from "../../src/domain/records.ts"
import { BUCKET } from "./fixture.ts"

const pipeline = makePipeline(defaultPipelineSettings, builtinLexicons)

export interface AnalyzedBatch extends DedupedBatch {
  readonly ledger: BatchLedgerEntry
}

export const analyzeBatch = (eventBody: Uint8Array, objectBytes: Uint8Array, now: string): AnalyzedBatch => {
  const event = Effect.runSync(decodeEvent(eventBody, [BUCKET]))
  const raw = Effect.runSync(readBatchArray(objectBytes))
  const entries = decodeEntries(raw, event.objectPath)
  const platform = batchPlatform(event.platform, entries.map((e) => (e._tag === "Item" ? e.item.meta.platform : null)))
  const context = { ...event.context, platform }
  const analytics: Array<AnalyticsRecord> = []
  const errors: Array<ErrorRecord> = []
  for (const entry of entries) {
    if (entry._tag === "Unreadable") {
      errors.push(unreadableRecord(context, platform, entry.contentId, entry.reason, now, entry.code))
      continue
    }
    const start = performance.now()
    const record = pipeline.analyze(entry.item, context, now)
    if (record.record === "analytics") analytics.push({ ...record, processing_time_ms: performance.now() - start })
    else errors.push(record)
  }
  const batch = dedupeBatch(analytics, errors)
  const ledger = completedLedger(
    ledgerSubject(event, platform, null),
    raw.length,
    batch,
    now
  )
  return { ...batch, ledger }
}

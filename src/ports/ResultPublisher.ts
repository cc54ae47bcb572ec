import { Context, type Effect } from "effect"
import type { QueueError } from "./EventQueue.ts"

/** The §5 result event, sent after a batch committed. */
export interface AnalyzeResult {
  readonly project_id: string | null
  readonly job_id: string | null
  readonly task_type: "analyze_result"
  readonly batch_size: number
  readonly success_count: number
  readonly error_count: number
}

/**
 * Publishes result events (`PUBLISH_EXCHANGE` / `PUBLISH_ROUTING_KEY`) with publisher
 * confirms: success means the broker accepted the message. Disabled publishing is an
 * adapter that does nothing. A batch may be published more than once after redelivery.
 */
export class ResultPublisher extends Context.Service<
  ResultPublisher,
  { readonly publish: (result: AnalyzeResult) => Effect.Effect<void, QueueError> }
>()("smap/ports/ResultPublisher") {}

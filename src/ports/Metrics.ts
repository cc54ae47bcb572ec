import { Context, type Effect } from "effect"
import { DEAD_LETTER_CODES as DOMAIN_DEAD_LETTER_CODES, type Stage } from "../domain/errors.ts"

export type MessageOutcome = "acked" | "dead_lettered" | "requeued"
export type ItemOutcome = "stored" | "skipped" | "error"
export type Dependency = "broker" | "database" | "storage"
export type { Stage }

/** Every message outcome, item outcome and event platform: the label values alerts read. */
export const MESSAGE_OUTCOMES: ReadonlyArray<MessageOutcome> = ["acked", "dead_lettered", "requeued"]
export const ITEM_OUTCOMES: ReadonlyArray<ItemOutcome> = ["stored", "skipped", "error"]
export const PLATFORMS: ReadonlyArray<string> = ["TIKTOK", "YOUTUBE"]
/**
 * The codes the consumer dead-letters with (docs/operations.md section 4).
 * `analytics_dead_letters_total` starts at 0 for each.
 */
export const DEAD_LETTER_CODES: ReadonlyArray<string> = DOMAIN_DEAD_LETTER_CODES

/**
 * The §7 metrics, named by what happened rather than by the metrics library. Every label
 * value passed here is already bounded by the caller (see `domain/batch.ts` for the
 * mismatch labels), so an adapter may use them as labels directly. Recording never fails.
 */
export class Metrics extends Context.Service<
  Metrics,
  {
    readonly batchSizeMismatch: (platform: string, expectedSize: string, actualSize: string) => Effect.Effect<void>
    readonly message: (outcome: MessageOutcome) => Effect.Effect<void>
    readonly items: (platform: string, outcome: ItemOutcome, count: number) => Effect.Effect<void>
    readonly batchDuration: (platform: string, seconds: number) => Effect.Effect<void>
    readonly stageDuration: (stage: Stage, seconds: number) => Effect.Effect<void>
    readonly error: (stage: Stage, errorCategory: string) => Effect.Effect<void>
    readonly inflight: (delta: number) => Effect.Effect<void>
    readonly dependencyUp: (dependency: Dependency, up: boolean) => Effect.Effect<void>
    /** A message the consumer moved to the dead-letter queue, by its code. */
    readonly deadLettered: (code: string) => Effect.Effect<void>
    /** Messages ready for delivery in the main event queue, as the broker last reported it. */
    readonly queueMessagesReady: (count: number) => Effect.Effect<void>
  }
>()("smap/ports/Metrics") {}

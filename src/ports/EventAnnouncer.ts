import { Context, type Effect } from "effect"
import type { QueueError } from "./EventQueue.ts"

/**
 * Announces a batch the way a crawler does: publishes a `data.collected` event body where the
 * consumer's queue receives it (persistent and confirmed on a broker). Used by `publish` and
 * the local run, not by the consumer.
 */
export class EventAnnouncer extends Context.Service<
  EventAnnouncer,
  { readonly announce: (body: Uint8Array, messageId: string) => Effect.Effect<void, QueueError> }
>()("smap/ports/EventAnnouncer") {}

import { Effect, Layer } from "effect"
import { EventAnnouncer } from "../../ports/EventAnnouncer.ts"
import { MemoryQueueControl } from "./EventQueue.ts"

/** Announcements go straight into the in-memory queue. */
export const EventAnnouncerMemory: Layer.Layer<EventAnnouncer, never, MemoryQueueControl> = Layer.effect(
  EventAnnouncer,
  MemoryQueueControl.useSync((queue) => EventAnnouncer.of({ announce: (body) => Effect.asVoid(queue.publish(body)) }))
)

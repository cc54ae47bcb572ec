import { Effect, Layer } from "effect"
import { AppConfig } from "../../ports/Config.ts"
import { EventAnnouncer } from "../../ports/EventAnnouncer.ts"
import { RabbitConnection } from "./connection.ts"
import { publishEvent } from "./tools.ts"
import { declareTopology, topologyFromConfig } from "./topology.ts"

/** Declares the §5 topology once, then publishes each event to the event exchange, persistent and confirmed. */
export const EventAnnouncerLive: Layer.Layer<EventAnnouncer, never, AppConfig | RabbitConnection> = Layer.effect(
  EventAnnouncer,
  Effect.gen(function*() {
    const connection = yield* RabbitConnection
    const topology = topologyFromConfig(yield* AppConfig)
    let declared = false
    return EventAnnouncer.of({
      announce: (body, messageId) =>
        Effect.gen(function*() {
          if (!declared) {
            yield* declareTopology(yield* connection.current, topology)
            declared = true
          }
          yield* publishEvent(connection, { exchange: topology.exchange, routingKey: topology.routingKey, body, messageId })
        })
    })
  })
)

import { Effect } from "effect"
import { encodeEvent, type EventEnvelope } from "../domain/event.ts"
import { BatchStorage } from "../ports/BatchStorage.ts"
import { EventAnnouncer } from "../ports/EventAnnouncer.ts"

export interface BatchUpload {
  readonly bucket: string
  readonly key: string
  readonly bytes: Uint8Array
  readonly compress?: boolean
  /** The event, but for `minio_path`, which is the upload's. */
  readonly event: Omit<EventEnvelope, "payload"> & { readonly payload: Omit<EventEnvelope["payload"], "minio_path"> }
}

/**
 * What a crawler does for one batch: upload it, then announce it with a `data.collected`
 * event encoded by the Schema the consumer decodes it with. Returns the event as sent.
 */
export const uploadAndAnnounce = (upload: BatchUpload) =>
  Effect.gen(function*() {
    yield* (yield* BatchStorage).put({ bucket: upload.bucket, key: upload.key }, upload.bytes, { compress: upload.compress ?? false })
    const event: EventEnvelope = { ...upload.event, payload: { ...upload.event.payload, minio_path: `${upload.bucket}/${upload.key}` } }
    yield* (yield* EventAnnouncer).announce(encodeEvent(event), event.event_id ?? `${upload.bucket}/${upload.key}`)
    return event
  })

import { Context, Effect, Layer, Ref } from "effect"
import type { AnalyticsRecord, BatchLedgerEntry, ErrorRecord } from "../../domain/records.ts"
import {
  AnalyticsRepository,
  type BatchWrite,
  type PostKey,
  RepositoryError,
  type RowCounts,
  type StoredLedgerEntry
} from "../../ports/AnalyticsRepository.ts"

interface Tables {
  readonly posts: ReadonlyMap<string, AnalyticsRecord>
  readonly errors: ReadonlyMap<string, ErrorRecord>
  readonly ledger: ReadonlyMap<string, StoredLedgerEntry>
}

/** Failures a test can make the in-memory database produce. */
export interface RepositoryFault {
  readonly reason: RepositoryError["reason"]
  /** Fail only when the batch holds this post id (a failure "mid-batch"); any write otherwise. */
  readonly whenPostId?: string
  /** How many writes fail before the fault clears (default: until cleared). */
  readonly times?: number
}

/** Test handle on the in-memory repository: inject faults, inspect the tables. */
export class MemoryRepositoryControl extends Context.Service<MemoryRepositoryControl, {
  readonly inject: (fault: RepositoryFault | null) => Effect.Effect<void>
  readonly tables: Effect.Effect<Tables>
  readonly writeCount: Effect.Effect<number>
  /** Calls failed by an injected fault so far (each retry of a write counts). */
  readonly injectedFailures: Effect.Effect<number>
}>()("smap/adapters/memory/MemoryRepositoryControl") {}

// JSON keys keep (project_id, platform, id) distinct without a separator that ids could contain.
const postKey = (k: PostKey) => JSON.stringify([k.project_id, k.platform, k.id])
const errorKey = (e: ErrorRecord) => JSON.stringify([e.content_id, e.project_id, e.platform, e.job_id])

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Rejects what PostgreSQL's column types would reject, so both adapters fail alike. */
const validate = (batch: BatchWrite): Effect.Effect<void, RepositoryError> => {
  const projects = [batch.ledger.project_id, ...batch.analytics.map((r) => r.project_id), ...batch.errors.map((r) => r.project_id)]
  const bad = projects.find((p) => p !== null && !UUID.test(p))
  return bad === undefined
    ? Effect.void
    : Effect.fail(new RepositoryError({ reason: "InvalidData", message: `invalid input syntax for type uuid: "${bad}"` }))
}

/** A null crawled_at is the oldest; ISO-8601 UTC strings compare in time order. */
const isOlder = (incoming: string | null, stored: string | null) =>
  stored !== null && (incoming === null || incoming < stored)

const upsertLedger = (
  ledger: Map<string, StoredLedgerEntry>,
  entry: BatchLedgerEntry
) => {
  const previous = ledger.get(entry.object_path)
  ledger.set(entry.object_path, {
    ...entry,
    first_attempt_at: previous?.first_attempt_at ?? entry.attempted_at,
    last_attempt_at: entry.attempted_at,
    attempts: (previous?.attempts ?? 0) + 1
  })
}

/**
 * The AnalyticsRepository port in memory, with the same semantics as PostgreSQL: a batch
 * is applied to a copy of the tables and swapped in at once, so a failure leaves nothing.
 */
export const AnalyticsRepositoryMemory = Layer.effectContext(Effect.gen(function*() {
  const state = yield* Ref.make<Tables>({ posts: new Map(), errors: new Map(), ledger: new Map() })
  const fault = yield* Ref.make<RepositoryFault | null>(null)
  const writes = yield* Ref.make(0)
  const failures = yield* Ref.make(0)

  const failIfInjected = (postIds: ReadonlyArray<string>) =>
    Effect.flatMap(Ref.get(fault), (f) => {
      if (f === null || (f.whenPostId !== undefined && !postIds.includes(f.whenPostId))) return Effect.void
      const next = f.times === undefined ? f : f.times <= 1 ? null : { ...f, times: f.times - 1 }
      return Ref.set(fault, next).pipe(
        Effect.andThen(Ref.update(failures, (n) => n + 1)),
        Effect.andThen(Effect.fail(new RepositoryError({ reason: f.reason, message: `injected ${f.reason} failure` })))
      )
    })

  const repository = AnalyticsRepository.of({
    writeBatch: (batch) =>
      failIfInjected(batch.analytics.map((r) => r.id)).pipe(
        Effect.andThen(validate(batch)),
        Effect.andThen(Ref.update(state, (t) => {
          const posts = new Map(t.posts)
          for (const row of batch.analytics) {
            const key = postKey(row)
            const stored = posts.get(key)
            if (stored === undefined || !isOlder(row.crawled_at, stored.crawled_at)) posts.set(key, row)
          }
          const errors = new Map(t.errors)
          for (const row of batch.errors) {
            const key = errorKey(row)
            const stored = errors.get(key)
            errors.set(key, stored === undefined ? row : { ...row, created_at: stored.created_at })
          }
          const ledger = new Map(t.ledger)
          upsertLedger(ledger, batch.ledger)
          return { posts, errors, ledger }
        })),
        Effect.andThen(Ref.update(writes, (n) => n + 1))
      ),
    recordFailedBatch: (entry) =>
      failIfInjected([]).pipe(Effect.andThen(Ref.update(state, (t) => {
        const ledger = new Map(t.ledger)
        upsertLedger(ledger, entry)
        return { ...t, ledger }
      }))),
    findPost: (key) => Effect.map(Ref.get(state), (t) => t.posts.get(postKey(key)) ?? null),
    ledger: (objectPath) => Effect.map(Ref.get(state), (t) => t.ledger.get(objectPath) ?? null),
    counts: (projectId) =>
      Effect.map(Ref.get(state), (t): RowCounts => {
        const match = (p: string | null) => projectId === undefined || p === projectId
        return {
          analytics: [...t.posts.values()].filter((r) => match(r.project_id)).length,
          errors: [...t.errors.values()].filter((r) => match(r.project_id)).length,
          batches: [...t.ledger.values()].filter((r) => match(r.project_id)).length
        }
      }),
    check: Effect.flatMap(Ref.get(fault), (f) =>
      f !== null && f.reason === "Unavailable" && f.whenPostId === undefined
        ? Effect.fail(new RepositoryError({ reason: "Unavailable", message: "injected outage" }))
        : Effect.void)
  })
  const control = MemoryRepositoryControl.of({
    inject: (f) => Ref.set(fault, f),
    tables: Ref.get(state),
    writeCount: Ref.get(writes),
    injectedFailures: Ref.get(failures)
  })
  return Context.make(AnalyticsRepository, repository).pipe(Context.add(MemoryRepositoryControl, control))
}))

/**
 * The fault suite's independent checker: what was expected (test/faults/workload.ts) against
 * what is in PostgreSQL and RabbitMQ after the run, counted with its own SQL (the `pg` package)
 * and its own queue inspection (amqplib). It shares no code with the service: nothing here
 * imports src/. The counting (`evaluate`, `failures`) is pure and unit-tested
 * (test/faults/checker.test.ts).
 */
import * as amqp from "amqplib"
import pg from "pg"

/** A batch that must be stored: every row once, its ledger row completed with these counts. */
export interface ExpectedBatch {
  readonly label: string
  readonly objectPath: string
  /** `project|platform|id` of each post_analytics row. */
  readonly posts: ReadonlyArray<string>
  /** `project|platform|content_id` of each crawl_errors row. */
  readonly errors: ReadonlyArray<string>
  readonly actualSize: number
  readonly duplicates: number
}

/** An event that must end as one dead letter (by identity, contract §5) with this code. */
export interface ExpectedDead {
  readonly label: string
  readonly identity: string
  readonly code: string
  /** Where a `failed` ledger row must be: events that named their object; null for the rest. */
  readonly ledgerPath: string | null
}

export interface Expectations {
  /** Publications confirmed by the broker (an event published twice counts twice). */
  readonly published: number
  /** Distinct events. */
  readonly events: number
  readonly batches: ReadonlyArray<ExpectedBatch>
  readonly dead: ReadonlyArray<ExpectedDead>
}

interface RowCount {
  readonly key: string
  readonly count: number
}

export interface LedgerRow {
  readonly objectPath: string
  readonly status: string
  readonly actualSize: number
  readonly stored: number
  readonly skipped: number
  readonly errors: number
  readonly duplicates: number
  readonly failureReason: string | null
}

interface DeadLetterSeen {
  readonly identity: string
  readonly code: string
}

export interface Observed {
  readonly analytics: ReadonlyArray<RowCount>
  readonly errors: ReadonlyArray<RowCount>
  readonly ledger: ReadonlyArray<LedgerRow>
  readonly deadLetters: ReadonlyArray<DeadLetterSeen>
  readonly leftInQueue: number
}

export interface FaultRecovery {
  readonly name: string
  /** Seconds from the end of the fault to the first batch committed after it; null: never. */
  readonly recoverySeconds: number | null
}

export interface Report {
  readonly published: number
  readonly events: number
  readonly expectedRows: number
  readonly storedExactlyOnce: number
  readonly lost: number
  readonly duplicateRows: number
  readonly partialBatches: number
  readonly unexpectedRows: number
  readonly deadExpected: Readonly<Record<string, number>>
  readonly deadActual: Readonly<Record<string, number>>
  /** Dead-letter copies beyond the first of one identity (a copy made again after a crash). */
  readonly deadRepeatedCopies: number
  /** Expected dead letters absent, or present with another code. */
  readonly deadMissing: ReadonlyArray<string>
  /** Dead letters nobody expected (identity: code). */
  readonly deadUnexpected: ReadonlyArray<string>
  readonly ledgerMismatches: ReadonlyArray<string>
  readonly leftInQueue: number
  readonly lostSamples: ReadonlyArray<string>
  readonly unexpectedSamples: ReadonlyArray<string>
  readonly faults: ReadonlyArray<FaultRecovery>
}

const countBy = (keys: Iterable<string>) => {
  const counts = new Map<string, number>()
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1)
  return counts
}

/** Compares what is stored and dead-lettered with what was expected. Pure. */
export const evaluate = (expected: Expectations, observed: Observed, faults: ReadonlyArray<FaultRecovery> = []): Report => {
  const found = new Map<string, number>()
  for (const row of observed.analytics) found.set(`post|${row.key}`, (found.get(`post|${row.key}`) ?? 0) + row.count)
  for (const row of observed.errors) found.set(`error|${row.key}`, (found.get(`error|${row.key}`) ?? 0) + row.count)

  const expectedKeys = new Set<string>()
  let storedExactlyOnce = 0
  let lost = 0
  let partialBatches = 0
  const lostSamples: Array<string> = []
  const ledger = new Map(observed.ledger.map((l) => [l.objectPath, l]))
  const ledgerMismatches: Array<string> = []
  const expectedLedger = new Set<string>()

  for (const batch of expected.batches) {
    const keys = [...batch.posts.map((k) => `post|${k}`), ...batch.errors.map((k) => `error|${k}`)]
    let present = 0
    for (const key of keys) {
      expectedKeys.add(key)
      const n = found.get(key) ?? 0
      if (n === 1) storedExactlyOnce += 1
      if (n >= 1) present += 1
      else {
        lost += 1
        if (lostSamples.length < 10) lostSamples.push(`${batch.label} ${batch.objectPath}: ${key}`)
      }
    }
    if (present > 0 && present < keys.length) partialBatches += 1
    expectedLedger.add(batch.objectPath)
    const row = ledger.get(batch.objectPath)
    const want = `completed actual=${batch.actualSize} stored+skipped=${batch.posts.length} errors=${batch.errors.length} duplicates=${batch.duplicates}`
    if (row === undefined) ledgerMismatches.push(`${batch.objectPath}: no ledger row, wanted ${want}`)
    else {
      const got = `${row.status} actual=${row.actualSize} stored+skipped=${row.stored + row.skipped} errors=${row.errors} duplicates=${row.duplicates}`
      if (got !== want) ledgerMismatches.push(`${batch.objectPath}: ${got}, wanted ${want}`)
    }
  }

  let duplicateRows = 0
  let unexpectedRows = 0
  const unexpectedSamples: Array<string> = []
  for (const [key, n] of found) {
    if (n > 1) duplicateRows += n - 1
    if (!expectedKeys.has(key)) {
      unexpectedRows += n
      if (unexpectedSamples.length < 10) unexpectedSamples.push(key)
    }
  }

  // Dead letters, one per identity (contract §5): repeated copies are reported, not counted twice.
  const seen = new Map<string, string>()
  let deadRepeatedCopies = 0
  const deadUnexpected: Array<string> = []
  for (const letter of observed.deadLetters) {
    const earlier = seen.get(letter.identity)
    if (earlier === undefined) seen.set(letter.identity, letter.code)
    else if (earlier === letter.code) deadRepeatedCopies += 1
    else deadUnexpected.push(`${letter.identity}: a second copy with ${letter.code} (first ${earlier})`)
  }
  const deadMissing: Array<string> = []
  const wanted = new Map<string, ExpectedDead>()
  for (const d of expected.dead) wanted.set(d.identity, d)
  for (const d of wanted.values()) {
    const code = seen.get(d.identity)
    if (code === undefined) deadMissing.push(`${d.label} ${d.identity}: no dead letter, wanted ${d.code}`)
    else if (code !== d.code) deadMissing.push(`${d.label} ${d.identity}: dead-lettered ${code}, wanted ${d.code}`)
    if (d.ledgerPath !== null) {
      expectedLedger.add(d.ledgerPath)
      const row = ledger.get(d.ledgerPath)
      if (row === undefined) ledgerMismatches.push(`${d.ledgerPath}: no ledger row, wanted failed ${d.code}`)
      else if (row.status !== "failed" || !(row.failureReason ?? "").startsWith(`${d.code}: `)) {
        ledgerMismatches.push(`${d.ledgerPath}: ${row.status} ${(row.failureReason ?? "").slice(0, 60)}, wanted failed ${d.code}`)
      }
    }
  }
  for (const [identity, code] of seen) if (!wanted.has(identity)) deadUnexpected.push(`${identity}: ${code}`)
  for (const row of observed.ledger) {
    if (!expectedLedger.has(row.objectPath)) ledgerMismatches.push(`${row.objectPath}: a ledger row nobody expected (${row.status})`)
  }

  return {
    published: expected.published,
    events: expected.events,
    expectedRows: expectedKeys.size,
    storedExactlyOnce,
    lost,
    duplicateRows,
    partialBatches,
    unexpectedRows,
    deadExpected: Object.fromEntries([...countBy([...wanted.values()].map((d) => d.code))].sort()),
    deadActual: Object.fromEntries([...countBy(seen.values())].sort()),
    deadRepeatedCopies,
    deadMissing,
    deadUnexpected,
    ledgerMismatches,
    leftInQueue: observed.leftInQueue,
    lostSamples,
    unexpectedSamples,
    faults
  }
}

/** Why the run fails; empty when every count is 0 or equal to its expectation. */
export const failures = (report: Report): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (report.storedExactlyOnce !== report.expectedRows) problems.push(`stored exactly once ${report.storedExactlyOnce} of ${report.expectedRows}`)
  if (report.lost !== 0) problems.push(`lost ${report.lost}`)
  if (report.duplicateRows !== 0) problems.push(`duplicate rows ${report.duplicateRows}`)
  if (report.partialBatches !== 0) problems.push(`partial batches ${report.partialBatches}`)
  if (report.unexpectedRows !== 0) problems.push(`unexpected rows ${report.unexpectedRows}`)
  if (report.deadMissing.length !== 0) problems.push(`dead letters missing or with another code: ${report.deadMissing.length}`)
  if (report.deadUnexpected.length !== 0) problems.push(`unexpected dead letters: ${report.deadUnexpected.length}`)
  if (report.ledgerMismatches.length !== 0) problems.push(`ledger mismatches ${report.ledgerMismatches.length}`)
  if (report.leftInQueue !== 0) problems.push(`left in queue ${report.leftInQueue}`)
  for (const f of report.faults) if (f.recoverySeconds === null) problems.push(`no recovery after ${f.name}`)
  return problems
}

const codes = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts).map(([code, n]) => `${code} ${n}`).join(", ") || "none"

export const formatReport = (report: Report): string => {
  const lines = [
    `published                  ${report.published} (${report.events} distinct events)`,
    `stored exactly once        ${report.storedExactlyOnce} of ${report.expectedRows} expected rows`,
    `lost                       ${report.lost}`,
    `duplicate rows             ${report.duplicateRows}`,
    `partial batches            ${report.partialBatches}`,
    `unexpected rows            ${report.unexpectedRows}`,
    `dead-lettered expected     ${Object.values(report.deadExpected).reduce((a, b) => a + b, 0)}: ${codes(report.deadExpected)}`,
    `dead-lettered actual       ${Object.values(report.deadActual).reduce((a, b) => a + b, 0)}: ${codes(report.deadActual)}`,
    `dead-letter repeat copies  ${report.deadRepeatedCopies} (same identity: published twice, or copied again after a crash; contract §5)`,
    `ledger mismatches          ${report.ledgerMismatches.length}`,
    `left in queue              ${report.leftInQueue}`,
    "recovery per fault:",
    ...report.faults.map((f) => `  ${f.name.padEnd(40)} ${f.recoverySeconds === null ? "NOT RECOVERED" : `${f.recoverySeconds.toFixed(1)} s`}`)
  ]
  const detail = (title: string, items: ReadonlyArray<string>) =>
    items.length === 0 ? [] : [title, ...items.slice(0, 10).map((i) => `  ${i}`), ...(items.length > 10 ? [`  … ${items.length - 10} more`] : [])]
  return [
    ...lines,
    ...detail("lost rows (first 10):", report.lostSamples),
    ...detail("unexpected rows (first 10):", report.unexpectedSamples),
    ...detail("dead letters missing:", report.deadMissing),
    ...detail("dead letters unexpected:", report.deadUnexpected),
    ...detail("ledger mismatches:", report.ledgerMismatches)
  ].join("\n")
}

/** Reads the database with the checker's own SQL. */
export const observeDatabase = async (url: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const analytics = await client.query<{ key: string; n: string }>(
      "SELECT coalesce(project_id::text, '') || '|' || platform || '|' || id AS key, count(*)::text AS n FROM post_analytics GROUP BY 1"
    )
    const errors = await client.query<{ key: string; n: string }>(
      "SELECT coalesce(project_id::text, '') || '|' || platform || '|' || content_id AS key, count(*)::text AS n FROM crawl_errors GROUP BY 1"
    )
    const ledger = await client.query<{ object_path: string; status: string; actual_size: number; stored_count: number; skipped_count: number; error_count: number; duplicate_count: number; failure_reason: string | null }>(
      "SELECT object_path, status, actual_size, stored_count, skipped_count, error_count, duplicate_count, failure_reason FROM batch_ledger"
    )
    return {
      analytics: analytics.rows.map((r) => ({ key: r.key, count: Number(r.n) })),
      errors: errors.rows.map((r) => ({ key: r.key, count: Number(r.n) })),
      ledger: ledger.rows.map((r): LedgerRow => ({
        objectPath: r.object_path,
        status: r.status,
        actualSize: r.actual_size,
        stored: r.stored_count,
        skipped: r.skipped_count,
        errors: r.error_count,
        duplicates: r.duplicate_count,
        failureReason: r.failure_reason
      }))
    }
  } finally {
    await client.end()
  }
}

/**
 * Every dead letter, read without taking it (the channel closes with the messages unacked, so
 * they go back), named by identity: the message-id, else `identityOf` on the body.
 */
export const observeDeadLetters = async (url: string, queue: string, identityOf: (messageId: string | undefined, body: Uint8Array) => string) => {
  const model = await amqp.connect(url)
  try {
    const channel = await model.createChannel()
    const letters: Array<DeadLetterSeen> = []
    for (;;) {
      const message = await channel.get(queue, { noAck: false })
      if (message === false) break
      const code = message.properties.headers?.["x-smap-error-code"]
      const messageId: unknown = message.properties.messageId
      letters.push({
        identity: identityOf(typeof messageId === "string" ? messageId : undefined, message.content),
        code: typeof code === "string" ? code : "(no x-smap-error-code)"
      })
    }
    await channel.close()
    return letters
  } finally {
    await model.close().catch(() => undefined)
  }
}

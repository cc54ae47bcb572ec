import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { AnalyticsRepositoryLive } from "../../src/adapters/postgres/AnalyticsRepository.ts"
import { AnalyticsRepository } from "../../src/ports/AnalyticsRepository.ts"
import { TestPgMigrated } from "../postgres/testDatabase.ts"
import { FUZZ_SEED } from "../support/fuzz.ts"
import { analyticsRecord, errorRecord, ledgerEntry } from "../support/records.ts"

/**
 * Issue 11, point 6: no SQL is built from input strings. Statically: every call that sends raw
 * SQL text (`unsafe`) or splices text into SQL (`literal`) anywhere in src/ is one of a reviewed
 * list, whose text comes from constants, the column maps or the migration files; a new one
 * fails here until it is reviewed and added. Dynamically: injection strings in every text
 * field go through the real repository and come back as data, with the tables intact.
 */
const SRC = fileURLToPath(new URL("../../src/", import.meta.url))
const files = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : []
  })

/** `file: argument text` of each reviewed raw-SQL call, and where its text comes from. */
const REVIEWED: Record<string, string> = {
  "adapters/postgres/AnalyticsRepository.ts: WRITE_ANALYTICS_SQL": "constant built from ANALYTICS_COLUMNS",
  "adapters/postgres/AnalyticsRepository.ts: LEDGER_SQL": "constant built from LEDGER_COLUMNS",
  "adapters/postgres/migrator.ts: statement": "a statement of a migration file shipped with the code",
  "adapters/postgres/migrator.ts: `DROP INDEX IF EXISTS ${name}`": "an index name read from a migration file",
  "adapters/postgres/migrator.ts: statement.replace(/\\s+CONCURRENTLY\\s+/i, \" \")": "a migration statement",
  "adapters/postgres/AnalyticsQueries.ts: column": "a column name, a constant of the query (default published_at)",
  "adapters/postgres/AnalyticsQueries.ts: POST_VIEW_LIST": "the post view's column names, a constant list (domain/readModel.ts)",
  "adapters/postgres/AnalyticsQueries.ts: counters.map((c) => `r.${c}`).join(\", \")": "the summary's counter columns, a constant list",
  "adapters/postgres/AnalyticsQueries.ts: fromPost.join(\", \")": "the summary's per-post expressions, a constant list over domain enums",
  "adapters/postgres/AnalyticsQueries.ts: counters.map((c) => `sum(${c}) AS ${c}`).join(\", \")": "the summary's counter columns, a constant list",
  "adapters/postgres/AnalyticsQueries.ts: counters.map((c) => `sum(${c})`).join(\", \")": "the summary's counter columns, a constant list"
}

/** The first argument of each `.unsafe(` / `.literal(` call, as written. */
const rawSqlCalls = () =>
  files(SRC).flatMap((path) => {
    const source = readFileSync(path, "utf8")
    const calls: Array<string> = []
    for (const match of source.matchAll(/\.(unsafe|literal)(?:<[^>]*>)?\(/g)) {
      let depth = 0
      let end = match.index + match[0].length
      for (; end < source.length; end++) {
        const c = source[end]
        if (c === "(" || c === "[" || c === "{") depth++
        else if (c === ")" || c === "]" || c === "}") {
          if (depth === 0) break
          depth--
        } else if (c === "," && depth === 0) break
      }
      calls.push(`${path.slice(SRC.length)}: ${source.slice(match.index + match[0].length, end).trim()}`)
    }
    return calls
  })

describe("no SQL built from input strings", () => {
  it("every unsafe/literal call in src/ is a reviewed one whose text comes from constants or migration files", () => {
    const calls = rawSqlCalls()
    assert.isAbove(calls.length, 5, "the scan finds the known calls")
    const unreviewed = calls.filter((c) => REVIEWED[c] === undefined)
    assert.deepStrictEqual(unreviewed, [], "review these raw SQL calls: is any part of their text from input?")
    // A review stays next to its call: an entry whose call is gone is removed, not kept as cover.
    const stale = Object.keys(REVIEWED).filter((c) => !calls.includes(c))
    assert.deepStrictEqual(stale, [], "reviewed raw SQL calls that no longer exist")
  })

  it.live("injection strings in every text field are stored and read back as data; the tables stay intact", () =>
    Effect.gen(function*() {
      const repo = yield* AnalyticsRepository
      const sql = yield* SqlClient
      const injections = [
        "'; DROP TABLE post_analytics; --",
        "\\'; DELETE FROM batch_ledger; --",
        "$1); DROP TABLE crawl_errors; --",
        "' OR '1'='1",
        "\"; TRUNCATE post_analytics; --",
        "E'\\x00'",
        "$$; DROP TABLE post_analytics; $$",
        "{\"a\": \"'); DROP TABLE post_analytics; --\"}",
        "%' UNION SELECT * FROM pg_shadow --"
      ]
      const projects = fc.sample(fc.uuid({ version: 4 }), { seed: FUZZ_SEED, numRuns: injections.length })
      for (const [i, text] of injections.entries()) {
        const project = projects[i] ?? ""
        const record = analyticsRecord({
          id: text,
          project_id: project,
          content_text: text,
          author_name: text,
          job_id: text,
          keyword: text,
          brand_name: text,
          permalink: text,
          hashtags: [text],
          keywords: [{ keyword: text, aspect: "GENERAL", score: 1, source: text }]
        })
        const error = errorRecord({ content_id: text, project_id: project, job_id: text, error_code: text, error_message: text, error_details: { text }, permalink: text })
        const ledger = ledgerEntry({ object_path: `crawl-results/${text}/${i}`, event_id: text, project_id: project, job_id: text, failure_reason: text })
        yield* repo.writeBatch({ ledger, analytics: [record], errors: [error] })
        assert.deepStrictEqual(yield* repo.findPost({ project_id: project, platform: record.platform, id: text }), record)
        assert.strictEqual((yield* repo.ledger(ledger.object_path))?.event_id, text)
        const [row] = yield* sql<{ error_message: string }>`SELECT error_message FROM crawl_errors WHERE project_id = ${project}::uuid`
        assert.strictEqual(row?.error_message, text)
      }
      const counts = yield* repo.counts()
      assert.deepStrictEqual(counts, { analytics: injections.length, errors: injections.length, batches: injections.length })
    }).pipe(Effect.provide(AnalyticsRepositoryLive.pipe(Layer.provideMerge(TestPgMigrated)))), 120_000)
})

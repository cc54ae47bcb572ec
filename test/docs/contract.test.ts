import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { EXPECTED_COLUMNS, EXPECTED_INDEXES } from "../../src/adapters/postgres/schemaCheck.ts"
import { DEAD_LETTER_CODES } from "../../src/domain/errors.ts"
import { ERROR_CATEGORIES } from "../../src/domain/records.ts"

/**
 * docs/contract.md and docs/schema.md are the repository's own statement of what the service
 * keeps; these tests keep them from drifting away from the code that claims to follow them.
 */
const root = fileURLToPath(new URL("../../", import.meta.url))
const read = (path: string) => readFileSync(join(root, path), "utf8")
const contract = read("docs/contract.md")
const schema = read("docs/schema.md")

/** The text of a markdown section: from its heading to the next heading of the same or higher level. */
const section = (doc: string, heading: string): string => {
  const lines = doc.split("\n")
  const start = lines.findIndex((line) => line === heading)
  if (start === -1) throw new Error(`no heading '${heading}'`)
  const level = /^#+/.exec(heading)?.[0].length ?? 0
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && (/^#+/.exec(line)?.[0].length ?? 0) <= level)
  return lines.slice(start, end === -1 ? undefined : end).join("\n")
}

/** Column names of the first column of a markdown table, written as `name`. */
const tableNames = (text: string): Array<string> =>
  [...text.matchAll(/^\| `([a-z_0-9]+)` \|/gm)].map((m) => m[1] as string)

/** `A_{B,C}` written in a document stands for `A_B` and `A_C`. */
const expandBraces = (text: string): string =>
  text.replace(/([A-Z0-9_]*)\{([A-Z0-9_,]+)\}/g, (_, prefix: string, parts: string) =>
    parts.split(",").map((p) => `${prefix}${p}`).join(" "))

describe("docs/schema.md", () => {
  for (const [table, columns] of Object.entries(EXPECTED_COLUMNS)) {
    it(`documents exactly the columns of ${table}, with their types`, () => {
      const text = section(schema, `## \`${table}\``)
      expect(tableNames(text).sort()).toEqual(Object.keys(columns).sort())
      for (const [column, type] of Object.entries(columns)) {
        const row = text.split("\n").find((line) => line.startsWith(`| \`${column}\` |`)) ?? ""
        const documented = type === "timestamp with time zone" ? "timestamptz" : type
        expect(row.split("|")[2]?.trim(), `${table}.${column}`).toBe(documented)
      }
    })
  }

  it("documents every index validate expects, with a migration that creates it", () => {
    const text = section(schema, "## Indexes")
    expect(tableNames(text).sort()).toEqual(Object.keys(EXPECTED_INDEXES).sort())
    const migrations = readdirSync(join(root, "migrations"))
    for (const [index, table] of Object.entries(EXPECTED_INDEXES)) {
      const cells = (text.split("\n").find((line) => line.startsWith(`| \`${index}\` |`)) ?? "").split("|").map((c) => c.trim())
      expect(cells[2], index).toBe(table)
      const migration = cells[4] ?? ""
      const up = migrations.find((file) => file === `${migration}.up.sql`)
      expect(up, `${index}: migration ${migration}`).toBeDefined()
      const sql = read(`migrations/${up}`)
      const createsIt = sql.includes(`INDEX CONCURRENTLY IF NOT EXISTS ${index} `) ||
        sql.includes(`CONSTRAINT ${index} `) || (index.endsWith("_pkey") && sql.includes(`CREATE TABLE ${table} `))
      expect(createsIt, `${up} creates ${index}`).toBe(true)
    }
  })
})

describe("docs/contract.md", () => {
  it("lists every configuration variable the service reads (§6)", () => {
    const source = read("src/ports/Config.ts")
    const variables = [...new Set([...source.matchAll(/"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g)].map((m) => m[1] as string))]
    expect(variables.length).toBeGreaterThan(30)
    const documented = expandBraces(section(contract, "## 6. Configuration"))
    const missing = variables.filter((v) => !new RegExp(`(?<![A-Z0-9_])${v}(?![A-Z0-9_])`).test(documented))
    expect(missing).toEqual([])
  })

  it("names every dead-letter code (§5) and every error category (§4.2)", () => {
    const delivery = section(contract, "## 5. Delivery semantics")
    expect(DEAD_LETTER_CODES.filter((code) => !delivery.includes(`\`${code}\``))).toEqual([])
    const errors = section(contract, "### 4.2 `crawl_errors`")
    expect(ERROR_CATEGORIES.filter((category) => !errors.includes(`| \`${category}\` |`))).toEqual([])
  })

  it("has a section for every bare §N and §N.M cited in code, tests and documents", () => {
    const headings = new Set(
      [...contract.matchAll(/^#{2,3} (\d+(?:\.\d+)?)[. ]/gm)].map((m) => m[1] as string)
    )
    const files: Array<string> = []
    const walk = (dir: string) => {
      for (const name of readdirSync(join(root, dir))) {
        const path = join(dir, name)
        if (statSync(join(root, path)).isDirectory()) walk(path)
        else if (/\.(ts|md|sql|yml|yaml|json)$/.test(name)) files.push(path)
      }
    }
    for (const dir of ["src", "test", "bench", "migrations", "docs", "data/lexicon", "deploy"]) walk(dir)
    files.push("README.md", "data/eval/README.md")
    const cited = new Map<string, string>()
    for (const file of files) {
      // The rationale numbers its own sections; the contract is what is being checked.
      if (file === "docs/batch-processing-rationale.md" || file === "docs/contract.md") continue
      for (const m of read(file).matchAll(/§(\d+(?:\.\d+)?)/g)) {
        const before = read(file).slice(Math.max(0, (m.index ?? 0) - 40), m.index)
        // A reference into another document names it: "rationale §2.4", "operations §6".
        if (/(rationale|operations)(\.md)?\]?(\([^)]*\))?\s*$/i.test(before)) continue
        cited.set(`${relative(".", file)}: §${m[1]}`, m[1] as string)
      }
    }
    expect(cited.size).toBeGreaterThan(50)
    expect([...cited].filter(([, n]) => !headings.has(n)).map(([where]) => where)).toEqual([])
  })
})

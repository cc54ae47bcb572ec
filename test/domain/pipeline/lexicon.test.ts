/**
 * The lexicon gate: strict decoding, the manifest's file list and version, content hashes that
 * force a version bump, and rule constants read from the data.
 */
import { execFileSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { lexiconHashProblems } from "../../../src/adapters/lexicon/contentHash.ts"
import { loadLexiconDirectory } from "../../../src/adapters/lexicon/AnalyticsPipeline.ts"
import {
  builtinLexiconFiles,
  builtinLexicons,
  compileLexicon,
  decodeLexiconBundle,
  decodeLexiconFiles,
  detectIntent,
  LEXICON_FILES,
  type LexiconFileName,
  normalizeText,
  scanText
} from "../../../src/domain/pipeline/index.ts"

const ROOT = fileURLToPath(new URL("../../../", import.meta.url))
const LEXICON_DIR = path.join(ROOT, "data/lexicon")
const readJson = (file: string): any => JSON.parse(readFileSync(file, "utf8"))
const shipped = (name: string): any => readJson(path.join(LEXICON_DIR, `${name}.json`))

const dirs: Array<string> = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
/** A copy of data/lexicon in a temporary directory. */
const copyLexicons = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), "lexicon-"))
  dirs.push(dir)
  cpSync(LEXICON_DIR, dir, { recursive: true })
  return dir
}
const edit = (dir: string, name: string, change: (content: any) => void): void => {
  const file = path.join(dir, `${name}.json`)
  const content = readJson(file)
  change(content)
  writeFileSync(file, JSON.stringify(content, null, 1))
}
const bumpVersion = (dir: string, version: string): void => {
  for (const name of ["manifest", ...LEXICON_FILES]) edit(dir, name, (c) => (c.version = version))
}
const load = (dir: string) => Effect.runPromise(Effect.result(loadLexiconDirectory(dir)))
const failureOf = async (dir: string): Promise<string> => {
  const result = await load(dir)
  if (result._tag === "Success") throw new Error("expected the directory to be rejected")
  return result.failure.message
}

describe("strict decoding", () => {
  it("a misspelt key is an error naming it, not silently dropped", () => {
    const typo = { ...builtinLexicons, modifiers: { ...builtinLexicons.modifiers, negation: { ...builtinLexicons.modifiers.negation, scop: 2 } } }
    expect(() => decodeLexiconBundle(typo)).toThrow(/scop/)
    const unknownTop = { ...builtinLexicons, spam: { ...builtinLexicons.spam, keyword: ["x"] } }
    expect(() => decodeLexiconBundle(unknownTop)).toThrow(/keyword/)
  })
  it("the documentation keys of the shipped files are accepted", () => {
    expect(() => decodeLexiconFiles(shipped("manifest"), shipped)).not.toThrow()
  })
})

describe("the manifest", () => {
  it("every file must carry the manifest's version", () => {
    const read = (name: LexiconFileName) => (name === "spam" ? { ...shipped("spam"), version: "1999.1.1" } : shipped(name))
    expect(() => decodeLexiconFiles(shipped("manifest"), read)).toThrow(/spam\.json has version "1999\.1\.1" but manifest\.json has/)
  })
  it("the file list comes from the manifest: a missing, repeated or unknown name is an error", () => {
    const manifest = shipped("manifest")
    expect(() => decodeLexiconFiles({ ...manifest, files: manifest.files.filter((f: string) => f !== "emoji") }, shipped)).toThrow(/does not list emoji/)
    expect(() => decodeLexiconFiles({ ...manifest, files: [...manifest.files, "spam"] }, shipped)).toThrow(/spam is listed twice/)
    expect(() => decodeLexiconFiles({ ...manifest, files: [...manifest.files, "slang"] }, shipped)).toThrow(/\["files"\]\[9\]/)
  })
  it("the version named in model_version is the manifest's", () => {
    expect(builtinLexicons.version).toBe(shipped("manifest").version)
  })
})

describe("content hashes", () => {
  it("data/lexicon matches the hashes in its manifest (else: bump the version, npm run lexicon:hash)", () => {
    expect(lexiconHashProblems(builtinLexiconFiles.manifest, shipped)).toEqual([])
  })
  it("a data change without a version bump is reported with the fix", () => {
    const read = (name: LexiconFileName) =>
      name === "sentiment_vi" ? { ...shipped(name), entries: { ...shipped(name).entries, "tốt": 1 } } : shipped(name)
    const problems = lexiconHashProblems(builtinLexiconFiles.manifest, read)
    expect(problems.join()).toMatch(/sentiment_vi\.json.*bump "version".*npm run lexicon:hash/)
  })
  it("reordering or reformatting does not count as a change; reordering entries does", () => {
    const spaced = (name: LexiconFileName) => JSON.parse(JSON.stringify(shipped(name), null, 4))
    expect(lexiconHashProblems(builtinLexiconFiles.manifest, spaced)).toEqual([])
    const reordered = (name: LexiconFileName) =>
      name === "spam" ? { ...shipped(name), keywords: [...shipped(name).keywords].reverse() } : shipped(name)
    expect(lexiconHashProblems(builtinLexiconFiles.manifest, reordered)).toHaveLength(1)
  })
  it("LEXICON_PATH loading: a copy loads; an edit without a bump fails; bumped and rehashed loads", async () => {
    const dir = copyLexicons()
    expect((await load(dir))._tag).toBe("Success")
    edit(dir, "teencode", (c) => (c.entries["zz"] = "không"))
    expect(await failureOf(dir)).toMatch(/teencode\.json.*bump "version"/)
    bumpVersion(dir, "2099.1.1")
    expect(await failureOf(dir)).toMatch(/hashes are for version .* run `npm run lexicon:hash`/)
    const tsx = path.join(ROOT, "node_modules/.bin/tsx")
    execFileSync(tsx, [path.join(ROOT, "bench/lexicon-hash.ts"), dir], { encoding: "utf8" })
    const loaded = await load(dir)
    expect(loaded._tag === "Success" && loaded.success.teencode.entries["zz"]).toBe("không")
  })
  it("npm run lexicon:hash refuses to record changed data under the same version", () => {
    const dir = copyLexicons()
    edit(dir, "spam", (c) => c.keywords.push("zzz"))
    const before = readFileSync(path.join(dir, "manifest.json"), "utf8")
    const tsx = path.join(ROOT, "node_modules/.bin/tsx")
    expect(() => execFileSync(tsx, [path.join(ROOT, "bench/lexicon-hash.ts"), dir], { stdio: "pipe" })).toThrow(/bump "version"/)
    expect(readFileSync(path.join(dir, "manifest.json"), "utf8")).toBe(before)
  })
  it("LEXICON_PATH loading rejects a misspelt key", async () => {
    const dir = copyLexicons()
    edit(dir, "modifiers", (c) => (c.contrast.afterr = ["but"]))
    expect(await failureOf(dir)).toMatch(/afterr/)
  })
})

describe("rule constants from the data", () => {
  const intentWith = (scope: number, text: string) => {
    const lex = compileLexicon({ ...builtinLexicons, modifiers: { ...builtinLexicons.modifiers, negation: { ...builtinLexicons.modifiers.negation, scope } } })
    const n = normalizeText(text, lex)
    return detectIntent(scanText(n.cleanText, lex), n.hasPhone).intent
  }
  it("the intent step's negation scope is modifiers.json negation.scope", () => {
    const text = "it is not really that terrible"
    expect(builtinLexicons.modifiers.negation.scope).toBe(3)
    expect(intentWith(3, text)).not.toBe("COMPLAINT")
    expect(intentWith(1, text)).toBe("COMPLAINT")
  })
})

describe("valence_en (VADER words, npm run lexicon:vader)", () => {
  const strip = (s: string): string => s.normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/g, "d")
  const valence = shipped("valence_en").entries as Record<string, number>
  it("is a fresh conversion of vader-sentiment's lexicon (else: npm run lexicon:vader)", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench/lexicon-vader.ts"), "--check"], { cwd: ROOT, encoding: "utf8" })
    expect(out).toMatch(/up to date/)
  })
  it("adds English words AFINN lacks, which the rules now read", () => {
    const lex = compileLexicon(builtinLexicons)
    expect(Object.keys(valence).length).toBeGreaterThan(2000)
    expect(lex.phrases.get("unfortunately")?.valence).toBe(valence["unfortunately"])
    expect(valence["unfortunately"]).toBeLessThan(0)
    expect(lex.phrases.get("thankfully")?.valence).toBeGreaterThan(0)
  })
  it("never spells a Vietnamese or teencode token, with or without diacritics, nor a hand-set English entry", () => {
    const vietnamese = new Set<string>()
    for (const term of Object.keys(shipped("sentiment_vi").entries)) for (const t of term.toLowerCase().split(/\s+/)) vietnamese.add(strip(t))
    for (const [from, to] of Object.entries(shipped("teencode").entries as Record<string, string>)) {
      for (const t of `${from} ${to}`.toLowerCase().split(/\s+/)) vietnamese.add(strip(t))
    }
    const english = shipped("sentiment_en").entries as Record<string, number>
    const clashes = Object.keys(valence).filter((w) => vietnamese.has(w) || w in english)
    expect(clashes).toEqual([])
    for (const w of ["ban", "hay", "con", "tot", "dep"]) expect(valence[w]).toBeUndefined()
  })
  it("leaves Vietnamese valences as sentiment_vi sets them", () => {
    const lex = compileLexicon(builtinLexicons)
    const vi = shipped("sentiment_vi").entries as Record<string, number>
    for (const term of ["tốt", "tệ", "đẹp"]) if (vi[term] !== undefined) expect(lex.phrases.get(term)?.valence).toBe(vi[term])
  })
})

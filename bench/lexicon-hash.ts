/**
 * `npm run lexicon:hash [-- <directory>]`: records the content hash of every lexicon file in
 * `manifest.json` (default directory `data/lexicon`). Refuses when a file's data changed but the
 * version did not: bump "version" in manifest.json and in every file first, so that
 * `model_version` names a different lexicon whenever the data differs.
 *
 * Exit 0 when the hashes are written or already up to date, 1 when a version bump is needed
 * or the directory is invalid.
 */
import { readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"
import { lexiconContentHashes } from "../src/adapters/lexicon/contentHash.ts"
import { decodeLexiconFiles, LEXICON_FILES, type LexiconFileName } from "../src/domain/pipeline/index.ts"

const main = (): number => {
  const directory = process.argv[2] ?? fileURLToPath(new URL("../data/lexicon", import.meta.url))
  const manifestPath = path.join(directory, "manifest.json")
  const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"))
  const raw = readJson(manifestPath) as Record<string, unknown>
  const files = new Map<string, unknown>()
  const read = (name: LexiconFileName): unknown => {
    if (!files.has(name)) files.set(name, readJson(path.join(directory, `${name}.json`)))
    return files.get(name)
  }
  const { manifest } = decodeLexiconFiles(raw, read)
  const actual = lexiconContentHashes(read)
  const recorded = manifest.content
  const changed = recorded === undefined ? [...LEXICON_FILES] : LEXICON_FILES.filter((n) => actual[n] !== recorded.sha256[n])
  if (recorded !== undefined && changed.length === 0 && recorded.version === manifest.version) {
    process.stdout.write(`lexicon ${manifest.version}: hashes up to date\n`)
    return 0
  }
  if (recorded !== undefined && changed.length > 0 && recorded.version === manifest.version) {
    process.stderr.write(
      `lexicon data changed (${changed.map((n) => `${n}.json`).join(", ")}) but the version is still ${manifest.version}: ` +
        `bump "version" in manifest.json and in every file, then run this again\n`
    )
    return 1
  }
  const { content: _old, ...rest } = raw
  writeFileSync(manifestPath, `${JSON.stringify({ ...rest, content: { version: manifest.version, sha256: actual } }, null, 1)}\n`)
  process.stdout.write(`lexicon ${manifest.version}: hashes recorded in ${manifestPath} (${changed.length} file(s) changed)\n`)
  return 0
}

try {
  process.exitCode = main()
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
}

/**
 * Content hashes of the lexicon files, so that a data change cannot ship under an old version.
 *
 * `manifest.json` records, under `content`, the SHA-256 of every file and the version they were
 * hashed at. The hash is over the file's canonical content: the parsed JSON without its
 * `version` key, re-serialised with `JSON.stringify` (key order kept, since order decides which
 * entry wins; whitespace and formatting ignored). Checked here rather than in the domain because
 * the domain imports no `node:` module and SHA-256 comes from `node:crypto`: the tests check
 * `data/lexicon`, `LEXICON_PATH` loading checks the operator's directory, and
 * `npm run lexicon:hash` (bench/lexicon-hash.ts) rewrites the hashes after a version bump.
 */
import { createHash } from "node:crypto"
import { LEXICON_FILES, type LexiconFileName, type LexiconManifest } from "../../domain/pipeline/index.ts"

export const HASH_COMMAND = "npm run lexicon:hash"

/** SHA-256 (hex) of one file's parsed content without its `version`. */
export const lexiconContentHash = (content: unknown): string => {
  const canonical = typeof content === "object" && content !== null && !Array.isArray(content)
    ? Object.fromEntries(Object.entries(content).filter(([key]) => key !== "version"))
    : content
  return createHash("sha256").update(JSON.stringify(canonical), "utf8").digest("hex")
}

export const lexiconContentHashes = (read: (name: LexiconFileName) => unknown): Record<LexiconFileName, string> =>
  Object.fromEntries(LEXICON_FILES.map((name) => [name, lexiconContentHash(read(name))])) as Record<LexiconFileName, string>

/**
 * Problems with the recorded hashes, empty when the manifest is up to date. Data changed with
 * the version unchanged is the case this exists for: the message says to bump the version.
 */
export const lexiconHashProblems = (
  manifest: LexiconManifest,
  read: (name: LexiconFileName) => unknown
): ReadonlyArray<string> => {
  const content = manifest.content
  if (content === undefined) {
    return [`manifest.json records no content hashes: run \`${HASH_COMMAND}\``]
  }
  const actual = lexiconContentHashes(read)
  const changed = LEXICON_FILES.filter((name) => actual[name] !== content.sha256[name])
  if (changed.length > 0 && content.version === manifest.version) {
    return [
      `lexicon data changed (${changed.map((n) => `${n}.json`).join(", ")}) but the version is still ${manifest.version}: ` +
      `bump "version" in manifest.json and in every file, then run \`${HASH_COMMAND}\``
    ]
  }
  if (changed.length > 0 || content.version !== manifest.version) {
    return [
      `manifest.json hashes are for version ${content.version}, the files are version ${manifest.version}` +
      (changed.length > 0 ? ` and ${changed.map((n) => `${n}.json`).join(", ")} changed` : "") +
      `: run \`${HASH_COMMAND}\``
    ]
  }
  return []
}

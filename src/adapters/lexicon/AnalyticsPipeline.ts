import { readFile } from "node:fs/promises"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import {
  builtinLexicons,
  decodeLexiconFiles,
  decodeLexiconManifest,
  type LexiconBundle,
  type LexiconFileName,
  makePipeline,
  type PipelineSettings
} from "../../domain/pipeline/index.ts"
import { AnalyticsPipeline } from "../../ports/AnalyticsPipeline.ts"
import { AppConfig } from "../../ports/Config.ts"
import { lexiconHashProblems } from "./contentHash.ts"

/** Why the lexicons in `LEXICON_PATH` cannot be used; start-up stops with this message. */
export class LexiconLoadError extends Error {
  override readonly name = "LexiconLoadError"
}

/**
 * Reads a lexicon directory laid out like `data/lexicon` (manifest.json plus the files it
 * lists) and validates it strictly: unknown keys, a file whose version is not the manifest's,
 * or content that no longer matches the manifest's hashes (edited without a version bump and
 * `npm run lexicon:hash`) fail with a message naming the file and field.
 */
export const loadLexiconDirectory = (directory: string): Effect.Effect<LexiconBundle, LexiconLoadError> =>
  Effect.tryPromise({
    try: async () => {
      const read = async (name: string): Promise<unknown> => JSON.parse(await readFile(path.join(directory, `${name}.json`), "utf8"))
      const manifest = await read("manifest")
      const files = new Map<string, unknown>()
      for (const name of decodeLexiconManifest(manifest).files) files.set(name, await read(name))
      const readFile_ = (name: LexiconFileName): unknown => files.get(name)
      const decoded = decodeLexiconFiles(manifest, readFile_)
      const problems = lexiconHashProblems(decoded.manifest, readFile_)
      if (problems.length > 0) throw new Error(problems.join("; "))
      return decoded.bundle
    },
    catch: (e) => new LexiconLoadError(`LEXICON_PATH '${directory}': ${e instanceof Error ? e.message : String(e)}`)
  })

export const pipelineSettingsOf = (config: AppConfig["Service"]): PipelineSettings => ({
  minTextLength: config.minTextLength,
  maxComments: config.maxComments,
  maxAnalyzedChars: config.maxAnalyzedChars,
  impact: config.impact
})

/** The pipeline from configuration: built-in lexicons, or the directory in `LEXICON_PATH`. */
export const AnalyticsPipelineLive = Layer.effect(AnalyticsPipeline, Effect.gen(function*() {
  const config = yield* AppConfig
  const lexicons = config.lexiconPath === null ? builtinLexicons : yield* loadLexiconDirectory(config.lexiconPath)
  const pipeline = makePipeline(pipelineSettingsOf(config), lexicons)
  yield* Effect.logInfo(`analytics pipeline ready: ${pipeline.modelVersion}`)
  return AnalyticsPipeline.of({ modelVersion: pipeline.modelVersion, analyze: (item, context, now) => pipeline.analyze(item, context, now) })
}))

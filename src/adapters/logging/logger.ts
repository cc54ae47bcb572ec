import { Formatter, Layer, Logger, References } from "effect"
import { LOG_LEVELS } from "../../ports/Config.ts"


const isEmpty = (value: unknown): boolean =>
  value === undefined || value === null || value === "" ||
  (typeof value === "object" && Object.keys(value).length === 0)

/** One JSON object per line, without empty fields (no `"annotations":{}`, `"spans":{}`, `"cause":""`). */
export const jsonLogger = Logger.map(Logger.formatStructured, (entry) =>
  Formatter.formatJson(Object.fromEntries(Object.entries(entry).filter(([, value]) => !isEmpty(value)))))

/**
 * Structured logs (§7): JSON lines by default, pretty for people, at `LOG_LEVEL`. Logs go to
 * stderr so that stdout stays for data (`analyze`, `dead-letters list`); log annotations
 * (event id, job id, platform, batch path) become JSON fields.
 */
export const layerLogger = (format: "json" | "pretty", level: string) =>
  Layer.mergeAll(
    Logger.layer([format === "json" ? Logger.withConsoleError(jsonLogger) : Logger.consolePretty()]),
    Layer.succeed(References.LogToStderr, true),
    Layer.succeed(References.MinimumLogLevel, LOG_LEVELS[level] ?? "Info")
  )


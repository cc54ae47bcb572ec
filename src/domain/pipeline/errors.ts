/**
 * §3.1 / §4 crawler error items → `crawl_errors` records, and the record a defect inside the
 * pipeline becomes (§3.9). Codes are compared upper-cased; an unknown code keeps its name but
 * falls into `generic`, so a new crawler code never breaks a batch.
 */
import type { BatchContext, Item } from "../item.ts"
import type { ErrorCategory, ErrorRecord } from "../records.ts"

export const DEFAULT_ERROR_CODE = "UNKNOWN_ERROR"
export const ANALYTICS_ERROR_CODE = "ANALYTICS_ERROR"

const CATEGORY_CODES: ReadonlyArray<readonly [ErrorCategory, ReadonlyArray<string>]> = [
  ["rate_limiting", ["RATE_LIMITED", "AUTH_FAILED", "ACCESS_DENIED"]],
  ["content", ["CONTENT_REMOVED", "CONTENT_NOT_FOUND", "CONTENT_UNAVAILABLE"]],
  ["network", ["NETWORK_ERROR", "TIMEOUT", "CONNECTION_REFUSED", "DNS_ERROR"]],
  ["parsing", ["PARSE_ERROR", "INVALID_URL", "INVALID_RESPONSE"]],
  ["media", ["MEDIA_DOWNLOAD_FAILED", "MEDIA_TOO_LARGE", "MEDIA_FORMAT_ERROR"]],
  ["storage", ["STORAGE_ERROR", "UPLOAD_FAILED", "DATABASE_ERROR"]],
  ["processing", ["ANALYTICS_ERROR"]],
  ["generic", ["UNKNOWN_ERROR", "INTERNAL_ERROR"]]
]

const CATEGORY_BY_CODE: ReadonlyMap<string, ErrorCategory> = new Map(
  CATEGORY_CODES.flatMap(([category, codes]) => codes.map((code) => [code, category] as const))
)

export const errorCategory = (code: string): ErrorCategory => CATEGORY_BY_CODE.get(code.trim().toUpperCase()) ?? "generic"

export const platformOf = (item: Item, ctx: BatchContext): string =>
  (ctx.platform ?? item.meta.platform ?? "UNKNOWN").toUpperCase()

export const crawlErrorRecord = (item: Item, ctx: BatchContext, now: string): ErrorRecord => {
  const raw = item.meta.error_code?.trim() ?? ""
  const code = raw === "" ? DEFAULT_ERROR_CODE : raw.toUpperCase()
  return {
    record: "error",
    content_id: item.meta.id,
    project_id: ctx.project_id,
    job_id: item.meta.job_id ?? ctx.job_id,
    platform: platformOf(item, ctx),
    error_code: code,
    error_category: errorCategory(code),
    error_message: item.meta.error_message,
    error_details: item.meta.error_details ?? null,
    permalink: item.meta.permalink,
    created_at: now
  }
}

/** A defect while analysing one item: recorded for that item, the batch goes on. */
export const analyticsErrorRecord = (item: Item, ctx: BatchContext, now: string, defect: unknown): ErrorRecord => ({
  record: "error",
  content_id: item.meta.id,
  project_id: ctx.project_id,
  job_id: item.meta.job_id ?? ctx.job_id,
  platform: platformOf(item, ctx),
  error_code: ANALYTICS_ERROR_CODE,
  error_category: "processing",
  error_message: defect instanceof Error ? defect.message : String(defect),
  error_details: { stage: "pipeline", error: defect instanceof Error ? defect.name : typeof defect },
  permalink: item.meta.permalink,
  created_at: now
})

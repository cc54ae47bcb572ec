/**
 * Platforms are a closed set (§2.2; their impact weights IMPACT_PLATFORM_WEIGHT_*, §3.8, §6).
 * A crawler's free-text platform is mapped into it once, here, and that one value is both the
 * stored `platform` and the metric label, so label sets stay bounded whatever crawlers send:
 * a known name (any case, trimmed) is itself, any other text is `OTHER`, and a batch where
 * neither the event nor any item names a platform is `UNKNOWN`.
 */
export const KNOWN_PLATFORMS = ["TIKTOK", "YOUTUBE", "FACEBOOK", "INSTAGRAM"] as const
export const OTHER_PLATFORM = "OTHER"
export const UNKNOWN_PLATFORM = "UNKNOWN"
export type Platform = (typeof KNOWN_PLATFORMS)[number] | typeof OTHER_PLATFORM
export type BatchPlatform = Platform | typeof UNKNOWN_PLATFORM

/** Every value `batchPlatform` can return: the complete set of `platform` label values. */
export const PLATFORM_LABELS: ReadonlyArray<BatchPlatform> = [...KNOWN_PLATFORMS, OTHER_PLATFORM, UNKNOWN_PLATFORM]

const KNOWN: ReadonlySet<string> = new Set(KNOWN_PLATFORMS)

/** A platform as sent → the closed set; null when nothing (or only blanks) was sent. */
export const toPlatform = (raw: string | null | undefined): Platform | null => {
  if (raw == null) return null
  const upper = raw.trim().toUpperCase()
  if (upper === "") return null
  return KNOWN.has(upper) ? (upper as Platform) : OTHER_PLATFORM
}

/**
 * The platform of a batch: the event's, else the first item's that names one, else `UNKNOWN`.
 * Inputs are mapped with `toPlatform`, so the result is always in `PLATFORM_LABELS`.
 */
export const batchPlatform = (
  eventPlatform: string | null,
  itemPlatforms: Iterable<string | null> = []
): BatchPlatform => {
  const fromEvent = toPlatform(eventPlatform)
  if (fromEvent !== null) return fromEvent
  for (const raw of itemPlatforms) {
    const platform = toPlatform(raw)
    if (platform !== null) return platform
  }
  return UNKNOWN_PLATFORM
}

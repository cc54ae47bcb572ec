/** Order statistics for the bench's figures. */

/** The q-quantile (0..1) by nearest rank; NaN for no data. */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
}

export const median = (xs: ReadonlyArray<number>) => quantile(xs, 0.5)

/** Spread of repetitions: (max − min) / median, as a fraction. */
export const spread = (xs: ReadonlyArray<number>) =>
  xs.length < 2 ? 0 : (Math.max(...xs) - Math.min(...xs)) / median(xs)

export const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "–")

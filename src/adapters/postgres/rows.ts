/**
 * Row decoding helpers. The driver returns timestamptz as `Date`, int8 as `bigint`, jsonb as
 * parsed values and uuid as text; the domain wants ISO strings and numbers.
 */
export type Row = Readonly<Record<string, unknown>>

const missing = (column: string, value: unknown): never => {
  throw new TypeError(`column ${column}: unexpected value ${String(value)}`)
}

export const text = (row: Row, column: string): string => {
  const value = row[column]
  return typeof value === "string" ? value : missing(column, value)
}

export const textOrNull = (row: Row, column: string): string | null =>
  row[column] === null || row[column] === undefined ? null : text(row, column)

export const num = (row: Row, column: string): number => {
  const value = row[column]
  if (typeof value === "number") return value
  if (typeof value === "bigint") return Number(value)
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value)
  return missing(column, value)
}

export const numOrNull = (row: Row, column: string): number | null =>
  row[column] === null || row[column] === undefined ? null : num(row, column)

export const bool = (row: Row, column: string): boolean => {
  const value = row[column]
  return typeof value === "boolean" ? value : missing(column, value)
}

/** timestamptz → ISO-8601 in UTC (`…Z`). */
export const iso = (row: Row, column: string): string => {
  const value = row[column]
  if (value instanceof Date) return value.toISOString()
  return missing(column, value)
}

export const isoOrNull = (row: Row, column: string): string | null =>
  row[column] === null || row[column] === undefined ? null : iso(row, column)

export const json = (row: Row, column: string): unknown => row[column] ?? null

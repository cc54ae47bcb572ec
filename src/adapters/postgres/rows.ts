/**
 * Row decoding helpers. The driver returns timestamptz as `Date`, int8 as `bigint`, jsonb as
 * parsed values and uuid as text; the domain wants ISO strings and numbers.
 */
import { Schema } from "effect"
import type { Columns, StorageKind } from "../../domain/records.ts"

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

/** timestamptz → ISO-8601 in UTC (`…Z`). */
export const iso = (row: Row, column: string): string => {
  const value = row[column]
  if (value instanceof Date) return value.toISOString()
  return missing(column, value)
}

export const isoOrNull = (row: Row, column: string): string | null =>
  row[column] === null || row[column] === undefined ? null : iso(row, column)

/** Storage kind (domain) → PostgreSQL type, as `format_type` prints it (what `validate` compares). */
export const SQL_TYPES: Readonly<Record<StorageKind, string>> = {
  text: "text",
  uuid: "uuid",
  bigint: "bigint",
  integer: "integer",
  double: "double precision",
  boolean: "boolean",
  timestamptz: "timestamp with time zone",
  jsonb: "jsonb"
}

/** Column name → SQL type, in the record's column order. */
export type ColumnSpec = ReadonlyArray<readonly [string, string]>

export const columnSpec = <C extends Columns>(columns: C): ReadonlyArray<readonly [keyof C & string, string]> =>
  Object.entries(columns).map(([name, c]) => [name as keyof C & string, SQL_TYPES[c.storage]] as const)

/** A column's value as the driver returns it → the value its Schema expects. */
const normalise = (storage: StorageKind, value: unknown): unknown => {
  if (value === undefined) return null
  if (value === null) return null
  switch (storage) {
    case "timestamptz":
      return value instanceof Date ? value.toISOString() : value
    case "bigint":
    case "integer":
    case "double":
      return typeof value === "bigint" || (typeof value === "string" && value.trim() !== "") ? Number(value) : value
    default:
      return value
  }
}

/**
 * A row decoder for a record: every column of `columns` is normalised by its storage kind
 * (timestamptz → ISO string, int8 → number, …) and the result decoded with the record's Schema,
 * so a stored value that does not fit the record fails loudly instead of being cast.
 */
export const rowDecoder = <A>(
  schema: Schema.Decoder<A>,
  columns: Columns,
  extra: Readonly<Record<string, unknown>> = {}
) => {
  const decode = Schema.decodeUnknownSync(schema)
  const entries = Object.entries(columns)
  return (row: Row): A => {
    const input: Record<string, unknown> = { ...extra }
    for (const [name, c] of entries) input[name] = normalise(c.storage, row[name])
    return decode(input)
  }
}

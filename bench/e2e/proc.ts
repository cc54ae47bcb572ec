/**
 * CPU time and resident memory of processes, read from /proc (Linux): utime + stime of
 * /proc/<pid>/stat in clock ticks (USER_HZ, 100 on Linux), VmRSS and VmHWM of /proc/<pid>/status.
 */
import { readdirSync, readFileSync } from "node:fs"

const TICKS_PER_SECOND = 100

/** CPU seconds (user + system) of one process, or null when it is gone. */
const cpuSeconds = (pid: number): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return null
  }
}

const statusField = (pid: number, field: string): number | null => {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match === null ? null : Number(match[1]) * 1024
  } catch {
    return null
  }
}

/** Resident memory now, bytes. */
export const rssBytes = (pid: number) => statusField(pid, "VmRSS")
/** Peak resident memory over the process's life, bytes. */
export const peakRssBytes = (pid: number) => statusField(pid, "VmHWM")

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")
  } catch {
    return ""
  }
}

const pids = () => readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number)

/** RabbitMQ's Erlang VM (beam.smp), the first found. */
export const beamPid = (): number | null => pids().find((p) => cmdline(p).includes("beam.smp") && cmdline(p).includes("rabbit")) ?? null

/**
 * PostgreSQL processes that work for one database: its backends (`postgres: <user> <db> …`)
 * and the server-wide writers that flush its WAL and pages (walwriter, background writer,
 * checkpointer). The writers serve every database on the server: other load shows up there.
 */
export const postgresPids = (database: string): Array<number> =>
  pids().filter((p) => {
    const c = cmdline(p)
    if (!c.startsWith("postgres: ")) return false
    return c.includes(` ${database} `) || /: (walwriter|background writer|checkpointer)/.test(c)
  })

/**
 * CPU counters for named groups of processes: `sample()` before and after a run, `delta` gives
 * each group's CPU seconds in between (a process that appeared in between counts from zero).
 */
export type CpuGroups = Readonly<Record<string, () => ReadonlyArray<number>>>
export type CpuSample = Record<string, Map<number, number>>

export const sampleCpu = (groups: CpuGroups): CpuSample => {
  const out: CpuSample = {}
  for (const [name, list] of Object.entries(groups)) {
    const m = new Map<number, number>()
    for (const pid of list()) {
      const s = cpuSeconds(pid)
      if (s !== null) m.set(pid, s)
    }
    out[name] = m
  }
  return out
}

export const cpuDelta = (before: CpuSample, after: CpuSample): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const [name, m] of Object.entries(after)) {
    let total = 0
    for (const [pid, s] of m) total += s - (before[name]?.get(pid) ?? 0)
    out[name] = total
  }
  return out
}

/**
 * `consume`'s idle footprint (docs/benchmarks.md, "Idle footprint"): the service started as the
 * e2e bench starts it (a fresh migrated database, its own exchange and queue on the machine's
 * RabbitMQ, an s3rver), left idle 3 s after `/readyz` first answers 200, then its peak resident
 * memory (VmHWM) read from /proc. No batch is published.
 *
 *   npm run bench:idle                                        # 3 runs, V8 and glibc defaults
 *   npm run bench:idle -- --runs 2 --service-node-args "--max-semi-space-size=4"
 *   MALLOC_ARENA_MAX=2 npm run bench:idle                     # the service inherits the environment
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { argv } from "node:process"
import { peakRssBytes } from "./e2e/proc.ts"
import { makeWorld, prepareTemplate, ROOT, sleep } from "./e2e/world.ts"

const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name)
  return i >= 0 ? Number(argv[i + 1]) : fallback
}
const RUNS = option("--runs", 3)
const NODE_ARGS = (() => {
  const i = argv.indexOf("--service-node-args")
  return i >= 0 ? (argv[i + 1] ?? "").split(" ").filter((a) => a !== "") : []
})()

const s3dir = mkdtempSync(join(tmpdir(), "smap-bench-idle-s3-"))
const s3 = spawn(process.execPath, [`${ROOT}bench/e2e/s3rverMain.ts`, s3dir, "crawl-results"], { stdio: ["ignore", "pipe", "inherit"] })
process.on("exit", () => {
  s3.kill("SIGKILL")
  rmSync(s3dir, { recursive: true, force: true })
})
const s3port = await new Promise<number>((resolve) => s3.stdout.once("data", (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port)))
const dropTemplate = await prepareTemplate()

const peaks: Array<number> = []
for (let run = 0; run < RUNS; run++) {
  const world = await makeWorld("idle")
  try {
    const service = await world.startService(`http://127.0.0.1:${s3port}`, {}, NODE_ARGS)
    await sleep(3_000)
    peaks.push((peakRssBytes(service.pid) ?? NaN) / 2 ** 20)
    service.child.kill("SIGTERM")
    await new Promise((resolve) => service.child.once("exit", resolve))
  } finally {
    await world.close()
  }
}
await dropTemplate()
console.log(
  `consume idle, node ${NODE_ARGS.join(" ")}${process.env["MALLOC_ARENA_MAX"] ? `, MALLOC_ARENA_MAX=${process.env["MALLOC_ARENA_MAX"]}` : ""}: ` +
    `peak RSS ${peaks.map((p) => p.toFixed(0)).join(", ")} MiB; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`
)
process.exit(0)

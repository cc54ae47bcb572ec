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
import { loadavg } from "node:os"
import { BUCKET } from "./e2e/fixture.ts"
import { peakRssBytes } from "./e2e/proc.ts"
import { makeWorld, numberOption, prepareTemplate, serviceNodeArgs, sleep, startS3rver } from "./e2e/world.ts"

const RUNS = numberOption("--runs", 3)
const NODE_ARGS = serviceNodeArgs()

const s3 = await startS3rver("idle", BUCKET)
const dropTemplate = await prepareTemplate()

const peaks: Array<number> = []
for (let run = 0; run < RUNS; run++) {
  const world = await makeWorld("idle")
  try {
    const service = await world.startService(s3.endpoint, {}, NODE_ARGS)
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

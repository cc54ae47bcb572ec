/**
 * s3rver in a process of its own, so that the bench reads its CPU time and memory from /proc
 * like the other servers'. Usage: node bench/e2e/s3rverMain.ts <data directory> <bucket>…
 * Prints the port it listens on (one line of JSON), then serves until killed.
 */
import S3rver from "s3rver"

const [directory, ...buckets] = process.argv.slice(2)
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory: directory ?? "/tmp/smap-bench-s3rver",
  configureBuckets: buckets.map((name) => ({ name }))
})
const address = await server.run()
console.log(JSON.stringify({ port: address.port }))

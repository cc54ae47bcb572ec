/**
 * s3rver as a process of its own for the fault suite, so the object store can be killed and
 * started again: `tsx s3rverProcess.ts <port> <directory> <bucket>...`. Prints "listening".
 */
import S3rver from "s3rver"

const [port, directory, ...buckets] = process.argv.slice(2)
const server = new S3rver({
  address: "127.0.0.1",
  port: Number(port),
  silent: true,
  directory: directory ?? ".",
  configureBuckets: buckets.map((name) => ({ name }))
})
await server.run()
process.stdout.write("listening\n")

import { Effect, Layer } from "effect"
import { Client } from "minio"
import { layerBatchStorageS3 } from "../../src/adapters/s3/BatchStorage.ts"
import { batchStorageContract, StorageHarness } from "../contracts/batchStorage.contract.ts"
import { s3TestServer } from "../support/s3server.ts"

const BUCKET = "crawl-results"

/** The S3 adapter against a private s3rver; raw writes go through a plain minio client. */
const s3Layer = Layer.unwrap(
  Effect.gen(function*() {
    const server = yield* s3TestServer([BUCKET])
    const raw = new Client({
      endPoint: server.endpoint.hostname,
      port: Number(server.endpoint.port),
      useSSL: false,
      accessKey: "S3RVER",
      secretKey: "S3RVER",
      region: "us-east-1",
      pathStyle: true,
      partSize: 64 * 1024 * 1024
    })
    return Layer.merge(
      layerBatchStorageS3(server.storageOptions()),
      Layer.succeed(StorageHarness, {
        bucket: BUCKET,
        putRaw: (location, bytes, metadata) =>
          Effect.promise(() => raw.putObject(location.bucket, location.key, Buffer.from(bytes), bytes.byteLength, metadata)).pipe(Effect.asVoid)
      })
    )
  })
)

batchStorageContract("S3 (s3rver)", s3Layer)

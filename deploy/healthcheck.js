#!/usr/bin/env node
// Container HEALTHCHECK: GET /healthz on the service's own metrics port (the slim image has no
// curl). Exits 0 on 200, 1 on anything else, a refused connection or no answer within 3 s.
// Liveness only: /readyz (dependencies) would mark every container unhealthy during an outage.
const port = process.env.METRICS_PORT || "9090"
const url = `http://127.0.0.1:${port}/healthz`
fetch(url, { signal: AbortSignal.timeout(3000) }).then(
  (response) => {
    if (!response.ok) console.error(`healthcheck: ${url} answered ${response.status}`)
    process.exit(response.ok ? 0 : 1)
  },
  (error) => {
    console.error(`healthcheck: ${url}: ${error.cause?.code ?? error.name}`)
    process.exit(1)
  }
)

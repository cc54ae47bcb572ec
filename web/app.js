// The dashboard: plain ES module, no build step. Data from the read API (/api/…); charts by
// Chart.js, served from node_modules at /vendor/chartjs/. Text is inserted with textContent only.

const $ = (selector) => document.querySelector(selector)
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value
    else if (key === "text") node.textContent = value
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "lang" || key === "rel" || key === "target" || key === "href") {
      node.setAttribute(key, value)
    } else node[key] = value
  }
  for (const child of children) node.append(child)
  return node
}

// ---------------------------------------------------------------------------------------------
// API

const TOKEN_KEY = "smap-api-token"
class AuthRequired extends Error {}

async function api(path) {
  const headers = { Accept: "application/json" }
  const token = sessionStorage.getItem(TOKEN_KEY)
  if (token) headers.Authorization = `Bearer ${token}`
  const response = await fetch(path, { headers })
  if (response.status === 401) throw new AuthRequired()
  const body = await response.json().catch(() => null)
  if (!response.ok) {
    const detail = body && (body.errors?.map((e) => `${e.path.join(".")}: ${e.message}`).join("; ") || body.detail)
    throw new Error(`${response.status} ${body?.title ?? response.statusText}${detail ? ` — ${detail}` : ""}`)
  }
  return body
}

const query = (params) => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, value)
  const text = search.toString()
  return text ? `?${text}` : ""
}

// ---------------------------------------------------------------------------------------------
// Formatting

const numberFormat = new Intl.NumberFormat("en-US")
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 })
const fmt = (n, digits = 1) => (n === null || n === undefined ? "–" : Number(n).toFixed(digits))
const formatTime = (iso, timeZone) =>
  new Intl.DateTimeFormat("en-GB", { timeZone, dateStyle: "medium", timeStyle: "short" }).format(new Date(iso))

const COLORS = { POSITIVE: "#1a7f37", NEGATIVE: "#c62828", NEUTRAL: "#6e7781" }

// ---------------------------------------------------------------------------------------------
// State

const state = {
  projectId: null,
  summary: null,
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
  bucket: "day",
  filters: {},
  cursors: [null], // cursor of each page visited; the last is the current page's
  next: null,
  charts: {}
}

function showError(error) {
  const box = $("#error")
  box.textContent = String(error?.message ?? error)
  box.hidden = false
}

function show(section) {
  for (const id of ["auth", "projects", "project"]) $(`#${id}`).hidden = id !== section
}

// ---------------------------------------------------------------------------------------------
// Charts

function drawChart(id, config) {
  if (typeof window.Chart !== "function") throw new Error("chart library not loaded")
  state.charts[id]?.destroy()
  const canvas = document.getElementById(id)
  config.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options }
  state.charts[id] = new window.Chart(canvas, config)
  canvas.dataset.drawn = "true"
}

function drawTrend(trend) {
  const labels = trend.points.map((p) => (state.bucket === "day" ? p.local.slice(0, 10) : p.local.replace("T", " ")))
  const series = (key, label) => ({
    label,
    data: trend.points.map((p) => p[key]),
    backgroundColor: COLORS[label],
    borderColor: COLORS[label],
    stack: "posts"
  })
  drawChart("trend-chart", {
    type: "bar",
    data: { labels, datasets: [series("positive", "POSITIVE"), series("negative", "NEGATIVE"), series("neutral", "NEUTRAL")] },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "posts" } } } }
  })
  $("#trend-range").textContent =
    `${trend.points.length} ${state.bucket === "day" ? "days" : "hours"} with posts, ${labels[0] ?? "–"} to ${labels.at(-1) ?? "–"} (${trend.timeZone})`
}

function drawIntent(summary) {
  const entries = Object.entries(summary.byIntent).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])
  drawChart("intent-chart", {
    type: "bar",
    data: { labels: entries.map(([k]) => k), datasets: [{ label: "posts", data: entries.map(([, n]) => n), backgroundColor: "#3563c9" }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } }
  })
}

function drawAspects(aspects) {
  const ds = (key, label) => ({ label, data: aspects.map((a) => a[key]), backgroundColor: COLORS[label], stack: "a" })
  drawChart("aspect-chart", {
    type: "bar",
    data: { labels: aspects.map((a) => a.aspect), datasets: [ds("positive", "POSITIVE"), ds("negative", "NEGATIVE"), ds("neutral", "NEUTRAL")] },
    options: { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } }
  })
}

// ---------------------------------------------------------------------------------------------
// Sections

function renderSummary(s) {
  const risky = s.byRisk.HIGH + s.byRisk.CRITICAL
  const cards = [
    ["Posts", numberFormat.format(s.total)],
    ["Negative", s.total === 0 ? "–" : `${Math.round((100 * s.bySentiment.NEGATIVE) / s.total)} %`],
    ["Positive", s.total === 0 ? "–" : `${Math.round((100 * s.bySentiment.POSITIVE) / s.total)} %`],
    ["Average impact", fmt(s.averageImpact)],
    ["High or critical risk", numberFormat.format(risky)],
    ["Views", compact.format(s.views)],
    ["Engagement", compact.format(s.engagement)],
    ["Platforms", Object.entries(s.byPlatform).map(([p, n]) => `${p} ${n}`).join(", ") || "–"]
  ]
  $("#summary").replaceChildren(...cards.flatMap(([k, v]) => [el("div", { class: "card" }, el("dt", { text: k }), el("dd", { text: v }))]))
  const platform = $("#filters select[name=platform]")
  platform.replaceChildren(el("option", { value: "", text: "any" }), ...Object.keys(s.byPlatform).map((p) => el("option", { value: p, text: p })))
}

function sentimentBar(k) {
  const total = k.positive + k.negative + k.neutral || 1
  const bar = el("span", { class: "bar", "aria-label": `${k.positive} positive, ${k.negative} negative, ${k.neutral} neutral` })
  for (const [key, label] of [["positive", "POSITIVE"], ["negative", "NEGATIVE"], ["neutral", "NEUTRAL"]]) {
    const part = el("span", { class: `part ${label.toLowerCase()}` })
    part.style.width = `${(100 * k[key]) / total}%`
    bar.append(part)
  }
  return bar
}

function renderKeywords(keywords) {
  const rows = keywords.map((k) => {
    const button = el("button", { type: "button", class: "link", text: k.keyword, lang: "vi", "data-keyword": k.keyword })
    button.addEventListener("click", () => {
      const form = $("#filters")
      form.elements.keyword.value = k.keyword
      applyFilters()
      $("#posts-title").scrollIntoView({ behavior: "smooth" })
    })
    return el("tr", {}, el("td", {}, button), el("td", { text: k.aspect ?? "–" }), el("td", { class: "num", text: numberFormat.format(k.mentions) }), el("td", {}, sentimentBar(k)))
  })
  $("#keywords tbody").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colSpan: 4, text: "No keywords." }))]))
}

function postLink(post) {
  if (!post.permalink || !/^https?:\/\//i.test(post.permalink)) return el("span", { text: "–" })
  return el("a", { href: post.permalink, target: "_blank", rel: "noopener noreferrer", text: "open ↗", "aria-label": `Open post ${post.id} on ${post.platform}` })
}

function renderCrisis(items) {
  const list = items.map((c) =>
    el("li", { class: `risk-${c.post.risk_level.toLowerCase()}` },
      el("div", { class: "crisis-head" },
        el("strong", { text: c.post.risk_level }),
        el("span", { text: ` · impact ${fmt(c.post.impact_score)} · ${c.post.platform} · ${formatTime(c.post.published_at, state.timeZone)} · ` }),
        postLink(c.post)),
      el("p", { class: "text", lang: "vi", text: c.post.content_text }),
      el("ul", { class: "reasons" }, ...c.reasons.map((r) => el("li", { text: r })))))
  $("#crisis").replaceChildren(...(list.length ? list : [el("li", { text: "Nothing on the radar." })]))
}

function renderPosts(page) {
  const rows = page.items.map((p) =>
    el("tr", { "data-post-id": p.id },
      el("td", { text: formatTime(p.published_at, state.timeZone) }),
      el("td", { text: p.platform }),
      el("td", { lang: "vi", text: p.author_name ?? p.author_username ?? "–" }),
      el("td", { class: "text", lang: "vi", text: p.content_text }),
      el("td", {}, el("span", { class: `tag ${p.overall_sentiment.toLowerCase()}`, text: p.overall_sentiment })),
      el("td", { text: p.primary_intent }),
      el("td", { text: p.risk_level }),
      el("td", { class: "num", text: fmt(p.impact_score) }),
      el("td", {}, postLink(p))))
  $("#posts tbody").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colSpan: 9, text: "No posts match." }))]))
  state.next = page.next
  const table = $("#posts")
  table.dataset.renders = String(Number(table.dataset.renders ?? 0) + 1)
  const pageNumber = state.cursors.length
  $("#posts-status").textContent = `Page ${pageNumber}: ${page.items.length} post${page.items.length === 1 ? "" : "s"}${page.next ? "" : " (last page)"}`
  $("#next-page").disabled = page.next === null
  $("#prev-page").disabled = pageNumber <= 1
  $("#first-page").disabled = pageNumber <= 1
}

function renderHealth(health, errors) {
  const cards = [
    ["Batches", health.batches],
    ["Completed", health.completed],
    ["Dead-lettered", health.deadLettered],
    ["Size mismatches", health.sizeMismatches],
    ["Redelivered", health.redelivered],
    ["Items stored", health.items.stored],
    ["Items skipped", health.items.skipped],
    ["Item errors", health.items.errors]
  ]
  $("#health").replaceChildren(...cards.map(([k, v]) => el("div", { class: "card" }, el("dt", { text: k }), el("dd", { text: numberFormat.format(v) }))))
  $("#batches tbody").replaceChildren(...health.recent.map((b) =>
    el("tr", { class: b.status === "failed" ? "failed" : "" },
      el("td", { text: formatTime(b.last_attempt_at, state.timeZone) }),
      el("td", { class: "mono", text: b.object_path }),
      el("td", { text: b.status + (b.failure_reason ? ` (${b.failure_reason})` : "") }),
      el("td", { class: "num", text: `${b.actual_size}${b.expected_size !== null && b.expected_size !== b.actual_size ? ` of ${b.expected_size}` : ""}` }),
      el("td", { class: "num", text: b.stored_count }),
      el("td", { class: "num", text: b.skipped_count }),
      el("td", { class: "num", text: b.error_count }),
      el("td", { class: "num", text: b.attempts }))))
  const categories = Object.entries(errors.byCategory).map(([k, n]) => `${k} ${n}`).join(", ")
  $("#crawl-errors").textContent = errors.total === 0 ? "No crawl errors." : `${errors.total} crawl errors: ${categories}.`
}

// ---------------------------------------------------------------------------------------------
// Loading

/** The trend window: the 30 days (by day) or 48 hours (by hour) up to the project's last post. */
function trendWindow(summary) {
  const end = summary.lastPublishedAt ? new Date(Date.parse(summary.lastPublishedAt) + 1) : new Date()
  const span = state.bucket === "day" ? 30 * 24 * 3_600_000 : 48 * 3_600_000
  const first = summary.firstPublishedAt ? Date.parse(summary.firstPublishedAt) : end.getTime() - span
  const start = new Date(Math.max(first, end.getTime() - span))
  return { from: start.toISOString(), to: new Date(end.getTime() + 1000).toISOString() }
}

async function loadTrend() {
  const w = trendWindow(state.summary)
  const trend = await api(`/api/projects/${state.projectId}/trend${query({ bucket: state.bucket, tz: state.timeZone, from: w.from, to: w.to })}`)
  drawTrend(trend)
}

async function loadPosts() {
  const cursor = state.cursors.at(-1)
  const page = await api(`/api/projects/${state.projectId}/posts${query({ ...state.filters, limit: 25, cursor })}`)
  renderPosts(page)
}

/** Dates in the filter form are local days in the chosen time zone's sense of the browser; sent as instants. */
function readFilters() {
  const form = new FormData($("#filters"))
  const filters = {}
  for (const [key, value] of form.entries()) if (typeof value === "string" && value.trim() !== "") filters[key] = value.trim()
  if (filters.from) filters.from = new Date(`${filters.from}T00:00:00`).toISOString()
  if (filters.to) filters.to = new Date(new Date(`${filters.to}T00:00:00`).getTime() + 86_400_000).toISOString()
  return filters
}

async function applyFilters() {
  state.filters = readFilters()
  state.cursors = [null]
  try {
    await loadPosts()
  } catch (e) {
    handle(e)
  }
}

async function openProject(projectId) {
  show("project")
  state.projectId = projectId
  state.cursors = [null]
  $("#project-id").textContent = projectId
  document.title = `SMAP Analytics · ${projectId}`
  const p = `/api/projects/${projectId}`
  const [summary, keywords, aspects, crisis, health, errors] = await Promise.all([
    api(`${p}/summary`), api(`${p}/keywords?limit=15`), api(`${p}/aspects`), api(`${p}/crisis?limit=10`),
    api(`${p}/batches?limit=20`), api(`${p}/errors?limit=20`)
  ])
  state.summary = summary
  renderSummary(summary)
  drawIntent(summary)
  drawAspects(aspects)
  renderKeywords(keywords)
  renderCrisis(crisis)
  renderHealth(health, errors)
  await Promise.all([loadTrend(), loadPosts()])
  document.body.dataset.ready = "true"
}

async function openProjects() {
  show("projects")
  document.title = "SMAP Analytics"
  const projects = await api("/api/projects")
  const items = projects.map((p) => el("li", {}, el("a", { href: `#/projects/${p.projectId}`, class: "mono", text: p.projectId })))
  $("#project-list").replaceChildren(...(items.length ? items : [el("li", { text: "No projects yet: nothing has been stored." })]))
  if (projects.length === 1) location.hash = `#/projects/${projects[0].projectId}`
  document.body.dataset.ready = "true"
}

function handle(error) {
  if (error instanceof AuthRequired) {
    show("auth")
    $("#token").focus()
    return
  }
  showError(error)
}

async function route() {
  document.body.dataset.ready = "false"
  $("#error").hidden = true
  const match = /^#\/projects\/([0-9a-fA-F-]{36})$/.exec(location.hash)
  try {
    if (match) await openProject(match[1].toLowerCase())
    else await openProjects()
  } catch (e) {
    handle(e)
  }
}

// ---------------------------------------------------------------------------------------------
// Controls

function setupControls() {
  const zones = [...new Set([state.timeZone, "Asia/Ho_Chi_Minh", "UTC"])]
  $("#tz").replaceChildren(...zones.map((z) => el("option", { value: z, text: z })))
  $("#tz").value = state.timeZone
  $("#tz").addEventListener("change", (e) => {
    state.timeZone = e.target.value
    if (state.projectId) route()
  })
  $("#bucket").addEventListener("change", (e) => {
    state.bucket = e.target.value
    loadTrend().catch(handle)
  })
  $("#filters").addEventListener("submit", (e) => {
    e.preventDefault()
    applyFilters()
  })
  $("#filters").addEventListener("reset", () => setTimeout(applyFilters, 0))
  $("#next-page").addEventListener("click", () => {
    if (state.next === null) return
    state.cursors.push(state.next)
    loadPosts().catch(handle)
  })
  $("#prev-page").addEventListener("click", () => {
    if (state.cursors.length <= 1) return
    state.cursors.pop()
    loadPosts().catch(handle)
  })
  $("#first-page").addEventListener("click", () => {
    state.cursors = [null]
    loadPosts().catch(handle)
  })
  $("#auth-form").addEventListener("submit", (e) => {
    e.preventDefault()
    sessionStorage.setItem(TOKEN_KEY, $("#token").value)
    $("#token").value = ""
    route()
  })
  window.addEventListener("hashchange", route)
}

setupControls()
route()

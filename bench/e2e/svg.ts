/** Two small SVG charts drawn by hand (no dependency): bars per variant, and a line over time. */

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

export interface Bar {
  readonly label: string
  readonly value: number
  readonly low?: number
  readonly high?: number
}

/**
 * Two panels of horizontal bars side by side, one row per variant: the left on a log scale
 * (throughput spans four orders of magnitude), the right linear. Whiskers show low–high.
 */
export const barsChart = (title: string, left: { readonly unit: string; readonly bars: ReadonlyArray<Bar> }, right: { readonly unit: string; readonly bars: ReadonlyArray<Bar> }, note: string) => {
  const rowH = 26
  const labelW = 420
  const panelW = 330
  const top = 58
  const height = top + rowH * left.bars.length + 50
  const width = labelW + panelW * 2 + 60
  const maxL = Math.max(...left.bars.map((b) => b.high ?? b.value), 1)
  const minL = Math.max(1, Math.min(...left.bars.filter((b) => b.value > 0).map((b) => b.low ?? b.value)) / 2)
  const xl = (v: number) => labelW + (panelW - 20) * (Math.log10(Math.max(v, minL)) - Math.log10(minL)) / (Math.log10(maxL * 1.2) - Math.log10(minL))
  const maxR = Math.max(...right.bars.map((b) => b.high ?? b.value), 1) * 1.15
  const x0r = labelW + panelW + 30
  const xr = (v: number) => x0r + (panelW - 20) * v / maxR
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${labelW}" y="44" font-weight="bold">${esc(left.unit)} (log scale)</text>`,
    `<text x="${x0r}" y="44" font-weight="bold">${esc(right.unit)}</text>`
  ]
  for (const decade of [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]) {
    if (decade < minL || decade > maxL * 1.2) continue
    const x = xl(decade)
    out.push(`<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${top + rowH * left.bars.length}" stroke="#ddd"/>`)
    out.push(`<text x="${x}" y="${top + rowH * left.bars.length + 14}" text-anchor="middle" fill="#666">${decade.toLocaleString("en-US")}</text>`)
  }
  left.bars.forEach((b, i) => {
    const y = top + i * rowH
    out.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`)
    if (b.value > 0) {
      out.push(`<rect x="${labelW}" y="${y + 4}" width="${Math.max(1, xl(b.value) - labelW)}" height="${rowH - 10}" fill="#4e79a7"/>`)
      if (b.low !== undefined && b.high !== undefined) {
        out.push(`<line x1="${xl(b.low)}" y1="${y + 9}" x2="${xl(b.high)}" y2="${y + 9}" stroke="#000"/>`)
      }
      out.push(`<text x="${xl(b.high ?? b.value) + 4}" y="${y + 15}" fill="#333">${Math.round(b.value).toLocaleString("en-US")}</text>`)
    }
    const r = right.bars[i]
    if (r !== undefined && r.value > 0) {
      out.push(`<rect x="${x0r}" y="${y + 4}" width="${Math.max(1, xr(r.value) - x0r)}" height="${rowH - 10}" fill="#f28e2b"/>`)
      out.push(`<text x="${xr(r.value) + 4}" y="${y + 15}" fill="#333">${r.value.toFixed(0)}</text>`)
    } else {
      out.push(`<text x="${x0r + 4}" y="${y + 15}" fill="#999">n/a (no consumer process)</text>`)
    }
  })
  out.push(`<text x="10" y="${height - 12}" fill="#666">${esc(note)}</text>`, `</svg>`)
  return out.join("\n")
}

/** A line chart of points (x, y) with labelled axes. */
export const lineChart = (title: string, xUnit: string, yUnit: string, points: ReadonlyArray<readonly [number, number]>, note: string, limit?: number) => {
  const width = 720
  const height = 320
  const left = 60
  const top = 40
  const w = width - left - 30
  const h = height - top - 60
  const maxX = Math.max(...points.map((p) => p[0]), 1)
  const maxY = Math.max(...points.map((p) => p[1]), limit ?? 0, 1) * 1.1
  const x = (v: number) => left + w * v / maxX
  const y = (v: number) => top + h - h * v / maxY
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${left}" y1="${top + h}" x2="${left + w}" y2="${top + h}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + h}" stroke="#333"/>`,
    `<text x="${left + w / 2}" y="${top + h + 32}" text-anchor="middle">${esc(xUnit)}</text>`,
    `<text x="14" y="${top + h / 2}" transform="rotate(-90 14 ${top + h / 2})" text-anchor="middle">${esc(yUnit)}</text>`
  ]
  for (let i = 0; i <= 4; i++) {
    const vy = maxY * i / 4
    out.push(`<text x="${left - 6}" y="${y(vy) + 4}" text-anchor="end" fill="#666">${vy.toFixed(0)}</text>`)
    const vx = maxX * i / 4
    out.push(`<text x="${x(vx)}" y="${top + h + 16}" text-anchor="middle" fill="#666">${vx.toFixed(0)}</text>`)
  }
  if (limit !== undefined) {
    out.push(`<line x1="${left}" y1="${y(limit)}" x2="${left + w}" y2="${y(limit)}" stroke="#e15759" stroke-dasharray="5,4"/>`)
    out.push(`<text x="${left + w - 4}" y="${y(limit) - 4}" text-anchor="end" fill="#e15759">target ${limit}</text>`)
  }
  out.push(`<polyline fill="none" stroke="#4e79a7" stroke-width="2" points="${points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ")}"/>`)
  out.push(`<text x="10" y="${height - 10}" fill="#666">${esc(note)}</text>`, `</svg>`)
  return out.join("\n")
}

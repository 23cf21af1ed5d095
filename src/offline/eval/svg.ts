/**
 * Dependency-free SVG plots for the report: hand-written markup, readable in any browser
 * and on GitHub. Colours are the Okabe–Ito palette (distinguishable with colour blindness).
 */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000']
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const f = (x: number) => +x.toFixed(2)

export interface Bar {
  label: string
  mean: number
  lo: number
  hi: number
  group?: string
}

/** Horizontal bars with 95% interval whiskers, one per model. */
export function barChart(title: string, axis: string, bars: Bar[], reference?: { label: string; value: number }[]): string {
  const rowH = 22
  const left = 150
  const width = 640
  const plotW = width - left - 70
  const top = 40 + 12 * (reference?.length ?? 0)
  const height = top + bars.length * rowH + 40
  const raw = Math.max(0.05, ...bars.map((b) => b.hi), ...(reference ?? []).map((r) => r.value))
  // Round the axis up to a "nice" step so the ticks read 0.00, 0.10, 0.20…
  const step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1].find((st) => raw / st <= 8) ?? 1
  const max = Math.ceil((raw * 1.02) / step) * step
  const nTicks = Math.round(max / step)
  const x = (v: number) => left + (v / max) * plotW
  const groups = [...new Set(bars.map((b) => b.group ?? ''))]
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>`,
  ]
  for (let t = 0; t <= nTicks; t++) {
    const v = t * step
    out.push(`<line x1="${f(x(v))}" y1="${top - 5}" x2="${f(x(v))}" y2="${top + bars.length * rowH}" stroke="#eee"/>`)
    out.push(`<text x="${f(x(v))}" y="${top + bars.length * rowH + 15}" text-anchor="middle" fill="#555">${v.toFixed(2)}</text>`)
  }
  out.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="#333">${esc(axis)}</text>`)
  bars.forEach((b, i) => {
    const y = top + i * rowH
    const colour = PALETTE[groups.indexOf(b.group ?? '') % PALETTE.length]!
    out.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`)
    out.push(`<rect x="${left}" y="${y + 4}" width="${f(Math.max(0, x(b.mean) - left))}" height="${rowH - 8}" fill="${colour}" opacity="0.8"/>`)
    out.push(`<line x1="${f(x(b.lo))}" y1="${y + rowH / 2}" x2="${f(x(b.hi))}" y2="${y + rowH / 2}" stroke="#000"/>`)
    for (const v of [b.lo, b.hi]) out.push(`<line x1="${f(x(v))}" y1="${y + 6}" x2="${f(x(v))}" y2="${y + rowH - 6}" stroke="#000"/>`)
    out.push(`<text x="${f(x(b.hi) + 6)}" y="${y + 15}" fill="#333">${b.mean.toFixed(3)}</text>`)
  })
  // Reference lines, their labels stacked above the plot so that close values never overlap.
  ;(reference ?? []).forEach((r, k) => {
    const ly = 34 + 12 * k
    out.push(`<line x1="${f(x(r.value))}" y1="${ly + 2}" x2="${f(x(r.value))}" y2="${top + bars.length * rowH}" stroke="#D55E00" stroke-dasharray="4 3"/>`)
    out.push(`<text x="${f(x(r.value) + 4)}" y="${ly}" fill="#D55E00" font-size="10">${esc(r.label)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n')
}

export interface Series {
  label: string
  points: Array<{ x: number; y: number }>
  dashed?: boolean
  colour?: number
  /** x of a point to mark (the chosen value). */
  mark?: number
}

/** Lines over a log-scaled x axis (the kernel's time scale). */
export function logLineChart(title: string, xLabel: string, yLabel: string, series: Series[], xTick: (v: number) => string, hlines: Array<{ label: string; y: number }> = []): string {
  const width = 720
  const height = 420
  const left = 60
  const right = 170
  const top = 36
  const bottom = 50
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const ys = [...series.flatMap((s) => s.points.map((p) => p.y)), ...hlines.map((h) => h.y)]
  const x0 = Math.log10(Math.min(...xs))
  const x1 = Math.log10(Math.max(...xs))
  let y0 = Math.min(...ys)
  let y1 = Math.max(...ys)
  const pad = (y1 - y0) * 0.08 || 0.01
  y0 -= pad
  y1 += pad
  const X = (v: number) => left + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * (width - left - right)
  const Y = (v: number) => top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${(width - right + left) / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>`,
  ]
  for (let t = 0; t <= 5; t++) {
    const v = y0 + ((y1 - y0) * t) / 5
    out.push(`<line x1="${left}" y1="${f(Y(v))}" x2="${width - right}" y2="${f(Y(v))}" stroke="#eee"/>`)
    out.push(`<text x="${left - 6}" y="${f(Y(v) + 4)}" text-anchor="end" fill="#555">${v.toFixed(3)}</text>`)
  }
  const ticks = [...new Set(xs)].sort((a, b) => a - b)
  for (const v of ticks) {
    out.push(`<line x1="${f(X(v))}" y1="${top}" x2="${f(X(v))}" y2="${height - bottom}" stroke="#f3f3f3"/>`)
    out.push(`<text x="${f(X(v))}" y="${height - bottom + 15}" text-anchor="middle" fill="#555" font-size="10">${esc(xTick(v))}</text>`)
  }
  out.push(`<text x="${(width - right + left) / 2}" y="${height - 12}" text-anchor="middle">${esc(xLabel)}</text>`)
  out.push(`<text transform="translate(14 ${(height - bottom + top) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`)
  for (const h of hlines) {
    out.push(`<line x1="${left}" y1="${f(Y(h.y))}" x2="${width - right}" y2="${f(Y(h.y))}" stroke="#777" stroke-dasharray="2 3"/>`)
    out.push(`<text x="${width - right + 4}" y="${f(Y(h.y) + 4)}" fill="#555" font-size="10">${esc(h.label)}</text>`)
  }
  series.forEach((s, i) => {
    const colour = PALETTE[(s.colour ?? i) % PALETTE.length]!
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${f(X(p.x))} ${f(Y(p.y))}`).join(' ')
    out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    for (const p of s.points)
      out.push(`<circle cx="${f(X(p.x))}" cy="${f(Y(p.y))}" r="${p.x === s.mark ? 5 : 2.5}" fill="${p.x === s.mark ? '#fff' : colour}" stroke="${colour}" stroke-width="${p.x === s.mark ? 2 : 1}"/>`)
    const ly = top + 14 + i * 18
    out.push(`<line x1="${width - right + 10}" y1="${ly - 4}" x2="${width - right + 34}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    out.push(`<text x="${width - right + 40}" y="${ly}" font-size="11">${esc(s.label)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n')
}

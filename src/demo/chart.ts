import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { StoredEvent } from '../events/types'
import { categoryLabel } from '../embed/controls-element'
import { createProfile } from '../interest'
import { h } from './dom'

/**
 * The shopper's interest profile over time, as it decays: for the `k` strongest genres now,
 * the decayed event weight behind each one at each instant, replayed from the history with
 * the same profile code the engine ranks with (src/interest).
 *
 * The profile's `weight()` is a *share* (a feature's decayed mass over the total), which stays
 * flat when nothing new happens, since everything decays alike. To show the decay itself we
 * plot absolute mass: g·(share_short·M_short) + (1 − g)·(share_long·M_long), with g and the
 * masses from `masses(now)`, and each profile's share read from a copy whose gate is pinned
 * to that profile (bias ±50: g = 0 or 1). The x range runs from the first
 * event (at most `maxSpan` ago) to a projection into the future, where no new events arrive and
 * every curve decays: the short-term (1 h half-life) part drops within the hour, the long-term
 * (30 d half-life) part slowly. Drawn with uPlot (small, canvas, keeps 60 fps with many points).
 */
export interface Series {
  t: number[]
  keys: string[]
  values: number[][]
  now: number
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2']

/**
 * `horizonMs`: how far past now to project. The past shown is the history's span, at least a
 * tenth of the horizon and at most 60 days. Category keys are chosen broadest first (fewest
 * path levels, then weight): a shopper reads "Comedy", not every prefix of one movie's path.
 */
export function profileSeries(events: ReadonlyArray<StoredEvent>, now: number, horizonMs = 30 * 24 * 3600e3, k = 5, points = 200, maxSpan = 60 * 24 * 3600e3): Series {
  const sorted = events.filter((e) => e.timestamp <= now).sort((a, b) => a.timestamp - b.timestamp)
  const full = createProfile()
  for (const e of sorted) full.add(e)
  const depth = (key: string) => key.split(/(?<!\\)>/).length
  // The demo's genres are tags; an older history (or another shop) has category paths.
  const kind = full.top(now, 1, 'tag').length > 0 ? 'tag' : 'category'
  const keys = full
    .top(now, 50, kind)
    .sort((a, b) => depth(a.key) - depth(b.key) || b.weight - a.weight)
    .slice(0, k)
    .map((i) => i.key)
  const first = sorted[0]?.timestamp ?? now
  const span = Math.min(maxSpan, Math.max(now - first, horizonMs / 10))
  const start = now - span
  const end = now + horizonMs
  const t: number[] = []
  const values: number[][] = keys.map(() => [])
  const fusedP = createProfile()
  const longP = createProfile({ gate: { bias: -50, slope: 0 } })
  const shortP = createProfile({ gate: { bias: 50, slope: 0 } })
  let i = 0
  for (let s = 0; s <= points; s++) {
    const at = start + ((end - start) * s) / points
    while (i < sorted.length && sorted[i]!.timestamp <= at) {
      const e = sorted[i++]!
      fusedP.add(e)
      longP.add(e)
      shortP.add(e)
    }
    t.push(at / 1000)
    const m = fusedP.masses(at)
    keys.forEach((key, j) => values[j]!.push(m.gate * shortP.weight(kind, key, at) * m.short + (1 - m.gate) * longP.weight(kind, key, at) * m.long))
  }
  return { t, keys, values, now }
}

export class InterestChart {
  readonly el: HTMLElement
  #plot: uPlot | null = null
  #keys = ''
  #now = 0
  #empty: HTMLElement

  constructor() {
    this.#empty = h('p', { class: 'muted', text: 'Browse a few movies: your genres will appear here, decaying over time.' })
    this.el = h('div', { class: 'chart', role: 'img', 'aria-label': 'Chart of your genre interests over time' }, this.#empty)
  }

  update(s: Series): void {
    if (s.keys.length === 0) {
      this.#plot?.destroy()
      this.#plot = null
      this.#keys = ''
      this.el.replaceChildren(this.#empty)
      return
    }
    this.#now = s.now / 1000
    const data = [s.t, ...s.values] as uPlot.AlignedData
    const keys = s.keys.join('\u0000')
    this.el.setAttribute('aria-label', `Chart of your genre interests over time; strongest now: ${s.keys.map(categoryLabel).join(', ')}`)
    if (this.#plot && keys === this.#keys) {
      this.#plot.setData(data)
      return
    }
    this.#plot?.destroy()
    this.#keys = keys
    this.el.replaceChildren()
    const width = Math.max(260, this.el.clientWidth || 320)
    this.#plot = new uPlot(
      {
        width,
        height: 200,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 1e-3) * 1.1] } },
        axes: [
          { stroke: '#64748b', grid: { stroke: '#e2e8f0' } },
          { stroke: '#64748b', grid: { stroke: '#e2e8f0' }, size: 40, values: (_u, v) => v.map((x) => x.toFixed(1)) },
        ],
        series: [{}, ...s.keys.map((k, i) => ({ label: categoryLabel(k), stroke: COLORS[i % COLORS.length]!, width: 2 }))],
        hooks: {
          draw: [
            (u: uPlot) => {
              // A "now" rule: right of it is the projection, with no new events, only decay.
              const x = u.valToPos(this.#now, 'x', true)
              const ctx = u.ctx
              ctx.save()
              ctx.strokeStyle = '#94a3b8'
              ctx.setLineDash([4, 4])
              ctx.beginPath()
              ctx.moveTo(x, u.bbox.top)
              ctx.lineTo(x, u.bbox.top + u.bbox.height)
              ctx.stroke()
              ctx.fillStyle = '#64748b'
              ctx.font = `${11 * devicePixelRatio}px system-ui`
              ctx.fillText('now', x + 4, u.bbox.top + 12 * devicePixelRatio)
              ctx.restore()
            },
          ],
        },
      },
      data,
      this.el,
    )
  }
}

import { describe, expect, it } from 'vitest'
import { type ExpAccumulator, ListAccumulator, UnitList, makeAccumulator } from './accumulator'
import { createKernel } from './kernels'
import { close } from './reference'
import type { KernelSpec } from './types'
import { mulberry32 as rng } from '../rng'

const H = 3600_000
const D = 24 * H

const SPECS: KernelSpec[] = [
  { name: 'exponential', halfLifeMs: 2 * D },
  { name: 'exponential', halfLifeMs: H },
  { name: 'linear', horizonMs: 10 * D },
  { name: 'window', windowMs: 3 * D },
  { name: 'power', scaleMs: 6 * H, exponent: 1.3 },
  { name: 'none' },
]

describe('accumulators: incremental == direct sum, for every kernel', () => {
  for (const spec of SPECS) {
    it(`${JSON.stringify(spec)}: random out-of-order units, queries before and after them`, () => {
      const kernel = createKernel(spec)
      for (let seed = 1; seed <= 40; seed++) {
        const r = rng(seed)
        const list = new UnitList()
        const acc = makeAccumulator(kernel, list)
        const ts: number[] = []
        const ws: number[] = []
        const t0 = Date.UTC(2024, 0, 1)
        const n = 1 + Math.floor(r() * 60)
        for (let i = 0; i < n; i++) {
          // mostly forward in time, sometimes back (multi-tab), sometimes a repeat timestamp
          const t = r() < 0.1 && ts.length ? (ts[ts.length - 1] as number) : t0 + Math.floor(r() * 20 * D)
          const w = r() < 0.15 ? -r() * 2 : r() * 5
          list.push(t, w)
          acc.add(t, w)
          ts.push(t)
          ws.push(w)
        }
        // the mass is fed |w| through its own list, as the profile does
        const mlist = new UnitList()
        const m = makeAccumulator(kernel, mlist)
        ts.forEach((t, i) => {
          mlist.push(t, Math.abs(ws[i] as number))
          m.add(t, Math.abs(ws[i] as number))
        })
        for (const now of [t0 - D, t0 + 5 * D, t0 + 20 * D, t0 + 25 * D, t0 + 400 * D]) {
          let s = 0
          let a = 0
          let M = 0
          ts.forEach((t, i) => {
            const k = kernel.weight(now - t)
            s += (ws[i] as number) * k
            a += Math.abs(ws[i] as number) * k
            M += Math.abs(ws[i] as number) * k
          })
          expect(close(acc.sum(now), s, 1e-9, a), `seed ${seed} now ${now}: ${acc.sum(now)} vs ${s}`).toBe(true)
          expect(close(m.sum(now), M, 1e-9)).toBe(true)
          const share = acc.share(m, now, m.sum(now))
          if (M > 1e-280) expect(close(share, Math.max(-1, Math.min(1, s / M)), 1e-9, a / M), `share seed ${seed}`).toBe(true)
          expect(share).toBeGreaterThanOrEqual(-1)
          expect(share).toBeLessThanOrEqual(1)
        }
      }
    })
  }
})

describe('exponential accumulator over decades (MovieLens 1996–2018 in ms)', () => {
  const t1996 = Date.UTC(1996, 3, 1)
  const t2018 = Date.UTC(2018, 8, 1)
  for (const halfLifeMs of [H, D, 30 * D, 3650 * D]) {
    it(`half-life ${halfLifeMs / H} h: no overflow, finite, exact`, () => {
      const kernel = createKernel({ name: 'exponential', halfLifeMs })
      const list = new UnitList()
      const acc = makeAccumulator(kernel, list) as ExpAccumulator
      const r = rng(7)
      const ts: number[] = []
      for (let i = 0; i < 500; i++) {
        const t = Math.floor(t1996 + r() * (t2018 - t1996))
        list.push(t, 1)
        acc.add(t, 1)
        ts.push(t)
      }
      const last = Math.max(...ts)
      expect(Number.isFinite(acc.s)).toBe(true)
      expect(acc.ref).toBe(last)
      for (const now of [last, last + H, t2018 + 365 * D]) {
        const direct = ts.reduce((s, t) => s + kernel.weight(now - t), 0)
        const v = acc.sum(now)
        expect(Number.isFinite(v)).toBe(true)
        expect(close(v, direct, 1e-9)).toBe(true)
      }
      // e^(λ·t) for t in 2018 would overflow for any half-life under ~11 days: the anchored
      // form never computes it.
      if (halfLifeMs < 11 * D) expect(Math.exp((Math.LN2 / halfLifeMs) * t2018)).toBe(Infinity)
    })
  }
  it('share stays exact when every decayed sum has underflowed to 0', () => {
    const kernel = createKernel({ name: 'exponential', halfLifeMs: H })
    const fl = new UnitList()
    const ml = new UnitList()
    const f = makeAccumulator(kernel, fl)
    const m = makeAccumulator(kernel, ml)
    for (const [t, inF] of [
      [t1996, true],
      [t1996 + H, false],
      [t1996 + 2 * H, true],
    ] as const) {
      ml.push(t, 1)
      m.add(t, 1)
      if (inF) {
        fl.push(t, 1)
        f.add(t, 1)
      }
    }
    const now = t2018
    expect(m.sum(now)).toBe(0) // 22 years of hourly halvings
    // share = (2^−2 + 1) / (2^−2 + 2^−1 + 1), independent of now
    expect(f.share(m, now, m.sum(now))).toBeCloseTo(1.25 / 1.75, 12)
  })
})

describe('future timestamps (clock skew)', () => {
  it('exponential falls back to the exact clamped sum when a unit is after now', () => {
    const kernel = createKernel({ name: 'exponential', halfLifeMs: D })
    const list = new UnitList()
    const acc = makeAccumulator(kernel, list)
    const now = Date.UTC(2024, 5, 1)
    for (const [t, w] of [
      [now - D, 2],
      [now + H, 3], // a tab whose clock runs an hour ahead
    ] as const) {
      list.push(t, w)
      acc.add(t, w)
    }
    expect(acc.sum(now)).toBeCloseTo(2 * 0.5 + 3 * 1, 12)
    // factorised form would have given 3·2^(+1/24) + … > 4: the clamp matters
    expect(acc.sum(now)).toBeLessThan(4.0001)
  })
  it('list kernels clamp too', () => {
    const kernel = createKernel({ name: 'linear', horizonMs: 4 * D })
    const list = new UnitList()
    const acc = new ListAccumulator(kernel, list)
    const now = 1_000 * D
    list.push(now + 2 * D, 1)
    list.push(now - 2 * D, 1)
    expect(acc.sum(now)).toBeCloseTo(1 + 0.5, 12)
  })
})

describe('UnitList', () => {
  it('merges consecutive units with the same timestamp', () => {
    const l = new UnitList()
    l.push(5, 1)
    l.push(5, 2)
    l.push(6, 1)
    l.push(5, 1)
    expect(l.times).toEqual([5, 6, 5])
    expect(l.weights).toEqual([3, 1, 1])
  })
})

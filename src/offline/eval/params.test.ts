import { describe, expect, it } from 'vitest'
import { createKernel } from '../../interest'
import { duration, GRIDS, keyOf, kernelSpec, pointFromJSON, pointToJSON, setDim, START } from './params'
import { barChart } from './svg'

describe('tuning parameters', () => {
  it('τ is the age at which each decaying kernel weighs ½ (window: its edge)', () => {
    const tau = 7 * 24 * 3600 * 1000
    for (const [name, p] of [
      ['exponential', 1],
      ['linear', 1],
      ['power', 1],
      ['power', 2],
      ['power', 0.5],
    ] as const) {
      expect(createKernel(kernelSpec(name, tau, p)).weight(tau), `${name} p=${p}`).toBeCloseTo(0.5, 12)
    }
    const w = createKernel(kernelSpec('window', tau, 1))
    expect([w.weight(tau), w.weight(tau + 1)]).toEqual([1, 0])
    expect(createKernel(kernelSpec('none', tau, 1)).weight(1e15)).toBe(1)
  })

  it('setDim changes one coordinate and nothing else; keys and JSON keep Infinity', () => {
    const q = setDim(START, 'sim.window', Infinity)
    expect(q.sim.window).toBe(Infinity)
    expect(START.sim.window).toBe(50)
    expect(keyOf(q)).not.toBe(keyOf(START))
    expect(pointFromJSON(JSON.parse(JSON.stringify(pointToJSON(q))))).toEqual(q)
    expect(setDim(START, 'gate.bias', 3).gate).toEqual({ bias: 3, slope: START.gate.slope })
    // Categories are never switched off entirely (see the grid's comment).
    expect(Math.min(...GRIDS.category)).toBeGreaterThan(0)
  })

  it('formats durations for the report', () => {
    expect([duration(5 * 60000), duration(3600000), duration(180 * 86400000), duration(3 * 365 * 86400000), duration(Infinity)]).toEqual(['5min', '1h', '180d', '3y', '∞'])
  })

  it('draws one bar and one whisker pair per model', () => {
    const svg = barChart('t', 'x', [
      { label: 'a<b', mean: 0.3, lo: 0.2, hi: 0.4 },
      { label: 'c', mean: 0.5, lo: 0.45, hi: 0.55 },
    ])
    expect(svg.match(/<rect /g)).toHaveLength(3) // background + 2 bars
    expect(svg).toContain('a&lt;b')
    expect(svg.startsWith('<svg')).toBe(true)
  })
})

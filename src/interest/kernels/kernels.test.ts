import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../errors'
import type { KernelSpec } from '../types'
import { EXPONENTIAL_DEFAULTS, KERNEL_NAMES, LINEAR_DEFAULTS, POWER_DEFAULTS, WINDOW_DEFAULTS, createKernel } from './index'

const H = 3600_000
const D = 24 * H

describe('exponential kernel: K(a) = 2^(−a/h)', () => {
  const k = createKernel({ name: 'exponential', halfLifeMs: 10 * D })
  it('halves every half-life', () => {
    expect(k.weight(0)).toBe(1)
    expect(k.weight(10 * D)).toBeCloseTo(0.5, 12)
    expect(k.weight(20 * D)).toBeCloseTo(0.25, 12)
    expect(k.weight(5 * D)).toBeCloseTo(Math.SQRT1_2, 12)
    expect(k.weight(1 * D)).toBeCloseTo(Math.pow(2, -0.1), 12)
  })
  it('underflows to 0 rather than NaN over decades', () => {
    const w = createKernel({ name: 'exponential', halfLifeMs: H }).weight(22 * 365 * D)
    expect(w).toBe(0)
  })
  it('uses the documented default half-life (14 days) when none is given', () => {
    const d = createKernel({ name: 'exponential' })
    expect(d.params.halfLifeMs).toBe(EXPONENTIAL_DEFAULTS.halfLifeMs)
    expect(d.weight(14 * D)).toBeCloseTo(0.5, 12)
  })
})

describe('linear kernel: K(a) = max(0, 1 − a/H)', () => {
  const k = createKernel({ name: 'linear', horizonMs: 8 * D })
  it('falls linearly to 0 at the horizon and stays there', () => {
    expect(k.weight(0)).toBe(1)
    expect(k.weight(2 * D)).toBeCloseTo(0.75, 12)
    expect(k.weight(4 * D)).toBeCloseTo(0.5, 12)
    expect(k.weight(8 * D)).toBe(0)
    expect(k.weight(100 * D)).toBe(0)
  })
  it('defaults to a 30-day horizon', () => {
    const d = createKernel({ name: 'linear' })
    expect(d.params.horizonMs).toBe(LINEAR_DEFAULTS.horizonMs)
    expect(d.weight(15 * D)).toBeCloseTo(0.5, 12)
  })
})

describe('window kernel: K(a) = [a ≤ W]', () => {
  const k = createKernel({ name: 'window', windowMs: 2 * D })
  it('is 1 inside the window (edge included) and 0 after', () => {
    expect(k.weight(0)).toBe(1)
    expect(k.weight(D)).toBe(1)
    expect(k.weight(2 * D)).toBe(1)
    expect(k.weight(2 * D + 1)).toBe(0)
  })
  it('defaults to 7 days', () => {
    expect(createKernel({ name: 'window' }).params.windowMs).toBe(WINDOW_DEFAULTS.windowMs)
    expect(createKernel({ name: 'window' }).weight(7 * D + 1)).toBe(0)
  })
})

describe('power kernel: K(a) = (1 + a/s)^(−p)', () => {
  const k = createKernel({ name: 'power', scaleMs: D, exponent: 2 })
  it('matches the formula at known points', () => {
    expect(k.weight(0)).toBe(1)
    expect(k.weight(D)).toBeCloseTo(0.25, 12) // 2^−2
    expect(k.weight(3 * D)).toBeCloseTo(1 / 16, 12) // 4^−2
    expect(k.weight((Math.SQRT2 - 1) * D)).toBeCloseTo(0.5, 12) // half-weight age (2^(1/p) − 1)·s
  })
  it('has a heavier tail than the exponential with the same half-weight age', () => {
    const p = createKernel({ name: 'power', scaleMs: D, exponent: 1 }) // half weight at 1 day
    const e = createKernel({ name: 'exponential', halfLifeMs: D })
    expect(p.weight(30 * D)).toBeCloseTo(1 / 31, 12)
    expect(p.weight(30 * D)).toBeGreaterThan(e.weight(30 * D) * 1e6)
  })
  it('defaults to s = 1 day, p = 1', () => {
    const d = createKernel({ name: 'power' })
    expect(d.params).toMatchObject(POWER_DEFAULTS)
    expect(d.weight(D)).toBeCloseTo(0.5, 12)
  })
})

describe('none kernel', () => {
  it('never decays', () => {
    const k = createKernel({ name: 'none' })
    expect(k.weight(0)).toBe(1)
    expect(k.weight(1e15)).toBe(1)
    expect(k.weight(Infinity)).toBe(1)
  })
})

describe('contract shared by every kernel', () => {
  const specs: KernelSpec[] = [
    { name: 'exponential', halfLifeMs: 3 * D },
    { name: 'linear', horizonMs: 5 * D },
    { name: 'window', windowMs: 2 * D },
    { name: 'power', scaleMs: 6 * H, exponent: 0.7 },
    { name: 'none' },
  ]
  it('covers every registered kernel', () => {
    expect(new Set(specs.map((s) => s.name))).toEqual(new Set(KERNEL_NAMES))
  })
  for (const spec of specs) {
    const k = createKernel(spec)
    it(`${spec.name}: weight(0) = 1, in [0, 1], non-increasing`, () => {
      expect(k.weight(0)).toBe(1)
      let prev = 1
      for (let a = 0; a < 40 * D; a += 977 * 60_000) {
        const w = k.weight(a)
        expect(w).toBeGreaterThanOrEqual(0)
        expect(w).toBeLessThanOrEqual(1)
        expect(w).toBeLessThanOrEqual(prev)
        prev = w
      }
    })
    it(`${spec.name}: negative ages (future timestamps) count as age 0, NaN as no evidence`, () => {
      expect(k.weight(-1)).toBe(1)
      expect(k.weight(-10 * D)).toBe(1)
      expect(k.weight(-Infinity)).toBe(1)
      expect(k.weight(Number.NaN)).toBe(0)
      expect(Number.isFinite(k.weight(Infinity))).toBe(true)
    })
  }
})

describe('createKernel validation', () => {
  it('names an unknown kernel and lists the valid ones', () => {
    const err = (() => {
      try {
        createKernel({ name: 'gaussian' } as unknown as KernelSpec)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).field).toBe('kernel.name')
    expect((err as ValidationError).message).toContain('exponential, linear, window, power, none')
  })
  it.each([
    [{ name: 'exponential', halfLifeMs: 0 }, 'kernel.halfLifeMs'],
    [{ name: 'exponential', halfLifeMs: -5 }, 'kernel.halfLifeMs'],
    [{ name: 'linear', horizonMs: Number.NaN }, 'kernel.horizonMs'],
    [{ name: 'window', windowMs: Infinity }, 'kernel.windowMs'],
    [{ name: 'power', scaleMs: 1, exponent: 0 }, 'kernel.exponent'],
    [{ name: 'power', scaleMs: '1', exponent: 1 }, 'kernel.scaleMs'],
  ])('rejects %j naming %s', (spec, field) => {
    expect(() => createKernel(spec as unknown as KernelSpec)).toThrow(expect.objectContaining({ field, code: 'invalid_options' }))
  })
  it('rejects a non-object spec', () => {
    expect(() => createKernel(null as unknown as KernelSpec)).toThrow(ValidationError)
  })
})

import { describe, expect, it } from 'vitest'
import { Bootstrap, coverageInterval, quantile } from './bootstrap'
import { coverage, hitAt, intraListDiversity, ndcgAt, rankInfo, reciprocalRank, topK } from './rank'

describe('rank metrics (worked by hand)', () => {
  // Target (index 1, score 0.5) is beaten by 0.9 and 0.7 and tied with two others.
  const tied = rankInfo([0.9, 0.5, 0.7, 0.5, 0.5, 0.1], 1)

  it('counts greater and tied candidates', () => {
    expect(tied).toEqual({ greater: 2, ties: 2 })
  })

  it('expected mode averages over the tied positions 2, 3, 4', () => {
    expect(hitAt(tied, 3)).toBeCloseTo(1 / 3, 12)
    expect(hitAt(tied, 4)).toBeCloseTo(2 / 3, 12)
    expect(hitAt(tied, 5)).toBe(1)
    expect(hitAt(tied, 2)).toBe(0)
    // (1/log2 4 + 1/log2 5 + 1/log2 6) / 3
    expect(ndcgAt(tied, 5)).toBeCloseTo((0.5 + 0.430676558 + 0.386852807) / 3, 8)
    expect(ndcgAt(tied, 4)).toBeCloseTo((0.5 + 0.430676558) / 3, 8)
    expect(reciprocalRank(tied)).toBeCloseTo((1 / 3 + 1 / 4 + 1 / 5) / 3, 12)
  })

  it('pessimistic mode puts the target last among its ties (position 4)', () => {
    expect(hitAt(tied, 4, 'pessimistic')).toBe(0)
    expect(hitAt(tied, 5, 'pessimistic')).toBe(1)
    expect(ndcgAt(tied, 5, 'pessimistic')).toBeCloseTo(1 / Math.log2(6), 12)
    expect(reciprocalRank(tied, 'pessimistic')).toBeCloseTo(0.2, 12)
  })

  it('a top hit scores 1 and a miss scores 0 (MRR still counts the rank)', () => {
    const top = rankInfo([5, 1, 2], 0)
    expect([hitAt(top, 1), ndcgAt(top, 1), reciprocalRank(top)]).toEqual([1, 1, 1])
    const miss = rankInfo([1, 2, 3, 4, 5, 6, 0], 6)
    expect(miss).toEqual({ greater: 6, ties: 0 })
    expect(hitAt(miss, 5)).toBe(0)
    expect(ndcgAt(miss, 5)).toBe(0)
    expect(reciprocalRank(miss)).toBeCloseTo(1 / 7, 12)
    // Second place: NDCG = 1/log2(3).
    expect(ndcgAt(rankInfo([3, 2, 1], 1), 10)).toBeCloseTo(0.630929754, 8)
  })

  it('is never optimistic: all-equal scores give the average, not a hit at the top', () => {
    const r = rankInfo(new Array(101).fill(0), 0)
    expect(hitAt(r, 10)).toBeCloseTo(10 / 101, 12)
    expect(hitAt(r, 10, 'pessimistic')).toBe(0)
  })

  it('rejects NaN scores', () => {
    expect(() => rankInfo([1, NaN], 1)).toThrow(/NaN/)
    expect(() => rankInfo([1, NaN], 0)).toThrow(/NaN/)
  })
})

describe('list metrics', () => {
  it('topK orders by score and keeps list order among ties, in both code paths', () => {
    expect(topK([1, 3, 3, 2], 2)).toEqual([1, 2])
    const long = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? 10 : i / 100))
    expect(topK(long, 3)).toEqual([0, 7, 14])
    const sorted = Array.from({ length: 60 }, (_, i) => i).sort((a, b) => long[b]! - long[a]! || a - b)
    expect(topK(long, 10)).toEqual(sorted.slice(0, 10))
  })

  it('intra-list diversity is the mean pairwise 1 − Jaccard', () => {
    // pairs: {A,B}-{A}: 1 − 1/2; {A,B}-{C}: 1; {A}-{C}: 1 → 2.5 / 3
    expect(intraListDiversity([['A', 'B'], ['A'], ['C']])).toBeCloseTo(2.5 / 3, 12)
    expect(intraListDiversity([['A'], ['A']])).toBe(0)
    expect(intraListDiversity([[], []])).toBe(0)
    expect(intraListDiversity([['A'], []])).toBe(1)
    expect(intraListDiversity([['A']])).toBe(0)
  })

  it('coverage is distinct recommended items over the catalogue', () => {
    expect(
      coverage(
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
        10,
      ),
    ).toBeCloseTo(0.3, 12)
  })
})

describe('bootstrap', () => {
  it('is seeded, brackets the mean, and narrows with more users', () => {
    const vals = Float64Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0))
    const a = new Bootstrap(400, 500, 3).mean(vals)
    const b = new Bootstrap(400, 500, 3).mean(vals)
    expect(a).toEqual(b)
    expect(a.mean).toBeCloseTo(0.25, 12)
    expect(a.lo).toBeLessThan(0.25)
    expect(a.hi).toBeGreaterThan(0.25)
    // Binomial SE = sqrt(.25·.75/400) ≈ 0.0217 → half-width ≈ 0.042.
    expect(a.hi - a.lo).toBeGreaterThan(0.06)
    expect(a.hi - a.lo).toBeLessThan(0.11)
    const small = new Bootstrap(40, 500, 3).mean(vals.slice(0, 40))
    expect(small.hi - small.lo).toBeGreaterThan(a.hi - a.lo)
  })

  it('paired differences of identical arrays are exactly 0', () => {
    const v = Float64Array.from({ length: 50 }, (_, i) => i / 50)
    expect(new Bootstrap(50, 100, 1).diff(v, v)).toEqual({ mean: 0, lo: 0, hi: 0 })
  })

  it('coverage intervals are recentred on the full-sample coverage', () => {
    const lists = Array.from({ length: 100 }, (_, u) => Int32Array.from([u % 50, 50 + (u % 30)]))
    const c = coverageInterval(new Bootstrap(100, 300, 2), lists, 100)
    expect(c.mean).toBeCloseTo(0.8, 12)
    expect(c.lo).toBeLessThanOrEqual(0.8)
    expect(c.hi).toBeGreaterThanOrEqual(0.8)
  })

  it('at shop scale keeps no resamples and gives the interval the percentile bootstrap converges to', () => {
    const n = 6_000
    const vals = Float64Array.from({ length: n }, (_, i) => (((i * 2654435761) % 1000) / 1000 < 0.3 ? 1 / Math.log2(2 + (i % 7)) : 0))
    const big = new Bootstrap(n, 1000, 4)
    expect(big.large).toBe(true)
    expect(big.samples).toHaveLength(0)
    const stored = new Bootstrap(n, 600, 4) // 3.6M indices: still the percentile bootstrap
    expect(stored.large).toBe(false)
    const a = big.mean(vals)
    const b = stored.mean(vals)
    expect(a.mean).toBe(b.mean)
    expect(Math.abs(a.hi - a.lo - (b.hi - b.lo)) / (b.hi - b.lo)).toBeLessThan(0.15)
    expect(Math.abs((a.lo + a.hi) / 2 - a.mean)).toBeLessThan(1e-12)
    expect(big.diff(vals, vals)).toEqual({ mean: 0, lo: 0, hi: 0 })
    const lists = Array.from({ length: n }, (_, u) => Int32Array.from([u % 500, 500 + (u % 300)]))
    const c = coverageInterval(big, lists, 1000)
    expect(c.mean).toBeCloseTo(0.8, 12)
    expect(c.lo).toBeLessThanOrEqual(0.8 + 1e-12)
  })

  it('quantile interpolates like NumPy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(quantile([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 12)
  })
})

import { describe, expect, it } from 'vitest'
import { rankOrder } from './ranker'

/** The comparator sort rankOrder replaces (issue 14): demoted last, final descending, ties in index order. */
function reference(final: Float64Array, demoted: Uint8Array): number[] {
  const order = Array.from({ length: final.length }, (_, i) => i)
  return order.sort((a, b) => (demoted[a] as number) - (demoted[b] as number) || (final[b] as number) - (final[a] as number) || a - b)
}

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
}

describe('rankOrder', () => {
  it('equals the comparator sort: ties, ±0, ±Infinity, demoted items, every size around the run length', () => {
    const r = rng(3)
    for (const n of [0, 1, 2, 15, 16, 17, 31, 33, 100, 257, 2000]) {
      for (let trial = 0; trial < 4; trial++) {
        // Few distinct values so that ties are common; some specials.
        const final = Float64Array.from({ length: n }, () => {
          const x = r()
          if (x < 0.05) return 0
          if (x < 0.1) return -0
          if (x < 0.12) return Number.POSITIVE_INFINITY
          if (x < 0.14) return Number.NEGATIVE_INFINITY
          return trial % 2 ? Math.round(r() * 6) / 3 - 1 : r() * 4 - 2
        })
        const demoted = Uint8Array.from({ length: n }, () => (r() < (trial < 2 ? 0 : 0.2) ? 1 : 0))
        expect(Array.from(rankOrder(final, demoted))).toEqual(reference(final, demoted))
      }
    }
  })
})

describe('rankOrder with near-ties', () => {
  it('orders scores that differ only in their last bits by score, not by index (the packed index hides those bits)', () => {
    const r = rng(11)
    const view = new DataView(new ArrayBuffer(8))
    // One value, nudged by a few ulps: every key shares its upper bits, and the low bits that
    // decide the order are the ones the index takes in the sort.
    const nudged = (x: number, ulps: number) => {
      view.setFloat64(0, x)
      view.setUint32(4, view.getUint32(4) + ulps)
      return view.getFloat64(0)
    }
    for (const n of [2, 3, 17, 100, 2000]) {
      for (const base of [1.25, -0.75, 3e-5]) {
        const final = Float64Array.from({ length: n }, () => (r() < 0.2 ? base : nudged(base, Math.floor(r() * 40))))
        const demoted = Uint8Array.from({ length: n }, () => (r() < 0.1 ? 1 : 0))
        expect(Array.from(rankOrder(final, demoted))).toEqual(reference(final, demoted))
        expect(Array.from(rankOrder(final, new Uint8Array(n)))).toEqual(reference(final, new Uint8Array(n)))
      }
    }
    // One long run whose true order is the reverse of the index order (each score a few ulps
    // above the one before it): the case an insertion sort would take quadratic time over.
    for (const n of [17, 300, 5000]) {
      const final = Float64Array.from({ length: n }, (_, i) => nudged(2.5, 3 * i))
      expect(Array.from(rankOrder(final, new Uint8Array(n)))).toEqual(reference(final, new Uint8Array(n)))
    }
  })
})

describe('rankOrder with NaN', () => {
  it('puts a NaN score after every number, −Infinity included, ties among NaNs in index order', () => {
    const final = Float64Array.from([Number.NaN, 1, Number.NEGATIVE_INFINITY, Number.NaN, -1e308, 0])
    expect(Array.from(rankOrder(final, new Uint8Array(6)))).toEqual([1, 5, 4, 2, 0, 3])
    expect(Array.from(rankOrder(final, Uint8Array.from([0, 1, 0, 0, 0, 0])))).toEqual([5, 4, 2, 0, 3, 1])
  })
})

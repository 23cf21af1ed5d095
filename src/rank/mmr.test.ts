/**
 * Issue 13 #20: diversity (MMR) was quadratic in the list's length when no `limit` was given
 * (the window grew to the whole list: 10,000 candidates blocked the main thread 7–11 s).
 * This counts the work instead of timing it: the real `mmr` runs on a features array that
 * counts its element reads (two per pair compared, one per item of the window).
 */
import { describe, expect, it, vi } from 'vitest'
import { DEFAULT_RANKER_CONFIG, rankCandidates } from '.'
import type { Candidate } from './types'

const work = vi.hoisted(() => ({ reads: 0, calls: 0 }))

vi.mock('./mmr', async (importOriginal) => {
  const real = await importOriginal<typeof import('./mmr')>()
  return {
    ...real,
    mmr: (order: number[], score: Float64Array, features: Candidate[], lambda: number, window: number, limit: number) => {
      work.calls++
      const counted = new Proxy(features, {
        get(target, key, recv) {
          if (typeof key === 'string' && /^\d+$/.test(key)) work.reads++
          return Reflect.get(target, key, recv)
        },
      })
      return real.mmr(order, score, counted, lambda, window, limit)
    },
  }
})

const NOW = Date.UTC(2026, 0, 1)
const spread = (i: number) => i % 7
const list = (n: number, group = spread): Candidate[] => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, category: [`g${group(i)}`], score: n - i }))

function readsFor(n: number, limit?: number, group = spread): { reads: number; ids: string[] } {
  work.reads = 0
  work.calls = 0
  const r = rankCandidates(list(n, group), { now: NOW }, limit === undefined ? { diversity: 0.5 } : { diversity: 0.5, limit })
  expect(work.calls).toBe(1)
  return { reads: work.reads, ids: r.items.map((i) => i.id) }
}

describe('MMR work is bounded (issue 13 #20)', () => {
  const W = DEFAULT_RANKER_CONFIG.mmrWindow

  it(`without a limit, the work does not grow with the list: at most the window's ${W}² pairs`, () => {
    const small = readsFor(2_000)
    const large = readsFor(4_000)
    // One read per window item to build its category set, two per pair compared.
    const bound = W + 2 * ((W * (W - 1)) / 2) + W
    expect(small.reads).toBeLessThanOrEqual(bound)
    expect(large.reads).toBe(small.reads)
    // Every candidate is still returned, once.
    expect(new Set(large.ids).size).toBe(4_000)
  })

  it('with a limit the work is bounded by window × limit', () => {
    const { reads, ids } = readsFor(4_000, 24)
    expect(ids).toHaveLength(24)
    expect(reads).toBeLessThanOrEqual(W + 2 * 24 * W)
  })

  it('the diversified head is MMR over the window; the tail keeps the relevance order', () => {
    // Relevance alone clusters: 40 in a row share a top-level category.
    const clustered = (i: number) => Math.floor(i / 40) % 7
    const { ids } = readsFor(3_000, undefined, clustered)
    const plain = rankCandidates(list(3_000, clustered), { now: NOW }).items.map((i) => i.id)
    expect(ids.slice(W)).toEqual(plain.slice(W))
    expect(new Set(ids.slice(0, W))).toEqual(new Set(plain.slice(0, W)))
    // The head is reordered: its first 5 span the 5 top-level categories of the window.
    expect(new Set(ids.slice(0, 5).map((id) => clustered(Number(id.slice(1))))).size).toBe(5)
  })
})

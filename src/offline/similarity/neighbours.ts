import type { SimilarityTable } from '../../interest/types'
import type { TrainingData } from './training'

/**
 * Item-to-item similarity from training sequences, top-k per item.
 *
 * For an anchor item a and another item j, every pair of a user's training interactions
 * (a at position p, j at position q, 0 < |q − p| ≤ window) adds
 *
 *   w(p, q) = |q − p|^(−β) · (q < p ? 1 : future) · exp(−ln2 · |t_q − t_p| / gapHalfLife)
 *
 * to C(a, j). j before a is what the shopper had seen before reaching a; `future` < 1
 * discounts pairs in the other direction (the profile scores a candidate by the history
 * items in *its* list). The similarity normalises by popularity:
 *
 *   sim(a, j) = C(a, j) / (n_a^α · n_j^(1−α) + shrink)
 *
 * with n the training counts: α = ½ is the cosine of Sarwar et al. 2001 ("Item-based
 * collaborative filtering recommendation algorithms"); `shrink` damps pairs seen a couple
 * of times (Koren 2008). Each anchor keeps its k largest, strongest first. Items with fewer
 * than `minCount` training interactions get no list and appear in no list.
 *
 * Cost: O(Σ_users Σ_positions 2·window) additions, one dense scratch row reused per anchor.
 */
export interface NeighbourOptions {
  /** Positions either side (Infinity: the whole history). Default 50. */
  window: number
  /** β, the distance exponent (0: every pair in the window counts the same). Default 0.5. */
  distanceExponent: number
  /** Weight of pairs where j comes after the anchor. Default 1 (symmetric). */
  future: number
  /** Half-life (ms) of the time-gap discount; Infinity switches it off. Default Infinity. */
  gapHalfLifeMs: number
  /** α of the normalisation. Default 0.5 (cosine). */
  alpha: number
  /** Added to the denominator. Default 2. */
  shrink: number
  /** Neighbours kept per item. Default 50. */
  k: number
  /** Minimum training interactions for an item to get or appear in a list. Default 2. */
  minCount: number
}

export const DEFAULT_NEIGHBOUR_OPTIONS: NeighbourOptions = {
  window: 50,
  distanceExponent: 0.5,
  future: 1,
  gapHalfLifeMs: Infinity,
  alpha: 0.5,
  shrink: 2,
  k: 50,
  minCount: 2,
}

/** Top-k lists by item number: `nbr[a]` and `sim[a]` aligned, strongest first. */
export interface NeighbourLists {
  items: string[]
  nbr: Int32Array[]
  sim: Float32Array[]
  options: NeighbourOptions
}

export function buildNeighbours(data: TrainingData, opts: Partial<NeighbourOptions> = {}): NeighbourLists {
  const o: NeighbourOptions = { ...DEFAULT_NEIGHBOUR_OPTIONS, ...opts }
  const n = data.items.length
  const { sequences, times, counts } = data
  // Occurrences of each item: (user, position), by counting sort.
  const occStart = new Int32Array(n + 1)
  for (const s of sequences) for (let p = 0; p < s.length; p++) occStart[s[p]! + 1]!++
  for (let i = 0; i < n; i++) occStart[i + 1]! += occStart[i]!
  const total = occStart[n]!
  const occUser = new Int32Array(total)
  const occPos = new Int32Array(total)
  const fill = occStart.slice(0, n)
  sequences.forEach((s, u) => {
    for (let p = 0; p < s.length; p++) {
      const k = fill[s[p]!]!++
      occUser[k] = u
      occPos[k] = p
    }
  })
  let maxLen = 0
  for (const s of sequences) maxLen = Math.max(maxLen, s.length)
  const W = Math.min(o.window, maxLen)
  const distW = new Float64Array(W + 1)
  for (let d = 1; d <= W; d++) distW[d] = Math.pow(d, -o.distanceExponent)
  const lambda = Number.isFinite(o.gapHalfLifeMs) && o.gapHalfLifeMs > 0 ? Math.LN2 / o.gapHalfLifeMs : 0
  const powA = new Float64Array(n)
  const powB = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    powA[i] = Math.pow(counts[i]!, o.alpha)
    powB[i] = Math.pow(counts[i]!, 1 - o.alpha)
  }
  const scratch = new Float64Array(n)
  const touched = new Int32Array(n)
  const isTouched = new Uint8Array(n)
  const nbr: Int32Array[] = new Array(n)
  const sim: Float32Array[] = new Array(n)
  const heapI = new Int32Array(o.k)
  const heapS = new Float64Array(o.k)
  const empty32 = new Int32Array(0)
  const emptyF = new Float32Array(0)
  for (let a = 0; a < n; a++) {
    if (counts[a]! < o.minCount || o.k <= 0) {
      nbr[a] = empty32
      sim[a] = emptyF
      continue
    }
    let nt = 0
    for (let k = occStart[a]!; k < occStart[a + 1]!; k++) {
      const u = occUser[k]!
      const p = occPos[k]!
      const s = sequences[u]!
      const ts = times[u]!
      const lo = Math.max(0, p - W)
      const hi = Math.min(s.length - 1, p + W)
      const tp = ts[p]!
      for (let q = lo; q <= hi; q++) {
        if (q === p) continue
        const j = s[q]!
        if (j === a) continue
        let w = q < p ? distW[p - q]! : o.future * distW[q - p]!
        if (lambda > 0) w *= Math.exp(-lambda * Math.abs(ts[q]! - tp))
        if (w === 0) continue
        if (!isTouched[j]) {
          isTouched[j] = 1
          touched[nt++] = j
        }
        scratch[j]! += w
      }
    }
    // Top-k by a min-heap on similarity.
    let h = 0
    for (let t = 0; t < nt; t++) {
      const j = touched[t]!
      const c = scratch[j]!
      scratch[j] = 0
      isTouched[j] = 0
      if (counts[j]! < o.minCount || c <= 0) continue
      const v = c / (powA[a]! * powB[j]! + o.shrink)
      if (h < o.k) {
        // sift up
        let i = h++
        while (i > 0) {
          const parent = (i - 1) >> 1
          if (heapS[parent]! <= v) break
          heapS[i] = heapS[parent]!
          heapI[i] = heapI[parent]!
          i = parent
        }
        heapS[i] = v
        heapI[i] = j
      } else if (v > heapS[0]!) {
        // replace root, sift down
        let i = 0
        for (;;) {
          const l = 2 * i + 1
          if (l >= h) break
          const r = l + 1
          const m = r < h && heapS[r]! < heapS[l]! ? r : l
          if (heapS[m]! >= v) break
          heapS[i] = heapS[m]!
          heapI[i] = heapI[m]!
          i = m
        }
        heapS[i] = v
        heapI[i] = j
      }
    }
    const order = Array.from({ length: h }, (_, i) => i).sort((x, y) => heapS[y]! - heapS[x]! || heapI[x]! - heapI[y]!)
    nbr[a] = Int32Array.from(order, (i) => heapI[i]!)
    sim[a] = Float32Array.from(order, (i) => heapS[i]!)
  }
  return { items: data.items, nbr, sim, options: o }
}

/** Number of (anchor, neighbour) pairs kept. */
export function pairCount(l: NeighbourLists): number {
  let c = 0
  for (const x of l.nbr) c += x.length
  return c
}

/**
 * The lists as the profile's `SimilarityTable` (in memory; the shipped artifact goes
 * through src/interest's serialisation). Neighbour arrays are materialised once per item.
 */
export function asSimilarityTable(l: NeighbourLists): SimilarityTable {
  const index = new Map<string, number>()
  l.items.forEach((id, i) => index.set(id, i))
  const cache = new Map<string, ReadonlyArray<readonly [string, number]>>()
  const none: ReadonlyArray<readonly [string, number]> = []
  return {
    neighbors(itemId: string) {
      let out = cache.get(itemId)
      if (out) return out
      const a = index.get(itemId)
      if (a === undefined) return none
      const ns = l.nbr[a]!
      const ss = l.sim[a]!
      out = Array.from(ns, (j, t) => [l.items[j]!, ss[t]!] as const)
      cache.set(itemId, out)
      return out
    },
  }
}

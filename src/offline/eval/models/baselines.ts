import type { StoredEvent } from '../../../events/types'
import type { Candidate } from '../../../rank/types'
import { rngFor } from '../../protocol/prng'
import type { EvalContext, ListHint, ModelSpec, UserSession } from '../types'

/**
 * Baselines that do not use the shopper's profile. Where a baseline's own signal ties
 * (no co-occurrence, no shared category), the server's popularity breaks the tie: a
 * baseline should be at least as good as what the server sends.
 */

/** Lists longer than this use the co-occurrence's sparse walk (the same sums; cost independent of the list). */
const SPARSE_FROM = 2000

/** Secondary key: `primary + TIE · popularity / (max popularity + 1)`, small enough never to outrank a primary difference. */
const TIE = 1e-9

function withPopularity(primary: Float64Array, candidates: ReadonlyArray<Candidate>, hint?: ListHint): Float64Array {
  const pop = serverScores(candidates, hint)
  let max = 0
  for (let i = 0; i < pop.length; i++) max = Math.max(max, pop[i]!)
  for (let i = 0; i < primary.length; i++) primary[i] = primary[i]! + (TIE * pop[i]!) / (max + 1)
  return primary
}

/** The candidates' server scores (0 where absent): the runner's column when it gave one. */
function serverScores(candidates: ReadonlyArray<Candidate>, hint?: ListHint): Float64Array {
  if (hint?.server && hint.server.length === candidates.length) return hint.server
  return Float64Array.from(candidates, (c) => c.score ?? 0)
}

/** The server's order: score = train-set popularity, exactly the list the ranker receives. */
export const popularity: ModelSpec = {
  name: 'popularity',
  description: 'server order: train-set interaction count',
  group: 'baseline',
  create: () => ({
    session: () => ({
      add() {},
      score: (cands, _now, hint) => serverScores(cands, hint).slice(),
    }),
  }),
}

/** Uniform random scores, seeded per (user, time): the floor every model must clear. */
export const random: ModelSpec = {
  name: 'random',
  description: 'uniform random order (seeded)',
  group: 'baseline',
  create: (ctx) => ({
    session: (u) => ({
      add() {},
      score: (cands, now) => {
        const rng = rngFor(ctx.seed, 'random', u.user, now)
        const out = new Float64Array(cands.length)
        for (let i = 0; i < cands.length; i++) out[i] = rng()
        return out
      },
    }),
  }),
}

/** Category labels (every level name of the path) of an item as the browser knows it. */
function labels(c: { category?: string[] }): string[] {
  return c.category ?? []
}

/**
 * Recency: the categories of the last `m` items seen. score(c) = Σ_{k<m} J(c, h_k), the
 * Jaccard overlap of c's category names with those of the k-th most recent history item;
 * popularity breaks ties.
 */
export function recency(m = 5): ModelSpec {
  return {
    name: 'recency',
    description: `categories of the last ${m} items seen (Jaccard), popularity breaks ties`,
    group: 'baseline',
    params: { m },
    create: (ctx) => ({
      session: () => {
        const recent: Array<Set<string>> = []
        return {
          add(e: StoredEvent) {
            for (const it of e.items) {
              recent.push(new Set(labels(it)))
              if (recent.length > m) recent.shift()
            }
          },
          score(cands, _now, hint) {
            const out = new Float64Array(cands.length)
            const of = (c: Candidate): number => {
              const a = new Set(labels(c))
              let s = 0
              for (const b of recent) {
                let inter = 0
                for (const x of a) if (b.has(x)) inter++
                const union = a.size + b.size - inter
                if (union > 0) s += inter / union
              }
              return s
            }
            if (hint && cands.length > SPARSE_FROM) {
              const cats = ctx.catalogue()
              // A whole-catalogue list: the score depends on the category path only, so it is
              // computed once per distinct path (the same function of the same labels).
              const byPath = new Float64Array(cats.paths.length + 1).fill(Number.NaN)
              byPath[0] = 0
              const path = cats.path
              const uix = hint.universe
              for (let i = 0; i < cands.length; i++) {
                const p = path[uix[i]!]!
                let v = byPath[p]!
                if (Number.isNaN(v)) byPath[p] = v = of(cands[i]!)
                out[i] = v
              }
            } else for (let i = 0; i < cands.length; i++) out[i] = of(cands[i]!)
            return withPopularity(out, cands, hint)
          },
        }
      },
    }),
  }
}

/**
 * Item-to-item co-occurrence with no decay: score(c) = Σ_{a ∈ anchors} C(a, c), C = users
 * who interacted with both in training (exact, unpruned). `last`: anchors = the last item
 * seen; `all`: every history item. Popularity breaks ties.
 */
export function cooccurrence(anchors: 'last' | 'all'): ModelSpec {
  return {
    name: anchors === 'last' ? 'cooc-last' : 'cooc-all',
    description: anchors === 'last' ? 'co-occurrence with the last item, no decay' : 'co-occurrence summed over all history, no decay',
    group: 'baseline',
    create: (ctx: EvalContext) => {
      const co = ctx.cooccurrence()
      const index = ctx.train().index
      return {
        session: (): UserSession => {
          const hist: number[] = []
          return {
            add(e) {
              for (const it of e.items) hist.push(index.get(it.id) ?? -1)
            },
            score(cands, _now, hint) {
              const a = anchors === 'last' ? hist.slice(-1) : hist
              // The runner's universe indices are the training data's item numbers (same order).
              const idx = hint ? hint.universe : Int32Array.from(cands, (c) => index.get(c.id) ?? -1)
              return withPopularity(cands.length > SPARSE_FROM ? co.sparseScores(a, idx) : co.scores(a, idx), cands, hint)
            },
          }
        },
      }
    },
  }
}

import type { Item } from '../../events/types'
import { ItemTable, type ItemWeights } from '../../encoder/items'
import { FIRST_ITEM_ROW, type EncoderConfig } from '../../encoder/config'
import type { TrainData } from './data'
import { encodeUsers } from './evaluate'
import { paramsFrom } from './trainer'
import { candidatesFor, type Phase } from '../protocol/candidates'
import type { Split } from '../protocol/split'

/**
 * How often items the model never learned (no vocabulary row: seen only as validation/test
 * targets, or added after training) reach a user's top K under full ranking, against what their
 * share of the list predicts (issue 11, the out-of-vocabulary defect).
 *
 * If an unseen item were scored on the same scale as learned items, its chance of being in a
 * top K drawn from a list of n items is about K/n, so user u's list predicts
 *   expected_u = K · (unseen items in u's list) / n_u
 * of them in the top K, and each unseen item j is expected about Σ_u K/n_u times over all users.
 * A model whose content-only path is off scale puts them at the top for everyone instead.
 *
 * Candidates are scored by the browser's own candidate code (encoder/items.ts `ItemTable`), from
 * user vectors the caller computes, so a fix in either the weights or the scoring is measured.
 */
export interface UnseenTopK {
  k: number
  users: number
  /** Items of the ranking universe without a vocabulary row. */
  unseenItems: number
  /** Mean number of unseen items per user's top K, observed and as the list shares predict. */
  observed: number
  expected: number
  /** Per unseen item: users with it in their top K, and how many its share predicts. */
  perItem: Array<{ id: string; observed: number; expected: number; tail: number }>
  /** Smallest binomial upper-tail probability P(X ≥ observed) over unseen items. */
  minTail: number
}

/** P(X ≥ x) for X ~ Binomial(n, p), summed in log space (n up to millions is fine). */
export function binomialUpperTail(x: number, n: number, p: number): number {
  if (x <= 0) return 1
  if (p <= 0) return 0
  if (p >= 1) return x <= n ? 1 : 0
  const lp = Math.log(p)
  const lq = Math.log1p(-p)
  // log C(n, k) by a running sum from k = x.
  let logC = 0
  for (let i = 0; i < x; i++) logC += Math.log(n - i) - Math.log(i + 1)
  let sum = 0
  let term = logC + x * lp + (n - x) * lq
  for (let k = x; k <= n; k++) {
    sum += Math.exp(term)
    if (k < n) term += Math.log(n - k) - Math.log(k + 1) + lp - lq
    if (term < -745 && k > n * p) break
  }
  return Math.min(1, sum)
}

export function unseenTopK(opts: {
  cfg: EncoderConfig
  weights: ItemWeights
  /** id → vocabulary row. */
  vocab: ReadonlyMap<string, number>
  items: (id: string) => Item
  split: Split
  phase: Phase
  seed: number
  /** Evaluated users (split users with a held-out item in `phase`) and their user vectors, [n, d]. */
  users: ReadonlyArray<Split['users'][number]>
  vectors: Float32Array
  k?: number
}): UnseenTopK {
  const k = opts.k ?? 10
  const d = opts.cfg.d
  const table = new ItemTable(opts.cfg, opts.weights, opts.vocab, Math.max(20_000, opts.split.universe.length + 1))
  const unseen = new Set(opts.split.universe.filter((id) => !opts.vocab.has(id)))
  const obs = new Map<string, number>()
  const exp = new Map<string, number>()
  for (const id of unseen) {
    obs.set(id, 0)
    exp.set(id, 0)
  }
  let observed = 0
  let expected = 0
  let n = 0
  opts.users.forEach((u, i) => {
    const c = candidatesFor(opts.split, u, opts.phase, 'full', opts.seed)
    if (!c) return
    n++
    const items = c.ids.map(opts.items)
    const s = table.score(opts.vectors.subarray(i * d, (i + 1) * d), items)
    const order = Array.from(s.keys()).sort((a, b) => s[b]! - s[a]! || a - b)
    const share = Math.min(1, k / c.ids.length)
    for (const id of c.ids)
      if (unseen.has(id)) {
        exp.set(id, exp.get(id)! + share)
        expected += share
      }
    for (const j of order.slice(0, k)) {
      const id = c.ids[j]!
      if (unseen.has(id)) {
        obs.set(id, obs.get(id)! + 1)
        observed++
      }
    }
  })
  const perItem = [...unseen].map((id) => {
    const o = obs.get(id)!
    const e = exp.get(id)!
    // The item's top-K indicator per user is Bernoulli(≈ share): binomial over the n users.
    return { id, observed: o, expected: e, tail: binomialUpperTail(o, n, n ? e / n : 0) }
  })
  perItem.sort((a, b) => a.tail - b.tail || b.observed - a.observed)
  return {
    k,
    users: n,
    unseenItems: unseen.size,
    observed: n ? observed / n : 0,
    expected: n ? expected / n : 0,
    perItem,
    minTail: perItem.length ? perItem[0]!.tail : 1,
  }
}

/** The plain arrays ItemTable reads, from a trained or loaded weight map. */
export function itemWeightsOf(w: ReadonlyMap<string, { data: Float32Array }>): ItemWeights {
  const get = (name: string) => {
    const t = w.get(name)
    if (!t) throw new Error(`weight ${name} missing`)
    return t.data
  }
  return { itemEmb: get('item_emb'), itemBias: get('item_bias'), featEmb: get('feat_emb'), featBias: get('feat_bias') }
}

/**
 * `unseenTopK` of a trained model over the test (or validation) users of the split it was
 * trained on: user vectors from the trainer's batched encoder (evaluate.ts), candidates scored
 * by the browser's ItemTable.
 */
export function unseenOfModel(data: TrainData, split: Split, cfg: EncoderConfig, weights: ReadonlyMap<string, { shape: number[]; data: Float32Array }>, phase: Phase = 'test'): UnseenTopK {
  const params = paramsFrom(weights)
  const evalUsers = split.users.filter((u) => (phase === 'test' ? u.test : u.val))
  const index = new Map(split.users.map((u, i) => [u.user, i]))
  const queries = evalUsers.map((u) => {
    const ui = index.get(u.user)!
    const seq = data.users[ui]!
    const at = (phase === 'test' ? seq.testAt : seq.valAt)!
    return { user: ui, end: at, nowMs: seq.timesMs[at]! }
  })
  const vectors = encodeUsers(params, cfg, data, queries, cfg.maxLen)
  for (const t of Object.values(params)) t.dispose()
  const vocab = new Map(data.vocab.map((id, i) => [id, i + FIRST_ITEM_ROW]))
  const items = new Map(data.catalogue.map((id, i) => [id, data.catalogueItems[i]!]))
  return unseenTopK({ cfg, weights: itemWeightsOf(weights), vocab, items: (id) => items.get(id) ?? { id }, split, phase, seed: 42, users: evalUsers, vectors })
}

import * as tf from '@tensorflow/tfjs-core'
import { contextStart, type EncoderConfig } from '../../encoder/config'
import { embedItems, forward, fuse, gatherRows, gapLog, matmul, type Params } from '../../encoder/model'
import { hitAt, ndcgAt, rankInfo, reciprocalRank } from '../metrics/rank'
import { candidatesFor, type Phase, type ProtocolName } from '../protocol/candidates'
import type { Split } from '../protocol/split'
import type { TrainData } from './data'

/**
 * Batched leave-one-out evaluation of the encoder for model selection inside the trainer: the
 * same candidates (protocol/candidates.ts, same seed) and the same metrics (metrics/rank.ts,
 * expected tie handling) as the evaluation harness, but users are encoded in padded batches
 * and every catalogue item is embedded once, instead of replaying each user through the
 * browser's session one event at a time. The harness's `--model encoder` runs the browser path.
 */
export interface EvalResult {
  users: number
  hr10: number
  ndcg10: number
  mrr: number
}

/** User vectors [n, d] for (user, end) pairs: the tokens before `end`, newest `maxLen`, scored at `nowMs`. */
export function encodeUsers(params: Params, cfg: EncoderConfig, data: TrainData, queries: ReadonlyArray<{ user: number; end: number; nowMs: number }>, maxLen: number, batchSize = 64): Float32Array {
  const d = cfg.d
  const out = new Float32Array(queries.length * d)
  // Sort by length so that batches pad little.
  const order = queries.map((_q, i) => i).sort((a, b) => queries[a]!.end - queries[b]!.end)
  const F = cfg.featSlots
  const unit = cfg.timeUnitSec * 1000
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize)
    const lens = idx.map((i) => queries[i]!.end - contextStart(queries[i]!.end, maxLen))
    const L = Math.max(1, ...lens)
    const B = idx.length
    const rows = new Int32Array(B * L)
    const feats = new Int32Array(B * L * F)
    const featW = new Float32Array(B * L * F)
    const types = new Int32Array(B * L)
    const times = new Float32Array(B * L)
    const last = new Int32Array(B)
    const gaps = new Float32Array(B)
    idx.forEach((qi, b) => {
      const q = queries[qi]!
      const u = data.users[q.user]!
      const n = lens[b]!
      const start = q.end - n
      const t0 = u.timesMs[start] ?? 0
      for (let i = 0; i < n; i++) {
        const cat = u.items[start + i]!
        rows[b * L + i] = data.row[cat]!
        feats.set(data.feats.subarray(cat * F, (cat + 1) * F), (b * L + i) * F)
        featW.set(data.featW.subarray(cat * F, (cat + 1) * F), (b * L + i) * F)
        types[b * L + i] = u.types[start + i]!
        times[b * L + i] = (u.timesMs[start + i]! - t0) / unit
      }
      last[b] = b * L + Math.max(0, n - 1)
      gaps[b] = gapLog(cfg, (q.nowMs - (u.timesMs[q.end - 1] ?? q.nowMs)) / 1000)
    })
    const vec = tf.tidy(() => {
      const items = embedItems(params, cfg, {
        rows: tf.tensor2d(rows, [B, L], 'int32'),
        feats: tf.tensor3d(feats, [B, L, F], 'int32'),
        featW: tf.tensor3d(featW, [B, L, F]),
      })
      const o = forward(params, cfg, { e: items.e, types: tf.tensor2d(types, [B, L], 'int32'), times: tf.tensor2d(times, [B, L]) })
      const li = tf.tensor1d(last, 'int32')
      const sh = gatherRows(tf.reshape(o.short, [B * L, d]), li)
      const lo = gatherRows(tf.reshape(o.long, [B * L, d]), li)
      return fuse(params, cfg, sh, lo, tf.tensor1d(gaps))
    })
    const v = vec.dataSync() as Float32Array
    vec.dispose()
    idx.forEach((qi, b) => out.set(v.subarray(b * d, (b + 1) * d), qi * d))
  }
  return out
}

/** Scores of every catalogue item for each user vector, [n, nCatalogue]. */
export function scoreCatalogue(params: Params, cfg: EncoderConfig, data: TrainData, users: Float32Array): Float32Array {
  const n = users.length / cfg.d
  const C = data.catalogue.length
  const F = cfg.featSlots
  return tf.tidy(() => {
    const items = embedItems(params, cfg, {
      rows: tf.tensor1d(data.row, 'int32'),
      feats: tf.tensor2d(data.feats, [C, F], 'int32'),
      featW: tf.tensor2d(data.featW, [C, F]),
    })
    const s = tf.add(matmul(tf.tensor2d(users, [n, cfg.d]), tf.transpose(items.e)), tf.expandDims(items.bias, 0))
    return s.dataSync() as Float32Array
  })
}

/**
 * HR@10, NDCG@10 and MRR of `phase` under `protocol`. The history of the validation phase is
 * the training tokens; that of the test phase adds the validation item (as in SASRec).
 * "Now" is the held-out event's own time: the moment the shopper is about to act.
 */
export function evaluate(
  params: Params,
  cfg: EncoderConfig,
  data: TrainData,
  split: Split,
  phase: Phase,
  protocol: ProtocolName,
  seed: number,
  opts: { maxLen?: number; limitUsers?: number } = {},
): EvalResult {
  const queries: Array<{ user: number; end: number; nowMs: number; split: number }> = []
  data.users.forEach((u, ui) => {
    const at = phase === 'val' ? u.valAt : u.testAt
    if (at === undefined || at === 0) return
    queries.push({ user: ui, end: at, nowMs: u.timesMs[at]!, split: ui })
  })
  const qs = opts.limitUsers ? queries.slice(0, opts.limitUsers) : queries
  const vecs = encodeUsers(params, cfg, data, qs, opts.maxLen ?? cfg.maxLen)
  let hr = 0
  let nd = 0
  let mrr = 0
  const C = data.catalogue.length
  const chunk = 128
  for (let s = 0; s < qs.length; s += chunk) {
    const part = qs.slice(s, s + chunk)
    const scores = scoreCatalogue(params, cfg, data, vecs.subarray(s * cfg.d, (s + part.length) * cfg.d))
    part.forEach((q, j) => {
      const us = split.users[q.split]!
      const c = candidatesFor(split, us, phase, protocol, seed)
      if (!c) return
      const sc = new Float64Array(c.ids.length)
      let target = -1
      c.ids.forEach((id, k) => {
        sc[k] = scores[j * C + data.catalogueIndex.get(id)!]!
        if (id === c.target) target = k
      })
      const r = rankInfo(sc, target)
      hr += hitAt(r, 10)
      nd += ndcgAt(r, 10)
      mrr += reciprocalRank(r)
    })
  }
  const n = qs.length
  return { users: n, hr10: hr / n, ndcg10: nd / n, mrr: mrr / n }
}

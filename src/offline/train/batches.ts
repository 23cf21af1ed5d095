import { ROW_OOV, type EncoderConfig } from '../../encoder/config'
import type { TrainData } from './data'

/**
 * Training windows and batches.
 *
 * Windows: each user's training tokens are cut into windows of at most L tokens, tiled back
 * from the newest token with a random offset per epoch, so that every token after a user's
 * first is a target exactly once per epoch and window boundaries move between epochs. Short windows (50–100) over long
 * histories give more examples per second than SASRec's single L=200 window per user: the
 * attention cost grows as L², and the tail of a long history is used instead of dropped.
 *
 * A batch is right-padded (the model's causal mask then needs no padding mask). Position i of a
 * window predicts token i+1 ("next item"), as in SASRec.
 */
export interface Window {
  user: number
  start: number
  end: number
}

export function epochWindows(data: TrainData, L: number, rand: () => number): Window[] {
  const out: Window[] = []
  data.users.forEach((u, ui) => {
    const n = u.trainLen
    if (n < 2) return
    // Window [s, e) predicts targets s+1 … e−1, so the next (older) window ends at s+1: the
    // windows tile the targets exactly once. The newest window has a random length in [2, L]
    // so that boundaries move from one epoch to the next.
    let end = n
    let len = 2 + Math.floor(rand() * (L - 1))
    for (;;) {
      const start = Math.max(0, end - len)
      out.push({ user: ui, start, end })
      if (start === 0) break
      end = start + 1
      len = L
    }
  })
  // Fisher–Yates
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}

/** A training batch as plain arrays (tensors are made by the trainer, inside its tidy). */
export interface Batch {
  B: number
  L: number
  /** Unique items of the batch: table row and features, [U] and [U, F]. */
  uRows: Int32Array
  uFeats: Int32Array
  uFeatW: Float32Array
  /** Per token, index into the unique items, [B·L] (padding points at 0). */
  tok: Int32Array
  types: Int32Array
  /** Minutes (config time unit) since the window's first token, float32. */
  times: Float32Array
  /** Flat positions b·L+i that have a next token, [T]. */
  pos: Int32Array
  /** Unique-item index of each position's target (the next token), [T]. */
  target: Int32Array
  /** log(1 + time to the next event), [T]. */
  gapLog: Float32Array
  /** Unique-item index of each shared negative, [K]. */
  neg: Int32Array
  /** 0 or −10⁹ where a negative is the position's own target (an accidental hit), [T·K]. */
  negMask: Float32Array
  /** log Q (expected inclusion) of each negative and of each position's target; empty without in-batch negatives. */
  negLogQ: Float32Array
  posLogQ: Float32Array
  tokens: number
}

export interface BatchOptions {
  /** Shared uniform negatives per batch. */
  negatives: number
  /**
   * Probability that a token's id is replaced by OOV (content-only): each input token (its
   * target position shares the embedding) and each negative, so that the content-only path is
   * trained as both a positive and a negative.
   */
  idDropout: number
  /**
   * Add the batch's own items as negatives (mixed negative sampling, Yang et al. 2020,
   * "Mixed Negative Sampling for Learning Two-tower Neural Networks in Recommendations"), with
   * the log-Q correction of sampled softmax (Bengio & Senécal 2008; Jean et al. 2015). Uniform
   * negatives are mostly unpopular items, so alone they teach little about ranking popular
   * items against each other — what full-catalogue and popularity-sampled lists need.
   */
  inBatch?: boolean
}

/**
 * Build one batch. Item embeddings are computed once per *unique* item of the batch (tokens and
 * negatives), then gathered: far fewer content-feature lookups than one per token.
 * Negatives are drawn uniformly from the vocabulary without replacement and shared by every
 * position of the batch (sampled softmax with a shared pool, as in Jean et al. 2015); with
 * uniform sampling the log-Q correction is a constant and drops out.
 */
export function makeBatch(data: TrainData, cfg: EncoderConfig, windows: ReadonlyArray<Window>, L: number, opts: BatchOptions, rand: () => number): Batch {
  const B = windows.length
  const F = cfg.featSlots
  const keyIndex = new Map<number, number>()
  const uRows: number[] = []
  const uCat: number[] = []
  const unique = (cat: number, dropped: boolean): number => {
    const key = cat * 2 + (dropped ? 1 : 0)
    let k = keyIndex.get(key)
    if (k === undefined) {
      k = uRows.length
      keyIndex.set(key, k)
      uRows.push(dropped ? ROW_OOV : data.row[cat]!)
      uCat.push(cat)
    }
    return k
  }
  const tok = new Int32Array(B * L)
  const types = new Int32Array(B * L)
  const times = new Float32Array(B * L)
  const pos: number[] = []
  const target: number[] = []
  const targetCat: number[] = []
  const gapLog: number[] = []
  const unit = cfg.timeUnitSec * 1000
  let tokens = 0
  windows.forEach((w, b) => {
    const u = data.users[w.user]!
    const t0 = u.timesMs[w.start]!
    const m = w.end - w.start
    tokens += m
    const local: number[] = []
    for (let i = 0; i < m; i++) {
      const cat = u.items[w.start + i]!
      const dropped = opts.idDropout > 0 && rand() < opts.idDropout
      local.push(unique(cat, dropped))
      tok[b * L + i] = local[i]!
      types[b * L + i] = u.types[w.start + i]!
      times[b * L + i] = (u.timesMs[w.start + i]! - t0) / unit
    }
    for (let i = 0; i + 1 < m; i++) {
      pos.push(b * L + i)
      target.push(local[i + 1]!)
      targetCat.push(u.items[w.start + i + 1]!)
      gapLog.push(Math.log1p(Math.max(0, u.timesMs[w.start + i + 1]! - u.timesMs[w.start + i]!) / unit))
    }
  })
  // Shared negatives: K distinct vocabulary items.
  const V = data.vocabCatalogue.length
  const K = Math.min(opts.negatives, V)
  // K ≥ V: every vocabulary item is a negative, i.e. the full softmax (no sampling, no draw).
  const negCat: number[] = K >= V ? Array.from(data.vocabCatalogue) : []
  const taken = new Set<number>()
  while (negCat.length < K) {
    const c = data.vocabCatalogue[Math.floor(rand() * V)]!
    if (taken.has(c)) continue
    taken.add(c)
    negCat.push(c)
  }
  const uniformK = negCat.length
  if (opts.inBatch) {
    for (const c of new Set(targetCat))
      if (!taken.has(c) && data.row[c]! !== ROW_OOV) {
        taken.add(c)
        negCat.push(c)
      }
  }
  const negCol = new Map<number, number>()
  negCat.forEach((c, j) => negCol.set(c, j))
  // Expected inclusion of item c in the negative pool: 1 − (1 − K/V)(1 − π_c), with
  // π_c = 1 − (1 − f_c)^N the chance that c is among the batch's N target tokens.
  const logQ = (c: number) => {
    const pi = 1 - Math.pow(1 - data.freq[c]!, targetCat.length)
    return Math.log(Math.max(1e-12, 1 - (1 - uniformK / V) * (1 - pi)))
  }
  const negLogQ = opts.inBatch ? Float32Array.from(negCat, logQ) : new Float32Array(0)
  const posLogQ = opts.inBatch ? Float32Array.from(targetCat, logQ) : new Float32Array(0)
  // Negatives lose their id with the same probability as input tokens (and so as targets, which
  // share the input token's embedding). Without this the content-only path (ROW_OOV + content)
  // only ever appeared as a positive: training pushed it up and never down, and every unseen
  // item went to the top of every list (issue 11: 9.03 of 43 unseen ml-latest-small items in
  // each full-ranking top 10). With both sides dropped alike, its score estimates the content's
  // average item, on the scale of learned items.
  const neg = Int32Array.from(negCat, (c) => unique(c, opts.idDropout > 0 && rand() < opts.idDropout))
  const T = pos.length
  const KN = negCat.length
  const negMask = new Float32Array(T * KN)
  targetCat.forEach((c, t) => {
    const j = negCol.get(c)
    if (j !== undefined) negMask[t * KN + j] = -1e9
  })
  const U = uRows.length
  const uFeats = new Int32Array(U * F)
  const uFeatW = new Float32Array(U * F)
  uCat.forEach((c, k) => {
    uFeats.set(data.feats.subarray(c * F, (c + 1) * F), k * F)
    uFeatW.set(data.featW.subarray(c * F, (c + 1) * F), k * F)
  })
  return {
    B,
    L,
    uRows: Int32Array.from(uRows),
    uFeats,
    uFeatW,
    tok,
    types,
    times,
    pos: Int32Array.from(pos),
    target: Int32Array.from(target),
    gapLog: Float32Array.from(gapLog),
    neg,
    negMask,
    negLogQ,
    posLogQ,
    tokens,
  }
}

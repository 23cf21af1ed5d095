import type { EncoderConfig } from './config'

/**
 * The encoder's one-token step in plain JavaScript: what `forward` (model.ts) computes for a
 * token appended to a KV cache, written out on Float32Arrays.
 *
 * Why: appending one event through tfjs ops is ~100 kernel dispatches (two blocks of layer
 * norms, projections, head transposes, concatenations, softmax, FFN) for ~0.25 MFLOP of work.
 * On WASM the dispatch overhead made an incremental append cost 8–20 ms, as much as re-encoding
 * a 50-event history. The same arithmetic in a loop is a fraction of a millisecond. The full
 * encode stays on tfjs, where it is a few large matMuls that the backend does well.
 *
 * The math is `forward` for one query position i = n (n = tokens already cached):
 *   logit_hj = q_h·k_hj/√d_h − μ_h·log(1+(n−j)) − λ_h·log(1+max(0, t_n − t_j)),  j = 0…n
 * followed by softmax, the output projection, the FFN, the final LayerNorm (s) and the running
 * mean of item embeddings (l). session.test.ts holds it to the tensor path within 1e-5.
 */

export interface BlockWeights {
  ln1g: Float32Array
  ln1b: Float32Array
  wq: Float32Array
  wk: Float32Array
  wv: Float32Array
  bq: Float32Array
  bk: Float32Array
  bv: Float32Array
  wo: Float32Array
  bo: Float32Array
  ln2g: Float32Array
  ln2b: Float32Array
  w1: Float32Array
  b1: Float32Array
  w2: Float32Array
  b2: Float32Array
  /** μ_h = softplus(dist_h): the learned distance slope per head. */
  mu: Float64Array
  /** λ_h = softplus(decay_h), or null without the time bias (the ablation). */
  lambda: Float64Array | null
}

/** Weights of the token path (not the item tables, which items.ts owns), as plain arrays. */
export interface StepWeights {
  typeEmb: Float32Array
  blocks: BlockWeights[]
  lnfG: Float32Array
  lnfB: Float32Array
  lnlG: Float32Array
  lnlB: Float32Array
}

/** softplus as tfjs computes it for these magnitudes: log(1 + eˣ), x itself once eˣ dwarfs 1. */
function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x))
}

export function stepWeights(cfg: EncoderConfig, data: (name: string) => Float32Array): StepWeights {
  const blocks: BlockWeights[] = []
  for (let b = 0; b < cfg.blocks; b++) {
    const w = (leaf: string) => data(`b${b}_${leaf}`)
    blocks.push({
      ln1g: w('ln1_g'),
      ln1b: w('ln1_b'),
      wq: w('wq'),
      wk: w('wk'),
      wv: w('wv'),
      bq: w('bq'),
      bk: w('bk'),
      bv: w('bv'),
      wo: w('wo'),
      bo: w('bo'),
      ln2g: w('ln2_g'),
      ln2b: w('ln2_b'),
      w1: w('w1'),
      b1: w('b1'),
      w2: w('w2'),
      b2: w('b2'),
      mu: Float64Array.from(w('dist'), softplus),
      lambda: cfg.timeBias ? Float64Array.from(w('decay'), softplus) : null,
    })
  }
  return { typeEmb: data('type_emb'), blocks, lnfG: data('lnf_g'), lnfB: data('lnf_b'), lnlG: data('lnl_g'), lnlB: data('lnl_b') }
}

/**
 * The KV cache in plain arrays, sized for the whole context (`contextStart` keeps it ≤ maxLen
 * tokens): per block, keys and values of token j at [j·d, (j+1)·d), head h at offset h·d_h.
 */
export class JsCache {
  n = 0
  readonly k: Float32Array[]
  readonly v: Float32Array[]
  /** Token times in time units from the context origin (float32, as the tensor path). */
  readonly times: Float32Array
  /** Σ e(item_j) over the cached tokens (for the long-term mean). */
  readonly sumE: Float64Array

  constructor(readonly cfg: EncoderConfig) {
    const size = cfg.maxLen * cfg.d
    this.k = Array.from({ length: cfg.blocks }, () => new Float32Array(size))
    this.v = Array.from({ length: cfg.blocks }, () => new Float32Array(size))
    this.times = new Float32Array(cfg.maxLen)
    this.sumE = new Float64Array(cfg.d)
  }

  /**
   * Fill from the tensor path's cache, read back (batch 1): Kᵀ as [H, d_h, n], V as [H, n, d_h],
   * times [n], ΣE [d].
   */
  static fromTensorCache(cfg: EncoderConfig, n: number, blocks: Array<{ kT: ArrayLike<number>; v: ArrayLike<number> }>, times: ArrayLike<number>, sumE: ArrayLike<number>): JsCache {
    if (n > cfg.maxLen) throw new Error(`context of ${n} tokens exceeds maxLen ${cfg.maxLen}`)
    const c = new JsCache(cfg)
    const { d, heads: H } = cfg
    const dh = d / H
    blocks.forEach((blk, b) => {
      const K = c.k[b]!
      const V = c.v[b]!
      for (let h = 0; h < H; h++) {
        for (let x = 0; x < dh; x++) {
          for (let j = 0; j < n; j++) {
            K[j * d + h * dh + x] = blk.kT[(h * dh + x) * n + j]!
            V[j * d + h * dh + x] = blk.v[(h * n + j) * dh + x]!
          }
        }
      }
    })
    for (let j = 0; j < n; j++) c.times[j] = times[j]!
    for (let x = 0; x < d; x++) c.sumE[x] = sumE[x]!
    c.n = n
    return c
  }

  /**
   * Fill from keys and values as rows (attention-encode.ts `encodeSequence`): per block [n·d],
   * which is this cache's own layout; times [n], ΣE [d].
   */
  static fromRows(cfg: EncoderConfig, n: number, k: Float32Array[], v: Float32Array[], times: ArrayLike<number>, sumE: ArrayLike<number>): JsCache {
    if (n > cfg.maxLen) throw new Error(`context of ${n} tokens exceeds maxLen ${cfg.maxLen}`)
    const c = new JsCache(cfg)
    k.forEach((kb, b) => c.k[b]!.set(kb.subarray(0, n * cfg.d)))
    v.forEach((vb, b) => c.v[b]!.set(vb.subarray(0, n * cfg.d)))
    for (let j = 0; j < n; j++) c.times[j] = times[j]!
    for (let x = 0; x < cfg.d; x++) c.sumE[x] = sumE[x]!
    c.n = n
    return c
  }
}

/** out = LayerNorm(x)·g + b over d values, ε = 1e-6 in the variance (as model.ts). */
export function layerNorm(x: ArrayLike<number>, g: Float32Array, b: Float32Array, out: Float64Array): Float64Array {
  const d = out.length
  let mean = 0
  for (let i = 0; i < d; i++) mean += x[i]!
  mean /= d
  let v = 0
  for (let i = 0; i < d; i++) v += (x[i]! - mean) ** 2
  const r = 1 / Math.sqrt(v / d + 1e-6)
  for (let i = 0; i < d; i++) out[i] = (x[i]! - mean) * r * g[i]! + b[i]!
  return out
}

/** out = x·W + b, W row-major [in, out]. */
function linear(x: Float64Array, w: Float32Array, b: Float32Array, out: Float64Array): Float64Array {
  const nIn = x.length
  const nOut = out.length
  for (let o = 0; o < nOut; o++) out[o] = b[o]!
  for (let i = 0; i < nIn; i++) {
    const xi = x[i]!
    if (xi === 0) continue
    const row = i * nOut
    for (let o = 0; o < nOut; o++) out[o] = out[o]! + xi * w[row + o]!
  }
  return out
}

/**
 * Append one token (item embedding `e`, event-type index, time in units from the context origin)
 * to `cache` and return its short- and long-term vectors.
 */
export function stepToken(w: StepWeights, cache: JsCache, e: ArrayLike<number>, type: number, time: number): { s: Float32Array; l: Float32Array } {
  const { d, heads: H, ffn, maxLen } = cache.cfg
  const n = cache.n
  if (n >= maxLen) throw new Error(`the KV cache is full (${maxLen} tokens): re-encode`)
  const dh = d / H
  const scale = 1 / Math.sqrt(dh)
  const h = new Float64Array(d)
  for (let x = 0; x < d; x++) h[x] = e[x]! + w.typeEmb[type * d + x]!
  cache.times[n] = time
  const t = cache.times[n]! // as stored (float32), like the tensor path's times
  const a = new Float64Array(d)
  const q = new Float64Array(d)
  const kv = new Float64Array(d)
  const ctx = new Float64Array(d)
  const o = new Float64Array(d)
  const f1 = new Float64Array(ffn)
  const logits = new Float64Array(n + 1)
  // log(1 + distance) and log(1 + Δt) per key do not depend on the block: compute once.
  const logDist = new Float64Array(n + 1)
  const logDt = new Float64Array(n + 1)
  for (let j = 0; j <= n; j++) {
    logDist[j] = Math.log1p(n - j)
    logDt[j] = Math.log1p(Math.max(0, t - cache.times[j]!))
  }
  w.blocks.forEach((bw, b) => {
    const K = cache.k[b]!
    const V = cache.v[b]!
    layerNorm(h, bw.ln1g, bw.ln1b, a)
    linear(a, bw.wq, bw.bq, q)
    K.set(linear(a, bw.wk, bw.bk, kv), n * d)
    V.set(linear(a, bw.wv, bw.bv, kv), n * d)
    for (let hd = 0; hd < H; hd++) {
      const off = hd * dh
      const mu = bw.mu[hd]!
      const lambda = bw.lambda ? bw.lambda[hd]! : 0
      let max = -Infinity
      for (let j = 0; j <= n; j++) {
        let dot = 0
        const kj = j * d + off
        for (let x = 0; x < dh; x++) dot += q[off + x]! * K[kj + x]!
        const z = dot * scale - mu * logDist[j]! - lambda * logDt[j]!
        logits[j] = z
        if (z > max) max = z
      }
      let sum = 0
      for (let j = 0; j <= n; j++) {
        const p = Math.exp(logits[j]! - max)
        logits[j] = p
        sum += p
      }
      for (let x = 0; x < dh; x++) ctx[off + x] = 0
      for (let j = 0; j <= n; j++) {
        const p = logits[j]! / sum
        const vj = j * d + off
        for (let x = 0; x < dh; x++) ctx[off + x] = ctx[off + x]! + p * V[vj + x]!
      }
    }
    linear(ctx, bw.wo, bw.bo, o)
    for (let x = 0; x < d; x++) h[x] = h[x]! + o[x]!
    layerNorm(h, bw.ln2g, bw.ln2b, a)
    linear(a, bw.w1, bw.b1, f1)
    for (let x = 0; x < ffn; x++) if (f1[x]! < 0) f1[x] = 0
    linear(f1, bw.w2, bw.b2, o)
    for (let x = 0; x < d; x++) h[x] = h[x]! + o[x]!
  })
  const s = Float32Array.from(layerNorm(h, w.lnfG, w.lnfB, a))
  for (let x = 0; x < d; x++) cache.sumE[x] = cache.sumE[x]! + e[x]!
  const mean = new Float64Array(d)
  for (let x = 0; x < d; x++) mean[x] = cache.sumE[x]! / (n + 1)
  const l = Float32Array.from(layerNorm(mean, w.lnlG, w.lnlB, a))
  cache.n = n + 1
  return { s, l }
}

/**
 * The LocalRank encoder, written once in TensorFlow.js core ops and used by both the offline
 * trainer (Node, WASM backend) and the browser worker (WebGPU / WASM / CPU).
 *
 * Architecture (a causal, SASRec-style Transformer; Kang & McAuley 2018, "Self-Attentive
 * Sequential Recommendation"):
 *
 *   token_j   = e(item_j) + type_emb[type_j]
 *   e(item)   = item_emb[row] + Σ_s w_s·feat_emb[feat_s]              (id + hashed content)
 *   block     = pre-LN multi-head self-attention + pre-LN ReLU FFN, residual, dropout
 *   logits_hij = q_hi·k_hj/√d_h − λ_h·log(1+Δt_ij) − μ_h·log(1+(i−j)) − ∞·[j>i]
 *   s_i       = LN_f(h_i)                                    (short-term vector)
 *   l_i       = LN_l(mean_{j≤i} e(item_j))                   (long-term vector)
 *   g_i       = σ(s_i·W_s + l_i·W_l + w_gap·log(1+gap_i) + b_g) (learned gate, per dimension)
 *   u_i       = g_i ⊙ s_i + (1−g_i) ⊙ l_i
 *   score(c)  = u·e(c) + bias(c),  bias(c) = item_bias[row] + Σ_s w_s·feat_bias[feat_s]
 *
 * - Time signal: the learned per-head bias −λ_h·log(1+Δt) (λ_h = softplus(raw) ≥ 0, Δt in
 *   minutes between the query event and the key event) is exponential decay in log-time, i.e.
 *   attention weight ∝ (1+Δt)^(−λ_h): heads with large λ_h attend to the current session, heads
 *   with λ_h≈0 to the whole history. `timeBias: false` removes it (the ablation).
 * - Order signal: a relative distance bias −μ_h·log(1+(i−j)) instead of SASRec's absolute
 *   position embedding. Relative biases (as in ALiBi, Press et al. 2022) keep the keys and values
 *   of past tokens valid when a token is appended, which is what makes the KV cache exact.
 * - gap_i is the time from the last event to the moment of scoring ("now"); in training, the
 *   time of the next event. A shopper who returns after a month should lean on the long-term
 *   vector; one mid-session on the short-term one.
 * - The candidate embedding is the input embedding (weights shared, as in SASRec), so an item
 *   the model never saw (row OOV) still scores through its content features.
 *
 * Item rows: 0 = padding, 1 = out-of-vocabulary item, 2 = search query, 3… = vocabulary.
 */
import * as tf from '@tensorflow/tfjs-core'
import type { EncoderConfig } from './config'
import { gaussian, mulberry32 } from '../rng'

export { DEFAULT_CONFIG, FIRST_ITEM_ROW, ROW_OOV, ROW_PAD, ROW_SEARCH, type EncoderConfig } from './config'

export type Params = Record<string, tf.Tensor>

/** Names and shapes of every weight, in a fixed order (the order of the weights manifest). */
export function paramShapes(cfg: EncoderConfig): Array<[string, number[]]> {
  const { d, ffn, heads } = cfg
  const s: Array<[string, number[]]> = [
    ['item_emb', [cfg.vocabSize, d]],
    ['item_bias', [cfg.vocabSize]],
    ['feat_emb', [cfg.featBuckets, d]],
    ['feat_bias', [cfg.featBuckets]],
    ['type_emb', [cfg.numTypes, d]],
  ]
  for (let b = 0; b < cfg.blocks; b++) {
    s.push(
      [`b${b}_ln1_g`, [d]],
      [`b${b}_ln1_b`, [d]],
      [`b${b}_wq`, [d, d]],
      [`b${b}_wk`, [d, d]],
      [`b${b}_wv`, [d, d]],
      [`b${b}_bq`, [d]],
      [`b${b}_bk`, [d]],
      [`b${b}_bv`, [d]],
      [`b${b}_wo`, [d, d]],
      [`b${b}_bo`, [d]],
      [`b${b}_ln2_g`, [d]],
      [`b${b}_ln2_b`, [d]],
      [`b${b}_w1`, [d, ffn]],
      [`b${b}_b1`, [ffn]],
      [`b${b}_w2`, [ffn, d]],
      [`b${b}_b2`, [d]],
      [`b${b}_dist`, [heads]],
    )
    if (cfg.timeBias) s.push([`b${b}_decay`, [heads]])
  }
  s.push(['lnf_g', [d]], ['lnf_b', [d]], ['lnl_g', [d]], ['lnl_b', [d]], ['gate_ws', [d, d]], ['gate_wl', [d, d]], ['gate_b', [d]])
  if (cfg.gapGate) s.push(['gate_wgap', [d]])
  return s
}

/** softplus⁻¹(y) = log(eʸ − 1): raw value whose softplus is y. */
function invSoftplus(y: number): number {
  return Math.log(Math.expm1(y))
}

/**
 * Initial weights from a seed (plain Float32Arrays, so the trainer can turn them into
 * variables and tests can build a model without training). Embeddings ~ N(0, 0.05²) (small,
 * so the shared output embedding starts with near-uniform scores); projections Glorot-uniform;
 * LayerNorm gains 1. Decay rates start spread over heads (λ from 0.05 to 1) so that heads begin
 * at different time scales; distance biases start at μ = 0.1.
 */
export function initWeights(cfg: EncoderConfig, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const rand = mulberry32(seed)
  const out = new Map<string, { shape: number[]; data: Float32Array }>()
  for (const [name, shape] of paramShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    const leaf = name.replace(/^b\d+_/, '')
    if (name === 'item_emb' || name === 'feat_emb' || name === 'type_emb') {
      for (let i = 0; i < n; i++) data[i] = 0.05 * gaussian(rand)
      if (name === 'item_emb') data.fill(0, 0, cfg.d) // padding row
    } else if (leaf.endsWith('_g')) {
      data.fill(1)
    } else if (leaf === 'decay') {
      for (let h = 0; h < n; h++) data[h] = invSoftplus(n === 1 ? 0.3 : 0.05 * Math.pow(20, h / (n - 1)))
    } else if (leaf === 'dist') {
      data.fill(invSoftplus(0.1))
    } else if (shape.length === 2) {
      const lim = Math.sqrt(6 / ((shape[0] ?? 1) + (shape[1] ?? 1)))
      for (let i = 0; i < n; i++) data[i] = (2 * rand() - 1) * lim
    }
    // biases (item_bias, feat_bias, *_b, gate_wgap) start at 0
    out.set(name, { shape, data })
  }
  return out
}

/**
 * Row lookup `table[idx]` whose gradient is a scatter-add.
 * - tf.gather's own gradient needs the kernel `UnsortedSegmentSum`, which the WASM backend
 *   lacks (tfjs 4.22); `scatterND` sums duplicate indices, which is exactly that gradient.
 * - The forward uses gatherND, measured ~10× faster than GatherV2 on WASM (8192 rows of 64:
 *   2.4 ms vs 25 ms).
 */
export function gatherRows(table: tf.Tensor, idx: tf.Tensor1D): tf.Tensor {
  // idx goes through `save` so that it outlives the forward tidy until the backward pass.
  const f = tf.customGrad(((t: tf.Tensor, i: tf.Tensor, save: tf.GradSaveFunc) => {
    const ind = tf.expandDims(i, 1)
    save([ind])
    return {
      value: tf.gatherND(t, ind),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const s0 = saved[0] as tf.Tensor
        return [tf.scatterND(s0, dy, t.shape), tf.zeros(i.shape, 'int32')]
      },
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  return f(table, idx) as tf.Tensor
}

/**
 * 2-D matrix product a·b whose gradient multiplies explicitly transposed copies. The WASM
 * backend only takes its XNNPACK path for untransposed, unbatched operands: a transposed
 * matMul of [8192,64]×[64,64] measured 55 ms, transpose-then-matMul 6 ms.
 */
export function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const f = tf.customGrad(((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x, y])
    return {
      value: tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ys] = saved as [tf.Tensor2D, tf.Tensor2D]
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ys)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)]
      },
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  return f(a, b) as tf.Tensor2D
}

function p(params: Params, name: string): tf.Tensor {
  const t = params[name]
  if (!t) throw new Error(`encoder weight missing: ${name}`)
  return t
}

/** LayerNorm over the last axis, ε = 1e-6 (in the variance, for float16-safe weights). */
function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const mean = tf.mean(x, -1, true)
  const c = tf.sub(x, mean)
  const v = tf.mean(tf.square(c), -1, true)
  return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, 1e-6))), g), b)
}

export interface ItemInput {
  /** Item-table rows, any shape S (int32). */
  rows: tf.Tensor
  /** Feature rows, shape [...S, featSlots]. */
  feats: tf.Tensor
  /** Feature weights, shape [...S, featSlots]. */
  featW: tf.Tensor
}

/**
 * Item embeddings and biases: e = item_emb[row] + Σ_s w_s·feat_emb[feat_s],
 * bias = item_bias[row] + Σ_s w_s·feat_bias[feat_s]. Returns shapes [...S, d] and [...S].
 */
export function embedItems(params: Params, cfg: EncoderConfig, input: ItemInput): { e: tf.Tensor; bias: tf.Tensor } {
  const shape = input.rows.shape
  const n = input.rows.size
  const F = cfg.featSlots
  const rows = tf.reshape(input.rows, [n]) as tf.Tensor1D
  const feats = tf.reshape(input.feats, [n * F]) as tf.Tensor1D
  const w = tf.reshape(input.featW, [n, F, 1])
  const content = tf.sum(tf.mul(tf.reshape(gatherRows(p(params, 'feat_emb'), feats), [n, F, cfg.d]), w), 1)
  const e = tf.add(gatherRows(p(params, 'item_emb'), rows), content)
  const fb = tf.sum(tf.mul(tf.reshape(gatherRows(p(params, 'feat_bias'), feats), [n, F]), tf.reshape(w, [n, F])), 1)
  const bias = tf.add(gatherRows(p(params, 'item_bias'), rows), fb)
  return { e: tf.reshape(e, [...shape, cfg.d]), bias: tf.reshape(bias, shape) }
}

/** Keys (transposed) and values of past tokens for one block. */
export interface BlockCache {
  /** Kᵀ, [B, H, d_h, n]: stored transposed so that q·Kᵀ is an untransposed matMul. */
  kT: tf.Tensor4D
  /** V, [B, H, n, d_h]. */
  v: tf.Tensor4D
}

/** Everything the encoder remembers about tokens already encoded. */
export interface EncoderCache {
  blocks: BlockCache[]
  /** Event times of past tokens, in time units from the context origin, [B, n]. */
  times: tf.Tensor2D
  /** Σ e(item_j) over past tokens, [B, d] (for the long-term mean). */
  sumE: tf.Tensor2D
  /** Number of past tokens (same for every row of the batch). */
  n: number
}

export interface TokenInput {
  /** Item embeddings of the tokens (from `embedItems`), [B, m, d]. */
  e: tf.Tensor
  /** Event-type index per token, [B, m] int32. */
  types: tf.Tensor
  /** Event time per token in time units from the context origin, [B, m] float32. */
  times: tf.Tensor
}

export interface ForwardOptions {
  /** Dropout rate on embeddings and residual branches; 0 (inference) by default. */
  dropout?: number
  /** Seed for dropout masks. */
  seed?: number
  /** Tokens already encoded (KV cache); null for a full encode. */
  past?: EncoderCache | null
  /** Return the updated cache (inference); training leaves it out to save concatenations. */
  keepCache?: boolean
  /**
   * Attention products as one 2-D matMul per head instead of one batched matMul. Default: on
   * for a single sequence (B = 1) on WASM, where tfjs-wasm takes its XNNPACK path only for
   * batch-1, untransposed operands (the batched [1,H,m,dh]·[1,H,dh,N] product has batch H).
   */
  perHead?: boolean
}

/**
 * x·y for [1,H,r,k]·[1,H,k,c] as H separate 2-D products (slice, matMul, stack): the same
 * sums, on the backend's fast 2-D path. Issue 14: 1.85–2.08× faster attention at 200 tokens.
 */
function perHeadMatMul(x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  const [, H = 1, r = 1, k = 1] = x.shape
  const c = y.shape[3]
  const out: tf.Tensor[] = []
  for (let i = 0; i < H; i++) {
    const xi = tf.reshape(tf.slice(x, [0, i, 0, 0], [1, 1, r, k]), [r, k]) as tf.Tensor2D
    const yi = tf.reshape(tf.slice(y, [0, i, 0, 0], [1, 1, k, c]), [k, c]) as tf.Tensor2D
    out.push(tf.matMul(xi, yi))
  }
  return tf.reshape(tf.stack(out, 0), [1, H, r, c]) as tf.Tensor4D
}

export interface ForwardResult {
  /** Short-term vectors per position, [B, m, d]. */
  short: tf.Tensor3D
  /** Long-term vectors per position, [B, m, d]. */
  long: tf.Tensor3D
  cache?: EncoderCache
}

/**
 * Additive attention bias that does not depend on the weights: −10⁹ above the diagonal (causal
 * mask; finite so that float16/WebGPU softmax stays NaN-free) and log(1 + distance) for the
 * learned distance bias. Query i (absolute position n+i) against key j.
 */
function staticBias(n: number, m: number): { mask: tf.Tensor; logDist: tf.Tensor } {
  const N = n + m
  const mask = new Float32Array(m * N)
  const ld = new Float32Array(m * N)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < N; j++) {
      const dist = n + i - j
      if (dist < 0) mask[i * N + j] = -1e9
      else ld[i * N + j] = Math.log1p(dist)
    }
  }
  return { mask: tf.tensor4d(mask, [1, 1, m, N]), logDist: tf.tensor4d(ld, [1, 1, m, N]) }
}

function dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  return rate > 0 ? tf.dropout(x, rate, undefined, seed) : x
}

/**
 * Inclusive cumulative sum along axis 1 with a correct gradient (the reverse cumulative sum).
 * tfjs 4.22's Cumsum gradient transposes its result a second time for any axis but the last,
 * which silently corrupts the gradient when the two dimensions happen to be equal (L = d).
 */
function cumsumAxis1(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((t: tf.Tensor) => ({
    value: tf.cumsum(t, 1),
    gradFunc: (dy: tf.Tensor) => tf.cumsum(dy, 1, false, true),
  })) as unknown as Parameters<typeof tf.customGrad>[0])
  return f(x) as tf.Tensor
}

/** x·W + b for x of shape [..., in]. */
function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1] ?? 1
  const outDim = w.shape[1] ?? 1
  const y = matmul(tf.reshape(x, [x.size / inDim, inDim]), w)
  return tf.reshape(b ? tf.add(y, b) : y, [...x.shape.slice(0, -1), outDim])
}

/**
 * Encode `m` new tokens per sequence, attending to themselves causally and to `past` (the KV
 * cache). With no cache this is the plain training/full-encode forward pass. Padding must be on
 * the right: a real token never attends to a later (padded) one, so no padding mask is needed.
 */
export function forward(params: Params, cfg: EncoderConfig, input: TokenInput, opts: ForwardOptions = {}): ForwardResult {
  const [B = 1, m = 1] = input.types.shape
  const { d, heads: H } = cfg
  const dh = d / H
  const rate = opts.dropout ?? 0
  let seed = opts.seed ?? 1
  const past = opts.past ?? null
  const n = past?.n ?? 0
  const N = n + m
  const split = opts.perHead ?? (B === 1 && H > 1 && tf.getBackend() === 'wasm')
  const attMatMul = (x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D => (split && B === 1 ? perHeadMatMul(x, y) : tf.matMul(x, y))

  const e = input.e
  const typeE = tf.reshape(gatherRows(p(params, 'type_emb'), tf.reshape(input.types, [B * m]) as tf.Tensor1D), [B, m, d])
  let h: tf.Tensor = dropout(tf.add(e, typeE), rate, seed++)

  const { mask, logDist } = staticBias(n, m)
  // Δt between query i and key j (≥ 0; ties and clock skew clamp to 0), on a log scale.
  const keyTimes = past ? tf.concat([past.times, input.times], 1) : input.times
  const logDt = cfg.timeBias
    ? tf.expandDims(tf.log1p(tf.relu(tf.sub(tf.expandDims(input.times, 2), tf.expandDims(keyTimes, 1)))), 1) // [B,1,m,N]
    : null

  const newBlocks: BlockCache[] = []
  for (let b = 0; b < cfg.blocks; b++) {
    const a = layerNorm(h, p(params, `b${b}_ln1_g`), p(params, `b${b}_ln1_b`))
    // Heads by 4-D transposes (5-D transposes measured 100× slower on WASM).
    const heads = (w: string, bias: string, perm: number[]) => tf.transpose(tf.reshape(linear(a, p(params, w), p(params, bias)), [B, m, H, dh]), perm) as tf.Tensor4D
    const q = heads(`b${b}_wq`, `b${b}_bq`, [0, 2, 1, 3]) // [B,H,m,dh]
    const kTNew = heads(`b${b}_wk`, `b${b}_bk`, [0, 2, 3, 1]) // [B,H,dh,m]
    const vNew = heads(`b${b}_wv`, `b${b}_bv`, [0, 2, 1, 3]) // [B,H,m,dh]
    const pastBlock = past?.blocks[b]
    const kT = pastBlock ? (tf.concat([pastBlock.kT, kTNew], 3) as tf.Tensor4D) : kTNew
    const v = pastBlock ? (tf.concat([pastBlock.v, vNew], 2) as tf.Tensor4D) : vNew
    if (opts.keepCache) newBlocks.push({ kT, v })

    let logits = tf.mul(attMatMul(q, kT), 1 / Math.sqrt(dh)) // [B,H,m,N]
    const mu = tf.reshape(tf.softplus(p(params, `b${b}_dist`)), [1, H, 1, 1])
    logits = tf.sub(logits, tf.mul(mu, logDist))
    if (logDt) {
      const lambda = tf.reshape(tf.softplus(p(params, `b${b}_decay`)), [1, H, 1, 1])
      logits = tf.sub(logits, tf.mul(lambda, logDt))
    }
    const att = tf.softmax(tf.add(logits, mask), -1)
    const ctx = tf.reshape(tf.transpose(attMatMul(att as tf.Tensor4D, v), [0, 2, 1, 3]), [B, m, d])
    h = tf.add(h, dropout(linear(ctx, p(params, `b${b}_wo`), p(params, `b${b}_bo`)), rate, seed++))

    const a2 = layerNorm(h, p(params, `b${b}_ln2_g`), p(params, `b${b}_ln2_b`))
    const f1 = tf.relu(linear(a2, p(params, `b${b}_w1`), p(params, `b${b}_b1`)))
    const f2 = linear(dropout(f1, rate, seed++), p(params, `b${b}_w2`), p(params, `b${b}_b2`))
    h = tf.add(h, dropout(f2, rate, seed++))
  }
  const s = layerNorm(h, p(params, 'lnf_g'), p(params, 'lnf_b'))

  // Long-term vector: causal running mean of the item embeddings, continued from the cache.
  const cum = cumsumAxis1(e)
  const sumAll = past ? tf.add(cum, tf.expandDims(past.sumE, 1)) : cum
  const counts = tf.reshape(tf.range(n + 1, N + 1, 1, 'float32'), [1, m, 1])
  const l = layerNorm(tf.div(sumAll, counts), p(params, 'lnl_g'), p(params, 'lnl_b'))

  const result: ForwardResult = { short: s as tf.Tensor3D, long: l as tf.Tensor3D }
  if (opts.keepCache) {
    const lastSum = tf.reshape(tf.slice(sumAll, [0, m - 1, 0], [B, 1, d]), [B, d]) as tf.Tensor2D
    result.cache = { blocks: newBlocks, times: keyTimes as tf.Tensor2D, sumE: lastSum, n: N }
  }
  return result
}

/**
 * Fuse short- and long-term vectors (any leading shape [..., d]) with the learned gate:
 * g = σ(s·W_s + l·W_l + w_gap·gapLog + b_g), u = g ⊙ s + (1−g) ⊙ l. Kept apart from `forward`
 * because only the gate depends on "now": the runtime re-fuses cached s and l at scoring time
 * without re-running the Transformer.
 */
export function fuse(params: Params, cfg: EncoderConfig, s: tf.Tensor, l: tf.Tensor, gapLog?: tf.Tensor): tf.Tensor {
  const shape = s.shape
  const n = s.size / cfg.d
  let gz = tf.add(tf.add(matmul(tf.reshape(s, [n, cfg.d]), p(params, 'gate_ws')), matmul(tf.reshape(l, [n, cfg.d]), p(params, 'gate_wl'))), p(params, 'gate_b'))
  if (cfg.gapGate && gapLog) gz = tf.add(gz, tf.mul(tf.reshape(gapLog, [n, 1]), tf.reshape(p(params, 'gate_wgap'), [1, cfg.d])))
  const g = tf.reshape(tf.sigmoid(gz), shape)
  return tf.add(tf.mul(g, s), tf.mul(tf.sub(1, g), l))
}

/** log(1 + gap) with the gap in the config's time unit, clamped at 0 (clock skew). */
export function gapLog(cfg: EncoderConfig, gapSeconds: number): number {
  return Math.log1p(Math.max(0, gapSeconds) / cfg.timeUnitSec)
}

/** Scores [B, C] = user [B, d] · e [C, d]ᵀ + bias [C]. */
export function scoreItems(user: tf.Tensor2D, items: { e: tf.Tensor2D; bias: tf.Tensor1D }): tf.Tensor2D {
  return tf.add(matmul(user, tf.transpose(items.e)), tf.expandDims(items.bias, 0)) as tf.Tensor2D
}

/** Parameter count of a config (for size budgets and reports). */
export function countParams(cfg: EncoderConfig): number {
  return paramShapes(cfg).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0)
}

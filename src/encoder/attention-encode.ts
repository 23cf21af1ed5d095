/**
 * The full encode of one sequence for inference on backends that read back synchronously (WASM,
 * CPU): what `forward` (model.ts) computes for a context of m tokens with no KV cache, in fewer
 * kernels (issue 14: 215 kernels per encode, most of them dispatch overhead at 50 tokens).
 *
 * What changes against `forward`, and why the outputs stay the same (within float32 rounding;
 * conformance-golden.test.ts holds the scores to the code before this file within 1e-5):
 * - Weights prepared once at load (`prepareEncodeWeights`): q, k and v are one [d, 3d] product;
 *   the LayerNorm gains and offsets before a projection are folded into it (LN(x)·W + b =
 *   x̂·(diag(g)·W) + (β·W + b), x̂ the normalised x), and 1/√d_h into the query columns. The
 *   weights are [1, in, out] tensors so that tfjs-wasm keeps one packed XNNPACK operator per
 *   weight (batch_mat_mul_impl.cc caches operators by the weight tensor's id) and no reshape
 *   kernels run around each product.
 * - Bias and ReLU fused into the product (`_FusedMatMul`, called on the engine directly: the
 *   tf.fused.matMul wrapper adds three Reshape kernels per call).
 * - The attention biases that do not depend on the activations (causal mask, −μ_h·log(1+dist),
 *   −λ_h·log(1+Δt)) are one [m, m] matrix per block and head, built in JS from the token times
 *   (m(m+1)/2 logarithms, shared by every block and head) and added in one kernel.
 * - Attention per head as batch-1, untransposed 2-D products (XNNPACK's path in tfjs-wasm; the
 *   batched [H, m, d_h] product takes its slow loop): one split of q|k|v, one transpose of k.
 * - What only the newest position needs (the final LayerNorm, the long-term mean) and the token
 *   embeddings with their type embedding are plain JS on d-long rows. k and v are read back per
 *   block as rows, which is the JS step's cache layout (step.ts JsCache), so no transposed copy.
 * FLOPs are those of `forward` (dense m×m attention, every position through both blocks).
 */
import * as tf from '@tensorflow/tfjs-core'
import type { EncoderConfig } from './config'
import type { StepWeights } from './step'

export interface EncodeBlock {
  /** Per head [1, d, d_h]: diag(ln1_g)·W_q's head columns / √d_h. */
  wq: tf.Tensor3D[]
  /** Per head [d_h]: (ln1_b·W_q + b_q)'s head columns / √d_h. */
  bq: tf.Tensor1D[]
  /** [1, d, d] and [d]: diag(ln1_g)·W_k, ln1_b·W_k + b_k. */
  wk: tf.Tensor3D
  bk: tf.Tensor1D
  /** Per head, as for q (no scale). */
  wv: tf.Tensor3D[]
  bv: tf.Tensor1D[]
  /** Per head [1, d_h, d]: the rows of W_o that head h's context multiplies. */
  wo: tf.Tensor3D[]
  bo: tf.Tensor1D
  /** [1, d, ffn]: diag(ln2_g)·W_1. */
  w1: tf.Tensor3D
  /** ln2_b·W_1 + b_1. */
  b1: tf.Tensor1D
  w2: tf.Tensor3D
  b2: tf.Tensor1D
}

/** The gate's weights in plain arrays: the user vector is fused in JS (2·d² multiply-adds). */
export interface GateWeights {
  ws: Float32Array
  wl: Float32Array
  b: Float32Array
  /** null when the model has no gap input. */
  wgap: Float32Array | null
}

export interface EncodeWeights {
  blocks: EncodeBlock[]
  /** [1, d, 1] of 1/d and [1] of ε: the variance's mean and +ε as one fused product. */
  meanCol: tf.Tensor3D
  /** [1, d, d]: I − 1/d, so that x·P = x − mean(x) is one product. */
  centre: tf.Tensor3D
  eps: tf.Tensor1D
  gate: GateWeights
}

/** Build the prepared weights from the artifact's decoded arrays (float64 sums, rounded once). */
export function prepareEncodeWeights(cfg: EncoderConfig, data: (name: string) => Float32Array): EncodeWeights {
  const { d, ffn, heads: H } = cfg
  const scale = 1 / Math.sqrt(d / H)
  /** diag(g)·W and β·W + b, for W [nIn, nOut] row-major; column c multiplied by colScale(c). */
  const fold = (g: Float32Array, beta: Float32Array, ws: Array<{ w: Float32Array; b: Float32Array; s: number }>, nIn: number) => {
    const nOut = ws.reduce((a, x) => a + x.b.length, 0)
    const W = new Float32Array(nIn * nOut)
    const B = new Float32Array(nOut)
    let c0 = 0
    for (const { w, b, s } of ws) {
      const n = b.length
      for (let c = 0; c < n; c++) {
        let acc = b[c]!
        for (let i = 0; i < nIn; i++) {
          acc += beta[i]! * w[i * n + c]!
          W[i * nOut + c0 + c] = g[i]! * w[i * n + c]! * s
        }
        B[c0 + c] = acc * s
      }
      c0 += n
    }
    return { W, B, nOut }
  }
  const dh = d / H
  /** Columns [c0, c0 + n) of a row-major [rows, cols] matrix. */
  const cols = (x: Float32Array, rows: number, ncols: number, c0: number, n: number) => {
    const out = new Float32Array(rows * n)
    for (let r = 0; r < rows; r++) out.set(x.subarray(r * ncols + c0, r * ncols + c0 + n), r * n)
    return out
  }
  const blocks: EncodeBlock[] = []
  for (let b = 0; b < cfg.blocks; b++) {
    const w = (leaf: string) => data(`b${b}_${leaf}`)
    const g1 = w('ln1_g')
    const b1 = w('ln1_b')
    const q = fold(g1, b1, [{ w: w('wq'), b: w('bq'), s: scale }], d)
    const k = fold(g1, b1, [{ w: w('wk'), b: w('bk'), s: 1 }], d)
    const v = fold(g1, b1, [{ w: w('wv'), b: w('bv'), s: 1 }], d)
    const heads = Array.from({ length: H }, (_, h) => h)
    const f1 = fold(w('ln2_g'), w('ln2_b'), [{ w: w('w1'), b: w('b1'), s: 1 }], d)
    blocks.push({
      wq: heads.map((h) => tf.tensor3d(cols(q.W, d, d, h * dh, dh), [1, d, dh])),
      bq: heads.map((h) => tf.tensor1d(q.B.subarray(h * dh, (h + 1) * dh))),
      wk: tf.tensor3d(k.W, [1, d, d]),
      bk: tf.tensor1d(k.B),
      wv: heads.map((h) => tf.tensor3d(cols(v.W, d, d, h * dh, dh), [1, d, dh])),
      bv: heads.map((h) => tf.tensor1d(v.B.subarray(h * dh, (h + 1) * dh))),
      wo: heads.map((h) => tf.tensor3d(w('wo').subarray(h * dh * d, (h + 1) * dh * d), [1, dh, d])),
      bo: tf.tensor1d(w('bo')),
      w1: tf.tensor3d(f1.W, [1, d, ffn]),
      b1: tf.tensor1d(f1.B),
      w2: tf.tensor3d(w('w2'), [1, ffn, d]),
      b2: tf.tensor1d(w('b2')),
    })
  }
  return {
    blocks,
    meanCol: tf.tensor3d(new Float32Array(d).fill(1 / d), [1, d, 1]),
    centre: tf.tensor3d(
      Float32Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0) - 1 / d),
      [1, d, d],
    ),
    eps: tf.tensor1d([1e-6]),
    gate: { ws: data('gate_ws'), wl: data('gate_wl'), b: data('gate_b'), wgap: cfg.gapGate ? data('gate_wgap') : null },
  }
}

export function disposeEncodeWeights(w: EncodeWeights): void {
  for (const b of w.blocks) for (const t of Object.values(b).flat()) (t as tf.Tensor).dispose()
  w.meanCol.dispose()
  w.centre.dispose()
  w.eps.dispose()
}

/** x·W + bias (then ReLU) as one kernel, for x [1, m, in] and W [1, in, out]. */
function dense(x: tf.Tensor, w: tf.Tensor3D, bias: tf.Tensor1D, relu = false): tf.Tensor3D {
  return tf.engine().runKernel('_FusedMatMul', { a: x, b: w, bias }, { transposeA: false, transposeB: false, activation: relu ? 'relu' : 'linear', leakyreluAlpha: 0 }) as tf.Tensor3D
}

/**
 * (x − mean)/√(var + ε) over the last axis, without gain and offset (they are folded into the
 * next product): 6 kernels; the variance's mean and the +ε are one product with a 1/d column.
 */
function normalise(x: tf.Tensor, w: EncodeWeights): tf.Tensor {
  const c = tf.matMul(x, w.centre)
  return tf.mul(c, tf.rsqrt(dense(tf.square(c), w.meanCol, w.eps)))
}

/**
 * The additive attention bias of every block and head, [m, m] row-major: −10⁹ above the diagonal
 * (the causal mask, finite as in model.ts) and −μ_h·log(1+(i−j)) − λ_h·log(1+max(0, t_i − t_j))
 * on and below it. The log terms are computed once and shared.
 */
export function attentionBiases(step: StepWeights, times: Float32Array): Float32Array[][] {
  const m = times.length
  const logDist = new Float32Array(m)
  for (let k = 0; k < m; k++) logDist[k] = Math.log1p(k)
  // One pass over the lower triangle writes every block's and head's matrix (the logarithm of
  // Δt is taken once per pair): at 200 tokens this was 0.8 ms as separate passes.
  const mu = step.blocks.flatMap((b) => [...b.mu])
  const lambda = step.blocks.flatMap((b) => (b.lambda ? [...b.lambda] : Array.from(b.mu, () => 0)))
  const timed = lambda.some((x) => x !== 0)
  const outs = mu.map(() => new Float32Array(m * m))
  const Q = outs.length
  for (let i = 0; i < m; i++) {
    const ti = times[i]!
    const row = i * m
    for (let j = 0; j <= i; j++) {
      const ld = logDist[i - j]!
      const dt = ti - times[j]!
      const lt = timed && dt > 0 ? Math.log1p(dt) : 0
      for (let q = 0; q < Q; q++) outs[q]![row + j] = -mu[q]! * ld - lambda[q]! * lt
    }
    for (let q = 0; q < Q; q++) outs[q]!.fill(-1e9, row + i + 1, row + m)
  }
  const H = step.blocks[0]?.mu.length ?? 0
  return step.blocks.map((_, b) => outs.slice(b * H, (b + 1) * H))
}

export interface FullEncode {
  /** Per block, keys and values of every token as rows [m·d] (head h at columns h·d_h…). */
  k: Float32Array[]
  v: Float32Array[]
  /** The residual stream of the newest token after the last block (before LN_f), [d]. */
  hLast: Float32Array
}

/**
 * Encode the m tokens whose input rows (item embedding + type embedding) are `h0` [m·d], with
 * event times `times` [m] in time units from the context origin. Releases every tensor it makes.
 */
export function encodeSequence(cfg: EncoderConfig, w: EncodeWeights, step: StepWeights, h0: Float32Array, times: Float32Array): FullEncode {
  const m = times.length
  const { d, heads: H } = cfg
  const dh = d / H
  const biases = attentionBiases(step, times)
  const k: Float32Array[] = []
  const v: Float32Array[] = []
  const hLast = tf.tidy(() => {
    let h: tf.Tensor = tf.tensor3d(h0, [1, m, d])
    w.blocks.forEach((blk, b) => {
      const n1 = normalise(h, w)
      const kt = dense(n1, blk.wk, blk.bk) // [1, m, d]
      const vs = blk.wv.map((wv, hd) => dense(n1, wv, blk.bv[hd]!)) // per head [1, m, d_h]
      // On WASM and CPU these are copies out of the backend's memory, not stalls.
      k.push((kt.dataSync() as Float32Array).slice())
      const vb = new Float32Array(m * d)
      vs.forEach((vh, hd) => {
        const x = vh.dataSync() as Float32Array
        for (let j = 0; j < m; j++) vb.set(x.subarray(j * dh, (j + 1) * dh), j * d + hd * dh)
      })
      v.push(vb)
      // Kᵀ split by rows (contiguous), so each head's q·Kᵀ is an untransposed 2-D product.
      const kT = tf.transpose(kt, [0, 2, 1]) // [1, d, m]
      const kTh = H > 1 ? tf.split(kT, H, 1) : [kT]
      const terms: tf.Tensor[] = [h]
      for (let hd = 0; hd < H; hd++) {
        const logits = tf.add(tf.matMul(dense(n1, blk.wq[hd]!, blk.bq[hd]!), kTh[hd]!), tf.tensor3d(biases[b]![hd]!, [1, m, m]))
        const ctx = tf.matMul(tf.softmax(logits, -1), vs[hd]!) // [1, m, d_h]
        // Σ_h ctx_h·W_o[h rows] + b_o: the heads are never concatenated.
        terms.push(hd === 0 ? dense(ctx, blk.wo[0]!, blk.bo) : tf.matMul(ctx, blk.wo[hd]!))
      }
      h = tf.addN(terms)
      const f1 = dense(normalise(h, w), blk.w1, blk.b1, true)
      h = tf.add(h, dense(f1, blk.w2, blk.b2))
    })
    return tf.keep(h)
  })
  try {
    return { k, v, hLast: (hLast.dataSync() as Float32Array).slice((m - 1) * d, m * d) }
  } finally {
    hLast.dispose()
  }
}

/**
 * g = σ(s·W_s + l·W_l + w_gap·gapLog + b_g), u = g ⊙ s + (1−g) ⊙ l (model.ts `fuse`), in JS.
 */
export function fuseJs(cfg: EncoderConfig, gate: GateWeights, s: Float32Array, l: Float32Array, gapLog: number): Float32Array {
  const d = cfg.d
  const z = Float64Array.from(gate.b)
  for (let i = 0; i < d; i++) {
    const si = s[i]!
    const li = l[i]!
    const r = i * d
    for (let o = 0; o < d; o++) z[o] = z[o]! + si * gate.ws[r + o]! + li * gate.wl[r + o]!
  }
  const u = new Float32Array(d)
  for (let o = 0; o < d; o++) {
    const zo = cfg.gapGate && gate.wgap ? z[o]! + gapLog * gate.wgap[o]! : z[o]!
    const g = 1 / (1 + Math.exp(-zo))
    u[o] = g * s[o]! + (1 - g) * l[o]!
  }
  return u
}

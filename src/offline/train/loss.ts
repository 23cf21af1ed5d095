import * as tf from '@tensorflow/tfjs-core'
import type { EncoderConfig } from '../../encoder/config'
import { embedItems, forward, fuse, gatherRows, matmul, type Params } from '../../encoder/model'
import type { Batch } from './batches'

/**
 * Sampled-softmax cross-entropy of the next item (call inside `optimizer.minimize`):
 *
 *   ℓ_t = −log( exp(s⁺_t) / (exp(s⁺_t) + Σ_k exp(s_tk)) ),  s = u_t·e + bias
 *
 * with K shared uniform negatives (accidental hits masked to −10⁹). Many negatives per
 * positive converge in far fewer epochs than SASRec's BCE with one negative (Klenitskiy &
 * Vasilev 2023, "Turning Dross Into Gold Loss: is BERT4Rec really better than SASRec?";
 * Petrov & Macdonald 2023, gSASRec). `tf.losses.softmaxCrossEntropy` carries its own gradient
 * (softmax − labels), which avoids the slow broadcast `Equal` of logSumExp's max gradient on WASM.
 */
export function batchLoss(params: Params, cfg: EncoderConfig, b: Batch, dropout: number, seed: number, kind: LossKind = { loss: 'softmax' }): tf.Scalar {
  const U = b.uRows.length
  const F = cfg.featSlots
  const T = b.pos.length
  const K = b.neg.length
  const { d } = cfg
  const items = embedItems(params, cfg, {
    rows: tf.tensor1d(b.uRows, 'int32'),
    feats: tf.tensor2d(b.uFeats, [U, F], 'int32'),
    featW: tf.tensor2d(b.uFeatW, [U, F]),
  })
  const tokE = tf.reshape(gatherRows(items.e, tf.tensor1d(b.tok, 'int32')), [b.B, b.L, d])
  const out = forward(params, cfg, { e: tokE, types: tf.tensor2d(b.types, [b.B, b.L], 'int32'), times: tf.tensor2d(b.times, [b.B, b.L]) }, { dropout, seed })
  const posIdx = tf.tensor1d(b.pos, 'int32')
  const s = gatherRows(tf.reshape(out.short, [b.B * b.L, d]), posIdx)
  const l = gatherRows(tf.reshape(out.long, [b.B * b.L, d]), posIdx)
  const u = fuse(params, cfg, s, l, tf.tensor1d(b.gapLog)) as tf.Tensor2D

  const tIdx = tf.tensor1d(b.target, 'int32')
  let pos = tf.add(tf.sum(tf.mul(u, gatherRows(items.e, tIdx)), 1), gatherRows(items.bias, tIdx))
  if (b.posLogQ.length) pos = tf.sub(pos, tf.tensor1d(b.posLogQ))
  const nIdx = tf.tensor1d(b.neg, 'int32')
  const negE = gatherRows(items.e, nIdx)
  let negLogits = tf.add(tf.add(matmul(u, tf.transpose(negE)), gatherRows(items.bias, nIdx)), tf.tensor2d(b.negMask, [T, K]))
  if (b.negLogQ.length) negLogits = tf.sub(negLogits, tf.expandDims(tf.tensor1d(b.negLogQ), 0))
  if (kind.loss === 'gbce') return gbce(pos, negLogits, gbceBeta(K, kind.vocab, kind.t))
  const logits = tf.concat([tf.reshape(pos, [T, 1]), negLogits], 1)
  return firstColumnCrossEntropy(logits)
}

/**
 * The training objective. `softmax`: the sampled softmax above. `gbce`: generalised binary
 * cross-entropy (Petrov & Macdonald 2023, "gSASRec: Reducing Overconfidence in Sequential
 * Recommendation Trained with Negative Sampling"), which corrects the overconfidence that
 * sampled negatives give popular items, with calibration t over a vocabulary of `vocab` items.
 */
export type LossKind = { loss: 'softmax' } | { loss: 'gbce'; t: number; vocab: number }

/**
 * β = α·(t·(1 − 1/α) + 1/α), α = K / (V − 1): the sampling rate of K negatives out of V − 1
 * (gSASRec eq. 10). t = 0 is plain BCE (β = 1); t = 1 makes the positive's σ^β match the full
 * catalogue's probability (β = α).
 */
export function gbceBeta(K: number, V: number, t: number): number {
  const alpha = Math.min(1, K / Math.max(1, V - 1))
  return alpha * (t * (1 - 1 / alpha) + 1 / alpha)
}

/**
 * gBCE: mean_t( −β·log σ(s⁺_t) − Σ_k log(1 − σ(s⁻_tk)) ) = mean_t( β·softplus(−s⁺_t) + Σ_k softplus(s⁻_tk) ).
 * Masked negatives (−10⁹, accidental hits) contribute softplus(−10⁹) = 0.
 */
export function gbce(pos: tf.Tensor, negLogits: tf.Tensor, beta: number): tf.Scalar {
  const p = tf.mul(tf.softplus(tf.neg(pos)), beta)
  const n = tf.sum(tf.softplus(negLogits), 1)
  return tf.mean(tf.add(p, n)) as tf.Scalar
}

/**
 * mean_t( logΣ_j exp(z_tj) − z_t0 ): cross-entropy with the positive in column 0. Its gradient
 * is written out, (softmax(z) − onehot₀)/T, so the backward pass costs one softmax; the
 * generic path (logSumExp's max gradient, tf.losses' label handling) measured several large
 * elementwise kernels more on WASM.
 */
export function firstColumnCrossEntropy(logits: tf.Tensor): tf.Scalar {
  const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    save([z])
    const [T = 1, C = 1] = z.shape
    const value = tf.mean(tf.sub(tf.logSumExp(z, 1), tf.reshape(tf.slice(z, [0, 0], [T, 1]), [T])))
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const zs = saved[0]!
        const onehot = tf.concat([tf.ones([T, 1]), tf.zeros([T, C - 1])], 1)
        return [tf.mul(tf.sub(tf.softmax(zs, -1), onehot), tf.div(dy, T))]
      },
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  return f(logits) as tf.Scalar
}

import * as tf from '@tensorflow/tfjs-core'
import { FIRST_ITEM_ROW, ROW_OOV } from '../../encoder/config'
import type { Params } from '../../encoder/model'
import { mulberry32 } from '../../rng'
import { epochWindows, makeBatch } from './batches'
import type { TrainData } from './data'
import { batchLoss } from './loss'
import { Progress } from './progress'

type WeightMap = Map<string, { shape: number[]; data: Float32Array }>

export interface CalibrateOptions {
  epochs: number
  batch: number
  len: number
  negatives: number
  lr: number
  dropout: number
  idDropout: number
  seed: number
  log: (line: string) => void
  progress?: boolean
}

/**
 * Re-learn only the out-of-vocabulary row (item_emb[ROW_OOV], item_bias[ROW_OOV]) of a trained
 * model, with the trainer's fixed objective (batches.ts: ids dropped alike on inputs, targets
 * and negatives), every other weight frozen.
 *
 * Why: a model trained before that fix learned its content-only path as a positive only, so
 * every unseen item outscored the catalogue (issue 11). Retraining the whole model takes an hour
 * here; this re-fits the two parameters the defect lives in (d + 1 numbers) in a few epochs, and
 * leaves the score of every learned item, for every history of learned items, bit for bit as
 * it was. Only items without a vocabulary row, as candidates or in a history, score differently.
 *
 * The row starts from the mean of the vocabulary rows (an average learned item's id part, the
 * natural prior for an item with no evidence), then follows the sampled-softmax gradient.
 */
export async function calibrateOov(
  data: TrainData,
  weights: WeightMap,
  o: CalibrateOptions,
): Promise<{
  weights: WeightMap
  history: Array<{ epoch: number; loss: number; seconds: number }>
  start: { bias: number; norm: number }
  end: { bias: number; norm: number }
  before: { bias: number; norm: number }
}> {
  const cfg = data.cfg
  const { d } = cfg
  const V = cfg.vocabSize
  const emb = weights.get('item_emb')!.data
  const bias = weights.get('item_bias')!.data
  const mean = new Float32Array(d)
  let meanBias = 0
  for (let r = FIRST_ITEM_ROW; r < V; r++) {
    for (let k = 0; k < d; k++) mean[k]! += emb[r * d + k]! / (V - FIRST_ITEM_ROW)
    meanBias += bias[r]! / (V - FIRST_ITEM_ROW)
  }
  const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0))
  const before = { bias: bias[ROW_OOV]!, norm: norm(emb.subarray(ROW_OOV * d, (ROW_OOV + 1) * d)) }

  const frozen: Params = {}
  for (const [k, w] of weights) if (k !== 'item_emb' && k !== 'item_bias') frozen[k] = tf.tensor(w.data, w.shape)
  const embHead = tf.tensor2d(emb.subarray(0, ROW_OOV * d), [ROW_OOV, d])
  const embTail = tf.tensor2d(emb.subarray((ROW_OOV + 1) * d), [V - ROW_OOV - 1, d])
  const biasHead = tf.tensor1d(bias.subarray(0, ROW_OOV))
  const biasTail = tf.tensor1d(bias.subarray(ROW_OOV + 1))
  const oovE = tf.variable(tf.tensor2d(mean, [1, d]), true, 'oov_emb')
  const oovB = tf.variable(tf.tensor1d([meanBias]), true, 'oov_bias')
  const opt = tf.train.adam(o.lr)
  const history: Array<{ epoch: number; loss: number; seconds: number }> = []
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = Date.now()
    const rand = mulberry32((o.seed * 1_000_003 + epoch) >>> 0)
    const windows = epochWindows(data, o.len, rand)
    const steps = Math.ceil(windows.length / o.batch)
    const bar = o.progress === false ? null : new Progress(`oov epoch ${epoch}/${o.epochs}`, steps)
    let sum = 0
    for (let s = 0; s < steps; s++) {
      const batch = makeBatch(data, cfg, windows.slice(s * o.batch, (s + 1) * o.batch), o.len, { negatives: o.negatives, idDropout: o.idDropout }, rand)
      const loss = opt.minimize(
        () => {
          const params: Params = { ...frozen, item_emb: tf.concat([embHead, oovE, embTail], 0), item_bias: tf.concat([biasHead, oovB, biasTail], 0) }
          return batchLoss(params, cfg, batch, o.dropout, (epoch * 100_003 + s) >>> 0)
        },
        true,
        [oovE, oovB],
      )!
      const v = loss.dataSync()[0]!
      loss.dispose()
      if (!Number.isFinite(v)) throw new Error(`OOV calibration diverged: loss ${v} at epoch ${epoch}, step ${s}`)
      sum += v
      bar?.update(s + 1, `loss ${(sum / (s + 1)).toFixed(4)}`)
      if (s % 8 === 0) await new Promise((r) => setImmediate(r))
    }
    bar?.done(`loss ${(sum / steps).toFixed(4)}`)
    const b = oovB.dataSync()[0]!
    history.push({ epoch, loss: sum / steps, seconds: (Date.now() - t0) / 1000 })
    o.log(`oov epoch ${epoch}: loss ${(sum / steps).toFixed(4)}, OOV bias ${b.toFixed(3)}, |e| ${norm(oovE.dataSync()).toFixed(3)}, ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  const newEmb = emb.slice()
  newEmb.set(oovE.dataSync() as Float32Array, ROW_OOV * d)
  const newBias = bias.slice()
  newBias[ROW_OOV] = oovB.dataSync()[0]!
  const out: WeightMap = new Map(weights)
  out.set('item_emb', { shape: weights.get('item_emb')!.shape, data: newEmb })
  out.set('item_bias', { shape: weights.get('item_bias')!.shape, data: newBias })
  for (const t of [...Object.values(frozen), embHead, embTail, biasHead, biasTail, oovE, oovB]) t.dispose()
  opt.dispose()
  return { weights: out, history, before, start: { bias: meanBias, norm: norm(mean) }, end: { bias: newBias[ROW_OOV]!, norm: norm(newEmb.subarray(ROW_OOV * d, (ROW_OOV + 1) * d)) } }
}

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type { EncoderConfig } from '../../encoder/config'
import { initWeights, paramShapes, type Params } from '../../encoder/model'
import { mulberry32 } from '../../rng'
import { decodeWeights, encodeWeights, type NamedWeight, type WeightSpec } from '../../encoder/weights'
import type { Split } from '../protocol/split'
import { epochWindows, makeBatch } from './batches'
import type { TrainData } from './data'
import { evaluate, type EvalResult } from './evaluate'
import { batchLoss, type LossKind } from './loss'
import { fmt, Progress } from './progress'

export interface TrainOptions {
  epochs: number
  batch: number
  /** Training window length. */
  len: number
  negatives: number
  /** Add the batch's items as log-Q-corrected negatives (mixed negative sampling). */
  inBatch?: boolean
  /** Objective: the sampled softmax (default) or gSASRec's gBCE (loss.ts). */
  loss?: 'softmax' | 'gbce'
  /** gBCE calibration t (0.75 as in gSASRec). */
  gbceT?: number
  lr: number
  dropout: number
  idDropout: number
  seed: number
  /** Validate every n epochs (and at the last one). */
  evalEvery: number
  /** Stop after this many validations without a better validation NDCG@10. */
  patience: number
  /** Stop (keeping the best so far) once this many minutes have passed. */
  maxMinutes: number
  /** Negative-sampling seed of the protocol (the harness's --seed). */
  protocolSeed: number
  /** Evaluate validation on the first n users only (0 = all); the fixture test uses it. */
  valUsers: number
  /** Checkpoint directory (state.json, params.bin, adam.bin, best.bin); '' = none. */
  checkpoint: string
  resume: boolean
  log: (line: string) => void
  /** Draw the progress bar on stderr (default true). */
  progress?: boolean
  /**
   * Polled between steps (the loop yields to the event loop every few steps so that signal
   * handlers get to run): true stops the run at once, without writing the unfinished epoch, so
   * the checkpoint on disk stays the last completed epoch's.
   */
  shouldStop?: () => boolean
}

export interface EpochRecord {
  epoch: number
  loss: number
  seconds: number
  steps: number
  tokens: number
  val?: EvalResult
}

export interface TrainResult {
  best: Map<string, { shape: number[]; data: Float32Array }>
  bestEpoch: number
  bestVal: EvalResult | null
  history: EpochRecord[]
  stoppedBy: 'epochs' | 'patience' | 'time' | 'signal'
  seconds: number
}

interface State {
  epoch: number
  bestEpoch: number
  bestVal: EvalResult | null
  sinceBest: number
  history: EpochRecord[]
  seconds: number
  paramSpecs: WeightSpec[]
  adamSpecs: WeightSpec[]
  bestSpecs: WeightSpec[]
  config: EncoderConfig
}

function snapshot(params: Params): Map<string, { shape: number[]; data: Float32Array }> {
  const m = new Map<string, { shape: number[]; data: Float32Array }>()
  for (const [k, t] of Object.entries(params)) m.set(k, { shape: t.shape.slice(), data: (t.dataSync() as Float32Array).slice() })
  return m
}

function toNamed(m: ReadonlyMap<string, { shape: number[]; data: Float32Array }>): NamedWeight[] {
  return [...m].map(([name, w]) => ({ name, shape: w.shape, data: w.data }))
}

/** Write a file atomically (write + rename), so an interrupted checkpoint never corrupts the last good one. */
function atomicWrite(path: string, data: Uint8Array | string): void {
  writeFileSync(path + '.tmp', data)
  renameSync(path + '.tmp', path)
}

async function saveCheckpoint(
  dir: string,
  state: Omit<State, 'paramSpecs' | 'adamSpecs' | 'bestSpecs'>,
  params: Params,
  opt: tf.AdamOptimizer,
  best: Map<string, { shape: number[]; data: Float32Array }>,
): Promise<void> {
  mkdirSync(dir, { recursive: true })
  const p = encodeWeights(toNamed(snapshot(params)))
  const adamTensors = await opt.getWeights()
  const adam = encodeWeights(adamTensors.map((w) => ({ name: w.name, shape: w.tensor.shape.slice(), data: Float32Array.from(w.tensor.dataSync()) })))
  const b = encodeWeights(toNamed(best))
  atomicWrite(join(dir, 'params.bin'), p.data)
  atomicWrite(join(dir, 'adam.bin'), adam.data)
  atomicWrite(join(dir, 'best.bin'), b.data)
  const full: State = { ...state, paramSpecs: p.specs, adamSpecs: adam.specs, bestSpecs: b.specs }
  atomicWrite(join(dir, 'state.json'), JSON.stringify(full))
}

function loadState(dir: string): State | null {
  const f = join(dir, 'state.json')
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as State) : null
}

/**
 * Train the encoder: Adam on the sampled-softmax loss over shuffled windows, validation
 * NDCG@10 (uniform-100 protocol) every `evalEvery` epochs, early stopping with `patience`,
 * and a checkpoint after every epoch (resume continues from it; the epoch RNG streams are keyed
 * by (seed, epoch), so a resumed run draws the same windows, negatives and dropout masks).
 */
export async function train(data: TrainData, split: Split, o: TrainOptions): Promise<TrainResult> {
  const cfg = data.cfg
  const started = Date.now()
  let prior: State | null = o.resume && o.checkpoint ? loadState(o.checkpoint) : null
  if (prior && JSON.stringify(prior.config) !== JSON.stringify(cfg)) {
    o.log(`checkpoint ${o.checkpoint} was made with another config; starting afresh`)
    prior = null
  }
  const init = prior ? decodeWeights(prior.paramSpecs, new Uint8Array(readFileSync(join(o.checkpoint, 'params.bin')))) : null
  const params: Params = {}
  const w0 = initWeights(cfg, o.seed)
  for (const [name, shape] of paramShapes(cfg)) {
    const w = init?.get(name) ?? w0.get(name)!
    params[name] = tf.variable(tf.tensor(w.data, shape), true, name)
  }
  const opt = tf.train.adam(o.lr)
  if (prior) {
    const adam = decodeWeights(prior.adamSpecs, new Uint8Array(readFileSync(join(o.checkpoint, 'adam.bin'))))
    await opt.setWeights([...adam.values()].map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape) })))
  }
  let best = prior
    ? new Map([...decodeWeights(prior.bestSpecs, new Uint8Array(readFileSync(join(o.checkpoint, 'best.bin'))))].map(([k, w]) => [k, { shape: w.shape, data: w.data }]))
    : snapshot(params)
  let bestEpoch = prior?.bestEpoch ?? 0
  let bestVal = prior?.bestVal ?? null
  let sinceBest = prior?.sinceBest ?? 0
  const history: EpochRecord[] = prior?.history ?? []
  const priorSeconds = prior?.seconds ?? 0
  let stoppedBy: TrainResult['stoppedBy'] = 'epochs'
  const kind: LossKind = o.loss === 'gbce' ? { loss: 'gbce', t: o.gbceT ?? 0.75, vocab: data.vocabCatalogue.length } : { loss: 'softmax' }
  if (prior) o.log(`resumed from ${o.checkpoint} after epoch ${prior.epoch} (best ${bestVal?.ndcg10.toFixed(4) ?? '-'} at epoch ${bestEpoch})`)

  for (let epoch = (prior?.epoch ?? 0) + 1; epoch <= o.epochs; epoch++) {
    const t0 = Date.now()
    const rand = mulberry32((o.seed * 1_000_003 + epoch) >>> 0)
    const windows = epochWindows(data, o.len, rand)
    const steps = Math.ceil(windows.length / o.batch)
    const bar = o.progress === false ? null : new Progress(`epoch ${epoch}/${o.epochs}`, steps)
    let lossSum = 0
    let tokens = 0
    let stopped = false
    for (let s = 0; s < steps; s++) {
      // A training step is synchronous: yield now and then, or SIGINT/SIGTERM handlers never run.
      if (o.shouldStop && s % 4 === 0) {
        await new Promise((r) => setImmediate(r))
        if (o.shouldStop()) {
          stopped = true
          break
        }
      }
      const batch = makeBatch(data, cfg, windows.slice(s * o.batch, (s + 1) * o.batch), o.len, { negatives: o.negatives, idDropout: o.idDropout, inBatch: o.inBatch === true }, rand)
      tokens += batch.tokens
      const loss = opt.minimize(() => batchLoss(params, cfg, batch, o.dropout, (epoch * 100_003 + s) >>> 0, kind), true, Object.values(params) as tf.Variable[])!
      const v = loss.dataSync()[0]!
      loss.dispose()
      if (!Number.isFinite(v)) throw new Error(`training diverged: loss ${v} at epoch ${epoch}, step ${s}`)
      lossSum += v
      bar?.update(s + 1, `loss ${(lossSum / (s + 1)).toFixed(4)}`)
    }
    if (stopped) {
      stoppedBy = 'signal'
      o.log(`stopped in epoch ${epoch}; ${o.checkpoint ? `the checkpoint of epoch ${epoch - 1} stays in ${o.checkpoint}` : 'no checkpoint was kept (--checkpoint none)'}`)
      break
    }
    bar?.done(`loss ${(lossSum / steps).toFixed(4)}`)
    const rec: EpochRecord = { epoch, loss: lossSum / steps, seconds: (Date.now() - t0) / 1000, steps, tokens }
    const elapsedMin = (priorSeconds + (Date.now() - started) / 1000) / 60
    const outOfTime = elapsedMin >= o.maxMinutes
    if (epoch % o.evalEvery === 0 || epoch === o.epochs || outOfTime) {
      const te = Date.now()
      rec.val = evaluate(params, cfg, data, split, 'val', 'uniform', o.protocolSeed, o.valUsers ? { limitUsers: o.valUsers } : {})
      const improved = !bestVal || rec.val.ndcg10 > bestVal.ndcg10
      if (improved) {
        best = snapshot(params)
        bestEpoch = epoch
        bestVal = rec.val
        sinceBest = 0
      } else sinceBest++
      o.log(
        `epoch ${epoch}: loss ${rec.loss.toFixed(4)}, ${rec.seconds.toFixed(1)} s train + ${((Date.now() - te) / 1000).toFixed(1)} s val; ` +
          `val HR@10 ${rec.val.hr10.toFixed(4)} NDCG@10 ${rec.val.ndcg10.toFixed(4)}${improved ? ' (best)' : ''}; elapsed ${fmt(elapsedMin * 60)}`,
      )
    } else {
      o.log(`epoch ${epoch}: loss ${rec.loss.toFixed(4)}, ${rec.seconds.toFixed(1)} s; elapsed ${fmt(elapsedMin * 60)}`)
    }
    history.push(rec)
    const seconds = priorSeconds + (Date.now() - started) / 1000
    if (o.checkpoint) await saveCheckpoint(o.checkpoint, { epoch, bestEpoch, bestVal, sinceBest, history, seconds, config: cfg }, params, opt, best)
    if (sinceBest >= o.patience) {
      stoppedBy = 'patience'
      break
    }
    if (outOfTime) {
      stoppedBy = 'time'
      break
    }
  }
  for (const v of Object.values(params)) v.dispose()
  opt.dispose()
  return { best, bestEpoch, bestVal, history, stoppedBy, seconds: priorSeconds + (Date.now() - started) / 1000 }
}

/** Tensors (not variables) from a weight map, for evaluation and the runtime. */
export function paramsFrom(values: ReadonlyMap<string, { shape: number[]; data: Float32Array }>): Params {
  const p: Params = {}
  for (const [k, w] of values) p[k] = tf.tensor(w.data, w.shape)
  return p
}

/**
 * `npm run train -- [options]`: train the encoder on a dataset, select on validation, report
 * test figures under the three protocols, and export the browser artifact.
 *
 *   --data DIR          dataset (default ../shared/datasets/movielens-latest-small)
 *   --out DIR           export directory (default public/model); --no-export to skip
 *   --epochs N          maximum epochs (default 200)          --max-minutes M  time budget (55)
 *   --len N             training window (64)                 --batch N        windows per step (32)
 *   --negatives N       shared sampled negatives (256)       --lr X           Adam rate (0.001)
 *   --in-batch          also use the batch's items as log-Q-corrected negatives (mixed sampling)
 *   --dropout X         (0.2)   --id-dropout X (0.1)         --seed N         (1)
 *   --eval-every N      validate every N epochs (3)          --patience N     validations (5)
 *   --eval-lens A,B     inference context lengths compared on validation (50,100,200)
 *   --d N --heads N --blocks N --ffn N                       model size (64, 2, 2, 128)
 *   --feat-buckets N    rows of the hashed content-feature table (4096)
 *   --no-time           ablation: no time-decay bias         --no-gap         no gap-to-now gate input
 *   --quantize Q        float32 | float16 | uint8 (float16)
 *   --checkpoint DIR    (checkpoints/encoder); --resume to continue from it
 *   --protocol-seed N   negative-sampling seed of the protocol (42, as the eval harness)
 *   --report FILE       JSON report (checkpoints/encoder-report.json)
 *   --backend wasm|cpu  (wasm)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { DEFAULT_CONFIG, type EncoderConfig } from '../../encoder/config'
import { countParams } from '../../encoder/model'
import { DEFAULT_MOVIELENS_DIR, loadDataset } from '../data'
import { leaveOneOut } from '../protocol'
import { PROTOCOLS } from '../protocol/candidates'
import { buildTrainData } from './data'
import { evaluate, type EvalResult } from './evaluate'
import { exportModel, GROUPLENS_NOTICE, readModel, writeLicenseSection } from './export'
import { fmt } from './progress'
import { initTf, tf } from './tf-node'
import { paramsFrom, train, type TrainOptions } from './trainer'
import type { Quantization } from '../../encoder/weights'

type Args = Map<string, string | true>

export function parseArgs(argv: ReadonlyArray<string>): Args {
  const a: Args = new Map()
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!
    if (!k.startsWith('--')) throw new Error(`unexpected argument ${k}`)
    const next = argv[i + 1]
    if (next !== undefined && !next.startsWith('--')) {
      a.set(k.slice(2), next)
      i++
    } else a.set(k.slice(2), true)
  }
  return a
}

function num(a: Args, k: string, def: number): number {
  const v = a.get(k)
  if (v === undefined) return def
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`--${k} expects a number, got ${String(v)}`)
  return n
}
function str(a: Args, k: string, def: string): string {
  const v = a.get(k)
  return typeof v === 'string' ? v : def
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2))
  const log = (s: string) => process.stderr.write(s + '\n')
  const backend = str(a, 'backend', 'wasm') as 'wasm' | 'cpu'
  log(`tfjs backend: ${await initTf(backend)}`)
  const dataDir = str(a, 'data', DEFAULT_MOVIELENS_DIR)
  const t0 = Date.now()
  const ds = loadDataset(dataDir)
  const split = leaveOneOut(ds)
  const base: Omit<EncoderConfig, 'vocabSize'> = {
    ...DEFAULT_CONFIG,
    d: num(a, 'd', DEFAULT_CONFIG.d),
    heads: num(a, 'heads', DEFAULT_CONFIG.heads),
    blocks: num(a, 'blocks', DEFAULT_CONFIG.blocks),
    ffn: num(a, 'ffn', DEFAULT_CONFIG.ffn),
    featBuckets: num(a, 'feat-buckets', DEFAULT_CONFIG.featBuckets),
    timeBias: !a.has('no-time'),
    gapGate: !a.has('no-gap'),
  }
  const data = buildTrainData(ds, split, base)
  log(
    `data: ${ds.name}, ${split.users.length} users (${split.evalUsers} evaluated), ${data.catalogue.length} items, vocabulary ${data.vocab.length}; ` +
      `model ${countParams(data.cfg).toLocaleString('en')} parameters; loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  )
  const protocolSeed = num(a, 'protocol-seed', 42)
  const opts: TrainOptions = {
    epochs: num(a, 'epochs', 200),
    batch: num(a, 'batch', 32),
    len: num(a, 'len', 64),
    negatives: num(a, 'negatives', 256),
    inBatch: a.has('in-batch'),
    lr: num(a, 'lr', 0.001),
    dropout: num(a, 'dropout', 0.2),
    idDropout: num(a, 'id-dropout', 0.1),
    seed: num(a, 'seed', 1),
    evalEvery: num(a, 'eval-every', 3),
    patience: num(a, 'patience', 5),
    maxMinutes: num(a, 'max-minutes', 55),
    protocolSeed,
    valUsers: num(a, 'val-users', 0),
    checkpoint: a.get('checkpoint') === true ? '' : str(a, 'checkpoint', 'checkpoints/encoder'),
    resume: a.has('resume'),
    log,
  }
  const r = await train(data, split, opts)
  log(`training stopped by ${r.stoppedBy} after ${fmt(r.seconds)}; best epoch ${r.bestEpoch}`)

  // Select the inference context length on validation, then report test once.
  const lens = str(a, 'eval-lens', '50,100,200').split(',').map(Number)
  const params = paramsFrom(r.best)
  const valByLen: Record<string, EvalResult> = {}
  let bestLen = lens[0]!
  for (const L of lens) {
    valByLen[L] = evaluate(params, data.cfg, data, split, 'val', 'uniform', protocolSeed, { maxLen: L })
    log(`val (uniform) with context ${L}: HR@10 ${valByLen[L].hr10.toFixed(4)} NDCG@10 ${valByLen[L].ndcg10.toFixed(4)}`)
    if (valByLen[L].ndcg10 > valByLen[bestLen]!.ndcg10) bestLen = L
  }
  const cfg: EncoderConfig = { ...data.cfg, maxLen: bestLen }
  for (const t of Object.values(params)) t.dispose()

  const quantization = str(a, 'quantize', 'float16') as Quantization
  const out = str(a, 'out', 'public/model')
  const report: Record<string, unknown> = {
    dataset: ds.name,
    data: dataDir,
    config: cfg,
    parameters: countParams(cfg),
    options: { ...opts, log: undefined },
    stoppedBy: r.stoppedBy,
    trainSeconds: r.seconds,
    bestEpoch: r.bestEpoch,
    history: r.history,
    valByContext: valByLen,
    quantization,
  }
  // Test figures come from the weights as shipped (quantised, read back from disk).
  let shipped = r.best
  if (!a.has('no-export')) {
    const exp = await exportModel(out, cfg, data.vocab, r.best, {
      quantization,
      license: GROUPLENS_NOTICE,
      training: { dataset: ds.name, bestEpoch: r.bestEpoch, val: valByLen[bestLen], trainSeconds: Math.round(r.seconds) },
    })
    log(`exported ${out}/model.json (${exp.modelJsonBytes} B) + weights.bin (${exp.weightBytes} B); pin it with modelSha256 / data-model-sha256 = ${exp.modelSha256} (weights alone: ${exp.sha256})`)
    report.export = exp
    if (/movielens/i.test(ds.name) || /movielens/i.test(dataDir)) {
      writeLicenseSection(out, { dataset: dataDir.split('/').filter(Boolean).pop() ?? ds.name, users: split.users.length, parameters: countParams(cfg), sha256: exp.sha256 })
    }
    const back = await readModel(out)
    shipped = new Map([...back.weights].map(([k, w]) => [k, { shape: w.shape, data: w.data }]))
  }
  const sp = paramsFrom(shipped)
  const test: Record<string, EvalResult> = {}
  for (const p of PROTOCOLS) {
    test[p] = evaluate(sp, cfg, data, split, 'test', p, protocolSeed)
    log(`test (${p}): HR@10 ${test[p].hr10.toFixed(4)} NDCG@10 ${test[p].ndcg10.toFixed(4)} MRR ${test[p].mrr.toFixed(4)}`)
  }
  report.valShipped = evaluate(sp, cfg, data, split, 'val', 'uniform', protocolSeed)
  report.test = test
  for (const t of Object.values(sp)) t.dispose()
  const reportPath = str(a, 'report', 'checkpoints/encoder-report.json')
  mkdirSync(dirname(reportPath), { recursive: true })
  writeFileSync(reportPath, JSON.stringify(report, null, 2))
  log(`report: ${reportPath}; tensors left ${tf.memory().numTensors}`)
}

main().catch((err: unknown) => {
  process.stderr.write(`train: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})

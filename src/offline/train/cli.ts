/**
 * `npm run train -- --out DIR [flags]`: train the encoder (TensorFlow.js, WASM backend) on a
 * dataset, select on validation, report test figures under the three protocols, and export the
 * browser artifact. `--help` lists the flags. For logs that outgrow one process, see
 * `npm run train:torch` (src/offline/torch/), the same model and recipe on PyTorch.
 *
 * As a CLI: unknown flags are errors that name them; a bad path is one line on stderr (exit 1),
 * a usage error one line (exit 2); `--out` is required and an existing model (public/model
 * included) is only overwritten with `--force`; checkpoints go to a new per-run directory under
 * the OS temp dir unless `--checkpoint` says otherwise; SIGINT/SIGTERM stop at the next step,
 * keeping the last completed epoch's checkpoint (exit 130; `--resume` continues from it).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_CONFIG, type EncoderConfig } from '../../encoder/config'
import { countParams } from '../../encoder/model'
import type { Quantization } from '../../encoder/weights'
import { leaveOneOut } from '../protocol'
import { PROTOCOLS } from '../protocol/candidates'
import { checkOutDir, DATASET_FLAGS, DATASET_HELP, describeError, loadFromFlags, parseFlags, runDir, TRAINER_FLAGS, UsageError, type Flags, type FlagSpec } from './cli-common'
import { buildTrainData } from './data'
import type { EvalResult } from './evaluate'
import { exportModel, readModel, writeLicenseSection } from './export'
import { licenseFor } from './license'
import { fmt } from './progress'

const HELP = `npm run train -- --out DIR [flags]

Train the LocalRank encoder (TensorFlow.js, WASM backend, one process), select it on validation,
report test HR@10 / NDCG@10 / MRR (uniform-100, popularity-100, full), and export model.json +
weights.bin. For a log too large for one process: npm run train:torch (src/offline/torch/README.md).

Data
${DATASET_HELP}

Output
  --out DIR             export directory (required unless --no-export); a directory that holds a
                        model.json, or public/model (the shipped model), needs --force
  --force               allow overwriting an existing model
  --no-export           train and report without exporting
  --quantize Q          float32 | float16 | uint8 (float16)
  --report FILE         JSON report (default: <checkpoint dir>/report.json)
  --checkpoint DIR      checkpoint directory (default: a new per-run directory under the OS temp
                        dir, printed at the start; "none" = no checkpoints)
  --resume              continue from --checkpoint

Recipe (defaults: run a of src/offline/train/runs/README.md, the shipped model)
  --epochs N            maximum epochs (200)            --max-minutes M  time budget (55)
  --len N               training window (64)            --batch N        windows per step (32)
  --negatives N         shared sampled negatives (256)  --lr X           Adam rate (0.001)
  --in-batch            also use the batch's items as log-Q-corrected negatives (mixed sampling)
  --loss L              softmax (sampled softmax, default) | gbce (gSASRec's generalised BCE,
                        TypeScript trainer only)          --gbce-t X  gBCE calibration (0.75)
  --dropout X (0.2)     --id-dropout X (0.1)            --seed N (1)
  --eval-every N        validate every N epochs (3)     --patience N     validations (5)
  --eval-lens A,B       inference context lengths compared on validation (50,100,200)
  --val-users N         validate on the first N users only (0 = all)
  --d N --heads N --blocks N --ffn N                    model size (64, 2, 2, 128)
  --feat-buckets N      rows of the hashed content-feature table (4096)
  --no-time             ablation: no time-decay bias    --no-gap  no gap-to-now gate input
  --protocol-seed N     negative-sampling seed of the protocol (42, as the eval harness)
  --backend wasm|cpu    (wasm)
  --help`

const SPEC: FlagSpec = {
  ...DATASET_FLAGS,
  ...TRAINER_FLAGS,
  'val-users': 'number',
  backend: 'string',
}

function intFlag(f: Flags, k: string, def: number, min = 1): number {
  const v = (f[k] as number | undefined) ?? def
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${k} must be an integer ≥ ${min} (got ${v})`)
  return v
}

function numFlag(f: Flags, k: string, def: number, lo: number, hi: number): number {
  const v = (f[k] as number | undefined) ?? def
  if (!(v >= lo && v <= hi)) throw new UsageError(`--${k} must be between ${lo} and ${hi} (got ${v})`)
  return v
}

export async function main(argv: string[], log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const f = parseFlags(argv, SPEC)
  if (f.help) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  // Everything that can be checked without data is checked first, so a typo fails in a second.
  const noExport = f['no-export'] === true
  const out = f.out as string | undefined
  if (!out && !noExport) throw new UsageError('--out DIR is required (a new directory; --force to overwrite a model; or --no-export)')
  if (out && !noExport) checkOutDir(out, f.force === true)
  const quantization = ((f.quantize as string | undefined) ?? 'float16') as Quantization
  if (!['float32', 'float16', 'uint8'].includes(quantization)) throw new UsageError(`--quantize must be float32, float16 or uint8 (got "${quantization}")`)
  const backend = (f.backend as string | undefined) ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'cpu') throw new UsageError(`--backend must be wasm or cpu (got "${backend}")`)
  const lens = ((f['eval-lens'] as string | undefined) ?? '50,100,200').split(',').map(Number)
  if (!lens.length || lens.some((L) => !Number.isInteger(L) || L < 1)) throw new UsageError(`--eval-lens must be comma-separated integers ≥ 1 (got "${String(f['eval-lens'])}")`)
  const ck = f.checkpoint as string | undefined
  if (f.resume && !ck) throw new UsageError('--resume needs --checkpoint DIR (the run to continue)')
  const checkpoint = ck === 'none' ? '' : (ck ?? join(runDir('tfjs'), 'checkpoint'))
  const reportPath = (f.report as string | undefined) ?? join(checkpoint || runDir('tfjs'), 'report.json')
  const base: Omit<EncoderConfig, 'vocabSize'> = {
    ...DEFAULT_CONFIG,
    d: intFlag(f, 'd', DEFAULT_CONFIG.d),
    heads: intFlag(f, 'heads', DEFAULT_CONFIG.heads),
    blocks: intFlag(f, 'blocks', DEFAULT_CONFIG.blocks),
    ffn: intFlag(f, 'ffn', DEFAULT_CONFIG.ffn),
    featBuckets: intFlag(f, 'feat-buckets', DEFAULT_CONFIG.featBuckets, 2),
    timeBias: f['no-time'] !== true,
    gapGate: f['no-gap'] !== true,
  }
  if (base.d % base.heads !== 0) throw new UsageError(`--d ${base.d} must be a multiple of --heads ${base.heads}`)
  const protocolSeed = intFlag(f, 'protocol-seed', 42, 0)
  const lossName = (f.loss as string | undefined) ?? 'softmax'
  if (lossName !== 'softmax' && lossName !== 'gbce') throw new UsageError(`--loss must be softmax or gbce (got "${lossName}")`)
  if (lossName === 'gbce' && f['in-batch'] === true) throw new UsageError('--in-batch is log-Q-corrected sampled softmax; gBCE corrects sampling by its own β (use one or the other)')
  const gbceT = numFlag(f, 'gbce-t', 0.75, 0, 1)

  // Stop on SIGINT/SIGTERM at the next step boundary (a second signal kills at once).
  let signal: NodeJS.Signals | null = null
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) process.exit(s === 'SIGINT' ? 130 : 143)
    signal = s
    log(`${s}: stopping at the next step${checkpoint ? `; the last completed epoch stays in ${checkpoint}` : ''}`)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const t0 = Date.now()
    const { ds, path } = loadFromFlags(f, log)
    const lic = licenseFor(ds, path, { ...(f.license !== undefined ? { text: f.license as string } : {}), ...(f['license-file'] !== undefined ? { file: f['license-file'] as string } : {}) })
    if (lic.warning) log(`warning: ${lic.warning}`)
    const split = leaveOneOut(ds)
    const data = buildTrainData(ds, split, base)
    if (data.vocab.length === 0) throw new UsageError(`${path}: no training interactions (users need at least one event before their validation item)`)
    // tfjs loads only now: --help and flag errors stay fast.
    const { initTf, tf } = await import('./tf-node')
    const { evaluate } = await import('./evaluate')
    const { paramsFrom, train } = await import('./trainer')
    log(`tfjs backend: ${await initTf(backend)}`)
    log(
      `data: ${ds.name}, ${split.users.length} users (${split.evalUsers} evaluated), ${data.catalogue.length} items, vocabulary ${data.vocab.length}; ` +
        `model ${countParams(data.cfg).toLocaleString('en')} parameters; loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s; checkpoints: ${checkpoint || 'none'}`,
    )
    const opts = {
      epochs: intFlag(f, 'epochs', 200),
      batch: intFlag(f, 'batch', 32),
      len: intFlag(f, 'len', 64, 2),
      negatives: intFlag(f, 'negatives', 256),
      inBatch: f['in-batch'] === true,
      loss: lossName as 'softmax' | 'gbce',
      gbceT,
      lr: numFlag(f, 'lr', 0.001, 1e-9, 10),
      dropout: numFlag(f, 'dropout', 0.2, 0, 0.95),
      idDropout: numFlag(f, 'id-dropout', 0.1, 0, 1),
      seed: intFlag(f, 'seed', 1, 0),
      evalEvery: intFlag(f, 'eval-every', 3),
      patience: intFlag(f, 'patience', 5),
      maxMinutes: numFlag(f, 'max-minutes', 55, 0, 1e7),
      protocolSeed,
      valUsers: intFlag(f, 'val-users', 0, 0),
      checkpoint,
      resume: f.resume === true,
      log,
      shouldStop: () => signal !== null,
    }
    const r = await train(data, split, opts)
    if (r.stoppedBy === 'signal') {
      log(`stopped by ${signal}; ${checkpoint ? `resume with --checkpoint ${checkpoint} --resume` : 'nothing was kept'}`)
      return 130
    }
    log(`training stopped by ${r.stoppedBy} after ${fmt(r.seconds)}; best epoch ${r.bestEpoch}`)

    // Select the inference context length on validation, then report test once.
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

    const report: Record<string, unknown> = {
      trainer: 'tfjs',
      dataset: ds.name,
      data: path,
      license: lic.source,
      config: cfg,
      parameters: countParams(cfg),
      options: { ...opts, log: undefined, shouldStop: undefined },
      stoppedBy: r.stoppedBy,
      trainSeconds: r.seconds,
      bestEpoch: r.bestEpoch,
      history: r.history,
      valByContext: valByLen,
      quantization,
    }
    // Test figures come from the weights as shipped (quantised, read back from disk).
    let shipped = r.best
    if (!noExport) {
      const exp = await exportModel(out!, cfg, data.vocab, r.best, {
        quantization,
        license: lic.text,
        training: { dataset: ds.name, trainer: 'tfjs', bestEpoch: r.bestEpoch, val: valByLen[bestLen], trainSeconds: Math.round(r.seconds) },
      })
      log(`exported ${out}/model.json (${exp.modelJsonBytes} B) + weights.bin (${exp.weightBytes} B); pin it with modelSha256 / data-model-sha256 = ${exp.modelSha256} (weights alone: ${exp.sha256})`)
      report.export = exp
      if (ds.name.startsWith('movielens') && lic.source.endsWith('(GroupLens terms)')) {
        writeLicenseSection(out!, { dataset: path.split('/').filter(Boolean).pop() ?? ds.name, users: split.users.length, parameters: countParams(cfg), sha256: exp.sha256 })
      }
      const back = await readModel(out!)
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
    mkdirSync(dirname(reportPath), { recursive: true })
    writeFileSync(reportPath, JSON.stringify(report, null, 2))
    log(`report: ${reportPath}; tensors left ${tf.memory().numTensors}`)
    return 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const d = describeError(err)
      process.stderr.write(`train: ${d.line}\n`)
      process.exit(d.code)
    },
  )
}

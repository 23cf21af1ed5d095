/**
 * `node --import tsx src/offline/train/calibrate-cli.ts --model DIR --out DIR [flags]`: re-learn only the
 * out-of-vocabulary row of a trained model (calibrate-oov.ts) on the data it was trained on, and
 * export it. For models trained before the content-only path was trained as a negative (issue
 * 11): their unseen items outscore the whole catalogue. Every learned item's embedding and bias
 * is copied unchanged. Reports test/validation NDCG@10 under the three protocols and the unseen
 * items per top 10, before and after, from the weights as exported.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EncoderConfig } from '../../encoder/config'
import type { Quantization } from '../../encoder/weights'
import { leaveOneOut } from '../protocol'
import { PROTOCOLS } from '../protocol/candidates'
import type { Split } from '../protocol/split'
import { checkOutDir, DATASET_FLAGS, DATASET_HELP, describeError, loadFromFlags, parseFlags, runDir, UsageError, type FlagSpec } from './cli-common'
import { buildTrainData, type TrainData } from './data'
import { exportModel, readModel, writeLicenseSection } from './export'

const HELP = `node --import tsx src/offline/train/calibrate-cli.ts --model DIR --out DIR [flags]

Re-learn only the out-of-vocabulary row of a trained encoder (every other weight frozen) with
the trainer's objective, on the data the model was trained on, and export the result. Learned
items keep their scores exactly; unseen items are scored from their content on the scale of
learned items.

Data (the model's training data: its vocabulary must come out the same)
${DATASET_HELP}

  --model DIR           the trained model (model.json + weights)
  --out DIR             export directory; a directory holding a model.json, or public/model, needs --force
  --force               allow overwriting an existing model
  --epochs N            passes over the training windows (3)
  --lr X                Adam rate (0.01)
  --id-dropout X        share of ids dropped (0.1, the trainer's default)
  --seed N (1)          --report FILE (default: <run dir>/report.json)
  --help`

const SPEC: FlagSpec = {
  ...DATASET_FLAGS,
  model: 'string',
  out: 'string',
  force: 'boolean',
  epochs: 'number',
  lr: 'number',
  'id-dropout': 'number',
  seed: 'number',
  report: 'string',
  help: 'boolean',
}

type WeightMap = Map<string, { shape: number[]; data: Float32Array }>

export async function main(argv: string[], log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const f = parseFlags(argv, SPEC)
  if (f.help) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  const modelDir = f.model as string | undefined
  const out = f.out as string | undefined
  if (!modelDir) throw new UsageError('--model DIR is required (the trained model to calibrate)')
  if (!out) throw new UsageError('--out DIR is required')
  if (resolve(out) !== resolve(modelDir)) checkOutDir(out, f.force === true)
  else if (f.force !== true) throw new UsageError(`--out ${out} is --model: pass --force to replace it`)
  const epochs = (f.epochs as number | undefined) ?? 3
  const lr = (f.lr as number | undefined) ?? 0.01
  const idDropout = (f['id-dropout'] as number | undefined) ?? 0.1
  const seed = (f.seed as number | undefined) ?? 1
  if (!Number.isInteger(epochs) || epochs < 1) throw new UsageError(`--epochs must be an integer ≥ 1 (got ${epochs})`)
  if (!(lr > 0)) throw new UsageError(`--lr must be > 0 (got ${lr})`)
  if (!(idDropout > 0 && idDropout < 1)) throw new UsageError(`--id-dropout must be between 0 and 1, exclusive (got ${idDropout}): the row is learned from dropped ids`)
  const reportPath = (f.report as string | undefined) ?? join(runDir('calibrate-oov'), 'report.json')

  const model = await readModel(modelDir)
  const { ds, path } = loadFromFlags(f, log)
  const split = leaveOneOut(ds)
  const cfg: EncoderConfig = model.artifact.config
  const data = buildTrainData(ds, split, cfg)
  if (data.vocab.length !== model.artifact.vocab.length || data.vocab.some((id, i) => id !== model.artifact.vocab[i])) {
    throw new UsageError(`${path} is not the data ${modelDir} was trained on: its vocabulary differs (${data.vocab.length} vs ${model.artifact.vocab.length} items)`)
  }
  data.cfg = cfg
  const { initTf, tf } = await import('./tf-node')
  const { calibrateOov } = await import('./calibrate-oov')
  log(`tfjs backend: ${await initTf('wasm')}`)
  const w0: WeightMap = new Map([...model.weights].map(([k, w]) => [k, { shape: w.shape, data: w.data }]))
  const t0 = Date.now()
  const before = await figures(data, split, cfg, w0)
  log(`before: ${line(before)}`)
  const c = await calibrateOov(data, w0, { epochs, batch: 32, len: 64, negatives: 256, lr, dropout: 0.2, idDropout, seed, log })
  const quantization = (model.artifact.weightsManifest[0]?.weights[0]?.quantization?.dtype ?? 'float32') as Quantization
  const training = {
    ...(model.artifact.training ?? {}),
    oovCalibration: { epochs, lr, idDropout, seed, from: model.artifact.modelSha256 ?? model.artifact.sha256, before: c.before, after: c.end, seconds: Math.round((Date.now() - t0) / 1000) },
  }
  const exp = await exportModel(out, cfg, model.artifact.vocab, c.weights, { quantization, ...(model.artifact.license ? { license: model.artifact.license } : {}), training })
  if (ds.name.startsWith('movielens'))
    writeLicenseSection(out, {
      dataset: path.split('/').filter(Boolean).pop() ?? ds.name,
      users: split.users.length,
      parameters: [...c.weights.values()].reduce((a, w) => a + w.data.length, 0),
      sha256: exp.sha256,
    })
  log(`exported ${out}/model.json + weights.bin; pin it with modelSha256 / data-model-sha256 = ${exp.modelSha256}`)
  const back = await readModel(out)
  const after = await figures(data, split, cfg, new Map([...back.weights].map(([k, w]) => [k, { shape: w.shape, data: w.data }])))
  log(`after: ${line(after)}`)
  mkdirSync(dirname(reportPath), { recursive: true })
  writeFileSync(
    reportPath,
    JSON.stringify({ dataset: ds.name, data: path, model: modelDir, out, calibration: c.history, oov: { before: c.before, start: c.start, after: c.end }, export: exp, before, after }, null, 2),
  )
  log(`report: ${reportPath}; tensors left ${tf.memory().numTensors}`)
  return 0
}

interface Figures {
  ndcg10: Record<string, number>
  unseen: { items: number; perTop10: number; share: number; minTail: number }
}

function line(f: Figures): string {
  return `${Object.entries(f.ndcg10)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ')}; ${f.unseen.items} unseen items, ${f.unseen.perTop10.toFixed(3)} per full-ranking top 10 (share ${f.unseen.share.toFixed(3)})`
}

async function figures(data: TrainData, split: Split, cfg: EncoderConfig, w: WeightMap): Promise<Figures> {
  const { evaluate } = await import('./evaluate')
  const { paramsFrom } = await import('./trainer')
  const { unseenOfModel } = await import('./unseen')
  const p = paramsFrom(w)
  const ndcg10: Record<string, number> = {}
  for (const phase of ['val', 'test'] as const) for (const pr of PROTOCOLS) ndcg10[`${phase}/${pr}`] = evaluate(p, cfg, data, split, phase, pr, 42).ndcg10
  for (const t of Object.values(p)) t.dispose()
  const r = unseenOfModel(data, split, cfg, w)
  return { ndcg10, unseen: { items: r.unseenItems, perTop10: r.observed, share: r.expected, minTail: r.minTail } }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const d = describeError(err)
      process.stderr.write(`calibrate-oov: ${d.line}\n`)
      process.exit(d.code)
    },
  )
}

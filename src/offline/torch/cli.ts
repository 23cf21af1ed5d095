/**
 * `npm run train:torch -- [flags]`: train the encoder with PyTorch (torchrun → DDP), for data
 * that outgrows the one-process TensorFlow.js trainer. `--help` lists the flags; the README
 * beside this file describes multi-node runs.
 *
 * Steps: load the dataset with the TypeScript loaders and split it (the same code as
 * `npm run train` and `npm run eval`), write the prepared arrays (prepare.ts), run
 * `python3 -m torch.distributed.run --nproc_per_node N -m localrank_torch.train …`, then read
 * the exported artifact back through the TypeScript loader (SHA-256 checked) and report the
 * test figures exactly as `npm run train` does.
 */
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_CONFIG, type EncoderConfig } from '../../encoder/config'
import { countParams } from '../../encoder/model'
import { leaveOneOut } from '../protocol'
import { PROTOCOLS } from '../protocol/candidates'
import { checkOutDir, DATASET_FLAGS, DATASET_HELP, describeError, loadFromFlags, parseFlags, runDir, TRAINER_FLAGS, UsageError, type Flags, type FlagSpec } from '../train/cli-common'
import { buildTrainData } from '../train/data'
import { readModel, writeLicenseSection } from '../train/export'
import { licenseFor } from '../train/license'
import { writePrepared } from './prepare'
import { findPython, NO_TORCH, pythonEnv } from './python'
import { acceptByLoader } from './accept'

const HELP = `npm run train:torch -- --out DIR [flags]

Train the LocalRank encoder with PyTorch (torchrun, DDP: gloo on CPU, NCCL on GPU) and export
the browser artifact (model.json + weights.bin, the same format as npm run train).

Data
${DATASET_HELP}
  --prepared DIR        where the prepared arrays go (default: a new directory under the OS temp dir)
  --prepare-only        write the prepared arrays and stop (multi-node: run torchrun yourself)

Output
  --out DIR             export directory (required unless --no-export or --smoke); a directory
                        that holds a model.json, or public/model, needs --force
  --force               allow overwriting an existing model
  --no-export           train and report without exporting
  --report FILE         JSON report (default: <checkpoint dir>/report.json)
  --checkpoint DIR      checkpoint directory (default: a new per-run directory under the OS temp dir)
  --resume              continue from --checkpoint

Processes
  --nproc N             processes on this machine (default 1; one per GPU on a GPU machine)
  --threads N           torch CPU threads per process (default: cores / nproc)
  --smoke               2 processes over loopback, a slice of ml-latest-small, a few steps,
                        export to --out (or a temp dir), then check the TypeScript loader accepts it

Recipe (defaults: run a of src/offline/train/runs/README.md, the shipped model)
  --epochs N (200) --max-minutes M (55) --max-steps N (0: no limit) --batch N (32, global)
  --len N (64) --negatives N (256) --in-batch --lr X (0.001) --dropout X (0.2)
  --loss softmax|full|gbce (softmax)  softmax: sampled softmax over --negatives; full: over the
                        whole vocabulary, every item scored as the browser scores it (the cost
                        grows with the vocabulary: ~10k items is cheap, millions are not);
                        gbce: gSASRec's generalised BCE over --negatives, --gbce-t X (0.75)
  --init-model DIR      start from an exported model with the same config and vocabulary (fine-tune)
  --select uniform|full|sum (uniform)  validation NDCG@10 that picks the epoch and context:
                        uniform-100, full ranking, or their sum
  --id-dropout X (0.1) --seed N (1) --eval-every N (3) --patience N (5) --eval-lens A,B (50,100,200)
  --quantize float32|float16|uint8 (float16) --protocol-seed N (42) --log-every N
  --ema X (0: off)      validate, select and export a moving average of the weights (decay X per step)
  --d N --heads N --blocks N --ffn N --feat-buckets N (64, 2, 2, 128, 4096)
  --no-time --no-gap    the ablation: no time-decay bias / no gap input to the gate
  --help`

const SPEC: FlagSpec = {
  ...DATASET_FLAGS,
  ...TRAINER_FLAGS,
  prepared: 'string',
  'prepare-only': 'boolean',
  nproc: 'number',
  threads: 'number',
  smoke: 'boolean',
  'no-test': 'boolean',
  'max-steps': 'number',
  'init-model': 'string',
  select: 'string',
  'log-every': 'number',
  ema: 'number',
}

/** Trainer flags passed through to localrank_torch.train unchanged. */
const PASS = [
  'epochs',
  'max-minutes',
  'max-steps',
  'batch',
  'len',
  'negatives',
  'lr',
  'dropout',
  'id-dropout',
  'seed',
  'eval-every',
  'patience',
  'eval-lens',
  'quantize',
  'log-every',
  'loss',
  'gbce-t',
  'select',
  'ema',
]

const SMOKE_USERS = 48

export async function main(argv: string[], log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const f: Flags = parseFlags(argv, SPEC)
  if (f.help) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  const smoke = f.smoke === true
  const q = (f.quantize as string | undefined) ?? 'float16'
  if (!['float32', 'float16', 'uint8'].includes(q)) throw new UsageError(`--quantize must be float32, float16 or uint8 (got "${q}")`)
  const loss = (f.loss as string | undefined) ?? 'softmax'
  if (!['softmax', 'full', 'gbce'].includes(loss)) throw new UsageError(`--loss must be softmax, full or gbce (got "${loss}")`)
  if (loss !== 'softmax' && f['in-batch'] === true) throw new UsageError(`--in-batch is the log-Q-corrected sampled softmax; it does not combine with --loss ${loss}`)
  const select = (f.select as string | undefined) ?? 'uniform'
  if (!['uniform', 'full', 'sum'].includes(select)) throw new UsageError(`--select must be uniform, full or sum (got "${select}")`)
  const initModel = f['init-model'] as string | undefined
  if (initModel !== undefined && !existsSync(join(initModel, 'model.json'))) throw new UsageError(`--init-model ${initModel}: no model.json there`)
  const noExport = f['no-export'] === true
  let out = f.out as string | undefined
  if (!out && !noExport && !f['prepare-only']) {
    if (!smoke) throw new UsageError('--out DIR is required (a new directory; or --no-export)')
    out = join(runDir('smoke'), 'model')
  }
  if (out && !noExport) checkOutDir(out, f.force === true)
  const nproc = (f.nproc as number | undefined) ?? (smoke ? 2 : 1)
  if (!Number.isInteger(nproc) || nproc < 1) throw new UsageError(`--nproc must be an integer ≥ 1 (got ${nproc})`)
  const python = f['prepare-only'] ? null : findPython()
  if (!f['prepare-only'] && !python) throw new Error(NO_TORCH)

  // 1. Data, with the TypeScript loaders and split.
  const t0 = Date.now()
  const { ds, path } = loadFromFlags(f, log)
  if (smoke) ds.users = ds.users.slice(0, SMOKE_USERS)
  const lic = licenseFor(ds, path, { ...(f.license !== undefined ? { text: f.license as string } : {}), ...(f['license-file'] !== undefined ? { file: f['license-file'] as string } : {}) })
  if (lic.warning) log(`warning: ${lic.warning}`)
  const split = leaveOneOut(ds)
  const base: Omit<EncoderConfig, 'vocabSize'> = {
    ...DEFAULT_CONFIG,
    d: (f.d as number | undefined) ?? DEFAULT_CONFIG.d,
    heads: (f.heads as number | undefined) ?? DEFAULT_CONFIG.heads,
    blocks: (f.blocks as number | undefined) ?? DEFAULT_CONFIG.blocks,
    ffn: (f.ffn as number | undefined) ?? DEFAULT_CONFIG.ffn,
    featBuckets: (f['feat-buckets'] as number | undefined) ?? DEFAULT_CONFIG.featBuckets,
    timeBias: f['no-time'] !== true,
    gapGate: f['no-gap'] !== true,
  }
  if (base.d % base.heads !== 0) throw new UsageError(`--d ${base.d} must be a multiple of --heads ${base.heads}`)
  const data = buildTrainData(ds, split, base)
  const protocolSeed = (f['protocol-seed'] as number | undefined) ?? 42
  const run = runDir(smoke ? 'torch-smoke' : 'torch')
  const prepared = (f.prepared as string | undefined) ?? join(run, 'prepared')
  const meta = writePrepared(prepared, data, split, { dataset: ds.name, license: lic.text, protocolSeed })
  log(
    `data: ${ds.name}, ${split.users.length} users (${split.evalUsers} evaluated), ${data.catalogue.length} items, vocabulary ${data.vocab.length}, ${meta.tokens} tokens; ` +
      `model ${countParams(data.cfg).toLocaleString('en')} parameters; prepared ${prepared} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  )
  if (f['prepare-only']) return 0

  // 2. torchrun.
  const checkpoint = (f.checkpoint as string | undefined) ?? join(run, 'checkpoint')
  const report = (f.report as string | undefined) ?? join(checkpoint, 'report.json')
  const args = ['-m', 'localrank_torch.launch', '--nproc_per_node', String(nproc)]
  // One machine: a private static rendezvous on loopback with a free port. (torchrun's
  // --standalone always uses port 29400, so two runs at once would share one store.)
  args.push('--nnodes', '1', '--master_addr', '127.0.0.1', '--master_port', String(await freePort()))
  args.push('-m', 'localrank_torch.train', '--prepared', resolve(prepared), '--checkpoint', resolve(checkpoint), '--report', resolve(report))
  if (noExport) args.push('--no-export')
  else args.push('--out', resolve(out!))
  for (const k of PASS) if (f[k] !== undefined) args.push(`--${k}`, String(f[k]))
  if (f['in-batch']) args.push('--in-batch')
  if (initModel !== undefined) args.push('--init-model', resolve(initModel))
  if (f.resume) args.push('--resume')
  if (smoke) {
    if (f['max-steps'] === undefined) args.push('--max-steps', '4')
    if (f['eval-lens'] === undefined) args.push('--eval-lens', '50')
  }
  const cores = (await import('node:os')).availableParallelism()
  args.push('--threads', String((f.threads as number | undefined) ?? Math.max(1, Math.floor(cores / nproc))))
  log(`${python} ${args.join(' ')}`)
  const code = await runChild(python!, args, smoke ? { GLOO_SOCKET_IFNAME: 'lo', MASTER_ADDR: '127.0.0.1' } : {})
  if (code !== 0) {
    log(code === 130 || code === 143 ? `stopped by a signal; the last checkpoint is in ${checkpoint}` : `torchrun exited with code ${code}`)
    return code === 130 || code === 143 ? 130 : 1
  }
  if (noExport) return 0

  // 3. The artifact through the TypeScript side: SHA-256, decode, a session that scores.
  const back = await readModel(out!)
  const accepted = await acceptByLoader(out!)
  log(`TypeScript loader accepted ${out}/model.json (sha256 ${back.artifact.sha256}, ${accepted.weights} weights, ${accepted.scores} finite scores)`)
  if (/movielens/i.test(ds.name) && lic.source !== '--license' && lic.source !== f['license-file']) {
    writeLicenseSection(out!, {
      dataset: path.split('/').filter(Boolean).pop() ?? ds.name,
      users: split.users.length,
      parameters: countParams(back.artifact.config),
      sha256: back.artifact.sha256,
      trainedBy: '`npm run train:torch` (src/offline/torch/)',
    })
  }
  if (smoke || f['no-test']) return 0

  // 4. Test figures from the weights as shipped, as npm run train reports them.
  const { evaluate } = await import('../train/evaluate')
  const { initTf } = await import('../train/tf-node')
  const { paramsFrom } = await import('../train/trainer')
  await initTf('wasm')
  const cfg = back.artifact.config
  const shipped = new Map([...back.weights].map(([k, w]) => [k, { shape: w.shape, data: w.data }]))
  const sp = paramsFrom(shipped)
  const tdata = { ...data, cfg }
  const test: Record<string, unknown> = {}
  for (const p of PROTOCOLS) {
    const r = evaluate(sp, cfg, tdata, split, 'test', p, protocolSeed)
    test[p] = r
    log(`test (${p}): HR@10 ${r.hr10.toFixed(4)} NDCG@10 ${r.ndcg10.toFixed(4)} MRR ${r.mrr.toFixed(4)}`)
  }
  const valShipped = evaluate(sp, cfg, tdata, split, 'val', 'uniform', protocolSeed)
  log(`val (uniform) from the exported weights: NDCG@10 ${valShipped.ndcg10.toFixed(4)}`)
  for (const t of Object.values(sp)) t.dispose()
  const rep = existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>) : {}
  Object.assign(rep, { data: path, license: lic.source, test, valShipped })
  mkdirSync(dirname(report), { recursive: true })
  writeFileSync(report, JSON.stringify(rep, null, 2))
  log(`report: ${report}`)
  return 0
}

/** A TCP port free on loopback right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.on('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port
      srv.close(() => res(port))
    })
  })
}

/** Run a child, forwarding SIGINT/SIGTERM (torchrun passes them on to every worker). */
function runChild(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: pythonEnv(env) })
    let signalled: NodeJS.Signals | null = null
    const fwd = (sig: NodeJS.Signals) => () => {
      signalled = sig
      child.kill(sig)
    }
    const onInt = fwd('SIGINT')
    const onTerm = fwd('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
    child.on('error', rej)
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      // torchrun itself exits 1 (a SignalException) after its workers stopped on the signal.
      if (signalled) res(130)
      else res(code ?? (signal === 'SIGTERM' ? 143 : signal === 'SIGINT' ? 130 : 1))
    })
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const d = describeError(err)
      process.stderr.write(d.line + '\n')
      process.exit(d.code)
    },
  )
}

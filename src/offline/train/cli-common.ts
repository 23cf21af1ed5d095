/**
 * What the two trainer CLIs (`npm run train`, TensorFlow.js; `npm run train:torch`, PyTorch)
 * share: strict flag parsing, the dataset flags of the evaluator, the licence of the export, the
 * output-directory guard and per-run checkpoint directories.
 */
import { existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DatasetError, DEFAULT_MOVIELENS_DIR, formatReports, loadDataset, type Dataset, type LoadOptions } from '../data'

/** A usage error: the CLI prints it on one line (with a hint to --help) and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export type FlagKind = 'string' | 'number' | 'boolean'
export type FlagSpec = Record<string, FlagKind>

export type Flags = Record<string, string | number | boolean | undefined>

/**
 * Parse `argv` against `spec`: an unknown flag, a missing value or a non-number is a
 * UsageError naming the flag (node:util parseArgs in strict mode, as the evaluator).
 */
export function parseFlags(argv: ReadonlyArray<string>, spec: FlagSpec): Flags {
  const options: Record<string, { type: 'string' | 'boolean' }> = {}
  for (const [k, kind] of Object.entries(spec)) options[k] = { type: kind === 'boolean' ? 'boolean' : 'string' }
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> })
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err)
    throw new UsageError(msg.replace(/\. To specify a positional argument.*$/s, '').replace(/\s+$/, ''))
  }
  const out: Flags = {}
  for (const [k, v] of Object.entries(values)) {
    if (spec[k] === 'number') {
      const n = Number(v)
      if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${k} expects a number, got "${String(v)}"`)
      out[k] = n
    } else out[k] = v
  }
  return out
}

/** The evaluator's dataset flags (src/offline/eval/cli.ts). */
export const DATASET_FLAGS: FlagSpec = { data: 'string', items: 'string', 'time-unit': 'string', ratings: 'string', license: 'string', 'license-file': 'string' }

/**
 * The flags both trainers take with the same meaning and kind (npm run train and
 * npm run train:torch): output, checkpoints, the recipe and the model size. Each CLI spreads
 * these into its spec and adds its own (TensorFlow.js: --val-users, --backend; PyTorch:
 * processes, preparation, --init-model, --select, ...); the values are checked where they are used.
 */
export const TRAINER_FLAGS: FlagSpec = {
  out: 'string',
  force: 'boolean',
  'no-export': 'boolean',
  quantize: 'string',
  report: 'string',
  checkpoint: 'string',
  resume: 'boolean',
  epochs: 'number',
  'max-minutes': 'number',
  len: 'number',
  batch: 'number',
  negatives: 'number',
  lr: 'number',
  'in-batch': 'boolean',
  loss: 'string',
  'gbce-t': 'number',
  dropout: 'number',
  'id-dropout': 'number',
  seed: 'number',
  'eval-every': 'number',
  patience: 'number',
  'eval-lens': 'string',
  d: 'number',
  heads: 'number',
  blocks: 'number',
  ffn: 'number',
  'feat-buckets': 'number',
  'no-time': 'boolean',
  'no-gap': 'boolean',
  'protocol-seed': 'number',
  help: 'boolean',
}

export const DATASET_HELP = `  --data PATH           MovieLens dir (latest CSV, ML-1M .dat, ML-100k) or an event log
                        (.csv/.jsonl: user,item,timestamp[,type][,text]). Default ${DEFAULT_MOVIELENS_DIR}
  --items PATH          item file for an event log (.csv/.jsonl: id,title,category,brand,price)
  --time-unit U         auto|s|ms for numeric event-log timestamps (default auto)
  --ratings M           implicit (default) | graded (MovieLens rating >= 4 = add_to_wishlist)
  --license TEXT        licence/attribution the exported model carries (default: from the data:
                        the GroupLens notice for MovieLens, a LICENSE file beside an event log)
  --license-file FILE   the same, read from a file`

/** Load the dataset the flags name, with the evaluator's options; loader warnings go to `log`. */
export function loadFromFlags(f: Flags, log: (s: string) => void): { ds: Dataset; path: string } {
  const path = (f.data as string | undefined) ?? DEFAULT_MOVIELENS_DIR
  const unit = (f['time-unit'] as string | undefined) ?? 'auto'
  if (unit !== 'auto' && unit !== 's' && unit !== 'ms') throw new UsageError(`--time-unit must be auto, s or ms (got "${unit}")`)
  const opts: LoadOptions = { timeUnit: unit }
  if (f.items !== undefined) opts.items = f.items as string
  const r = f.ratings as string | undefined
  if (r === 'graded') opts.ratings = { kind: 'graded', threshold: 4, strong: 'add_to_wishlist' }
  else if (r !== undefined && r !== 'implicit') throw new UsageError(`--ratings must be implicit or graded (got "${r}")`)
  if (f.items !== undefined && !existsSync(f.items as string)) throw new DatasetError(f.items as string, `item file not found: ${String(f.items)}`)
  const ds = loadDataset(path, opts)
  for (const line of formatReports(ds.reports)) log(`warning: ${line}`)
  if (ds.unknownItems > 0) log(`warning: ${ds.unknownItems} item ids occur in events but not in the item file (kept as bare ids)`)
  return { ds, path }
}

/** The shipped model's directory: never overwritten without --force. */
export const SHIPPED_MODEL_DIR = 'public/model'

/**
 * Refuse an export directory that already holds a model (or is the shipped one) unless
 * `force`: a finished run must never silently replace the model the demo and the tests ship.
 */
export function checkOutDir(out: string, force: boolean): void {
  const abs = resolve(out)
  if (force) return
  if (abs === resolve(SHIPPED_MODEL_DIR)) throw new UsageError(`--out ${out} is the shipped model; pass --force to overwrite it`)
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory`)
    if (existsSync(join(abs, 'model.json'))) throw new UsageError(`--out ${out} already holds a model.json; pass --force to overwrite it, or choose a new directory`)
  }
}

/**
 * A fresh per-run directory outside the working tree (under the OS temp dir), so that separate
 * runs never share a checkpoint and nothing large lands in the repository.
 */
export function runDir(kind: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  return join(tmpdir(), 'localrank-train', `${kind}-${stamp}-${process.pid}`)
}

/** One line for an error that is the user's (bad flag, missing file), a stack for a bug. */
export function describeError(err: unknown): { line: string; code: number } {
  if (err instanceof UsageError) return { line: `error: ${err.message} (see --help)`, code: 2 }
  if (err instanceof DatasetError) return { line: `error: ${err.message}`, code: 1 }
  const e = err as NodeJS.ErrnoException
  if (e && typeof e.code === 'string' && /^E(NOENT|ACCES|ISDIR|NOTDIR|EXIST|ROFS|NOSPC)$/.test(e.code)) return { line: `error: ${e.message}`, code: 1 }
  return { line: `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, code: 1 }
}

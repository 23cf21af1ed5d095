/**
 * `npm run tune -- --dataset LOG [--items ITEMS] --out tuned.json`: per-shop tuning in one
 * command. See index.ts for what is tuned and how; `--help` prints the flags.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseTunedConfig, serializeTuned, type TunedMeta, type TunedOptions, type TunedScores } from '../../tuned/format'
import { DatasetError, formatReports, loadDataset, type LoadOptions } from '../data'
import { createContext } from '../eval/context'
import { profileModel } from '../eval/models/profile'
import type { RankerConfig } from '../../rank/defaults'
import { leaveOneOut } from '../protocol/split'
import { parseFlags, UsageError, type FlagSpec } from '../train/cli-common'
import { DEFAULT_OBJECTIVE, parseObjective, ValidationLists, type ObjectiveScore } from './objective'
import { dimensions, optionsOf, signalsOf } from './space'
import { coordinateDescent, DEFAULT_SEARCH, type SearchProgress } from './tuner'
import { fusedModel, tuneFusion, withWeights } from './fusion'
import { sha256Hex } from '../../encoder/weights'

const HELP = `npm run tune -- --dataset PATH [--items PATH] --out FILE [flags]

Tunes the decay profile and the ranker's fusion for one shop's log on VALIDATION targets only
(each user's second-to-last interaction; test targets are never read) and writes one file that
the library (createEngine({ ...parseTunedConfig(json) })) and the embed script
(data-config="/path/tuned.json") load.

  --dataset PATH        event log (.csv/.jsonl: user,item,timestamp[,type][,text]) or a MovieLens dir
  --items PATH          item file for an event log (.csv/.jsonl: id,title,category,brand,price)
  --time-unit U         auto|s|ms for numeric event-log timestamps (default auto)
  --ratings M           implicit (default) | graded (MovieLens rating >= 4 = add_to_wishlist)
  --out FILE            where to write the tuned file (required; an existing file needs --force)
  --objective O         uniform | popularity | category | session | session-new | cart |
                        mix (default: popularity 1 + category 1, the lists a server sends) |
                        mix:uniform=1,popularity=2,category=1
  --similarity S        table (default: build the item-to-item table from the log's training
                        interactions, as you would ship it) | none (you ship no table)
  --passes N            coordinate-descent passes at most (default ${DEFAULT_SEARCH.maxPasses})
  --seed N              negatives seed (default 42)
  --limit-users N       tune on the first N users with a validation target (faster, noisier)
  --negatives N         negatives per list (default 100)
  --encoder DIR         an encoder trained on this log (model.json + weights.bin, npm run train
                        or train:torch): after the profile, tune the encoder's fusion weight
                        with it on the same validation lists (the server's and the profile's
                        stay as tuned, so without the encoder the file ranks as the tuned
                        profile) and write it into the same file (ranker.weights.encoder); the
                        encoder scores each list once. Without it the file keeps the library's
                        encoder weight.
  --from FILE           with --encoder: keep FILE's profile and weights (a file this command
                        wrote, with the same --dataset, --objective, --seed and --limit-users) and
                        tune only the encoder's weight: after retraining the encoder, minutes
                        instead of the whole search
  --force               overwrite --out
  --help`

const SPEC: FlagSpec = {
  dataset: 'string',
  items: 'string',
  'time-unit': 'string',
  ratings: 'string',
  out: 'string',
  objective: 'string',
  similarity: 'string',
  passes: 'number',
  seed: 'number',
  'limit-users': 'number',
  negatives: 'number',
  encoder: 'string',
  from: 'string',
  force: 'boolean',
  help: 'boolean',
}

function int(v: unknown, name: string, min: number): number | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min} (got ${String(v)})`)
  return v
}

function fmtS(s: number): string {
  if (!Number.isFinite(s)) return '?'
  if (s >= 3600) return `${(s / 3600).toFixed(1)}h`
  if (s >= 60) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
  return `${Math.round(s)}s`
}

/** What the file's meta says of the encoder its fusion weights were tuned with (for people; the library never reads meta). */
export interface EncoderMeta {
  dir: string
  /** The weights' SHA-256 (model.json `sha256`): the file's weights belong to this model. */
  sha256: string
  modelSha256?: string
  weights: { server: number; profile: number; encoder: number }
  evaluations: number
  seconds: number
  /** Validation figures on the same lists: the tuned profile alone (encoder weight 0) and fused. */
  validation: { profile: TunedScores; fused: TunedScores }
}

/** The profile of a tuned file alone (no encoder), as profile-tuned rows score it. */
function fusedProfileModel(o: TunedOptions, similarity: boolean) {
  return profileModel({ name: 'from', description: 'the --from file without the encoder', profile: o.profile, ranker: o.ranker as Partial<RankerConfig>, similarity })
}

const scoresOf = (s: ObjectiveScore): TunedScores => ({ objective: s.value, protocols: { ...s.protocols } as Record<string, number> })

export interface CliIO {
  out: (s: string) => void
  err: (s: string) => void
  /** Redraw progress in place (a terminal). */
  tty: boolean
}

export async function main(argv: string[], io: CliIO = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), tty: Boolean(process.stderr.isTTY) }): Promise<number> {
  const f = parseFlags(argv, SPEC)
  if (f.help) {
    io.out(`${HELP}\n`)
    return 0
  }
  const dataset = f.dataset as string | undefined
  if (!dataset) throw new UsageError('--dataset is required (an event log or a MovieLens directory)')
  const out = f.out as string | undefined
  if (!out) throw new UsageError('--out is required (the tuned file to write, e.g. public/localrank/tuned.json)')
  if (existsSync(out) && !f.force) throw new UsageError(`${out} exists; pass --force to overwrite it`)
  const objective = (() => {
    try {
      return parseObjective((f.objective as string | undefined) ?? DEFAULT_OBJECTIVE)
    } catch (e) {
      throw new UsageError((e as Error).message)
    }
  })()
  const simArg = (f.similarity as string | undefined) ?? 'table'
  if (simArg !== 'table' && simArg !== 'none') throw new UsageError(`--similarity must be table or none (got "${simArg}")`)
  const similarity = simArg === 'table'
  const seed = int(f.seed, 'seed', 0) ?? 42
  const limitUsers = int(f['limit-users'], 'limit-users', 1)
  const negatives = int(f.negatives, 'negatives', 1)
  const maxPasses = int(f.passes, 'passes', 1) ?? DEFAULT_SEARCH.maxPasses
  const unit = (f['time-unit'] as string | undefined) ?? 'auto'
  if (unit !== 'auto' && unit !== 's' && unit !== 'ms') throw new UsageError(`--time-unit must be auto, s or ms (got "${unit}")`)
  const loadOpts: LoadOptions = { timeUnit: unit }
  if (f.items !== undefined) {
    if (!existsSync(f.items as string)) throw new DatasetError(f.items as string, `item file not found: ${String(f.items)}`)
    loadOpts.items = f.items as string
  }
  const r = f.ratings as string | undefined
  if (r === 'graded') loadOpts.ratings = { kind: 'graded', threshold: 4, strong: 'add_to_wishlist' }
  else if (r !== undefined && r !== 'implicit') throw new UsageError(`--ratings must be implicit or graded (got "${r}")`)

  const fromPath = f.from as string | undefined
  let from: { options: TunedOptions; meta: TunedMeta } | undefined
  if (fromPath !== undefined) {
    if (f.encoder === undefined) throw new UsageError('--from needs --encoder (it re-tunes only the encoder weight of FILE)')
    if (!existsSync(fromPath)) throw new DatasetError(fromPath, `--from: tuned file not found: ${fromPath}`)
    const json = JSON.parse(readFileSync(fromPath, 'utf8')) as { meta?: TunedMeta }
    if (!json.meta) throw new UsageError(`--from: ${fromPath} has no meta (not written by npm run tune): its lists cannot be checked`)
    from = { options: parseTunedConfig(json), meta: json.meta }
  }

  const t0 = performance.now()
  const ds = loadDataset(dataset, loadOpts)
  for (const line of formatReports(ds.reports)) io.err(`warning: ${line}\n`)
  if (ds.unknownItems > 0) io.err(`warning: ${ds.unknownItems} item ids occur in events but not in the item file (kept as bare ids)\n`)
  const split = leaveOneOut(ds)
  // The library's default table options, built from training interactions only (never a
  // table tuned for another dataset).
  const ctx = createContext(ds, { seed }, split)
  if (similarity) {
    const a = ctx.artifact()
    io.err(`tune: similarity table from training interactions: ${a.json.items.length} items, ${a.bytes} bytes\n`)
  }
  const encoderDir = f.encoder as string | undefined
  if (encoderDir !== undefined) {
    if (!existsSync(join(encoderDir, 'model.json'))) throw new DatasetError(join(encoderDir, 'model.json'), `--encoder: no model.json in ${encoderDir}`)
    // A model trained on another catalogue would fuse content-only scores (issue 11): refuse it.
    const why = fusedModel(encoderDir, { profile: {}, ranker: {} }, similarity).unavailable?.(ctx) ?? null
    if (why !== null) throw new UsageError(`--encoder: ${why}`)
  }
  const lists = new ValidationLists(ctx, objective, { seed, ...(limitUsers !== undefined ? { limitUsers } : {}), ...(negatives !== undefined ? { negatives } : {}) })
  if (from) {
    // The file's profile was chosen on its lists: the encoder's weight must be tuned on the same ones.
    const m = from.meta
    const same = m.dataset === ds.name && m.objective === objective.label && m.seed === seed && m.users === lists.users.length && m.similarity === (similarity ? 'table' : 'none')
    if (!same)
      throw new UsageError(
        `--from: ${fromPath} was tuned on ${m.dataset}, ${m.objective}, seed ${m.seed}, ${m.users} users, similarity ${m.similarity}; this run has ${ds.name}, ${objective.label}, seed ${seed}, ${lists.users.length} users, similarity ${similarity ? 'table' : 'none'}`,
      )
  }
  const signals = signalsOf(ds, similarity)
  const dims = from ? [] : dimensions(signals)
  io.err(`tune: ${ds.name}: ${lists.users.length} users with a validation target; objective ${objective.label}\n`)
  io.err(from ? `tune: profile and weights from ${fromPath}; tuning ranker.weights.encoder only\n` : `tune: tuning ${dims.map((d) => d.name).join(', ')}\n`)
  let lastLine = ''
  const onProgress = (p: SearchProgress) => {
    const line = `tune: pass ${p.pass}/${p.maxPasses} ${p.dim}: ${p.done}/${p.planned} points, best ${p.best.toFixed(4)}, ${fmtS(p.elapsedS)} elapsed, ETA ${fmtS(p.etaPassS)} for this pass${p.pass < p.maxPasses ? ` (+ up to ${p.maxPasses - p.pass} more)` : ''}`
    if (io.tty) io.err(`\r${line.padEnd(120).slice(0, 140)}`)
    else {
      // One line per coordinate in logs.
      const key = `${p.pass}|${p.dim}`
      if (key !== lastLine) {
        lastLine = key
        io.err(`${line}\n`)
      }
    }
  }
  const res = from ? null : await coordinateDescent(lists, dims, { ...DEFAULT_SEARCH, maxPasses, similarity, onProgress })
  if (io.tty && res) io.err('\n')
  for (const st of res?.trace ?? []) io.err(`tune: pass ${st.pass} ${st.dim} = ${st.chosen} (objective ${st.objective.toFixed(4)})\n`)

  // The search starts from the default constants with an explicit profile weight, which switches
  // the signal-dependent default (src/tuned/signals.ts) off. The library as shipped keeps it on:
  // if that scores at least as well, the file keeps the defaults (empty options) instead.
  const shipped = await lists.score(profileModel({ name: 'defaults', description: 'library defaults as shipped', similarity }))
  const keep = res !== null && shipped.value >= res.best.score.value
  if (keep) io.err(`tune: the library defaults as shipped (${shipped.value.toFixed(4)}) are at least as good as the best tuned point (${res.best.score.value.toFixed(4)}): the file keeps them\n`)
  // The profile alone, as the file (or FILE) ranks without an encoder.
  let final = res === null ? await lists.score(fusedProfileModel(from!.options, similarity)) : keep ? shipped : res.best.score
  let options: TunedOptions = from ? from.options : keep || res === null ? { profile: {}, ranker: {} } : optionsOf(res.best.point)
  let encoderMeta: EncoderMeta | undefined
  if (encoderDir !== undefined) {
    io.err(`tune: fusion with the encoder ${encoderDir}: its scores of the ${lists.users.length} users' validation lists once, then the ranker's weights\n`)
    lastLine = ''
    const fr = await tuneFusion(lists, options, encoderDir, { maxPasses: 1, minGain: DEFAULT_SEARCH.minGain, similarity, onProgress })
    if (io.tty) io.err('\n')
    for (const st of fr.trace) io.err(`tune: fusion pass ${st.pass} ${st.dim} = ${st.chosen} (objective ${st.objective.toFixed(4)})\n`)
    const model = JSON.parse(readFileSync(join(encoderDir, 'model.json'), 'utf8')) as { sha256?: string; modelSha256?: string }
    encoderMeta = {
      dir: relative(process.cwd(), encoderDir),
      sha256: model.sha256 ?? (await sha256Hex(new Uint8Array(readFileSync(join(encoderDir, 'weights.bin'))))),
      ...(model.modelSha256 ? { modelSha256: model.modelSha256 } : {}),
      weights: fr.best.weights,
      evaluations: fr.evaluations,
      seconds: Math.round(fr.seconds),
      validation: { profile: scoresOf(fr.start.score), fused: scoresOf(fr.best.score) },
    }
    options = withWeights(options, fr.best.weights)
    final = fr.best.score
  }
  const profileAlone = res === null ? encoderMeta!.validation.profile : scoresOf(keep ? shipped : res.best.score)
  if (from && Math.abs(profileAlone.objective - from.meta.validation.tuned.objective) > 1e-9)
    io.err(
      `tune: warning: ${fromPath} says its validation objective is ${from.meta.validation.tuned.objective.toFixed(4)}, here it scores ${profileAlone.objective.toFixed(4)} (another code version?)\n`,
    )
  const meta: TunedMeta & { encoder?: EncoderMeta } = {
    // --from: the profile search's own record stays as FILE wrote it.
    ...(from ? from.meta : {}),
    dataset: ds.name,
    files: ds.files.map((p) => relative(process.cwd(), p)),
    objective: objective.label,
    similarity: similarity ? 'table' : 'none',
    seed,
    users: lists.users.length,
    created: new Date().toISOString(),
    evaluations: res ? res.evaluations : from!.meta.evaluations,
    seconds: res ? Math.round(res.seconds) : from!.meta.seconds,
    validation: { defaults: scoresOf(shipped), tuned: profileAlone },
    ...(encoderMeta ? { encoder: encoderMeta } : {}),
  }
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, serializeTuned(options, meta))
  type P = keyof ObjectiveScore['protocols']
  const rows = Object.keys(final.protocols).map((p) => `| ${p} | ${shipped.protocols[p as P]!.toFixed(4)} | ${final.protocols[p as P]!.toFixed(4)} | ${final.lists[p as P]} |`)
  io.out(
    `\nvalidation NDCG@10 (${lists.users.length} users, similarity ${meta.similarity}${encoderMeta ? `, this file with the encoder ${encoderMeta.dir}` : ''}):\n| protocol | library defaults | this file | lists |\n|---|---|---|---|\n${rows.join('\n')}\n| objective | ${shipped.value.toFixed(4)} | ${final.value.toFixed(4)} | |\n`,
  )
  if (encoderMeta) {
    const pr = encoderMeta.validation.profile
    io.out(
      `\nfusion weights with the encoder: server ${encoderMeta.weights.server}, profile ${encoderMeta.weights.profile}, encoder ${encoderMeta.weights.encoder} (validation objective ${pr.objective.toFixed(4)} with the profile alone -> ${final.value.toFixed(4)})\n`,
    )
  }
  const points = (res?.evaluations ?? 0) + (encoderMeta?.evaluations ?? 0)
  io.out(`\nwrote ${out} (${points} points${res ? `, ${res.passes} passes` : ''}, ${fmtS((performance.now() - t0) / 1000)})\n`)
  return 0
}

// Run when executed directly (node --import tsx src/offline/tune/cli.ts), not when imported by a test.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) process.stderr.write(`error: ${err.message} (see --help)\n`)
      else if (err instanceof DatasetError) process.stderr.write(`error: ${err.message}\n`)
      else process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exit(err instanceof UsageError ? 2 : 1)
    },
  )
}

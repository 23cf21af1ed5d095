/**
 * `npm run eval -- [flags]`: the offline evaluator. See index.ts for the flags and the
 * model interface; `--help` prints the flags.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DatasetError, DEFAULT_MOVIELENS_DIR, formatReports, loadDataset, type Dataset, type LoadOptions, type RatingMapping } from '../data'
import { Bootstrap, DEFAULT_BOOTSTRAP } from '../metrics/bootstrap'
import type { TieMode } from '../metrics/rank'
import type { Phase } from '../protocol/candidates'
import { ALL_PROTOCOLS, isProtocol, type EvalProtocol } from '../protocol/shop'
import { leaveOneOut } from '../protocol/split'
import { pairCount } from '../similarity/neighbours'
import { DEFAULT_RETENTION } from '../../store/types'
import { createContext } from './context'
import { parseTunedConfig } from '../../tuned/format'
import type { RankerConfig } from '../../rank/defaults'
import { profileModel } from './models/profile'
import type { ModelSpec } from './types'
import { registry, selectModels, type ItemPath, type TunedPoints } from './models'
import { DEFAULT_ENCODER_DIR, encoderModel } from './models/encoder'
import { pointFromJSON, pointToJSON, START, type TunePoint } from './params'
import { Progress, note } from './progress'
import { resultTable, toJSON, writeReport, type Comparison, type ReportData, type TuningReport } from './report'
import { CUTOFFS, runEvaluation, summarise, type Cell } from './run'
import { DEFAULT_TUNE, eventWeightSweep, Tuner } from './tune'

/** `--full-users auto`: user × item pairs the full protocol scores before it samples users. */
export const FULL_BUDGET = 200_000_000

const HERE = dirname(fileURLToPath(import.meta.url))
export const DEFAULT_TUNED = join(HERE, 'tuned.json')

const HELP = `npm run eval -- [flags]

  --dataset PATH        MovieLens dir (latest CSV, ML-1M .dat, ML-100k) or an event log
                        (.csv/.jsonl: user,item,timestamp[,type][,text]). Default ${DEFAULT_MOVIELENS_DIR}
  --items PATH          item file for an event log (.csv/.jsonl: id,title,category,brand,price)
  --time-unit U         auto|s|ms for numeric event-log timestamps (default auto)
  --ratings M           implicit (default: every rating = view_item) | graded (rating >= 4 = add_to_wishlist)
  --protocol P          comma-separated: uniform, popularity, full (leave-one-out, SASRec) and the
                        shop protocols session, session-new, cart, category (src/offline/protocol/
                        shop.ts); or all (default)
  --phase P             test|val|both (default test)
  --seed N              negatives, random baseline and bootstrap seed (default 42)
  --limit-users N       evaluate only the first N users with a test item
  --model LIST          comma-separated model names, groups (baselines, profiles, encoders) or all (default all)
  --negatives N         sampled negatives per list (default 100)
  --encoder DIR         the encoder model of the encoder rows (model.json + weights.bin; default
                        $LOCALRANK_ENCODER_MODEL, else public/model)
  --item-path P         table (default) | feed | both: where the encoder rows get item data: the
                        whole-table model + similarity table, or feed mode (user-side artifact,
                        vector + neighbours carried by candidates and tracked items; rows
                        encoder/feed, encoder+profile/feed)
  --ties T              expected (default) | pessimistic
  --retention R         none (default: full history, as the protocol) | store (the browser store's
                        default retention: 180 days, 5,000 events)
  --bootstrap B         bootstrap resamples (default ${DEFAULT_BOOTSTRAP})
  --full-users N|all    full ranking on a seeded sample of N users, each ranked exactly against the
                        whole catalogue (default auto: every user while users × items ≤ ${FULL_BUDGET.toLocaleString('en')},
                        else ⌊${FULL_BUDGET.toLocaleString('en')} / items⌋ users; the CI shows the sample's width)
  --json PATH           write every figure as JSON
  --report DIR          write README.md, results.json and SVG plots into DIR
  --tune                tune on validation items first, then write --tuned
  --tuned PATH          tuned parameters file (default src/offline/eval/tuned.json)
  --config FILE         a localrank-tuned file from npm run tune: adds the row profile-tuned
                        (with the similarity table unless the file was tuned without one) and,
                        when an encoder row is selected, encoder+profile-tuned (the encoder
                        fused with the file's profile and ranker weights, as the browser ranks
                        with that file and the model; npm run tune -- --encoder DIR tunes its
                        encoder weight)
  --write-similarity P  write the similarity table (browser format) + LICENSE-DATA.md beside it
  --render PATH         only re-render README.md and the plots from a results.json (into --report or its folder)
  --help`

export interface CliResult {
  code: number
}

function fail(msg: string): never {
  const e = new Error(msg) as Error & { usage?: boolean }
  e.usage = true
  throw e
}

function int(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min} (got "${v}")`)
  return n
}

export function readTuned(path: string): (TunedPoints & { report?: TuningReport }) | null {
  if (!existsSync(path)) return null
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { best: unknown; perKernel: Record<string, unknown>; report?: unknown }
  const perKernel: TunedPoints['perKernel'] = {}
  for (const [k, v] of Object.entries(raw.perKernel ?? {})) perKernel[k as keyof typeof perKernel] = pointFromJSON(v)
  const out: TunedPoints & { report?: TuningReport } = { best: pointFromJSON(raw.best), perKernel }
  if (raw.report) out.report = JSON.parse(JSON.stringify(raw.report), (_k, v: unknown) => (v === 'Infinity' ? Infinity : v)) as TuningReport
  return out
}

/** A `npm run tune` file (src/tuned/format.ts), parsed exactly as the engine loads it. */
export interface TunedFileRows {
  /** The profile with the file's options, no encoder: row `profile-tuned`. */
  profile: ModelSpec
  /**
   * The encoder fused with the file's profile and ranker options (its `ranker.weights.encoder`,
   * or the library default where the file has none): row `encoder+profile-tuned`, what
   * `createEngine({ model, ...parseTunedConfig(file) })` ranks with.
   */
  encoder: (dir: string) => ModelSpec
}

export function tunedFileRows(path: string): TunedFileRows {
  if (!existsSync(path)) throw new DatasetError(path, `tuned file not found: ${path}`)
  const json = JSON.parse(readFileSync(path, 'utf8')) as { meta?: { similarity?: string; dataset?: string; objective?: string } }
  const o = parseTunedConfig(json)
  const similarity = json.meta?.similarity !== 'none'
  const what = `${relative(process.cwd(), path)} (npm run tune on ${json.meta?.dataset ?? '?'}, ${json.meta?.objective ?? '?'})`
  return {
    profile: profileModel({ name: 'profile-tuned', description: `decay profile with ${what}`, profile: o.profile, ranker: o.ranker as Partial<RankerConfig>, similarity }),
    encoder: (dir) =>
      encoderModel({
        name: 'encoder+profile-tuned',
        description: `encoder (${dir}) fused with the profile and ranker weights of ${what}, as the browser ranks with that file`,
        dir,
        withProfile: true,
        profile: o.profile,
        ranker: o.ranker as Partial<RankerConfig>,
        similarity,
      }),
  }
}

export async function main(argv: string[]): Promise<CliResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string' },
      items: { type: 'string' },
      'time-unit': { type: 'string' },
      ratings: { type: 'string' },
      protocol: { type: 'string' },
      phase: { type: 'string' },
      seed: { type: 'string' },
      'limit-users': { type: 'string' },
      model: { type: 'string' },
      negatives: { type: 'string' },
      encoder: { type: 'string' },
      ties: { type: 'string' },
      'item-path': { type: 'string' },
      retention: { type: 'string' },
      bootstrap: { type: 'string' },
      'full-users': { type: 'string' },
      json: { type: 'string' },
      report: { type: 'string' },
      tune: { type: 'boolean' },
      tuned: { type: 'string' },
      config: { type: 'string' },
      'write-similarity': { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    return { code: 0 }
  }
  if (values.render) {
    if (!existsSync(values.render)) throw new DatasetError(values.render, `results file not found: ${values.render}`)
    const data = JSON.parse(readFileSync(values.render, 'utf8'), (_k, v: unknown) => (v === 'Infinity' ? Infinity : v)) as ReportData
    for (const f of writeReport(values.report ?? dirname(values.render), data)) note(`wrote ${f}`)
    return { code: 0 }
  }
  const t0 = performance.now()
  const timings: Record<string, number> = {}
  const seed = int(values.seed, 'seed') ?? 42
  const limitUsers = int(values['limit-users'], 'limit-users', 1)
  const negatives = int(values.negatives, 'negatives', 1) ?? 100
  const B = int(values.bootstrap, 'bootstrap', 1) ?? DEFAULT_BOOTSTRAP
  const protoArg = values.protocol ?? 'all'
  const protocols: EvalProtocol[] =
    protoArg === 'all'
      ? [...ALL_PROTOCOLS]
      : protoArg.split(',').map((p) => (isProtocol(p) ? p : fail(`--protocol must be a comma-separated list of ${ALL_PROTOCOLS.join(', ')}, or all (got "${p}")`)))
  const phaseArg = values.phase ?? 'test'
  const phases: Phase[] = phaseArg === 'both' ? ['val', 'test'] : phaseArg === 'val' || phaseArg === 'test' ? [phaseArg] : fail(`--phase must be test, val or both (got "${phaseArg}")`)
  const ties = (values.ties ?? 'expected') as TieMode
  if (ties !== 'expected' && ties !== 'pessimistic') fail(`--ties must be expected or pessimistic (got "${String(values.ties)}")`)
  let ratings: RatingMapping | undefined
  if (values.ratings === 'graded') ratings = { kind: 'graded', threshold: 4, strong: 'add_to_wishlist' }
  else if (values.ratings !== undefined && values.ratings !== 'implicit') fail(`--ratings must be implicit or graded (got "${values.ratings}")`)
  const unit = values['time-unit'] ?? 'auto'
  if (unit !== 'auto' && unit !== 's' && unit !== 'ms') fail(`--time-unit must be auto, s or ms (got "${unit}")`)
  const retArg = values.retention ?? 'none'
  if (retArg !== 'none' && retArg !== 'store') fail(`--retention must be none or store (got "${retArg}")`)
  const retention = retArg === 'store' ? { ...DEFAULT_RETENTION } : undefined
  const tunedPath = values.tuned ?? DEFAULT_TUNED
  const itemPathArg = values['item-path'] ?? 'table'
  if (itemPathArg !== 'table' && itemPathArg !== 'feed' && itemPathArg !== 'both') fail(`--item-path must be table, feed or both (got "${itemPathArg}")`)
  const itemPaths: ItemPath[] = itemPathArg === 'both' ? ['table', 'feed'] : [itemPathArg]

  // 1. Data.
  let t = performance.now()
  const datasetPath = values.dataset ?? DEFAULT_MOVIELENS_DIR
  const loadOpts: LoadOptions = { timeUnit: unit }
  if (values.items) loadOpts.items = values.items
  if (ratings) loadOpts.ratings = ratings
  const ds: Dataset = loadDataset(datasetPath, loadOpts)
  for (const line of formatReports(ds.reports)) note(`warning: ${line}`)
  if (ds.unknownItems > 0) note(`warning: ${ds.unknownItems} item ids occur in events but not in the item file (kept as bare ids)`)
  timings['load dataset'] = performance.now() - t
  t = performance.now()
  const split = leaveOneOut(ds)
  timings['split'] = performance.now() - t
  const interactions = ds.users.reduce((s, u) => s + u.events.filter((e) => e.items.length > 0).length, 0)
  note(`${ds.name}: ${ds.users.length} users, ${split.universe.length} items with interactions, ${interactions} interactions; ${split.evalUsers} evaluated, ${split.trainOnlyUsers} train-only`)

  // 2. Tuning (validation only). The shipped tuned.json was tuned on ml-latest-small: it is
  // used for that dataset, or when --tuned names a file; on any other dataset the rows named
  // "defaults" must be the library's defaults (issue 11), and tuned rows need a tuning of their own.
  const tunedApplies = values.tuned !== undefined || values.tune === true || resolve(datasetPath) === resolve(DEFAULT_MOVIELENS_DIR)
  if (!tunedApplies && existsSync(tunedPath))
    note(
      `not using ${relative(process.cwd(), tunedPath)} (tuned on ${DEFAULT_MOVIELENS_DIR}): the profile rows use the library defaults, tuned rows are left out (tune this dataset, or pass --tuned FILE)`,
    )
  let tuned = tunedApplies ? readTuned(tunedPath) : null
  let tuning: TuningReport | null = tuned?.report ?? null
  if (values.tune) {
    t = performance.now()
    const tuner = new Tuner(ds, split, { ...DEFAULT_TUNE, seed, ...(limitUsers !== undefined ? { limitUsers } : {}), onStep: (l) => note(`tune: ${l}`) })
    // Always from START, so that `--tune` reproduces tuned.json whatever it held before.
    const r = await tuner.run(START)
    let eventWeights: TuningReport['eventWeights']
    if (ds.name.startsWith('movielens') && !ratings) {
      const graded = loadDataset(datasetPath, { ...loadOpts, ratings: { kind: 'graded', threshold: 4, strong: 'add_to_wishlist' } })
      eventWeights = await eventWeightSweep(graded, r.best, seed, limitUsers, (l) => note(`tune: ${l}`))
    }
    const bestKernel = r.best.kernel
    tuning = {
      objective: 'mean NDCG@10 on validation items, uniform-100 candidates',
      best: r.best,
      bestKernel,
      perKernel: r.perKernel,
      decayOff: r.decayOff,
      trace: r.trace,
      sweeps: r.sweeps,
      evaluations: r.evaluations,
      ms: r.ms,
      bytes: r.bytes,
      ...(eventWeights ? { eventWeights } : {}),
    }
    const perKernel: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(r.perKernel)) perKernel[k] = pointToJSON(v.point)
    mkdirSync(dirname(tunedPath), { recursive: true })
    writeFileSync(tunedPath, toJSON({ dataset: ds.name, seed, best: pointToJSON(r.best), perKernel, report: tuning }))
    note(`tune: wrote ${tunedPath}`)
    tuned = readTuned(tunedPath)
    timings['tuning'] = performance.now() - t
  }

  // 3. Models and the artifacts they need (built from training interactions only).
  const best: TunePoint = tuned?.best ?? START
  // Without a tuning for this dataset the table is built with the library's DEFAULT_ARTIFACT_OPTIONS.
  const ctx = createContext(ds, { seed, ...(tuned ? { similarity: best.sim } : {}) }, split)
  const encoderDir = values.encoder ?? DEFAULT_ENCODER_DIR
  // The rows a tuned file adds (`--config`) may be named in --model too; they come from the file.
  const FILE_ROWS = ['profile-tuned', 'encoder+profile-tuned']
  const asked = values.model?.split(',').map((x) => x.trim())
  const fileRows = asked?.filter((x) => FILE_ROWS.includes(x)) ?? []
  if (fileRows.length > 0 && !values.config) throw new Error(`model "${fileRows[0]}" is a row of a tuned file: pass --config FILE (a file written by npm run tune)`)
  const rest = asked?.filter((x) => x !== '' && !FILE_ROWS.includes(x))
  const models = rest && rest.length === 0 ? [] : selectModels(registry(tuned, itemPaths, encoderDir), rest?.join(','), (name, why) => note(`skipping model ${name}: ${why}`), ctx)
  if (values.config) {
    const rows = tunedFileRows(values.config)
    models.push(rows.profile)
    // With an encoder row selected, or the fused row named (and a model trained on this
    // catalogue), also the encoder fused with the file's weights: a tuned file is what the
    // browser loads beside the model.
    const enc = rows.encoder(encoderDir)
    if (models.some((m) => m.group === 'encoder') || fileRows.includes('encoder+profile-tuned')) {
      const why = enc.unavailable?.(ctx) ?? null
      if (why === null) models.push(enc)
      else if (fileRows.includes(enc.name)) throw new Error(`model "${enc.name}" cannot run: ${why}`)
      else note(`skipping model ${enc.name}: ${why}`)
    }
  }

  // 4. Run.
  const evalN = limitUsers !== undefined ? Math.min(limitUsers, split.evalUsers) : split.evalUsers
  const fullArg = values['full-users'] ?? 'auto'
  const fullUsers =
    fullArg === 'all'
      ? evalN
      : fullArg === 'auto'
        ? evalN * split.universe.length <= FULL_BUDGET
          ? evalN
          : Math.max(1, Math.floor(FULL_BUDGET / split.universe.length))
        : int(fullArg, 'full-users', 1)!
  if (protocols.includes('full') && fullUsers < evalN)
    note(`full ranking: a seeded sample of ${fullUsers} of ${evalN} users, each against all ${split.universe.length} items (--full-users all for every user)`)
  const bar = new Progress('eval', (limitUsers !== undefined ? Math.min(limitUsers, split.evalUsers) : split.evalUsers) * models.length)
  t = performance.now()
  const run = await runEvaluation(ctx, models, {
    protocols,
    phases,
    negatives,
    ties,
    fullUsers,
    ...(retention ? { retention } : {}),
    ...(limitUsers !== undefined ? { limitUsers } : {}),
    onProgress: (d, _n, label) => bar.update(d, label),
  })
  timings['evaluate (all models)'] = performance.now() - t
  for (const [k, v] of Object.entries(ctx.timings)) timings[`build ${k}`] = v
  for (const m of models) {
    const cells = run.cells.filter((c) => c.model === m.name)
    timings[`model ${m.name}: replay + score`] = run.replayMs[m.name]! + cells.reduce((s, c) => s + c.scoreMs, 0)
  }
  t = performance.now()
  const boot = new Bootstrap(run.users.length, B, seed)
  const results = summarise(run, split.universe.length, boot)
  const comparisons: Comparison[] = []
  const cellOf = (m: string, p: string, ph: string): Cell | undefined => run.cells.find((c) => c.model === m && c.protocol === p && c.phase === ph)
  for (const [a, b] of [
    ['profile', 'popularity'],
    ['profile-tuned', 'profile'],
    ['profile-tuned', 'popularity'],
    ['profile', 'profile-none'],
    ['profile-exponential', 'profile-none'],
    ['profile', 'cooc-last'],
    ['profile', 'profile-nosim'],
    ['encoder', 'profile'],
    ['encoder', 'encoder-notime'],
    ['encoder', 'encoder-timeoff'],
    ['encoder+profile', 'profile'],
    ['encoder+profile', 'encoder'],
    ['encoder+profile', 'profile-tuned'],
    ['encoder', 'profile-tuned'],
    ['encoder+profile-tuned', 'profile-tuned'],
    ['encoder+profile-tuned', 'encoder'],
    ['encoder+profile-tuned', 'encoder+profile'],
    ['encoder/feed', 'encoder'],
    ['encoder+profile/feed', 'encoder+profile'],
  ] as const)
    for (const p of protocols)
      for (const ph of phases) {
        const ca = cellOf(a, p, ph)
        const cb = cellOf(b, p, ph)
        if (ca && cb && ca.mrr.length > 0) comparisons.push({ a, b, protocol: p, phase: ph, metric: 'NDCG@10', diff: boot.resized(ca.mrr.length).diff(ca.ndcg[10]!, cb.ndcg[10]!) })
      }
  timings['bootstrap'] = performance.now() - t
  timings['total wall time'] = performance.now() - t0

  const art = models.some((m) => m.group === 'profile') ? ctx.artifact() : null
  const data: ReportData = {
    generated: new Date().toISOString(),
    command: `npm run eval -- ${argv.join(' ')}`.trim(),
    dataset: {
      name: ds.name,
      files: ds.files.map((f) => relative(process.cwd(), f)),
      users: ds.users.length,
      items: split.universe.length,
      catalogue: ds.items.size,
      interactions,
      evalUsers: run.users.length,
      trainOnlyUsers: split.trainOnlyUsers,
      eventMapping: ds.eventMapping,
      malformed: ds.reports.reduce((s, r) => s + r.malformed, 0),
      reports: ds.reports.map((r) => ({ ...r, file: relative(process.cwd(), r.file) })),
      unknownItems: ds.unknownItems,
    },
    protocol: { seed, negatives, ties, retention: retention ?? 'none (full history)', bootstrap: B, protocols, phases, cutoffs: [...CUTOFFS], limitUsers: limitUsers ?? null, fullUsers },
    similarity: art ? { options: art.lists.options, bytes: art.bytes, pairs: pairCount(art.lists), items: art.json.items.length } : {},
    models: models.map((m) => ({ name: m.name, description: m.description, group: m.group, ...(m.params ? { params: m.params } : {}) })),
    results,
    comparisons,
    timings,
    tuning,
  }

  // 5. Output.
  for (const ph of phases)
    for (const p of protocols) {
      const users = results.find((r) => r.protocol === p && r.phase === ph)?.users ?? 0
      process.stdout.write(
        users === 0 ? `\n${p} candidates, ${ph} items: no user has a target for this protocol\n` : `\n${p} candidates, ${ph} items (${users} users), mean (95% CI):\n${resultTable(results, p, ph)}\n`,
      )
    }
  process.stdout.write(`\nwall time ${(timings['total wall time']! / 1000).toFixed(1)} s\n`)
  if (values.json) {
    mkdirSync(dirname(values.json), { recursive: true })
    writeFileSync(values.json, toJSON(data))
    note(`wrote ${values.json}`)
  }
  if (values.report) for (const f of writeReport(values.report, data)) note(`wrote ${f}`)
  if (values['write-similarity']) {
    const out = values['write-similarity']
    const a = ctx.artifact()
    const json = {
      ...a.json,
      meta: {
        ...a.json.meta,
        licence: 'Derived from MovieLens ml-latest-small (GroupLens). Research use only, no commercial use; see LICENSE-DATA.md beside this file.',
        citation: 'F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM TiiS 5, 4: 19:1-19:19.',
      },
    }
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, JSON.stringify(json))
    writeLicence(join(dirname(out), 'LICENSE-DATA.md'), licenceText(relative(dirname(out), out), ds, best))
    note(`wrote ${out} (${a.bytes} bytes) and ${join(dirname(out), 'LICENSE-DATA.md')}`)
  }
  return { code: 0 }
}

const BEGIN = '<!-- similarity table: written by npm run eval -- --write-similarity -->'
const END = '<!-- end similarity table -->'

/**
 * The folder's LICENSE-DATA.md may also describe other derived files (the trained model):
 * only our marked section is written or replaced, the rest of the file is kept.
 */
function writeLicence(path: string, section: string): void {
  const block = `${BEGIN}\n${section}${END}\n`
  if (!existsSync(path)) {
    writeFileSync(path, `# Data licence (MovieLens-derived files in this folder)\n\n${block}`)
    return
  }
  const old = readFileSync(path, 'utf8')
  const a = old.indexOf(BEGIN)
  const b = old.indexOf(END)
  writeFileSync(path, a >= 0 && b > a ? old.slice(0, a) + block + old.slice(b + END.length + 1) : `${old.trimEnd()}\n\n${block}`)
}

function licenceText(file: string, ds: Dataset, best: TunePoint): string {
  return `## ${file}

\`${file}\` is an item-to-item similarity table (format \`localrank-similarity\` v1, see
src/interest/similarity.ts) computed by \`npm run eval -- --write-similarity\`
(src/offline/similarity/) from the TRAINING interactions of the MovieLens
"ml-latest-small" dataset (generated 2018-09-26) by GroupLens Research, University of
Minnesota (${ds.users.length} users; each user's last two ratings, the evaluation's
validation and test items, are left out). Parameters: window ${best.sim.window}, k ${best.sim.k},
α ${best.sim.alpha}, shrink ${best.sim.shrink}, min count ${best.sim.minCount}.

It is a transformation of that dataset and is redistributed under the same licence
conditions, which are (from the dataset's README.txt):

> The data set may be used for any research purposes under the following conditions:
>
> * The user may not state or imply any endorsement from the University of Minnesota or the
>   GroupLens Research Group.
> * The user must acknowledge the use of the data set in publications resulting from the use
>   of the data set (see below for citation information).
> * The user may redistribute the data set, including transformations, so long as it is
>   distributed under these same license conditions.
> * The user may not use this information for any commercial or revenue-bearing purposes
>   without first obtaining permission from a faculty member of the GroupLens Research
>   Project at the University of Minnesota.

It is NOT covered by the project's MIT licence.

**Citation:** F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets:
History and Context. ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4:
19:1–19:19. https://doi.org/10.1145/2827872
`
}

// Run when executed directly (tsx src/offline/eval/cli.ts), not when imported by a test.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (r) => process.exit(r.code),
    (err: unknown) => {
      if (err instanceof DatasetError) process.stderr.write(`error: ${err.message}\n`)
      else if ((err as { usage?: boolean }).usage || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) process.stderr.write(`error: ${(err as Error).message}\n\n${HELP}\n`)
      else process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exit(err instanceof DatasetError ? 1 : 2)
    },
  )
}

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_RANKER_CONFIG } from '../../rank'
import type { Interval } from '../metrics/bootstrap'
import { duration, type TunePoint } from './params'
import type { CellSummary } from './run'
import { barChart, logLineChart, type Series } from './svg'
import type { SweepPoint, TraceStep } from './tune'

export const METRICS = ['HR@5', 'HR@10', 'HR@20', 'NDCG@5', 'NDCG@10', 'NDCG@20', 'MRR', 'Coverage@10', 'ILD@10'] as const

/** Reference figures for ml-latest-small, uniform-100, test (issue 3; external script, 3 seeds). */
export const REFERENCE = [
  { method: 'Popularity', hr10: 0.601, ndcg10: 0.356 },
  { method: 'Co-occurrence with the last item', hr10: 0.667, ndcg10: 0.435 },
  { method: 'SASRec, reference implementation (100 epochs)', hr10: 0.706, ndcg10: 0.469 },
]

export interface Comparison {
  a: string
  b: string
  protocol: string
  phase: string
  metric: string
  diff: Interval
}

export interface TuningReport {
  objective: string
  best: TunePoint
  bestKernel: string
  perKernel: Record<string, { point: TunePoint; val: { ndcg10: number; hr10: number } }>
  decayOff: { point: TunePoint; val: { ndcg10: number; hr10: number } }
  trace: TraceStep[]
  sweeps: Record<string, SweepPoint[]>
  evaluations: number
  ms: number
  bytes: number
  eventWeights?: Array<{ weight: number; val: number; test?: number }>
}

export interface ReportData {
  generated: string
  command: string
  dataset: Record<string, unknown>
  protocol: Record<string, unknown>
  similarity: Record<string, unknown>
  models: Array<{ name: string; description: string; group: string; params?: unknown }>
  results: CellSummary[]
  comparisons: Comparison[]
  timings: Record<string, number>
  tuning?: TuningReport | null
}

const ci = (i: Interval | undefined, d = 3) => (i ? `${i.mean.toFixed(d)} (${i.lo.toFixed(d)}–${i.hi.toFixed(d)})` : '–')

/** One Markdown table: models × metrics for one (protocol, phase), "mean (95% CI)". */
export function resultTable(results: CellSummary[], protocol: string, phase: string, metrics: readonly string[] = METRICS): string {
  const rows = results.filter((r) => r.protocol === protocol && r.phase === phase)
  if (rows.length === 0) return ''
  const head = `| model | ${metrics.join(' | ')} |\n|---|${metrics.map(() => '---').join('|')}|`
  const body = rows.map((r) => `| ${r.model} | ${metrics.map((m) => ci(r.metrics[m])).join(' | ')} |`).join('\n')
  return `${head}\n${body}`
}

export function comparisonTable(cs: Comparison[]): string {
  if (cs.length === 0) return ''
  return [
    '| A − B | protocol | phase | metric | mean difference (95% CI, paired bootstrap) |',
    '|---|---|---|---|---|',
    ...cs.map((c) => `| ${c.a} − ${c.b} | ${c.protocol} | ${c.phase} | ${c.metric} | ${c.diff.mean >= 0 ? '+' : ''}${ci(c.diff, 4)} |`),
  ].join('\n')
}

function fmtValue(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(+v.toPrecision(4)) : '∞'
  return String(v)
}

export function pointTable(p: TunePoint): string {
  const rows: Array<[string, string]> = [
    ['kernel (long and short)', p.kernel],
    ['long-term τ (weight ½ at this age)', duration(p.longTau)],
    ['short-term τ', duration(p.shortTau)],
    ...(p.kernel === 'power' ? ([['power exponent', String(p.powerExponent)]] as Array<[string, string]>) : []),
    ['gate bias / slope', `${p.gate.bias} / ${p.gate.slope}`],
    ['featureWeights.category (similar = 1)', fmtValue(p.category)],
    ['ranker weights.profile (server = 1)', fmtValue(p.profileWeight)],
    ['ranker serverTransform', p.serverTransform],
    ['similarity: window / distance exponent β / future weight', `${fmtValue(p.sim.window)} / ${p.sim.distanceExponent} / ${p.sim.future}`],
    ['similarity: gap half-life / α / shrink', `${duration(p.sim.gapHalfLifeMs)} / ${p.sim.alpha} / ${p.sim.shrink}`],
    ['similarity: k / min count / symmetric', `${p.sim.k} / ${p.sim.minCount} / ${p.sim.symmetric}`],
  ]
  return ['| parameter | value |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n')
}

function traceTable(trace: TraceStep[]): string {
  const rows = trace.map((t) => {
    const tried = t.tried.map(
      (x) =>
        `${x.value === t.chosen ? '**' : ''}${typeof x.value === 'number' && /Tau|gapHalf/.test(t.dim) ? duration(x.value) : fmtValue(x.value)}: ${x.ndcg10 === null ? 'over budget' : x.ndcg10.toFixed(4)}${x.value === t.chosen ? '**' : ''}`,
    )
    return `| ${t.stage} | ${t.pass} | ${t.dim} | ${tried.join(', ')} |`
  })
  return ['| stage | pass | parameter | val NDCG@10 per value (chosen in bold) |', '|---|---|---|---|', ...rows].join('\n')
}

export function renderMarkdown(d: ReportData, plots: string[]): string {
  const protocols = [...new Set(d.results.map((r) => r.protocol))]
  const phases = [...new Set(d.results.map((r) => r.phase))]
  const ds = d.dataset
  const out: string[] = []
  out.push(`# Offline evaluation report`, '')
  out.push(
    `Generated ${d.generated} by \`${d.command}\`. Every figure is a mean over users with its 95% percentile-bootstrap interval (${String(d.protocol.bootstrap)} resamples of users, seeded, shared by all rows so that differences are paired).`,
    '',
  )
  out.push(...headline(d))
  out.push(`## Data and protocol`, '')
  out.push(
    `- Dataset: **${String(ds.name)}** (${String(ds.users)} users, ${String(ds.items)} items, ${String(ds.interactions)} interactions; ${String(ds.eventMapping)}). Malformed rows: ${String(ds.malformed)}.`,
  )
  out.push(
    `- Leave-one-out (SASRec): per user, events sorted by time (ties in file order); last interaction = test, second-to-last = validation; ${String(ds.evalUsers)} users evaluated, ${String(ds.trainOnlyUsers)} with < 3 interactions train-only.`,
  )
  out.push(
    `- Candidates: uniform = held-out + ${String(d.protocol.negatives)} uniform negatives; popularity = ${String(d.protocol.negatives)} negatives ∝ interaction count; full = every item the user never touched. Seed ${String(d.protocol.seed)}.`,
  )
  out.push(`- History replayed: ${typeof d.protocol.retention === 'string' ? String(d.protocol.retention) : `the browser store's retention (${JSON.stringify(d.protocol.retention)})`}.`)
  out.push(
    `- The candidate list is the server's list: ordered by train-set popularity, \`score\` = popularity. Profile models replay the user's events through \`InterestProfile.add\` and rank with \`rerank\` from src/rank (the engine's path); "now" = the held-out event's time.`,
  )
  out.push(
    `- Ties: ${String(d.protocol.ties)} (the expected metric over a random order of the tied block; never optimistic). Coverage@10 = distinct items in all top-10 lists / ${String(ds.items)} items; ILD@10 = mean pairwise (1 − Jaccard) of genres in the top 10.`,
  )
  out.push(`- Similarity table: ${String(d.similarity.bytes)} bytes, ${String(d.similarity.pairs)} pairs over ${String(d.similarity.items)} items, built from training interactions only.`, '')
  out.push(`## Results`, '')
  for (const phase of phases.includes('test') ? ['test', ...phases.filter((p) => p !== 'test')] : phases) {
    for (const p of protocols) {
      const t = resultTable(d.results, p, phase)
      if (!t) continue
      out.push(`### ${p} candidates, ${phase} items`, '', t, '')
    }
  }
  out.push(`Reference figures for uniform-100 / test (issue 3, external script, mean of 3 seeds): ${REFERENCE.map((r) => `${r.method} HR@10 ${r.hr10} / NDCG@10 ${r.ndcg10}`).join('; ')}.`, '')
  if (d.comparisons.length > 0) out.push(`### Paired differences`, '', comparisonTable(d.comparisons), '')
  if (plots.length > 0) out.push(`### Plots`, '', ...plots.map((p) => `![${p}](${p})`), '')
  const tu = d.tuning
  if (tu) {
    out.push(`## Decay tuning (validation items only)`, '')
    out.push(
      `Objective: ${tu.objective}. Coordinate descent over the grids in params.ts (${tu.evaluations} evaluations, ${(tu.ms / 1000).toFixed(0)} s); similarity tables over the size budget were not evaluated. Test items were scored only at the chosen points and along the τ sweeps plotted below. Best kernel on validation: **${tu.bestKernel}**.`,
      '',
    )
    out.push(`### Chosen parameters`, '', pointTable(tu.best), '')
    out.push(`### Per kernel (each kernel's time scales and gate re-tuned from the joint point)`, '')
    out.push(
      [
        '| kernel | long τ | short τ | gate bias | val NDCG@10 | val HR@10 |',
        '|---|---|---|---|---|---|',
        ...Object.entries(tu.perKernel).map(
          ([k, v]) =>
            `| ${k}${k === 'power' ? ` (p = ${v.point.powerExponent})` : ''} | ${duration(v.point.longTau)} | ${duration(v.point.shortTau)} | ${v.point.gate.bias} | ${v.val.ndcg10.toFixed(4)} | ${v.val.hr10.toFixed(4)} |`,
        ),
        `| none (decay off) | – | – | – | ${tu.decayOff.val.ndcg10.toFixed(4)} | ${tu.decayOff.val.hr10.toFixed(4)} |`,
      ].join('\n'),
      '',
    )
    out.push(`### NDCG@10 against the long-term time scale (val and test; other parameters at each kernel's tuned point)`, '')
    const taus = tu.sweeps[Object.keys(tu.sweeps)[0]!]?.map((p) => p.tau) ?? []
    out.push(
      [
        '| kernel | ' + taus.map(duration).join(' | ') + ' |',
        '|---|' + taus.map(() => '---').join('|') + '|',
        ...Object.entries(tu.sweeps).flatMap(([k, pts]) => [
          `| ${k} (val) | ${pts.map((p) => p.val.ndcg10.toFixed(4)).join(' | ')} |`,
          `| ${k} (test) | ${pts.map((p) => p.test.ndcg10.toFixed(4)).join(' | ')} |`,
        ]),
      ].join('\n'),
      '',
    )
    if (tu.eventWeights) {
      out.push(`### Event weights (graded mapping: rating ≥ 4 → add_to_wishlist, else view_item)`, '')
      out.push(
        [
          '| add_to_wishlist weight (view_item = 1) | val NDCG@10 | test NDCG@10 |',
          '|---|---|---|',
          ...tu.eventWeights.map((e) => `| ${e.weight} | ${e.val.toFixed(4)} | ${e.test === undefined ? '–' : e.test.toFixed(4)} |`),
        ].join('\n'),
        '',
      )
    }
    out.push(`### Search trace`, '', traceTable(tu.trace), '')
  }
  out.push(
    `## Reproduce`,
    '',
    '- This report: `npm run eval -- --model baselines,profiles --protocol all --phase both --report src/offline/eval/report --write-similarity public/model/similarity.json` (reads src/offline/eval/tuned.json; `--render src/offline/eval/report/results.json` re-draws it without re-running).',
    '- The tuning: `npm run eval -- --tune` (coordinate descent from `START` in params.ts; rewrites tuned.json, ~12 min on 2 cores).',
    '- The uniform-100 evaluation of the decay profile alone: `npm run eval -- --model profile --protocol uniform`.',
    '- The encoder rows: `LOCALRANK_ENCODER_NOTIME_MODEL=DIR npm run eval -- --model all --protocol all --phase both` with DIR an export of `npm run train -- --no-time --no-gap --out DIR` (the shipped model is public/model).',
    '',
    `## Known limits`,
    '',
    "- Leave-one-out is not a time split: the similarity table and popularity use other users' training interactions, some of which happened after a given user's test event. This is the published protocol (and the reference figures share it), but a live shop only has the past.",
    '- Tuned on one dataset with one event type. MovieLens has no brands, prices, searches or repeat views, so those weights are untouched; event weights were probed only with a rating-based proxy (graded mapping).',
    '- With gate bias 0 the short-term profile keeps half the weight even when nothing happened recently (shares are normalised per profile, so the latest events dominate the short profile however old): on MovieLens the latest ratings are the best guide to the next one.',
    "- Full history is replayed by default; `--retention store` applies the browser store's default retention (180 days, 5,000 events) instead.",
    '',
  )
  out.push(`## Timings`, '', ['| stage | seconds |', '|---|---|', ...Object.entries(d.timings).map(([k, v]) => `| ${k} | ${(v / 1000).toFixed(2)} |`)].join('\n'), '')
  out.push(
    `## Licence of the data`,
    '',
    `MovieLens data: F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM TiiS 5, 4: 19:1-19:19. Used under the GroupLens terms (research use, no endorsement).`,
    '',
  )
  return out.join('\n')
}

/** The answer first: the tuned profile against the server's order, decay off and the targets (uniform-100, test). */
export function headline(d: ReportData): string[] {
  const get = (m: string, p = 'uniform', ph = 'test') => d.results.find((r) => r.model === m && r.protocol === p && r.phase === ph)
  const prof = get('profile')
  const pop = get('popularity')
  if (!prof || !pop) return []
  const n = (r: CellSummary) => r.metrics['NDCG@10']!
  const out = ['## Headline (uniform-100 candidates, test items)', '']
  const rel = (n(prof).mean / n(pop).mean - 1) * 100
  out.push(
    `- **profile** (library defaults + similarity table): NDCG@10 ${ci(n(prof))}, HR@10 ${ci(prof.metrics['HR@10'])}; popularity (the server's order) NDCG@10 ${ci(n(pop))}: ${rel >= 0 ? '+' : ''}${rel.toFixed(1)}% relative (target: ≥ +25%, NDCG@10 ≥ 0.445 — ${n(prof).mean >= 0.445 ? 'met' : 'NOT met'}).`,
  )
  const off = get('profile-none')
  const diff = (a: string) => d.comparisons.find((x) => x.a === a && x.b === 'profile-none' && x.protocol === 'uniform' && x.phase === 'test')
  const signed = (i: Interval) => `${i.mean >= 0 ? '+' : ''}${ci(i, 4)}`
  const c1 = diff('profile-exponential')
  const c2 = diff('profile')
  if (off)
    out.push(
      `- Decay off (profile-none: the tuned point with kernel none): NDCG@10 ${ci(n(off))}${c1 ? `; profile-exponential − profile-none = ${signed(c1.diff)}` : ''}${c2 ? `; profile − profile-none = ${signed(c2.diff)}` : ''} (paired bootstrap).`,
    )
  const cl = get('cooc-last')
  if (cl)
    out.push(`- Co-occurrence with the last item: NDCG@10 ${ci(n(cl))}, HR@10 ${ci(cl.metrics['HR@10'])} (reference 0.435 / 0.667); popularity HR@10 ${ci(pop.metrics['HR@10'])} (reference 0.601).`)
  const enc = get('encoder')
  if (enc) {
    const vs = (a: string, b: string) => d.comparisons.find((x) => x.a === a && x.b === b && x.protocol === 'uniform' && x.phase === 'test')
    const parts = [
      `- **encoder** (the shipped time-aware Transformer alone): NDCG@10 ${ci(n(enc))}, HR@10 ${ci(enc.metrics['HR@10'])} (targets HR@10 ≥ 0.76, NDCG@10 ≥ 0.52 — ${enc.metrics['HR@10']!.mean >= 0.76 && n(enc).mean >= 0.52 ? 'met' : 'NOT met'}; SASRec reference 0.728 / 0.494)`,
    ]
    const ep = vs('encoder', 'profile')
    if (ep) parts.push(`encoder − profile = ${signed(ep.diff)}`)
    const nt = get('encoder-notime')
    const en = vs('encoder', 'encoder-notime')
    if (nt) parts.push(`without its time signal (encoder-notime) NDCG@10 ${ci(n(nt))}${en ? `, encoder − encoder-notime = ${signed(en.diff)}` : ''}`)
    const off = get('encoder-timeoff')
    const eo = vs('encoder', 'encoder-timeoff')
    if (off) parts.push(`the same trained model with its time inputs switched off at inference (encoder-timeoff) NDCG@10 ${ci(n(off))}${eo ? `, encoder − encoder-timeoff = ${signed(eo.diff)}` : ''}`)
    const fused = get('encoder+profile')
    const fp = vs('encoder+profile', 'profile')
    if (fused) parts.push(`fused with the profile as the browser runs it (encoder+profile) NDCG@10 ${ci(n(fused))}${fp ? `, encoder+profile − profile = ${signed(fp.diff)}` : ''}`)
    out.push(parts.join('; ') + ' (paired bootstrap).')
  }
  const t = d.timings['model profile: replay + score']
  if (t !== undefined) out.push(`- Time in the profile model for all protocols and phases of this run: ${(t / 1000).toFixed(1)} s (replaying every user's events and ranking every list).`)
  const tu = d.tuning
  if (tu && tu.best.profileWeight !== DEFAULT_RANKER_CONFIG.weights.profile) {
    const step = tu.trace.filter((x) => x.dim === 'profileWeight').at(-1)
    const at = (v: number) => step?.tried.find((x) => x.value === v)?.ndcg10
    out.push(
      `- The ranker keeps its own fusion default weights.profile = ${DEFAULT_RANKER_CONFIG.weights.profile} (server 1); tuning chose ${tu.best.profileWeight}, but validation cannot tell them apart (val NDCG@10 ${at(tu.best.profileWeight)?.toFixed(4) ?? '?'} vs ${at(DEFAULT_RANKER_CONFIG.weights.profile)?.toFixed(4) ?? '?'}), so the "profile" row runs the library's value.`,
    )
  }
  out.push('')
  return out
}

/** Write report.md, results.json and the SVG plots into `dir`. Returns the files written. */
export function writeReport(dir: string, d: ReportData): string[] {
  mkdirSync(dir, { recursive: true })
  const files: string[] = []
  const plots: string[] = []
  const protocols = [...new Set(d.results.map((r) => r.protocol))]
  for (const p of protocols) {
    const rows = d.results.filter((r) => r.protocol === p && r.phase === 'test')
    if (rows.length === 0) continue
    const name = `ndcg10-${p}.svg`
    const ref =
      p === 'uniform'
        ? [
            { label: 'ref. popularity 0.356', value: 0.356 },
            { label: 'target 0.445', value: 0.445 },
          ]
        : undefined
    const groupOf = (m: string) => d.models.find((x) => x.name === m)?.group ?? ''
    writeFileSync(
      join(dir, name),
      barChart(
        `NDCG@10, ${p} candidates, test items (95% CI)`,
        'NDCG@10',
        rows.map((r) => ({ label: r.model, mean: r.metrics['NDCG@10']!.mean, lo: r.metrics['NDCG@10']!.lo, hi: r.metrics['NDCG@10']!.hi, group: groupOf(r.model) })),
        ref,
      ),
    )
    plots.push(name)
  }
  if (d.tuning && Object.keys(d.tuning.sweeps).length > 0) {
    const series: Series[] = []
    Object.entries(d.tuning.sweeps).forEach(([k, pts], i) => {
      const mark = d.tuning!.perKernel[k]?.point.longTau
      series.push({ label: `${k} (val)`, points: pts.map((p) => ({ x: p.tau, y: p.val.ndcg10 })), colour: i, ...(mark !== undefined ? { mark } : {}) })
      series.push({ label: `${k} (test)`, points: pts.map((p) => ({ x: p.tau, y: p.test.ndcg10 })), colour: i, dashed: true })
    })
    const name = 'ndcg10-vs-halflife.svg'
    writeFileSync(
      join(dir, name),
      logLineChart('NDCG@10 vs long-term τ, uniform-100 (○ = chosen on val)', 'τ: age at which the weight is ½ (log scale)', 'NDCG@10', series, duration, decayOffLines(d)),
    )
    plots.push(name)
  }
  for (const p of plots) files.push(join(dir, p))
  writeFileSync(join(dir, 'README.md'), renderMarkdown(d, plots))
  files.push(join(dir, 'README.md'))
  writeFileSync(join(dir, 'results.json'), toJSON(d))
  files.push(join(dir, 'results.json'))
  return files
}

/** Horizontal lines for decay off: its validation score from tuning, its test score from this run when present. */
function decayOffLines(d: ReportData): Array<{ label: string; y: number }> {
  const out = [{ label: `decay off (val) ${d.tuning!.decayOff.val.ndcg10.toFixed(3)}`, y: d.tuning!.decayOff.val.ndcg10 }]
  const test = d.results.find((r) => r.model === 'profile-none' && r.protocol === 'uniform' && r.phase === 'test')
  if (test) out.push({ label: `decay off (test) ${test.metrics['NDCG@10']!.mean.toFixed(3)}`, y: test.metrics['NDCG@10']!.mean })
  return out
}

/** JSON with Infinity kept as the string "Infinity" (JSON has no infinities). */
export function toJSON(d: unknown): string {
  return JSON.stringify(d, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v), 1)
}

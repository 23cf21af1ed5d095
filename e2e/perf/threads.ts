/**
 * Issue 14: what WASM threads give once a page is cross-origin isolated (the bench's `threads`
 * section; `npm run bench -- --only threads`, or `npx tsx e2e/perf/threads.ts` on its own).
 *
 * The same engine (the built library), the same seeded histories and the same warm reranks as
 * the rerank section, run twice per history in one browser: on the bench page as it is
 * (single-thread WASM, no SharedArrayBuffer) and on the same page served with COOP/COEP
 * (`?coi=1`, e2e/serve.ts), where the encoder picks tfjs-wasm's threaded SIMD build. The two
 * runs of a history follow each other, in alternating order, so that a shared machine's load
 * moves both: compare the ratios, not the absolute times. Both the engine's rerank and the raw
 * pass in its worker (full encode + scoring, the worker's own clock) are reported.
 *
 * On this 2-core machine threads can give at most 2×, less what the page and the other
 * processes take. The thread count the engine's worker really computes with is read from its
 * backend reason (tfjs-wasm's getThreadsCount after init, src/encoder/runtime.ts): 1 on 2 cores
 * (tfjs-wasm's cap), so a bench worker (threads-worker.ts) also runs the raw pass with pools of
 * 1 and 2 forced, on the same isolated page.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { existsSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Candidate } from '../../src/rank/types'
import type { SuiteResult } from './browser/bench-page'
import { startHarness, type Harness } from './lib/browser'
import { bundleBrowserHelpers, ROOT } from './lib/bundle'
import { Progress } from './lib/progress'
import { cell, fmt, table } from './lib/report'
import { derived, missing, row } from './lib/rows'
import type { Row, Section } from './lib/schema'
import { ratio } from './lib/stats'

export interface ThreadsPlan {
  histories: number[]
  candidates: number[]
  reps: number
}

export function threadsPlan(quick: boolean): ThreadsPlan {
  return quick ? { histories: [20], candidates: [10], reps: 1 } : { histories: [50, 200, 1000], candidates: [100, 500, 2000], reps: 5 }
}

/** Progress steps: seeding, then one per history. */
export const threadsSteps = (p: ThreadsPlan) => 1 + p.histories.length

type Mode = 'single' | 'threaded'
const MODES: Mode[] = ['single', 'threaded']

/** "…; 2 WASM threads" (runtime.ts) → 2; null when the reason names no count. */
export function threadCount(reason: string): number | null {
  const m = /; (\d+) WASM threads/.exec(reason)
  return m ? Number(m[1]) : null
}

/** Why a mode's suite does not measure what it claims (threads missing or present), or null. */
export function modeProblem(mode: Mode, isolated: boolean, reason: string): string | null {
  if (mode === 'single') return /no threads/.test(reason) ? null : `the plain page did not run single-thread WASM (${reason || 'no backend'})`
  if (!isolated) return 'the ?coi=1 page is not cross-origin isolated'
  if (!/WASM \([^)]*, threads\)/.test(reason) || /failed/.test(reason)) return `the isolated page did not run threaded WASM (${reason || 'no backend'})`
  return null
}

const suiteOn = (page: Page, a: Record<string, unknown>) => page.evaluate(async (a) => (await import('/perf-gen/bench-page.js' as string)).rerankSuite(a), a) as Promise<SuiteResult>

/** The warm reps' samples of one suite for `c` candidates: engine.rerank ms and the worker's encode + score. */
function samples(r: SuiteResult, c: number): { rerank: number[]; pass: number[]; fullEncodes: number; offPath: string | null } {
  const reps = r.runs.find((x) => x.candidates === c && x.state === 'warm')?.reps ?? []
  const ok = reps.filter((x) => x.path === 'encoder' && x.encodeMs !== null)
  const off = reps.find((x) => x.path !== 'encoder')
  return {
    rerank: ok.map((x) => x.ms),
    pass: ok.map((x) => x.encodeMs! + x.scoreMs),
    fullEncodes: reps.reduce((a, x) => a + x.full, 0),
    offPath: off ? `a rep answered on the ${off.path} path: ${off.reason}` : null,
  }
}

export async function threadsSection(h: Harness, quick: boolean, model: boolean, pool: Candidate[], progress: Progress): Promise<Section> {
  const s: Section = { status: 'ok', seconds: 0, rows: [], notes: [] }
  const P = threadsPlan(quick)
  if (!model) {
    s.status = 'unavailable'
    s.reason = 'model missing (dist/model/model.json)'
    progress.step('threads: model missing', threadsSteps(P))
    return s
  }
  let ctx: BrowserContext | null = null
  try {
    ctx = await h.newContext()
    // One context: both pages are the same origin, so they share the seeded IndexedDB histories.
    const pages: Record<Mode, Page> = { single: await h.openBenchPage(ctx), threaded: await h.openBenchPage(ctx, '?coi=1') }
    const isolated = await pages.threaded.evaluate(() => self.crossOriginIsolated)
    for (const hh of P.histories) {
      const n = await pages.single.evaluate(async ([db, pool, n]) => (await import('/perf-gen/bench-page.js' as string)).seed(db, pool, n), [`bench-threads-h${hh}`, pool, hh] as const)
      if (n !== hh) s.notes.push(`history ${hh}: ${n} events stored`)
    }
    progress.step('threads: histories seeded')
    const reasons: Record<Mode, string> = { single: '', threaded: '' }
    for (const [i, hh] of P.histories.entries()) {
      progress.note(`threads: history ${hh}`)
      const order: Mode[] = i % 2 ? ['threaded', 'single'] : ['single', 'threaded']
      const got = {} as Record<Mode, SuiteResult>
      for (const mode of order)
        got[mode] = await suiteOn(pages[mode], {
          dbName: `bench-threads-h${hh}`,
          model: '/model/model.json',
          backend: 'wasm',
          pool,
          candidates: P.candidates,
          reps: P.reps,
          coldReps: 0,
          readyTimeoutMs: 120_000,
          states: ['warm'],
          roundTrips: 0,
        })
      for (const mode of MODES) {
        reasons[mode] ||= got[mode].reason
        if (got[mode].error) s.notes.push(`${mode} history ${hh}: ${got[mode].error}`)
      }
      const problem = MODES.map((m) => modeProblem(m, isolated, got[m].reason)).find((x) => x !== null) ?? null
      for (const c of P.candidates) {
        const at = { group: 'threads', backend: 'wasm', history: hh, candidates: c }
        const m = { single: samples(got.single, c), threaded: samples(got.threaded, c) }
        const why = (mode: Mode) => problem ?? got[mode].error ?? m[mode].offPath ?? 'no warm reps'
        const rows: Record<string, Row> = {}
        for (const mode of MODES) {
          rows[`rerank/${mode}`] = row(
            `threads/wasm/h${hh}/c${c}/rerank/${mode}`,
            `wasm h${hh} c${c} rerank ${mode}`,
            'ms',
            problem ? [] : m[mode].rerank,
            { ...at, measure: 'rerank', mode, fullEncodes: m[mode].fullEncodes },
            why(mode),
          )
          rows[`pass/${mode}`] = row(`threads/wasm/h${hh}/c${c}/pass/${mode}`, `wasm h${hh} c${c} worker pass ${mode}`, 'ms', problem ? [] : m[mode].pass, { ...at, measure: 'pass', mode }, why(mode))
        }
        for (const measure of ['rerank', 'pass'] as const) {
          const t = rows[`${measure}/threaded`]!
          const one = rows[`${measure}/single`]!
          s.rows.push(
            one,
            t,
            derived(
              `threads/wasm/h${hh}/c${c}/${measure}/ratio`,
              `wasm h${hh} c${c} ${measure} threaded ÷ single`,
              '×',
              ratio(t.p50, one.p50),
              { ...at, measure, mode: 'ratio' },
              problem ?? 'one side has no samples',
            ),
          )
        }
      }
      progress.step(`threads: history ${hh}`)
    }
    if (isolated) s.rows.push(...(await forcedPasses(pages.threaded, P, progress)))
    else s.rows.push(missing('threads/raw', 'raw pass at forced thread counts', 'ms', 'the ?coi=1 page is not cross-origin isolated', { group: 'threads-raw' }))
    const problems = MODES.map((m) => modeProblem(m, isolated, reasons[m])).filter((x) => x !== null)
    if (problems.length) {
      s.status = 'partial'
      s.reason = problems.join('; ')
    }
    const n = threadCount(reasons.threaded)
    s.rows.push(
      derived(
        'threads/count',
        'Threads the threaded WASM build computes with (tfjs-wasm getThreadsCount)',
        'threads',
        n,
        { group: 'threads-info', reason: reasons.threaded },
        `no count in the backend reason: ${reasons.threaded || 'none'}`,
      ),
    )
    const ratios = s.rows.filter((x) => x.attrs.mode === 'ratio' && x.p50 !== null)
    for (const measure of ['rerank', 'pass'] as const) {
      const v = ratios.filter((x) => x.attrs.measure === measure).map((x) => x.p50!)
      s.rows.push(
        row(
          `threads/ratio/${measure}`,
          `threaded ÷ single, ${measure === 'pass' ? 'worker pass' : 'engine.rerank'}, over the ${v.length} sizes`,
          '×',
          v,
          { group: 'threads-info', measure },
          'no ratio measured',
        ),
      )
    }
    s.notes.push(`single: ${reasons.single || 'no backend'}. threaded: ${reasons.threaded || 'no backend'}.`)
  } catch (e) {
    s.status = 'unavailable'
    s.reason = `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`
  } finally {
    await ctx?.close()
  }
  s.notes.push(
    'Threads: the engine of the built library with backend "wasm", warm reps only (the history re-sent inside the timed window, so each rep is a full encode + scoring), on e2e/fixtures/perf-page.html without and with ?coi=1 (COOP same-origin + COEP require-corp). Both runs of a history come one after the other, in alternating order, and every ratio is threaded p50 ÷ single-thread p50 of that pair.',
  )
  s.notes.push(
    'Thread counts: the engine asks tfjs-wasm for hardwareConcurrency − 1 threads (at most 4), and tfjs-wasm caps its pool at hardwareConcurrency / 2 (it assumes 2 hardware threads per core), so on this 2-core machine the engine\'s threaded build computes on 1 thread (the "threaded" engine columns). The raw-pass table forces pools of 1 and 2 in a bench worker (threads-worker.ts) to show what 2 threads give. On 2 cores the best case is 2×, before the page, the browser and other processes take their share; XNNPACK\'s pthreadpool workers spin while they wait, so on a loaded machine a second thread can cost more than it gives.',
  )
  return s
}

/** Thread counts of the forced raw passes (0: the single-thread build). */
export const FORCED = [0, 1, 2] as const
const forcedName = (t: number) => (t === 0 ? 'single' : `t${t}`)

interface ForcedInit {
  backend: string
  wasmThreads: number | null
}

/**
 * The raw pass (full encode + scoring, no engine) in threads-worker.ts, one worker per thread
 * count, all on the isolated page: the single-thread build, the threaded build with a pool of
 * 1 (what the engine gets on 2 cores) and of 2. For each size the workers take turns, in
 * rotating order; ratios are p50 ÷ single-thread p50 of the same size, and the scores of each
 * threaded pool are compared with the single-thread ones (max |difference|).
 */
async function forcedPasses(page: Page, P: ThreadsPlan, progress: Progress): Promise<Row[]> {
  type Run = { times: number[]; scores: number[]; fullEncodes: number }
  const out = (await page.evaluate(
    async ({ counts, sizes, reps }) => {
      const mod = (await import('/perf-gen/bench-page.js' as string)) as {
        benchWorker(u: string): { call<T>(op: string, a?: Record<string, number | string>): Promise<T>; terminate(): void }
      }
      const ws = counts.map(() => mod.benchWorker('/perf-gen/threads-worker.js'))
      try {
        const inits: Array<ForcedInit | { error: string }> = []
        for (const [i, t] of counts.entries())
          inits.push(await ws[i]!.call<ForcedInit>('init', { threads: t, model: new URL('/model/model.json', location.href).href }).catch((e: Error) => ({ error: e.message })))
        const runs: Record<string, Run | { error: string }> = {}
        for (const [k, [h, c]] of sizes.entries())
          for (let j = 0; j < counts.length; j++) {
            const i = (j + k) % counts.length
            if ('error' in inits[i]!) continue
            runs[`${counts[i]}/${h}/${c}`] = await ws[i]!.call<Run>('pass', { history: h, candidates: c, reps }).catch((e: Error) => ({ error: e.message }))
          }
        return { inits, runs }
      } finally {
        for (const w of ws) w.terminate()
      }
    },
    { counts: [...FORCED], sizes: P.histories.flatMap((h) => P.candidates.map((c) => [h, c] as [number, number])), reps: P.reps },
  )) as { inits: Array<ForcedInit | { error: string }>; runs: Record<string, Run | { error: string }> }
  progress.note('threads: forced thread counts')
  const rows: Row[] = []
  const initErr = (i: number) => {
    const x = out.inits[i]!
    if ('error' in x) return `init failed: ${x.error}`
    return FORCED[i]! > 0 && x.wasmThreads !== FORCED[i] ? `asked for ${FORCED[i]} threads, tfjs-wasm reports ${x.wasmThreads}` : null
  }
  for (const [i, t] of FORCED.entries()) {
    const x = out.inits[i]!
    rows.push(
      derived(
        `threads/raw/${forcedName(t)}/count`,
        `raw pass, ${forcedName(t)}: threads tfjs-wasm reports`,
        'threads',
        'error' in x ? null : x.wasmThreads,
        { group: 'threads-raw-info', threads: t },
        initErr(i) ?? 'no count',
      ),
    )
  }
  for (const h of P.histories)
    for (const c of P.candidates) {
      const at = { group: 'threads-raw', backend: 'wasm', history: h, candidates: c }
      const get = (t: number) => out.runs[`${t}/${h}/${c}`]
      const one = get(0)
      const base = row(
        `threads/raw/h${h}/c${c}/single`,
        `raw pass h${h} c${c} single-thread`,
        'ms',
        one && !('error' in one) ? one.times : [],
        { ...at, threads: 0 },
        initErr(0) ?? (one && 'error' in one ? one.error : 'not run'),
      )
      rows.push(base)
      for (const t of FORCED.filter((x) => x > 0)) {
        const r = get(t)
        const ok = r && !('error' in r) ? r : null
        const i = FORCED.indexOf(t)
        let maxDiff: number | null = null
        if (ok && one && !('error' in one) && ok.scores.length === one.scores.length) maxDiff = ok.scores.reduce((m, v, k) => Math.max(m, Math.abs(v - one.scores[k]!)), 0)
        const tr = row(
          `threads/raw/h${h}/c${c}/t${t}`,
          `raw pass h${h} c${c} ${t} thread${t > 1 ? 's' : ''}`,
          'ms',
          ok && !initErr(i) ? ok.times : [],
          { ...at, threads: t, maxScoreDiff: maxDiff },
          initErr(i) ?? (r && 'error' in r ? r.error : 'not run'),
        )
        rows.push(
          tr,
          derived(
            `threads/raw/h${h}/c${c}/t${t}/ratio`,
            `raw pass h${h} c${c} ${t} thread${t > 1 ? 's' : ''} ÷ single`,
            '×',
            ratio(tr.p50, base.p50),
            { ...at, threads: t, mode: 'ratio' },
            'one side has no samples',
          ),
        )
      }
    }
  for (const t of FORCED.filter((x) => x > 0)) {
    const v = rows.filter((x) => x.attrs.mode === 'ratio' && x.attrs.threads === t && x.p50 !== null).map((x) => x.p50!)
    rows.push(row(`threads/raw/ratio/t${t}`, `raw pass, ${t} thread${t > 1 ? 's' : ''} ÷ single, over the ${v.length} sizes`, '×', v, { group: 'threads-raw-info', threads: t }, 'no ratio measured'))
  }
  return rows
}

/** The section as Markdown: one table, single-thread beside threaded, per size. */
export function renderThreads(s: Section | undefined): string[] {
  if (!s) return []
  const L: string[] = ['## WASM threads (cross-origin-isolated page)', '', `Status: ${s.status}${s.reason ? ` (${s.reason})` : ''}; ${s.seconds.toFixed(0)} s.`, '']
  const get = (id: string) => s.rows.find((x) => x.id === id)
  const grid = s.rows.filter((x) => x.attrs.group === 'threads' && x.attrs.measure === 'rerank' && x.attrs.mode === 'ratio')
  if (grid.length) {
    const lines = grid.map((x) => {
      const k = `threads/wasm/h${x.attrs.history}/c${x.attrs.candidates}`
      const r = (id: string) => {
        const v = get(id)
        return v?.p50 == null ? 'n/a' : `${fmt(v.p50, 2)}×`
      }
      return [
        String(x.attrs.history),
        String(x.attrs.candidates),
        cell(get(`${k}/rerank/single`)),
        cell(get(`${k}/rerank/threaded`)),
        r(`${k}/rerank/ratio`),
        cell(get(`${k}/pass/single`)),
        cell(get(`${k}/pass/threaded`)),
        r(`${k}/pass/ratio`),
      ]
    })
    L.push(table(['History', 'Candidates', 'rerank, single-thread', 'rerank, threaded', 'threaded ÷ single', 'worker pass, single-thread', 'worker pass, threaded', 'threaded ÷ single'], lines), '')
    // Why cells are n/a, once each (as the rerank tables do).
    const un = [...new Set(s.rows.filter((x) => x.attrs.group === 'threads' && x.attrs.mode !== 'ratio' && x.unavailable).map((x) => `${x.attrs.mode}: ${x.unavailable}`))]
    if (un.length) L.push(...un.map((u) => `- unavailable, ${u}`), '')
  }
  const raw = s.rows.filter((x) => x.attrs.group === 'threads-raw' && x.attrs.threads === 0)
  if (raw.length) {
    const threaded = FORCED.filter((t) => t > 0)
    L.push('Raw pass (full encode + scoring in a bench worker, no engine) at forced thread counts, on the isolated page; ratio = p50 ÷ single-thread p50; Δ = max |score − single-thread score|:', '')
    const lines = raw.map((b) => {
      const k = `threads/raw/h${b.attrs.history}/c${b.attrs.candidates}`
      return [
        String(b.attrs.history),
        String(b.attrs.candidates),
        cell(b),
        ...threaded.flatMap((t) => {
          const r = get(`${k}/t${t}`)
          const q = get(`${k}/t${t}/ratio`)
          const d = r?.attrs.maxScoreDiff
          return [cell(r), q?.p50 == null ? 'n/a' : `${fmt(q.p50, 2)}×`, typeof d === 'number' ? d.toExponential(1) : '—']
        }),
      ]
    })
    L.push(table(['History', 'Candidates', 'single-thread', ...threaded.flatMap((t) => [`${t} thread${t > 1 ? 's' : ''}`, 'ratio', 'Δ'])], lines), '')
    const un = [...new Set(s.rows.filter((x) => x.attrs.group === 'threads-raw' && x.unavailable).map((x) => x.unavailable))]
    if (un.length) L.push(...un.map((u) => `- unavailable: ${u}`), '')
  }
  const info = s.rows.filter((x) => x.attrs.group === 'threads-info' || x.attrs.group === 'threads-raw-info')
  if (info.length)
    L.push(
      table(
        ['Row', 'Unit', 'p50', 'min', 'max', 'n'],
        info.map((x) => [x.name, x.unit, x.p50 === null ? `n/a: ${x.unavailable}` : fmt(x.p50, 2), fmt(x.min, 2), fmt(x.max, 2), String(x.n)]),
      ),
      '',
    )
  return L
}

/** `npx tsx e2e/perf/threads.ts [--quick]`: this section alone, printed as Markdown (results.json is left alone). */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick')
  const { candidatePool } = await import('./run')
  const { pool } = candidatePool()
  const { dir } = await bundleBrowserHelpers()
  const h = await startHarness(dir)
  const progress = new Progress(threadsSteps(threadsPlan(quick)), process.stderr)
  try {
    const t0 = performance.now()
    const s = await threadsSection(h, quick, existsSync(join(ROOT, 'dist/model/model.json')), pool, progress)
    s.seconds = (performance.now() - t0) / 1000
    progress.finish()
    process.stdout.write(`${[...renderThreads(s), ...s.notes.map((n) => `- ${n}`)].join('\n')}\n`)
  } finally {
    await h.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) void main()

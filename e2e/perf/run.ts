/**
 * `npm run bench`: LocalRank's benchmarks, in real Chromium (Playwright, the built bundles in
 * dist/) and in Node (sizes). Writes e2e/perf/results.json and e2e/perf/results.md.
 *
 *   npm run bench                       the full run (about ten minutes on a loaded 2-core machine)
 *   npm run bench -- --quick            tiny sizes and one rep: checks the harness, not the code
 *   npm run bench -- --only rerank,size run some sections (size, rerank, limits, page, storage, catalogue)
 *   npm run bench -- --only catalogue   issue 10's scale check alone (catalogue.ts: 10k, 100k, 1M products)
 *   npm run bench -- --only threads     issue 14's threaded vs single-thread WASM on an isolated page (threads.ts)
 *   npm run bench -- --out DIR          write results.json / results.md into DIR instead
 *   npm run bench -- --only X --merge   keep the other sections of the results.json already there (lib/merge.ts)
 *
 * Benchmarks are not tests: nothing here asserts a time. Targets are reported as met or missed.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from '@playwright/test'
import type { longTasksSince, RerankRep, SuiteResult } from './browser/bench-page'
import { catalogueSection, cataloguePlan, catalogueSteps } from './catalogue'
import { IDEAL_NOTES, profileRows } from './ideal'
import { CHROMIUM, startHarness, type Harness } from './lib/browser'
import { bundleBrowserHelpers, ROOT } from './lib/bundle'
import { encodeFlops, scoreFlops, type FlopConfig } from './lib/flops'
import { Progress } from './lib/progress'
import { mergeResults, readPrevious } from './lib/merge'
import { computeTargets, renderMarkdown } from './lib/report'
import { derived, missing, row } from './lib/rows'
import { checkResults, SECTIONS, type RequestRecord, type Results, type Section, type SectionName, type SizeRow } from './lib/schema'
import { classify, compressed, packagesOf, sizeOfFiles, staticClosure } from './lib/size'
import { summarize } from './lib/stats'
import { threadsPlan, threadsSection, threadsSteps } from './threads'

type Backend = 'wasm' | 'cpu' | 'webgpu'
interface BackendPlan {
  name: Backend
  histories: number[]
  candidates: number[]
  reps: number
  coldReps: number
  skipWhy?: string
}
export interface Plan {
  quick: boolean
  histories: number[]
  candidates: number[]
  backends: BackendPlan[]
  matmul: Record<Backend, number>
  matmulReps: number
  baselineReps: number
  roundTrips: number
  page: { loadReps: number; rerankBurst: number; rerankCandidates: number; tracks: number; history: number }
  storage: { sequential: number; burst: number; fill: number; reps: number; clearReps: number }
}

export function makePlan(quick: boolean): Plan {
  if (quick) {
    return {
      quick,
      histories: [20],
      candidates: [10],
      backends: [
        { name: 'wasm', histories: [20], candidates: [10], reps: 1, coldReps: 1 },
        { name: 'cpu', histories: [20], candidates: [10], reps: 1, coldReps: 1 },
        { name: 'webgpu', histories: [20], candidates: [10], reps: 1, coldReps: 1 },
      ],
      matmul: { wasm: 64, cpu: 64, webgpu: 64 },
      matmulReps: 1,
      baselineReps: 1,
      roundTrips: 2,
      page: { loadReps: 1, rerankBurst: 2, rerankCandidates: 10, tracks: 3, history: 10 },
      storage: { sequential: 5, burst: 5, fill: 20, reps: 1, clearReps: 1 },
    }
  }
  const H = [50, 200, 1000]
  const C = [100, 500, 2000]
  return {
    quick,
    histories: H,
    candidates: C,
    backends: [
      // Reps per state and size. A WASM rerank is 0.3–10 ms, read through a clock coarsened to
      // 0.1 ms on this (not cross-origin-isolated) page: the median of 5 moved a ratio by a
      // tenth between runs (h50/c500's raw pass read 2.7 ms beside 1.5 ms at c100 and c2000),
      // and 25 cost seconds. CPU encodes take ~90 ms at 200 events, hence fewer.
      { name: 'wasm', histories: H, candidates: C, reps: 25, coldReps: 2 },
      { name: 'cpu', histories: H, candidates: C, reps: 7, coldReps: 1 },
      // SwiftShader takes seconds per rerank (3–15 s at 500–2,000 candidates in trials here):
      // the grid would take most of an hour, so only the 100-candidate column is run.
      {
        name: 'webgpu',
        histories: H,
        candidates: [100],
        reps: 2,
        coldReps: 1,
        skipWhy: 'not run: software WebGPU (SwiftShader) takes seconds per rerank at ≥ 500 candidates, which would take the run far past ten minutes; see the 100-candidate rows',
      },
    ],
    matmul: { wasm: 1024, cpu: 512, webgpu: 512 },
    matmulReps: 3,
    baselineReps: 7,
    roundTrips: 30,
    page: { loadReps: 3, rerankBurst: 20, rerankCandidates: 500, tracks: 50, history: 200 },
    storage: { sequential: 300, burst: 1000, fill: 5000, reps: 3, clearReps: 2 },
  }
}

interface Candidate {
  id: string
  title: string
  category: string[]
  price: number
  score: number
}

/** The candidate pool: the demo's MovieLens catalogue (ids the model knows) when built, synthetic ids otherwise. */
export function candidatePool(n = 2000): { pool: Candidate[]; note: string } {
  const f = join(ROOT, 'dist/catalogue/movies.json')
  if (existsSync(f)) {
    const movies = (JSON.parse(readFileSync(f, 'utf8')) as { movies: Array<{ id: string; title: string; genres: string[]; price: number }> }).movies
    if (movies.length >= n)
      return {
        pool: movies.slice(0, n).map((m, i) => ({ id: m.id, title: m.title, category: m.genres.slice(0, 8), price: m.price, score: 1 - i / n })),
        note: `candidates and history items are the first ${n} movies of dist/catalogue/movies.json`,
      }
  }
  const genres = ['Action', 'Comedy', 'Drama', 'Horror', 'Sci-Fi', 'Romance', 'Thriller', 'Animation']
  return {
    pool: Array.from({ length: n }, (_, i) => ({ id: `sku-${i}`, title: `Item ${i}`, category: [genres[i % 8]!], price: 5 + (i % 40), score: 1 - i / n })),
    note: 'synthetic candidates (dist/catalogue/movies.json missing): ids unknown to the model, scored through content features',
  }
}

function readModel(): { present: boolean; config: Record<string, number | boolean> | null; note: string } {
  const f = join(ROOT, 'dist/model/model.json')
  if (!existsSync(f))
    return {
      present: false,
      config: null,
      note: 'dist/model/model.json is missing (the model is trained separately into public/model/ and copied by the build): every encoder row is reported as "model missing".',
    }
  try {
    const m = JSON.parse(readFileSync(f, 'utf8')) as { config: Record<string, number | boolean>; sha256?: string }
    return { present: true, config: m.config, note: `dist/model/model.json as built (weights SHA-256 ${m.sha256 ?? 'not stated'}); timings depend on the config's shapes, not on the trained values.` }
  } catch (e) {
    return { present: false, config: null, note: `dist/model/model.json is unreadable (${String(e)}).` }
  }
}

const emptySection = (): Section => ({ status: 'ok', seconds: 0, rows: [], notes: [] })

async function importHelpers<T>(page: Page, fn: string, args: unknown): Promise<T> {
  return page.evaluate(
    async ([f, a]) => {
      const mod = (await import('/perf-gen/bench-page.js' as string)) as Record<string, (x: unknown) => Promise<unknown>>
      return mod[f as string]!(a)
    },
    [fn, args] as const,
  ) as Promise<T>
}

// ------------------------------------------------------------------------------------ size --

async function sizeSection(h: Harness, plan: Plan, model: boolean, progress: Progress): Promise<Section> {
  const s = emptySection()
  const dist = join(ROOT, 'dist')
  const rel = (f: string) => f.slice(dist.length + 1)
  const sizes: SizeRow[] = []
  const fileRow = (id: string, name: string, files: string[], note?: string): SizeRow => {
    const present = files.filter((f) => existsSync(f))
    if (present.length === 0) return { id, name, files: files.map(rel), raw: null, gzip: null, brotli: null, unavailable: 'not built (run npm run build)' }
    return { id, name, files: present.map(rel), ...sizeOfFiles(present), ...(note ? { note } : {}) }
  }
  sizes.push(fileRow('loader', 'Embed loader (classic script)', [join(dist, 'lib/localrank.js')]))
  sizes.push(fileRow('embed-runtime', 'Embed runtime + static imports', staticClosure(join(dist, 'lib/localrank-embed.mjs'))))
  sizes.push(fileRow('library', 'ESM library entry + static imports', staticClosure(join(dist, 'lib/localrank.mjs'))))
  progress.step('size: static files')

  s.requests = {}
  for (const b of plan.backends.map((x) => x.name)) {
    const ctx = await h.newContext()
    const urls: string[] = []
    ctx.on('requestfinished', (r) => urls.push(new URL(r.url()).pathname))
    try {
      const page = await h.openBenchPage(ctx)
      if (model) {
        const err = await page.evaluate(async (backend) => {
          const p = (
            window as unknown as {
              __perf: { createEngine(o: unknown): Promise<{ info(): { model: { ready: boolean; error?: string } | null }; rerank(c: unknown[]): Promise<unknown>; dispose(): Promise<void> }> }
            }
          ).__perf
          const e = await p.createEngine({ dbName: 'bench-size', model: '/model/model.json', backend })
          for (let i = 0; i < 3000 && !e.info().model?.ready && !e.info().model?.error; i++) await new Promise((r) => setTimeout(r, 20))
          await e.rerank([{ id: '1' }, { id: '2' }])
          const info = e.info()
          await e.dispose()
          return info.model?.ready ? null : (info.model?.error ?? 'encoder not ready in 60 s')
        }, b)
        if (err) s.notes.push(`${b}: ${err}`)
      } else {
        await page.evaluate(async () => {
          const p = (window as unknown as { __perf: { createEngine(o: unknown): Promise<{ rerank(c: unknown[]): Promise<unknown>; dispose(): Promise<void> }> } }).__perf
          const e = await p.createEngine({ dbName: 'bench-size' })
          await e.rerank([{ id: '1' }])
          await e.dispose()
        })
      }
    } finally {
      await ctx.close()
    }
    const seen = [...new Set(urls)]
    const reqs: RequestRecord[] = seen.map((u) => {
      const file = u.startsWith('/fixtures/') || u.startsWith('/perf-gen/') ? null : join(dist, u)
      const kind = classify(u, file && existsSync(file) ? file : null)
      const c = file && existsSync(file) ? compressed(readFileSync(file)) : null
      return { url: u, kind, bytes: c?.raw ?? null, gzip: c?.gzip ?? null, brotli: c?.brotli ?? null, packages: file && existsSync(file) ? packagesOf(file) : [] }
    })
    s.requests[b] = reqs
    // Worker side: scripts fetched from an assets/ folder (the worker and what it imports);
    // the page side's chunks live in lib/chunks/.
    const workerJs = reqs.filter((q) => /\/assets\/[^/]+\.js$/.test(q.url))
    const ours = workerJs.filter((q) => q.kind === 'localrank')
    const tf = reqs.filter((q) => /\/assets\//.test(q.url) && (q.kind === 'tfjs' || q.kind === 'wasm'))
    const sum = (qs: RequestRecord[], k: 'bytes' | 'gzip' | 'brotli') => qs.reduce((a, q) => a + (q[k] ?? 0), 0)
    sizes.push(
      ours.length
        ? {
            id: `worker/${b}`,
            name: `Worker, LocalRank code without TensorFlow.js (${b})`,
            files: ours.map((q) => q.url),
            raw: sum(ours, 'bytes'),
            gzip: sum(ours, 'gzip'),
            brotli: sum(ours, 'brotli'),
          }
        : { id: `worker/${b}`, name: `Worker without TensorFlow.js (${b})`, files: [], raw: null, gzip: null, brotli: null, unavailable: 'no worker script was requested' },
    )
    sizes.push(
      tf.length
        ? {
            id: `tfjs/${b}`,
            name: `TensorFlow.js fetched for ${b}${b === 'webgpu' ? ' (software adapter)' : ''}`,
            files: tf.map((q) => q.url),
            raw: sum(tf, 'bytes'),
            gzip: sum(tf, 'gzip'),
            brotli: sum(tf, 'brotli'),
            note: 'JS chunks plus WASM binaries, each compressed on its own',
          }
        : {
            id: `tfjs/${b}`,
            name: `TensorFlow.js fetched for ${b}`,
            files: [],
            raw: null,
            gzip: null,
            brotli: null,
            unavailable: model ? 'no TensorFlow.js chunk was requested' : 'model missing: the worker loads TensorFlow.js only after the weights are fetched and verified',
          },
    )
    progress.step(`size: requests with ${b}`)
  }
  s.sizes = sizes
  s.notes.push('gzip level 6 and Brotli quality 11 via node:zlib, each file compressed on its own (one HTTP response each) and summed.')
  s.notes.push(
    'A file counts as TensorFlow.js when more than half of the source bytes in its source map come from node_modules/@tensorflow. Requests are recorded with Playwright (page and worker) while an engine with the model loads and answers one rerank.',
  )
  if (s.requests.wasm?.some((q) => q.url.startsWith('/assets/worker-')))
    s.notes.push(
      "The library (dist/lib) starts its worker from /assets/worker-….js, an absolute path into the demo build, not from dist/lib/assets/: the library only works where the demo's assets are served at the site root. Reported to the build owner.",
    )
  return s
}

// ---------------------------------------------------------------------------------- rerank --

interface Suite {
  backend: string | null
  reason: string
  error?: string
  readyMs: number[]
  roundTripMs: number[]
  runs: Array<{ candidates: number; state: string; reps: RerankRep[] }>
  warmup?: SuiteResult['warmup']
  /** Matmul peak samples (GFLOP/s) taken between this backend's history sizes (peakSample). */
  peakGflops?: number[]
}

/**
 * One sample of the backend's matmul peak (GFLOP/s per rep), from a bench worker kept on the page
 * between calls (made and initialised on first use, idle otherwise, so it does not load the
 * machine while the engine's worker is timed). The rerank section calls it before each history
 * size and after the last, so that the peak is measured under the same load as the passes.
 */
async function peakSample(page: Page, backend: string, size: number, reps: number): Promise<number[]> {
  const r = await page.evaluate(
    async ([backend, size, reps]) => {
      type W = { call<T>(op: string, a?: Record<string, number | string>): Promise<T> }
      const g = window as unknown as { __peakWorkers?: Record<string, W> }
      const mod = (await import('/perf-gen/bench-page.js' as string)) as { benchWorker(u: string): W }
      g.__peakWorkers ??= {}
      let w = g.__peakWorkers[backend]
      if (!w) {
        w = mod.benchWorker('/perf-gen/bench-worker.js')
        await w.call('init', { backend })
        g.__peakWorkers[backend] = w
      }
      return w.call<{ times: number[]; flops: number }>('matmul', { size, reps })
    },
    [backend, size, reps] as const,
  )
  return gflopsPerRep(r)
}

/**
 * GFLOP/s of each timed matmul rep. A rep that read 0 ms (under the page clock's 0.1 ms: the
 * quick plan's 64×64 product) has no rate: left out, never Infinity.
 */
function gflopsPerRep(r: { times: number[]; flops: number }): number[] {
  return r.times.filter((t) => t > 0).map((t) => r.flops / (t / 1000) / 1e9)
}

/** How long the timed engine warms up before the first timed size (bench-page.ts rerankSuite). */
const WARMUP_MS = 1500

async function rerankSection(h: Harness, plan: Plan, model: boolean, pool: Candidate[], progress: Progress, suites: Map<Backend, Suite>): Promise<Section> {
  const s = emptySection()
  const states = ['cold', 'warm', 'cached', 'incremental']
  const rowsFor = (b: BackendPlan, hh: number, c: number, why: string) =>
    states.map((st) =>
      missing(`rerank/${b.name}/h${hh}/c${c}/${st}`, `${b.name} h${hh} c${c} ${st}`, 'ms', why, {
        kind: 'rerank',
        backend: b.name,
        software: b.name === 'webgpu',
        history: hh,
        candidates: c,
        state: st,
      }),
    )
  if (!model) {
    for (const b of plan.backends) for (const hh of plan.histories) for (const c of plan.candidates) s.rows.push(...rowsFor(b, hh, c, 'model missing'))
    s.status = 'unavailable'
    s.reason = 'model missing (dist/model/model.json)'
    progress.step(
      'rerank: model missing',
      plan.backends.reduce((a, b) => a + b.histories.length, 0),
    )
    return s
  }
  const warmupMs = plan.quick ? 0 : WARMUP_MS
  const ctx = await h.newContext()
  const warmups: string[] = []
  try {
    const page = await h.openBenchPage(ctx)
    for (const hh of plan.histories) {
      const n = await page.evaluate(async ([db, pool, n]) => (await import('/perf-gen/bench-page.js' as string)).seed(db, pool, n), [`bench-h${hh}`, pool, hh] as const)
      if (n !== hh) s.notes.push(`history ${hh}: ${n} events stored`)
    }
    progress.step('rerank: histories seeded')
    for (const b of plan.backends) {
      const merged: Suite = { backend: null, reason: '', readyMs: [], roundTripMs: [], runs: [] }
      for (const hh of plan.histories) {
        if (!b.histories.includes(hh)) {
          for (const c of plan.candidates) s.rows.push(...rowsFor(b, hh, c, b.skipWhy ?? 'not run'))
          continue
        }
        progress.note(`rerank: ${b.name} history ${hh}`)
        // Issue 14: the ideal targets divide by the WASM peak; sample it between the passes.
        if (b.name === 'wasm') (merged.peakGflops ??= []).push(...(await peakSample(page, b.name, plan.matmul[b.name], plan.matmulReps)))
        const r = (await page.evaluate(async (a) => (await import('/perf-gen/bench-page.js' as string)).rerankSuite(a), {
          dbName: `bench-h${hh}`,
          model: '/model/model.json',
          backend: b.name,
          pool,
          candidates: b.candidates,
          reps: b.reps,
          coldReps: b.coldReps,
          readyTimeoutMs: 120_000,
          states,
          roundTrips: plan.roundTrips,
          warmupMs,
        })) as Suite
        if (r.warmup) warmups.push(`${b.name} h${hh}: ${r.warmup.passes} passes in ${Math.round(r.warmup.ms)} ms`)
        if (r.error) s.notes.push(`${b.name} history ${hh}: ${r.error}`)
        merged.backend = r.backend ?? merged.backend
        merged.reason = r.reason || merged.reason
        merged.readyMs.push(...r.readyMs)
        merged.roundTripMs.push(...r.roundTripMs)
        for (const c of plan.candidates) {
          if (!b.candidates.includes(c)) {
            s.rows.push(...rowsFor(b, hh, c, b.skipWhy ?? 'not run'))
            continue
          }
          for (const st of states) {
            const run = r.runs.find((x) => x.candidates === c && x.state === st)
            const reps = run?.reps ?? []
            const enc = reps.filter((x) => x.encodeMs !== null).map((x) => x.encodeMs!)
            const sc = reps.map((x) => x.scoreMs)
            const pass = reps.filter((x) => x.encodeMs !== null).map((x) => x.encodeMs! + x.scoreMs)
            const paths = Object.entries(reps.reduce<Record<string, number>>((a, x) => ((a[x.path] = (a[x.path] ?? 0) + 1), a), {}))
              .map(([k, v]) => `${k}×${v}`)
              .join(' ')
            const offPath = reps.filter((x) => x.path !== 'encoder')
            s.rows.push(
              row(
                `rerank/${b.name}/h${hh}/c${c}/${st}`,
                `${b.name} h${hh} c${c} ${st}`,
                'ms',
                reps.filter((x) => x.path === 'encoder').map((x) => x.ms),
                {
                  kind: 'rerank',
                  backend: b.name,
                  software: b.name === 'webgpu',
                  history: hh,
                  candidates: c,
                  state: st,
                  paths,
                  fullEncodes: reps.reduce((a, x) => a + x.full, 0),
                  incrementalEncodes: reps.reduce((a, x) => a + x.incremental, 0),
                  context: reps[reps.length - 1]?.context ?? null,
                  workerEncodeP50: summarize(enc).p50,
                  workerScoreP50: summarize(sc).p50,
                  workerPassP50: summarize(pass).p50,
                },
                r.error ? `failed: ${r.error}` : offPath.length ? `answered by ${paths}: ${offPath[0]!.reason}` : 'no reps',
              ),
            )
          }
        }
        progress.step(`rerank: ${b.name} history ${hh}`)
      }
      if (b.name === 'wasm') (merged.peakGflops ??= []).push(...(await peakSample(page, b.name, plan.matmul[b.name], plan.matmulReps)))
      suites.set(b.name, merged)
      s.rows.push(
        row(`ready/${b.name}`, `${b.name}: createEngine → encoder ready (model from cache)`, 'ms', merged.readyMs, { kind: 'ready', backend: b.name, reason: merged.reason }, 'no engine became ready'),
      )
    }
  } finally {
    await ctx.close()
  }
  s.notes.push(
    "Every rep calls engine.rerank on the built library with { deadlineMs: 600000 } so that the encoder path answers (rows count only encoder-path answers; `paths` says which path answered each rep), with the library's default explanations on.",
  )
  s.notes.push(
    'cold: a fresh engine (new worker, model from the HTTP cache, warm-up done), first rerank as soon as info().model.ready; the worker starts encoding the stored history the moment it is ready, so cold includes what is left of that encode plus first-call costs for this candidate count.',
  )
  s.notes.push(
    "warm: the history is re-sent to the engine's worker inside the timed window (the message the engine itself sends after forget/clear/another tab's write), so each rep is a full re-encode of the context + scoring; the worker's counters confirm one full encode per rep (fullEncodes).",
  )
  s.notes.push(
    `warm-up: before the first timed size, the timed engine runs unmeasured full encodes at the largest list for ~${WARMUP_MS / 1000} s (at least 3, at most 400; --quick: 3), so V8 has tiered the worker's WASM up (Liftoff → TurboFan) before any rep is timed: ${warmups.join('; ') || 'none run'}.`,
  )
  s.notes.push('cached: no new event since the last rerank and a clock that does not move, so the worker reuses the user vector and only embeds and scores the candidates.')
  s.notes.push(
    'incremental: one awaited track() before the timed rerank (the event goes to the worker, which encodes it against its KV cache, while IndexedDB commits it); counters show incremental vs full encodes (a full one when the context crosses a step boundary of maxLen/4 tokens).',
  )
  s.notes.push('The encoder sees at most maxLen = 200 tokens (one per single-item event): histories of 200 and 1,000 events encode a 150–200-token context, so they cost about the same.')
  return s
}

// ---------------------------------------------------------------------------------- limits --

async function limitsSection(h: Harness, plan: Plan, model: ReturnType<typeof readModel>, suites: Map<Backend, Suite>, rerank: Section | null, progress: Progress): Promise<Section> {
  const s = emptySection()
  const ctx = await h.newContext()
  const peak = new Map<Backend, number | null>()
  const cfg = (model.config ?? null) as unknown as (FlopConfig & { vocabSize: number; featBuckets: number }) | null
  const shape = { d: cfg?.d ?? 64, F: cfg?.featSlots ?? 12, V: cfg?.vocabSize ?? 9684, buckets: cfg?.featBuckets ?? 4096 }
  try {
    const page = await h.openBenchPage(ctx)
    for (const b of plan.backends.map((x) => x.name)) {
      progress.note(`limits: ${b}`)
      const size = plan.matmul[b]
      const r = await page.evaluate(
        async ([backend, size, reps, cands, breps, shape]) => {
          const mod = (await import('/perf-gen/bench-page.js' as string)) as { benchWorker(u: string): { call<T>(op: string, a?: Record<string, number | string>): Promise<T>; terminate(): void } }
          const w = mod.benchWorker('/perf-gen/bench-worker.js')
          try {
            const init = await w.call<{ backend: string; adapter: string }>('init', { backend })
            const mm = await w.call<{ times: number[]; flops: number }>('matmul', { size, reps })
            const tfjs: Record<number, number[]> = {}
            if (backend !== 'webgpu') for (const n of cands) tfjs[n] = (await w.call<{ times: number[] }>('tfjsScore', { n, reps: breps, ...shape })).times
            const naive: Record<number, number[]> = {}
            if (backend === 'wasm') for (const n of cands) naive[n] = (await w.call<{ times: number[] }>('naiveScore', { n, reps: breps, ...shape })).times
            return { init, mm, tfjs, naive, error: null as string | null }
          } catch (e) {
            return { init: null, mm: null, tfjs: {}, naive: {}, error: String(e) }
          } finally {
            w.terminate()
          }
        },
        [b, size, plan.matmulReps, plan.candidates, plan.baselineReps, shape] as const,
      )
      const own = r.mm ? gflopsPerRep(r.mm) : []
      const between = suites.get(b)?.peakGflops ?? []
      const gflops = [...own, ...between]
      const best = gflops.length ? Math.max(...gflops) : null
      const pk = row(
        `peak/${b}`,
        `${b}${b === 'webgpu' ? ' (software)' : ''}: ${size}×${size} · ${size}×${size} matmul`,
        'GFLOP/s',
        gflops,
        {
          group: 'peak',
          backend: b,
          size,
          max: best,
          detail: `${r.init ? `backend ${r.init.backend}; adapter ${r.init.adapter}; ` : ''}${own.length} reps here${between.length ? ` + ${between.length} between the rerank passes (${between.map((x) => x.toFixed(1)).join(', ')})` : ''}; max ${best?.toFixed(2) ?? '—'} GFLOP/s (used for the compute limit)`,
        },
        r.error ?? 'not measured',
      )
      s.rows.push(pk)
      peak.set(b, best)
      for (const [n, t] of Object.entries(r.tfjs))
        s.rows.push(
          row(`baseline/tfjs-${b}/c${n}`, `tfjs ${b}: embed + score ${n} candidates`, 'ms', t, {
            group: 'baseline',
            backend: b,
            candidates: Number(n),
            detail: 'gather item + 12 feature rows, weighted sum, matMul with u; in a worker',
          }),
        )
      for (const [n, t] of Object.entries(r.naive))
        s.rows.push(
          row(`baseline/naive/c${n}`, `plain JS loops: embed + score ${n} candidates`, 'ms', t, {
            group: 'baseline',
            backend: 'none',
            candidates: Number(n),
            detail: 'Float32Array loops, no tfjs; in a worker',
          }),
        )
      progress.step(`limits: ${b}`)
    }
    // Issue 14: kernels per full encode and BatchMatMul's share (ideal.ts), WASM only.
    if (plan.backends.some((x) => x.name === 'wasm')) s.rows.push(...(await profileRows(page, 'wasm', model.present, plan.quick ? 1 : 3)))
  } finally {
    await ctx.close()
  }
  // Ratios from the rerank section's warm rows (same run).
  for (const b of plan.backends.map((x) => x.name)) {
    const suite = suites.get(b)
    s.rows.push(
      row(
        `roundtrip/${b}`,
        `${b}: page → engine's worker → page`,
        'ms',
        suite?.roundTripMs.slice(1) ?? [],
        { group: 'roundtrip', backend: b, detail: 'first trip after ready left out (the worker is busy encoding then)' },
        rerank ? 'no engine became ready' : 'rerank section not run',
      ),
    )
    for (const hh of plan.histories)
      for (const c of plan.candidates) {
        const w = rerank?.rows.find((x) => x.id === `rerank/${b}/h${hh}/c${c}/warm`)
        const pass = typeof w?.attrs.workerPassP50 === 'number' ? w.attrs.workerPassP50 : null
        const why = !rerank ? 'rerank section not run' : !cfg ? 'model missing' : (w?.unavailable ?? 'no warm pass measured')
        const flops = cfg ? encodeFlops(cfg, hh) + scoreFlops(cfg, c) : null
        const pk = peak.get(b) ?? null
        const ideal = flops !== null && pk ? (flops / (pk * 1e9)) * 1000 : null
        s.rows.push(
          derived(
            `compute/${b}/h${hh}/c${c}`,
            `${b} h${hh} c${c}`,
            '× ideal',
            pass !== null && ideal ? pass / ideal : null,
            {
              group: 'compute',
              backend: b,
              history: hh,
              candidates: c,
              flops,
              idealMs: ideal,
              detail: flops !== null ? `${(flops / 1e6).toFixed(1)} MFLOP; pass ${pass?.toFixed(1) ?? '—'} ms vs ideal ${ideal?.toFixed(2) ?? '—'} ms at ${pk?.toFixed(2) ?? '—'} GFLOP/s` : '',
            },
            pk ? why : `${why}; no peak measured`,
          ),
        )
        s.rows.push(
          derived(
            `overhead/${b}/h${hh}/c${c}`,
            `${b} h${hh} c${c}`,
            '×',
            w?.p50 != null && pass ? w.p50 / pass : null,
            { group: 'overhead', backend: b, history: hh, candidates: c, detail: w?.p50 != null && pass ? `rerank ${w.p50.toFixed(1)} ms vs encode + score in the worker ${pass.toFixed(1)} ms` : '' },
            why,
          ),
        )
      }
  }
  s.notes.push("Peak: one unmeasured rep, then C = A·B read back each rep, in a dedicated module worker that activates the backend through the engine's own backend.ts (same binaries, same flags).")
  s.notes.push(
    'FLOPs per pass are counted from the model config (formula in e2e/perf/lib/flops.ts): full encode of the context plus fuse and scoring of the candidates, multiply-add = 2 FLOPs, elementwise work not counted (so the ratio is an upper bound on the distance to the compute limit).',
  )
  s.notes.push(
    "Raw forward pass = the worker's own timing of the full encode (lastEncodeMs) plus its scoring (lastScoreMs) for the same warm reps, read from the engine's worker with its stats message; the engine's rerank adds page-side ranking (profile, fusion, explanations), structured clone of the candidates and the round trip.",
  )
  s.notes.push(...IDEAL_NOTES)
  s.notes.push(
    "Baselines score with random weights of the model's shapes (d, feature slots, table sizes): the work is the same whatever the values. The naive scorer is backend-independent and runs once, in the WASM bench worker; tfjs scoring is not run on software WebGPU (seconds per call).",
  )
  return s
}

// ------------------------------------------------------------------------------------ page --

interface Marks {
  firstAnswer?: { t: number; path: string }
  encoderReady?: { t: number; backend: string }
  firstEncoderAnswer?: { t: number; path: string }
  engine?: { t: number }
  done?: { t: number }
  encoderError?: { t: number; message: string }
}

/** The page's main-thread task time so far (CDP Performance.getMetrics, TaskDuration, seconds). */
async function mainThreadMeter(page: Page): Promise<{ read(): Promise<number>; close(): Promise<void> }> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  return {
    read: async () => (await cdp.send('Performance.getMetrics')).metrics.find((x) => x.name === 'TaskDuration')?.value ?? NaN,
    close: () => cdp.detach(),
  }
}

async function pageSection(h: Harness, plan: Plan, model: boolean, pool: Candidate[], progress: Progress): Promise<Section> {
  const s = emptySection()
  const P = plan.page
  const url = `/fixtures/perf-page.html?auto=1&db=bench-page&n=${P.rerankCandidates}${model ? '&model=1' : ''}`
  const first: Record<string, number[]> = { firstAnswer: [], encoderReady: [], firstEncoderAnswer: [] }
  const repeat: Record<string, number[]> = { firstAnswer: [], encoderReady: [], firstEncoderAnswer: [] }
  let longLoad = 0,
    loafLoad = 0,
    longRerank = 0,
    loafRerank = 0,
    longTrack = 0,
    loafTrack = 0
  let loafSupported = true
  let framesLoad = 0
  const ltDurations: number[] = []
  const blockingScripts: string[] = []
  const trackSync: number[] = [],
    trackResolve: number[] = [],
    trackMain: number[] = [],
    rerankMs: number[] = []
  const paths: string[] = []
  for (let rep = 0; rep < Math.max(1, P.loadReps); rep++) {
    let ctx: BrowserContext | null = null
    try {
      ctx = await h.newContext()
      const seedPage = await h.openBenchPage(ctx)
      await seedPage.evaluate(async ([pool, n]) => (await import('/perf-gen/bench-page.js' as string)).seed('bench-page', pool, n), [pool, P.history] as const)
      await seedPage.close()
      const page = await ctx.newPage()
      for (const visit of ['first', 'repeat'] as const) {
        if (visit === 'first') await page.goto(url)
        else await page.reload()
        await page.waitForFunction(() => !!(window as unknown as { __perf: { marks: { done?: unknown } } }).__perf.marks.done, null, { timeout: 120_000 })
        const marks = (await page.evaluate(() => (window as unknown as { __perf: { marks: unknown } }).__perf.marks)) as Marks
        const into = visit === 'first' ? first : repeat
        if (marks.firstAnswer) into.firstAnswer!.push(marks.firstAnswer.t)
        if (marks.encoderReady) into.encoderReady!.push(marks.encoderReady.t)
        if (marks.firstEncoderAnswer?.path === 'encoder') into.firstEncoderAnswer!.push(marks.firstEncoderAnswer.t)
        if (marks.encoderError) s.notes.push(`encoder error on load: ${marks.encoderError.message}`)
        paths.push(`${visit}: first answer ${marks.firstAnswer?.path ?? '—'}, then ${marks.firstEncoderAnswer?.path ?? '—'}`)
        await page.waitForTimeout(300) // let buffered long-task entries arrive
        const lt = (await importHelpers(page, 'longTasksSince', 0)) as ReturnType<typeof longTasksSince>
        longLoad += lt.longtasks
        loafLoad += lt.loafLocalRank
        framesLoad += lt.loafLocalRankFrames
        loafSupported &&= lt.loafSupported
        ltDurations.push(...lt.longtaskMs)
        blockingScripts.push(...lt.blockingScripts.map((x) => `${visit} visit: ${x}`))
      }
      // Rerank and track on the loaded page (the repeat visit).
      const rb = (await page.evaluate(async ([n, pool, c]) => (await import('/perf-gen/bench-page.js' as string)).rerankBurst(n, pool, c), [P.rerankBurst, pool, P.rerankCandidates] as const)) as {
        since: number
        ms: number[]
        paths: string[]
      }
      rerankMs.push(...rb.ms)
      await page.waitForTimeout(300)
      const ltR = (await importHelpers(page, 'longTasksSince', rb.since)) as { longtasks: number; loafLocalRank: number; longtaskMs: number[] }
      longRerank += ltR.longtasks
      loafRerank += ltR.loafLocalRank
      const meter = await mainThreadMeter(page)
      const before = await meter.read()
      const tb = (await page.evaluate(async ([n, pool]) => (await import('/perf-gen/bench-page.js' as string)).trackBurst(n, pool), [P.tracks, pool] as const)) as {
        since: number
        syncMs: number[]
        resolveMs: number[]
      }
      const after = await meter.read()
      await meter.close()
      trackSync.push(...tb.syncMs)
      trackResolve.push(...tb.resolveMs)
      if (Number.isFinite(after - before)) trackMain.push(((after - before) * 1000) / P.tracks)
      await page.waitForTimeout(300)
      const ltT = (await importHelpers(page, 'longTasksSince', tb.since)) as { longtasks: number; loafLocalRank: number }
      longTrack += ltT.longtasks
      loafTrack += ltT.loafLocalRank
    } catch (e) {
      s.notes.push(`page rep ${rep + 1} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)
      s.status = 'partial'
    } finally {
      await ctx?.close()
    }
    progress.step(`page: load rep ${rep + 1}`)
  }
  const noModel = model ? undefined : 'model missing'
  s.rows.push(row('load/first-answer/first', 'Navigation → first ranked answer (first visit)', 'ms', first.firstAnswer!, { detail: 'profile path while the encoder loads' }))
  s.rows.push(row('load/first-answer/repeat', 'Navigation → first ranked answer (repeat visit)', 'ms', repeat.firstAnswer!))
  s.rows.push(row('load/encoder-ready/first', 'Navigation → encoder ready (first visit: weights downloaded)', 'ms', first.encoderReady!, {}, noModel ?? 'encoder never ready'))
  s.rows.push(row('load/encoder-ready/repeat', 'Navigation → encoder ready (repeat visit: weights cached)', 'ms', repeat.encoderReady!, {}, noModel ?? 'encoder never ready'))
  s.rows.push(row('load/encoder-answer/repeat', 'Navigation → first answer from the encoder (repeat visit)', 'ms', repeat.firstEncoderAnswer!, {}, noModel ?? 'no encoder-path answer'))
  s.rows.push(row('rerank/page', `rerank(${P.rerankCandidates}) on the loaded page, default 50 ms deadline`, 'ms', rerankMs))
  s.rows.push(row('track/sync', 'track(): synchronous part of the call', 'ms', trackSync))
  s.rows.push(
    row('track/main-thread', 'track(): main-thread task time per call (CDP TaskDuration)', 'ms', trackMain, { detail: `${P.tracks} sequential calls per sample, the harness's own evaluate included` }),
  )
  s.rows.push(row('track/resolve', 'track(): time until its promise resolves (IndexedDB commit)', 'ms', trackResolve))
  const ours = loafSupported ? loafLoad + loafRerank + loafTrack : longLoad + longRerank + longTrack
  s.rows.push(
    derived(
      'longtasks/load',
      'Long tasks (>50 ms) during load, all causes',
      'count',
      longLoad,
      {
        detail: `${first.firstAnswer!.length + repeat.firstAnswer!.length} loads; durations ${ltDurations.map((x) => x.toFixed(0)).join(', ') || 'none'} ms${blockingScripts.length ? `; scripts in blocking frames: ${blockingScripts.join('; ')}` : ''}`,
      },
      '',
    ),
  )
  s.rows.push(derived('longtasks/rerank', `Long tasks during ${P.rerankBurst} reranks × reps`, 'count', longRerank, {}, ''))
  s.rows.push(derived('longtasks/track', `Long tasks during ${P.tracks} track() × reps`, 'count', longTrack, {}, ''))
  s.rows.push(
    derived(
      'longtasks/localrank',
      'Long tasks with a LocalRank script (LoAF attribution), load + rerank + track',
      'count',
      ours,
      {
        detail: loafSupported
          ? `load ${loafLoad}, rerank ${loafRerank}, track ${loafTrack}: long animation frames with blockingDuration > 0 (a task > 50 ms) whose scripts include a file from /lib/ or /assets/; ${framesLoad} non-blocking long frames during load ran a LocalRank script (frame time includes rendering and idle, so they are not long tasks)`
          : 'LoAF unsupported: all long tasks counted',
      },
      '',
    ),
  )
  s.notes.push(
    `Page: e2e/fixtures/perf-page.html with ?auto=1 creates an engine (model, automatic backend), reranks ${P.rerankCandidates} candidates at once, then again when the encoder is ready; history ${P.history} events. Times are from navigation start (performance.now()). Answer paths: ${paths.join('; ')}.`,
  )
  s.notes.push(
    'Long tasks come from a PerformanceObserver installed before any other script; the blank fixture page runs nothing but LocalRank and the harness, so "all causes" is an upper bound. Attribution to LocalRank uses Long Animation Frames (scripts with a source URL under /lib/ or /assets/).',
  )
  return s
}

// --------------------------------------------------------------------------------- storage --

async function storageSection(h: Harness, plan: Plan, pool: Candidate[], progress: Progress): Promise<Section> {
  const s = emptySection()
  const ctx = await h.newContext()
  try {
    const page = await h.openBenchPage(ctx)
    const r = (await page.evaluate(async (a) => (await import('/perf-gen/bench-page.js' as string)).storageSuite(a), { dbName: 'bench-storage', pool, ...plan.storage })) as {
      kind: string
      sequentialPerS: number[]
      burstPerS: number[]
      recent200Ms: number[]
      history200Ms: number[]
      exportMs: number[]
      clearMs: number[]
      exported: number
      stored: number
    }
    const S = plan.storage
    if (r.kind !== 'indexeddb') s.notes.push(`the store fell back to ${r.kind}: these are not IndexedDB figures`)
    s.rows.push(row('write/sequential', `Sustained writes, ${S.sequential} track() awaited one by one`, 'events/s', r.sequentialPerS, { detail: `storage ${r.kind}` }))
    s.rows.push(row('write/burst', `Sustained writes, ${S.burst} track() at once (batched)`, 'events/s', r.burstPerS))
    s.rows.push(row('read/recent200', `Read the last 200 of ${r.stored} events (store.recent(200), IndexedDB)`, 'ms', r.recent200Ms))
    s.rows.push(row('read/history200', `engine.history(200) of ${r.stored} (from memory)`, 'ms', r.history200Ms))
    s.rows.push(row('export', `engine.export() of ${r.exported} events`, 'ms', r.exportMs))
    s.rows.push(row('clear', `engine.clear() of ${S.fill} events`, 'ms', r.clearMs))
  } catch (e) {
    s.status = 'unavailable'
    s.reason = `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`
  } finally {
    await ctx.close()
  }
  progress.step('storage')
  s.notes.push(
    'Through the public API of the built library, with no model. "Read the last 200" times the store module\'s own recent(200) (bundled from src/store for the bench) because engine.history() answers from the engine\'s in-memory copy.',
  )
  return s
}

// ------------------------------------------------------------------------------------ main --

export interface RunOptions {
  quick: boolean
  only: SectionName[]
  outDir: string
  quiet?: boolean
  merge?: boolean
}

export function parseArgs(argv: string[]): RunOptions {
  const o: RunOptions = { quick: false, only: [...SECTIONS], outDir: join(ROOT, 'e2e/perf') }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--quick') o.quick = true
    else if (a === '--only') {
      const v = (argv[++i] ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
      const bad = v.filter((x) => !SECTIONS.includes(x as SectionName))
      if (bad.length || v.length === 0) throw new Error(`--only takes one or more of ${SECTIONS.join(', ')} (comma-separated); got "${argv[i] ?? ''}"`)
      o.only = v as SectionName[]
    } else if (a === '--out') o.outDir = argv[++i] ?? o.outDir
    else if (a === '--merge') o.merge = true
    else if (a === '--help' || a === '-h') {
      process.stdout.write('npm run bench [-- --quick] [--only size,rerank,limits,page,storage,catalogue,threads] [--out DIR] [--merge]\n')
      process.exit(0)
    } else throw new Error(`unknown argument ${a} (try --help)`)
  }
  return o
}

function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'unknown'
  }
}

export async function runBench(o: RunOptions): Promise<Results> {
  const t0 = performance.now()
  for (const f of ['dist/lib/localrank.mjs', 'dist/lib/localrank.js', 'dist/lib/localrank-embed.mjs'])
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` before \`npm run bench\``)
  const plan = makePlan(o.quick)
  const model = readModel()
  const { pool, note: poolNote } = candidatePool()
  const want = (s: SectionName) => o.only.includes(s)
  const progress = new Progress(
    2 +
      (want('size') ? 1 + plan.backends.length : 0) +
      (want('rerank') ? 1 + plan.backends.reduce((a, b) => a + b.histories.length, 0) : 0) +
      (want('limits') ? plan.backends.length : 0) +
      (want('page') ? plan.page.loadReps : 0) +
      (want('storage') ? 1 : 0) +
      (want('catalogue') ? catalogueSteps(cataloguePlan(o.quick)) : 0) +
      (want('threads') ? threadsSteps(threadsPlan(o.quick)) : 0),
    process.stderr,
    o.quiet,
  )
  progress.note('bundling bench helpers')
  const machine = {
    cpuModel: cpus()[0]?.model?.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    loadAverage: loadavg(),
    os: `${osType()} ${release()}`,
    node: process.version,
    chromium: '',
    playwright: (JSON.parse(readFileSync(join(ROOT, 'node_modules/playwright-core/package.json'), 'utf8')) as { version: string }).version,
    webgpuAdapter: 'unknown',
  }
  const { dir } = await bundleBrowserHelpers()
  progress.step('bench helpers bundled')
  const h = await startHarness(dir)
  const skipped = (why: string): Section => ({ status: 'skipped', reason: why, seconds: 0, rows: [], notes: [] })
  const sections = {
    size: skipped('not selected (--only)'),
    rerank: skipped('not selected (--only)'),
    limits: skipped('not selected (--only)'),
    page: skipped('not selected (--only)'),
    storage: skipped('not selected (--only)'),
    catalogue: skipped('not selected (--only)'),
    threads: skipped('not selected (--only)'),
  } as Results['sections']
  try {
    machine.chromium = `${h.browser.version()} (${chromiumVersion()})`
    {
      const ctx = await h.newContext()
      const page = await h.openBenchPage(ctx)
      machine.webgpuAdapter = await page.evaluate(async () => {
        const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string>; isFallbackAdapter?: boolean } | null> } }).gpu
        if (!gpu) return 'none (navigator.gpu absent)'
        const a = await gpu.requestAdapter()
        if (!a) return 'none (no adapter)'
        const i = a.info ?? {}
        return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ') + (a.isFallbackAdapter ? ' (fallback adapter)' : '')
      })
      await ctx.close()
    }
    progress.step('browser started')
    const suites = new Map<Backend, Suite>()
    const timed = async (name: SectionName, f: () => Promise<Section>) => {
      const s0 = performance.now()
      let sec: Section
      try {
        sec = await f()
      } catch (e) {
        sec = { status: 'unavailable', reason: `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, seconds: 0, rows: [], notes: [] }
      }
      sec.seconds = (performance.now() - s0) / 1000
      sections[name] = sec
    }
    if (want('size')) await timed('size', () => sizeSection(h, plan, model.present, progress))
    if (want('rerank')) await timed('rerank', () => rerankSection(h, plan, model.present, pool, progress, suites))
    if (want('limits')) await timed('limits', () => limitsSection(h, plan, model, suites, want('rerank') ? sections.rerank : null, progress))
    if (want('page')) await timed('page', () => pageSection(h, plan, model.present, pool, progress))
    if (want('storage')) await timed('storage', () => storageSection(h, plan, pool, progress))
    if (want('catalogue')) await timed('catalogue', () => catalogueSection(h, o.quick, progress, (line) => progress.note(line)))
    if (want('threads')) await timed('threads', () => threadsSection(h, o.quick, model.present, pool, progress))
  } finally {
    await h.close()
    rmSync(dir, { recursive: true, force: true })
  }
  sections.rerank.notes.push(poolNote)
  const partial: Omit<Results, 'targets'> = {
    schema: 'localrank-bench/1',
    date: new Date().toISOString(),
    quick: o.quick,
    seconds: (performance.now() - t0) / 1000,
    machine,
    model,
    sizes: { histories: plan.histories, candidates: plan.candidates, backends: plan.backends.map((b) => b.name) },
    sections,
  }
  const fresh: Results = { ...partial, targets: computeTargets(partial) }
  const results = o.merge ? mergeResults(fresh, readPrevious(join(o.outDir, 'results.json')), o.only) : fresh
  const check = checkResults(results)
  if (!check.ok) throw new Error(`the bench produced malformed results:\n${check.issues.join('\n')}`)
  mkdirSync(o.outDir, { recursive: true })
  writeFileSync(join(o.outDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`)
  writeFileSync(join(o.outDir, 'results.md'), renderMarkdown(results))
  progress.finish(`wrote ${join(o.outDir, 'results.json')} and results.md`)
  return results
}

async function main(): Promise<void> {
  try {
    const opts = parseArgs(process.argv.slice(2))
    const r = await runBench(opts)
    for (const t of r.targets)
      process.stdout.write(`${t.met === null ? 'n/a   ' : t.met ? 'met   ' : 'MISSED'} ${t.measure}: ${t.value === null ? 'unavailable' : t.value.toFixed(3)} (target ${t.target})\n`)
  } catch (e) {
    process.stderr.write(`\nbench failed: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  }
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) void main()

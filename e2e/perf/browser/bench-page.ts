/**
 * Page-side helpers bundled for the benchmark (never shipped): the store's own `openStore`, so
 * that "read the last 200 events" times the store's real `recent(200)` on IndexedDB (the
 * engine's `history()` answers from memory), and a client for bench-worker.ts.
 */
import { historyMessage } from '../../../src/encoder/history-tail'
import type { WorkerStats } from '../../../src/encoder/messages'
import type { Engine, EngineOptions } from '../../../src/engine/types'
import type { TrackInput } from '../../../src/events/types'
import type { Candidate } from '../../../src/rank/types'
import { openStore } from '../../../src/store'

export { openStore }

export function benchWorker(url: string) {
  const w = new Worker(url, { type: 'module', name: 'localrank-bench' })
  let next = 1
  const pending = new Map<number, { ok: (v: unknown) => void; ko: (e: Error) => void }>()
  w.onmessage = (ev: MessageEvent<{ id: number; ok: boolean; result?: unknown; error?: string }>) => {
    const p = pending.get(ev.data.id)
    pending.delete(ev.data.id)
    if (!p) return
    if (ev.data.ok) p.ok(ev.data.result)
    else p.ko(new Error(ev.data.error))
  }
  w.onerror = (ev) => {
    for (const [, p] of pending) p.ko(new Error(`bench worker failed: ${ev.message}`))
    pending.clear()
  }
  return {
    call<T>(op: string, args: Record<string, number | string> = {}): Promise<T> {
      const id = next++
      return new Promise<T>((ok, ko) => {
        pending.set(id, { ok: ok as (v: unknown) => void, ko })
        w.postMessage({ id, op, args })
      })
    },
    terminate: () => w.terminate(),
  }
}

// ---------------------------------------------------------------------------------------------
// The engine side. The engine is the *built* library, imported by e2e/fixtures/perf-page.html
// (`window.__perf.createEngine`); these helpers only drive it through its public API, and read
// the encoder worker's own counters with the worker protocol's `stats` message.

interface PerfGlobal {
  createEngine(o: EngineOptions): Promise<Engine>
  workers: Array<{ url: string; name: string; worker: Worker }>
  longtasks: Array<{ start: number; duration: number }>
  loaf: Array<{ start: number; duration: number; blocking: number; scripts: Array<{ url: string; duration: number; invoker?: string; fn?: string }> }>
  noLoaf?: string
  noLongtask?: string
}
const perf = () => (window as unknown as { __perf: PerfGlobal }).__perf

/** A clock the harness moves by hand: "now" stays put between reranks, so the cached user vector stays valid. */
export const benchClock = { now: Date.now() }
const clock = () => benchClock.now

const TYPES: TrackInput['type'][] = ['view_item', 'view_item', 'view_item', 'select_item', 'add_to_cart', 'view_item', 'add_to_wishlist', 'purchase']

/** Seed `n` single-item events, 10 minutes apart, ending one hour before the bench clock, in one batch. */
export async function seed(dbName: string, pool: Candidate[], n: number): Promise<number> {
  const engine = await perf().createEngine({ dbName, clock })
  await engine.clear()
  const end = benchClock.now - 3600e3
  const all: Array<Promise<unknown>> = []
  for (let i = 0; i < n; i++) {
    const it = pool[(i * 37) % pool.length]!
    all.push(engine.track({ type: TYPES[i % TYPES.length]!, items: [{ id: it.id, category: it.category, price: it.price, title: it.title }], timestamp: end - (n - 1 - i) * 600e3 }))
  }
  await Promise.all(all)
  const count = (await engine.history()).length
  await engine.dispose()
  return count
}

function encoderWorker(): Worker | null {
  const ws = perf().workers.filter((w) => w.name === 'localrank-encoder')
  return ws[ws.length - 1]?.worker ?? null
}

let statsId = 1_000_000_000
/** Ask the engine's encoder worker for its counters (the client ignores replies it did not ask for). */
export function workerStats(w: Worker): Promise<WorkerStats> {
  const id = statsId++
  return new Promise((ok) => {
    const on = (ev: MessageEvent<{ type: string; id?: number; stats?: WorkerStats }>) => {
      if (ev.data?.type === 'stats' && ev.data.id === id) {
        w.removeEventListener('message', on)
        ok(ev.data.stats!)
      }
    }
    w.addEventListener('message', on)
    w.postMessage({ type: 'stats', id })
  })
}

export interface RerankRep {
  ms: number
  path: string
  reason: string
  full: number
  incremental: number
  encodeMs: number | null
  scoreMs: number
  context: number
}

export interface SuiteResult {
  backend: string | null
  reason: string
  error?: string
  readyMs: number[]
  roundTripMs: number[]
  /** The unmeasured warm-up on the timed engine: full encodes run and their wall time. */
  warmup?: { passes: number; ms: number }
  /** Per candidate count and state. */
  runs: Array<{ candidates: number; state: string; reps: RerankRep[] }>
}

async function waitReady(engine: Engine, timeoutMs: number): Promise<void> {
  const t0 = performance.now()
  for (;;) {
    const info = engine.info()
    if (info.model?.ready) return
    if (info.model?.error) throw new Error(info.model.error)
    if (performance.now() - t0 > timeoutMs) throw new Error(`encoder not ready after ${timeoutMs} ms (${info.backendReason})`)
    await new Promise((r) => setTimeout(r, 1))
  }
}

/**
 * One backend × one history size: cold reps (a fresh engine each, first rerank once its encoder
 * is ready), then on one engine, for each candidate count: warm (the history is re-sent, so the
 * worker re-encodes it in full), cached (no new event: the user vector is reused) and
 * incremental (one new event tracked, encoded against the KV cache). Every rep records the
 * worker's own encode/score times and counters, so each state is verified, not assumed.
 */
export async function rerankSuite(a: {
  dbName: string
  model: string
  backend: string
  pool: Candidate[]
  candidates: number[]
  reps: number
  coldReps: number
  readyTimeoutMs: number
  states: string[]
  roundTrips: number
  /** Unmeasured full encodes before the first timed size, for about this long (see the warm-up below). */
  warmupMs?: number
}): Promise<SuiteResult> {
  const out: SuiteResult = { backend: null, reason: '', readyMs: [], roundTripMs: [], runs: [] }
  const opts: EngineOptions = { dbName: a.dbName, model: a.model, backend: a.backend as EngineOptions['backend'], clock, deadlineMs: 600_000, strict: false }
  const rank = { deadlineMs: 600_000 }
  /**
   * One timed rerank. `trigger` runs inside the timed window (warm: re-send the history, so the
   * worker's full encode starts after t0); `before` counters are read before `prepare`, so an
   * encode that the worker starts on its own (after `track`) is still attributed to this rep.
   */
  const measure = async (engine: Engine, w: Worker, cands: Candidate[], prepare?: () => Promise<void>, trigger?: () => void): Promise<RerankRep> => {
    const before = await workerStats(w)
    await prepare?.()
    const t0 = performance.now()
    trigger?.()
    const r = await engine.rerank(cands, rank)
    const ms = performance.now() - t0
    const after = await workerStats(w)
    const full = (after.session?.fullEncodes ?? 0) - (before.session?.fullEncodes ?? 0)
    const incremental = (after.session?.incrementalEncodes ?? 0) - (before.session?.incrementalEncodes ?? 0)
    return {
      ms,
      path: r.path,
      reason: r.reason ?? '',
      full,
      incremental,
      encodeMs: full + incremental > 0 ? after.lastEncodeMs : null,
      scoreMs: after.lastScoreMs,
      context: after.session?.context ?? 0,
    }
  }
  try {
    if (a.states.includes('cold')) {
      for (const c of a.candidates) {
        const reps: RerankRep[] = []
        for (let i = 0; i < a.coldReps; i++) {
          const t0 = performance.now()
          const engine = await perf().createEngine(opts)
          try {
            await waitReady(engine, a.readyTimeoutMs)
            out.readyMs.push(performance.now() - t0)
            reps.push(await measure(engine, encoderWorker()!, a.pool.slice(0, c)))
            out.backend = engine.info().backend
            out.reason = engine.info().backendReason
          } finally {
            await engine.dispose()
          }
        }
        out.runs.push({ candidates: c, state: 'cold', reps })
      }
    }
    const t0 = performance.now()
    const engine = await perf().createEngine(opts)
    try {
      await waitReady(engine, a.readyTimeoutMs)
      out.readyMs.push(performance.now() - t0)
      out.backend = engine.info().backend
      out.reason = engine.info().backendReason
      const w = encoderWorker()!
      let contextTokens = 0
      for (let i = 0; i < a.roundTrips; i++) {
        const s = performance.now()
        await workerStats(w)
        out.roundTripMs.push(performance.now() - s)
      }
      // Warm-up, unmeasured: full encodes at the largest list until ~warmupMs have passed (at
      // least 3, at most 400). A fresh worker's WASM runs on V8's baseline tier (Liftoff) until
      // its hot functions are tiered up; without this the first size timed (100 candidates)
      // ran its raw pass ~1.9x slower than the last (5.9 vs 3.1 ms at 50 events, issue 14),
      // which measures the JIT, not the encoder, and a long-lived shop page is past it. The cap
      // was 40, which at a few ms a WASM pass ended the warm-up after ~0.45 s, not the 1.5 s
      // meant, and the first size timed still read up to 2x slower (4.3 vs 2.3 ms at 50 events).
      {
        const events = await engine.history()
        // What the engine's client posts (history-tail.ts): the newest maxLen tokens and the count left out.
        contextTokens = ((await (await fetch(a.model)).json()) as { config: { maxLen: number } }).config.maxLen
        const cands = a.pool.slice(0, Math.max(...a.candidates))
        const w0 = performance.now()
        let n = 0
        while (n < 3 || (n < 400 && performance.now() - w0 < (a.warmupMs ?? 0))) {
          w.postMessage(historyMessage(events, contextTokens))
          await engine.rerank(cands, rank)
          n++
        }
        out.warmup = { passes: n, ms: performance.now() - w0 }
      }
      let added = 0
      for (const c of a.candidates) {
        const cands = a.pool.slice(0, c)
        await engine.rerank(cands, rank) // unmeasured: first call with this candidate count
        if (a.states.includes('warm')) {
          // The engine re-sends the history (the part the model can see) to its worker whenever it reloads it (forget,
          // clear, another tab's write); doing exactly that here makes the worker re-encode in full.
          const events = await engine.history()
          const reps: RerankRep[] = []
          for (let i = 0; i < a.reps; i++) reps.push(await measure(engine, w, cands, undefined, () => w.postMessage(historyMessage(events, contextTokens))))
          out.runs.push({ candidates: c, state: 'warm', reps })
        }
        if (a.states.includes('cached')) {
          await engine.rerank(cands, rank)
          const reps: RerankRep[] = []
          for (let i = 0; i < a.reps; i++) reps.push(await measure(engine, w, cands))
          out.runs.push({ candidates: c, state: 'cached', reps })
        }
        if (a.states.includes('incremental')) {
          await engine.rerank(cands, rank)
          const reps: RerankRep[] = []
          for (let i = 0; i < a.reps; i++) {
            const track = async () => {
              benchClock.now += 1000
              const it = a.pool[(added * 53 + 11) % a.pool.length]!
              await engine.track({ type: 'view_item', items: [{ id: `bench-new-${added++}`, category: it.category, price: it.price, title: it.title }] })
            }
            reps.push(await measure(engine, w, cands, track))
          }
          out.runs.push({ candidates: c, state: 'incremental', reps })
          // Put the history back to its size for the next candidate count.
          for (let k = 0; k < added; k++) await engine.forget(`bench-new-${k}`)
          added = 0
          benchClock.now += 1000
        }
      }
    } finally {
      await engine.dispose()
    }
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Page cost and storage helpers.

/** Long tasks and LocalRank-attributed long animation frames that started at or after `since` (ms since navigation). */
export function longTasksSince(since: number): {
  longtasks: number
  longtaskMs: number[]
  loafLocalRank: number
  loafLocalRankFrames: number
  loafAny: number
  loafSupported: boolean
  blockingScripts: string[]
} {
  const p = perf()
  const lt = p.longtasks.filter((e) => e.start >= since)
  // A long animation frame lasts > 50 ms by definition, rendering and idle time included; it
  // contains a long task only when its blockingDuration (Σ over its tasks of duration − 50 ms)
  // is > 0. LocalRank's long tasks are those frames that block and ran a LocalRank script.
  const loaf = p.loaf.filter((e) => e.start >= since)
  const ours = loaf.filter((e) => e.scripts.some((s) => /\/(lib|assets)\//.test(s.url) && s.duration > 0))
  // Which scripts ran in the blocking frames (file, invoker, function, ms): names the culprit.
  const blockingScripts = loaf
    .filter((e) => e.blocking > 0)
    .flatMap((e) => e.scripts.filter((s) => s.duration >= 5).map((s) => `${s.url.replace(/^.*\//, '') || '(page)'} ${s.invoker ?? ''}${s.fn ? ` ${s.fn}()` : ''} ${s.duration.toFixed(0)} ms`))
  return {
    longtasks: lt.length,
    longtaskMs: lt.map((e) => e.duration),
    loafLocalRank: ours.filter((e) => e.blocking > 0).length,
    loafLocalRankFrames: ours.length,
    loafAny: loaf.length,
    loafSupported: !p.noLoaf,
    blockingScripts,
  }
}

/** `n` reranks of `c` candidates with the engine the page built (`?auto=1`), at its default deadline. */
export async function rerankBurst(n: number, pool: Candidate[], c: number): Promise<{ since: number; ms: number[]; paths: string[] }> {
  const engine = (window as unknown as { __perf: { engine: Engine } }).__perf.engine
  const since = performance.now()
  const ms: number[] = []
  const paths: string[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const r = await engine.rerank(pool.slice(0, c), { limit: 24 })
    ms.push(performance.now() - t0)
    paths.push(r.path)
    await new Promise((r) => setTimeout(r, 16)) // a frame apart, as a page's lists would be
  }
  return { since, ms, paths }
}

/** `n` sequential `track()` calls: the synchronous part of each call and its time to resolve. */
export async function trackBurst(n: number, pool: Candidate[]): Promise<{ since: number; syncMs: number[]; resolveMs: number[] }> {
  const engine = (window as unknown as { __perf: { engine: Engine } }).__perf.engine
  const since = performance.now()
  const syncMs: number[] = []
  const resolveMs: number[] = []
  for (let i = 0; i < n; i++) {
    const it = pool[(i * 31) % pool.length]!
    const t0 = performance.now()
    const p = engine.track({ type: 'view_item', items: [{ id: it.id, category: it.category, price: it.price, title: it.title }] })
    syncMs.push(performance.now() - t0)
    await p
    resolveMs.push(performance.now() - t0)
  }
  return { since, syncMs, resolveMs }
}

/**
 * Storage: sustained write rate through `track()` (sequential awaits, and a burst the store
 * batches into few transactions), then with `fill` events stored: the store's `recent(200)`
 * on IndexedDB, the engine's `history(200)` (served from memory), `export()` and `clear()`.
 */
export async function storageSuite(a: { dbName: string; pool: Candidate[]; sequential: number; burst: number; fill: number; reps: number; clearReps: number }) {
  const engine = await perf().createEngine({ dbName: a.dbName, clock })
  const ev = (i: number): TrackInput => {
    const it = a.pool[(i * 17) % a.pool.length]!
    return { type: TYPES[i % TYPES.length]!, items: [{ id: it.id, category: it.category, price: it.price, title: it.title }], timestamp: benchClock.now - 86400e3 + i }
  }
  const out = {
    kind: engine.info().storage,
    sequentialPerS: [] as number[],
    burstPerS: [] as number[],
    recent200Ms: [] as number[],
    history200Ms: [] as number[],
    exportMs: [] as number[],
    clearMs: [] as number[],
    exported: 0,
    stored: 0,
  }
  try {
    for (let r = 0; r < a.reps; r++) {
      await engine.clear()
      let t0 = performance.now()
      for (let i = 0; i < a.sequential; i++) await engine.track(ev(i))
      out.sequentialPerS.push(a.sequential / ((performance.now() - t0) / 1000))
      await engine.clear()
      t0 = performance.now()
      await Promise.all(Array.from({ length: a.burst }, (_, i) => engine.track(ev(i))))
      out.burstPerS.push(a.burst / ((performance.now() - t0) / 1000))
    }
    const fill = async () => {
      await engine.clear()
      for (let s = 0; s < a.fill; s += 1000) await Promise.all(Array.from({ length: Math.min(1000, a.fill - s) }, (_, i) => engine.track(ev(s + i))))
    }
    await fill()
    out.stored = (await engine.history()).length
    const store = await openStore({ dbName: a.dbName })
    try {
      for (let r = 0; r < a.reps * 2; r++) {
        let t0 = performance.now()
        const got = await store.recent(200)
        out.recent200Ms.push(performance.now() - t0)
        if (got.length !== Math.min(200, a.fill)) throw new Error(`recent(200) returned ${got.length}`)
        t0 = performance.now()
        await engine.history(200)
        out.history200Ms.push(performance.now() - t0)
      }
    } finally {
      store.close()
    }
    for (let r = 0; r < a.reps; r++) {
      const t0 = performance.now()
      const dump = await engine.export()
      out.exportMs.push(performance.now() - t0)
      out.exported = dump.events.length
    }
    for (let r = 0; r < a.clearReps; r++) {
      if (r > 0) await fill()
      const t0 = performance.now()
      await engine.clear()
      out.clearMs.push(performance.now() - t0)
    }
  } finally {
    await engine.dispose()
  }
  return out
}

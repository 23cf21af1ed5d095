/**
 * Page-side helpers of the bench's catalogue section (catalogue.ts), bundled with bench-page.ts
 * (lib/bundle.ts) and imported by the fixture page from /perf-gen/catalogue-page.js. They drive
 * the BUILT library (`window.__perf.createEngine`, e2e/fixtures/perf-page.html) in feed mode:
 * the model URL is a user-side artifact, and every candidate and tracked item carries its feed
 * row (`vector`, `neighbours`).
 */
import type { Engine, EngineOptions } from '../../src/engine/types'
import type { Item, TrackInput } from '../../src/events/types'
import type { Candidate } from '../../src/rank/types'
import { workerStats } from './browser/bench-page'

interface PerfGlobal {
  createEngine(o: EngineOptions): Promise<Engine>
  workers: Array<{ url: string; name: string; worker: Worker }>
}
const perf = () => (window as unknown as { __perf: PerfGlobal }).__perf

/** A clock that only moves when the helpers move it: reranks in a row reuse the user vector. */
const bench = { now: Date.UTC(2026, 1, 1) }
const clock = () => bench.now

const TYPES: TrackInput['type'][] = ['view_item', 'view_item', 'select_item', 'view_item', 'add_to_cart', 'view_item', 'add_to_wishlist', 'purchase']

/** `n` one-item events of `items` (round robin), 10 minutes apart, ending an hour before the bench clock. */
async function trackHistory(engine: Engine, items: Item[], n: number): Promise<void> {
  const end = bench.now - 3600e3
  for (let s = 0; s < n; s += 250) {
    const batch: Array<Promise<unknown>> = []
    for (let i = s; i < Math.min(n, s + 250); i++) batch.push(engine.track({ type: TYPES[i % TYPES.length]!, items: [items[i % items.length]!], timestamp: end - (n - 1 - i) * 600e3 }))
    await Promise.all(batch)
  }
}

export interface CatalogueRun {
  history: number
  firstAnswerMs: number
  firstPath: string
  readyMs: number | null
  backend: string | null
  error?: string
  rerankMs: number[]
  paths: string[]
  workerBytes: number | null
  workerTensors: number | null
  /** Reranks whose worker counters show a full or incremental encode (a cached-vector run has none). */
  encodes: number
}

/**
 * One catalogue size, first visit (the context's HTTP cache is empty): track `history` events
 * whose items carry their data (no model yet, as a shopper's earlier pages would), then time a
 * new engine with the model: createEngine → first ranked answer (the profile path while the
 * encoder loads), → encoder ready; then `reps` reranks of the candidates (with their data) on
 * the encoder path, after `warm` unmeasured ones. The clock stands still, so the worker reuses
 * the user vector and each rep embeds and scores the candidates, which is where the catalogue
 * could matter.
 */
export async function catalogueRun(a: {
  dbName: string
  model: string
  history: Item[]
  historyEvents: number
  candidates: Candidate[]
  reps: number
  warm: number
  readyTimeoutMs: number
}): Promise<CatalogueRun> {
  const seedEngine = await perf().createEngine({ dbName: a.dbName, clock })
  await seedEngine.clear()
  await trackHistory(seedEngine, a.history, a.historyEvents)
  const history = (await seedEngine.history()).length
  await seedEngine.dispose()

  const out: CatalogueRun = { history, firstAnswerMs: NaN, firstPath: '', readyMs: null, backend: null, rerankMs: [], paths: [], workerBytes: null, workerTensors: null, encodes: 0 }
  let readyAt: number | null = null
  let failed: string | undefined
  const t0 = performance.now()
  const engine = await perf().createEngine({
    dbName: a.dbName,
    model: a.model,
    clock,
    deadlineMs: 600_000,
    strict: false,
    onProgress: (p) => {
      if (p.status === 'ready' && readyAt === null) readyAt = performance.now()
      if (p.status === 'error') failed = p.error.message
    },
  })
  try {
    const first = await engine.rerank(a.candidates, { limit: 24, deadlineMs: 50 })
    out.firstAnswerMs = performance.now() - t0
    out.firstPath = first.path
    while (readyAt === null && failed === undefined && performance.now() - t0 < a.readyTimeoutMs) await new Promise((r) => setTimeout(r, 2))
    if (readyAt === null) throw new Error(failed ?? `encoder not ready after ${a.readyTimeoutMs} ms`)
    out.readyMs = (readyAt as number) - t0
    out.backend = engine.info().backend
    const w =
      perf()
        .workers.filter((x) => x.name === 'localrank-encoder')
        .pop()?.worker ?? null
    for (let i = 0; i < a.warm; i++) await engine.rerank(a.candidates, { deadlineMs: 600_000 })
    const before = w ? await workerStats(w) : null
    for (let i = 0; i < a.reps; i++) {
      const s = performance.now()
      const r = await engine.rerank(a.candidates, { deadlineMs: 600_000 })
      out.rerankMs.push(performance.now() - s)
      out.paths.push(r.path)
    }
    if (w) {
      const after = await workerStats(w)
      out.workerBytes = after.numBytes
      out.workerTensors = after.numTensors
      out.encodes = (after.session?.fullEncodes ?? 0) + (after.session?.incrementalEncodes ?? 0) - ((before?.session?.fullEncodes ?? 0) + (before?.session?.incrementalEncodes ?? 0))
    }
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e)
  }
  // Kept alive for the harness to read the page's heap (CDP) with the engine loaded.
  ;(window as unknown as { __catalogueEngine?: Engine }).__catalogueEngine = engine
  return out
}

/** Dispose of the engine catalogueRun left running. */
export async function catalogueDispose(): Promise<void> {
  const g = window as unknown as { __catalogueEngine?: Engine }
  await g.__catalogueEngine?.dispose()
  delete g.__catalogueEngine
}

/** A stored record as plain data for the trip to Node: typed arrays tagged, so Node can rebuild them and serialise as IndexedDB does. */
type Wire = null | boolean | number | string | Wire[] | { [k: string]: Wire } | { __typed: 'Uint8Array' | 'Float32Array' | 'Float64Array'; values: number[] }
function toWire(x: unknown): Wire {
  if (x instanceof Uint8Array) return { __typed: 'Uint8Array', values: Array.from(x) }
  if (x instanceof Float32Array) return { __typed: 'Float32Array', values: Array.from(x) }
  if (x instanceof Float64Array) return { __typed: 'Float64Array', values: Array.from(x) }
  if (Array.isArray(x)) return x.map(toWire)
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, toWire(v)]))
  return x as Wire
}

function rawRecords(dbName: string): Promise<unknown[]> {
  return new Promise((ok, ko) => {
    const r = indexedDB.open(dbName)
    r.onerror = () => ko(r.error)
    r.onsuccess = () => {
      const db = r.result
      const q = db.transaction('events').objectStore('events').getAll()
      q.onsuccess = () => {
        db.close()
        ok(q.result)
      }
      q.onerror = () => ko(q.error)
    }
  })
}

/**
 * IndexedDB bytes per stored event, two ways, over `n` one-item events whose items carry their
 * feed data, tracked through the engine (so validated, compacted and packed as in production):
 * - the origin's `navigator.storage.estimate()` usage before and after, ÷ n: what Chromium's
 *   IndexedDB puts on disk (LevelDB: the value, the key, both indexes, and its write-ahead log
 *   until a compaction folds it in, so it moves between runs);
 * - the records themselves, read back raw from IndexedDB: Node serialises them with V8's
 *   ValueSerializer, the format Chromium stores a value in (catalogue.ts).
 */
export async function eventBytes(a: { dbName: string; items: Item[]; n: number }): Promise<{ usageBefore: number; usageAfter: number; stored: number; records: Wire[]; storage: string }> {
  const engine = await perf().createEngine({ dbName: a.dbName, clock })
  await engine.clear()
  const storage = engine.info().storage
  const usageBefore = (await navigator.storage.estimate()).usage ?? NaN
  await trackHistory(engine, a.items, a.n)
  const stored = (await engine.history()).length
  await engine.dispose()
  await new Promise((r) => setTimeout(r, 1000)) // let the last commit reach the disk
  const usageAfter = (await navigator.storage.estimate()).usage ?? NaN
  const records = (await rawRecords(a.dbName)).map(toWire)
  return { usageBefore, usageAfter, stored, records, storage }
}

/**
 * The bench's catalogue section (issue 10, "Scale check"): LocalRank in feed mode on seeded
 * synthetic shops of 10,000, 100,000 and 1,000,000 products. Per size (catalogue-build.ts
 * builds the shop, the model and its feed in a temporary folder):
 * - artifact bytes: gzip of everything the browser downloads for the model (model.json and
 *   weights.bin of the user-side artifact, each compressed on its own as one HTTP response);
 * - the item feed's bytes per product (items.jsonl and items.csv, as `npm run feed` wrote them);
 * - createEngine → first ranked answer and → encoder ready, first visit (an empty HTTP cache);
 * - `rerank` p50 for 500 candidates that carry their feed data, history 200 events whose items
 *   carried theirs (so the profile uses stored neighbours and the encoder stored vectors);
 * - page memory (JS heap after a GC, CDP) and worker memory (TensorFlow.js tensor bytes);
 * - IndexedDB bytes per stored event: the structured clone of each record as stored, and the
 *   origin's disk usage (navigator.storage.estimate) before and after, in a profile on disk.
 * Targets: `catalogue/artifact`, `catalogue/rerank`, `catalogue/event-bytes` (catalogueTargets).
 */
import { chromium, type BrowserContext, type Page } from '@playwright/test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import { serialize } from 'node:v8'
import { gzipSync } from 'node:zlib'
import { STORED_NEIGHBOURS } from '../../src/events/compact'
import type { Item } from '../../src/events/types'
import type { Candidate } from '../../src/rank/types'
import { mulberry32 } from '../../src/rng'
import { unpackRecord } from '../../src/store/packed'
import { chromiumArgs } from '../playwright.config'
import { buildCatalogue, feedRowsOf, FEED_NEIGHBOURS, VOCAB_CAP, type BuiltCatalogue } from './catalogue-build'
import type { CatalogueRun } from './catalogue-page'
import { CHROMIUM, type Harness } from './lib/browser'
import type { Progress } from './lib/progress'
import { derived, missing, row } from './lib/rows'
import type { Results, Section, Target } from './lib/schema'
import { summarize } from './lib/stats'

export interface CataloguePlan {
  sizes: number[]
  candidates: number
  historyEvents: number
  historyItems: number
  reps: number
  warm: number
  /** Events tracked for the bytes-per-event figures. */
  eventBytesN: number
  /** Timing rounds; each visits every size once. */
  rounds: number
}

export function cataloguePlan(quick: boolean): CataloguePlan {
  return quick
    ? { sizes: [1_000, 3_000], candidates: 50, historyEvents: 20, historyItems: 10, reps: 2, warm: 1, eventBytesN: 50, rounds: 1 }
    : // 15 timed reranks a round, not 5: one is ~3 ms through a clock coarsened to 0.1 ms, and
      // with 5 the per-round ratios of one run spread from 0.61 to 1.49 (1.19 to 2.55 in another).
      { sizes: [10_000, 100_000, 1_000_000], candidates: 500, historyEvents: 200, historyItems: 100, reps: 15, warm: 3, eventBytesN: 5000, rounds: 5 }
}

/** How many steps catalogueSection reports to the progress bar. */
export const catalogueSteps = (p: CataloguePlan) => p.sizes.length

const TYPES: Record<string, string> = { '.json': 'application/json', '.bin': 'application/octet-stream' }

/** Answer /cat-gen/<N>/… from that size's site folder (the user-side artifact). */
async function serveSite(ctx: BrowserContext, products: number, siteDir: string): Promise<void> {
  await ctx.route(`**/cat-gen/${products}/**`, (route) => {
    const name = new URL(route.request().url()).pathname.replace(`/cat-gen/${products}/`, '')
    const file = normalize(join(siteDir, name))
    if (!file.startsWith(siteDir)) return route.fulfill({ status: 404 })
    try {
      return route.fulfill({ body: readFileSync(file), contentType: TYPES[extname(file)] ?? 'application/octet-stream' })
    } catch {
      return route.fulfill({ status: 404 })
    }
  })
}

/** A page's own bench helpers from /perf-gen/catalogue-page.js. */
function call<T>(page: Page, fn: string, args: unknown): Promise<T> {
  return page.evaluate(
    async ([f, a]) => {
      const mod = (await import('/perf-gen/catalogue-page.js' as string)) as Record<string, (x: unknown) => Promise<unknown>>
      return mod[f as string]!(a)
    },
    [fn, args] as const,
  ) as Promise<T>
}

/**
 * The candidates (a server's list: 60% popular products, from the top 5% by popularity, 40%
 * from anywhere) and the history's products (half popular, half anywhere), seeded, each with
 * its catalogue fields and its feed row.
 */
async function pickItems(b: BuiltCatalogue, plan: CataloguePlan): Promise<{ candidates: Candidate[]; history: Item[]; withData: number }> {
  const rand = mulberry32(0xca7 + b.products)
  const n = b.products
  const popular = () => b.shop.productAtRank(Math.floor(rand() * Math.max(1, Math.floor(n * 0.05))))
  const anywhere = () => Math.floor(rand() * n)
  const pick = (count: number, share: number, taken: Set<number>) => {
    const out: number[] = []
    while (out.length < Math.min(count, n - taken.size)) {
      const i = out.length < count * share ? popular() : anywhere()
      if (taken.has(i)) continue
      taken.add(i)
      out.push(i)
    }
    return out
  }
  const taken = new Set<number>()
  const cand = pick(plan.candidates, 0.6, taken)
  const hist = pick(plan.historyItems, 0.5, taken)
  const ids = new Set([...cand, ...hist].map((i) => `p${i}`))
  const rows = await feedRowsOf(b.dir, ids)
  const item = (i: number): Item => {
    const p = b.shop.product(i)
    return { id: p.id, category: p.category, brand: p.brand, price: p.price, title: p.title, ...rows.get(p.id) }
  }
  const candidates = cand.map((i, k): Candidate => ({ ...item(i), score: 1 - k / cand.length }))
  return { candidates, history: hist.map(item), withData: rows.size }
}

/** A raw record from the page back into the values IndexedDB stored (typed arrays rebuilt). */
function fromWire(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(fromWire)
  if (x && typeof x === 'object') {
    const o = x as { __typed?: string; values?: number[] }
    if (o.__typed === 'Uint8Array') return Uint8Array.from(o.values!)
    if (o.__typed === 'Float32Array') return Float32Array.from(o.values!)
    if (o.__typed === 'Float64Array') return Float64Array.from(o.values!)
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, fromWire(v)]))
  }
  return x
}

interface Prepared {
  N: number
  dir: string
  siteDir: string
  candidates: Candidate[]
  history: Item[]
}

/** Bytes per stored event at one size, in a Chromium profile on disk (an incognito context keeps IndexedDB in memory). */
async function eventBytesRows(h: Harness, p: Prepared, plan: CataloguePlan, s: Section): Promise<void> {
  const tag = `catalogue/${p.N}`
  const attrs = { group: 'catalogue', products: p.N }
  const profile = mkdtempSync(join(tmpdir(), 'localrank-catalogue-profile-'))
  const pctx = await chromium.launchPersistentContext(profile, { ...(CHROMIUM === 'bundled' ? {} : { executablePath: CHROMIUM }), args: chromiumArgs, baseURL: h.base })
  try {
    await pctx.route('**/perf-gen/**', (route) => {
      const name = new URL(route.request().url()).pathname.replace(/^\/perf-gen\//, '')
      const file = normalize(join(h.genDir, name))
      if (!file.startsWith(h.genDir)) return route.fulfill({ status: 404 })
      try {
        return route.fulfill({ body: readFileSync(file), contentType: extname(file) === '.js' ? 'text/javascript' : extname(file) === '.wasm' ? 'application/wasm' : 'application/octet-stream' })
      } catch {
        return route.fulfill({ status: 404 })
      }
    })
    const page = await h.openBenchPage(pctx)
    // The heavy case the target is about: products that carry a vector and at least the 8
    // neighbours a stored event keeps (most of a large catalogue has no neighbours at all, which
    // would flatter the mean).
    const all = [...p.history, ...p.candidates].map(({ score: _s, ...it }: Item & { score?: number }) => it)
    const heavy = all.filter((it) => it.vector !== undefined && (it.neighbours?.length ?? 0) >= STORED_NEIGHBOURS)
    const items = heavy.length >= 20 ? heavy : all
    const e = await call<{ usageBefore: number; usageAfter: number; stored: number; records: unknown[]; storage: string }>(page, 'eventBytes', {
      dbName: `bench-bytes-${p.N}`,
      items,
      n: plan.eventBytesN,
    })
    const clone = e.records.map((x) => serialize(fromWire(x)).length)
    // The same events as JSON text, as the engine sees them (unpacked, without the index field).
    const json = e.records.map((x) => {
      const { itemIds: _i, ...ev } = unpackRecord(fromWire(x)) as Record<string, unknown>
      return Buffer.byteLength(JSON.stringify(ev))
    })
    const c = summarize(clone)
    const mean = clone.reduce((a, x) => a + x, 0) / Math.max(1, clone.length)
    const withVector = items.filter((x) => x.vector !== undefined).length
    const withNb = items.filter((x) => (x.neighbours?.length ?? 0) >= STORED_NEIGHBOURS).length
    s.rows.push(
      row(
        `${tag}/event-bytes/clone`,
        `${p.N} products: stored event, structured clone of the record`,
        'B',
        clone,
        {
          ...attrs,
          mean,
          storage: e.storage,
          events: e.stored,
          jsonMean: json.reduce((a, x) => a + x, 0) / Math.max(1, json.length),
          detail: `mean ${mean.toFixed(1)}, max ${c.max ?? '—'}; ${e.stored} one-item events over ${items.length} products (${withVector} with a vector, ${withNb} with ≥ ${STORED_NEIGHBOURS} neighbours); the same events as JSON text: mean ${(json.reduce((a, x) => a + x, 0) / Math.max(1, json.length)).toFixed(1)}`,
        },
        `no record read back (storage ${e.storage})`,
      ),
    )
    s.rows.push(
      derived(
        `${tag}/event-bytes/disk`,
        `${p.N} products: IndexedDB disk usage per stored event (storage.estimate delta)`,
        'B',
        e.stored > 0 ? (e.usageAfter - e.usageBefore) / e.stored : null,
        { ...attrs, events: e.stored, usageBefore: e.usageBefore, usageAfter: e.usageAfter, jsonMean: json.reduce((a, x) => a + x, 0) / Math.max(1, json.length) },
        'no events stored',
      ),
    )
    if (e.storage !== 'indexeddb') s.notes.push(`${p.N}: the store fell back to ${e.storage}: the event-bytes rows are not IndexedDB figures`)
  } finally {
    await pctx.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

export async function catalogueSection(h: Harness, quick: boolean, progress: Progress, log: (s: string) => void = () => {}): Promise<Section> {
  const plan = cataloguePlan(quick)
  const s: Section = { status: 'ok', seconds: 0, rows: [], notes: [] }
  const sources: string[] = []
  const prepared: Prepared[] = []
  const fail = (N: number, err: unknown) => {
    s.status = 'partial'
    s.notes.push(`${N}: failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
  }
  try {
    // 1. Build each size (Node), pick its candidates and history with their feed rows, keep only
    //    the user-side artifact on disk (a 1,000,000-row feed is ~470 MB of JSONL + CSV).
    for (const N of plan.sizes) {
      const tag = `catalogue/${N}`
      const attrs = { group: 'catalogue', products: N }
      const dir = mkdtempSync(join(tmpdir(), `localrank-catalogue-${N}-`))
      try {
        progress.note(`catalogue: building ${N.toLocaleString('en')} products`)
        const b = await buildCatalogue(N, dir, log)
        sources.push(`${N.toLocaleString('en')}: ${b.modelSource}`)
        const site = ['model.json', 'weights.bin'].map((f) => readFileSync(join(b.siteDir, f)))
        const gz = site.reduce((a, x) => a + gzipSync(x).length, 0)
        const raw = site.reduce((a, x) => a + x.length, 0)
        s.rows.push(derived(`${tag}/artifact`, `${N} products: artifact the browser downloads (gzip)`, 'B', gz, { ...attrs, raw, files: 'model.json + weights.bin', keptRows: b.summary.keptRows }, ''))
        const f = b.summary.feed!
        s.rows.push(
          derived(
            `${tag}/feed-jsonl`,
            `${N} products: item feed, items.jsonl`,
            'B/item',
            f.bytesPerItemJsonl,
            {
              ...attrs,
              rows: f.rows,
              withNeighbours: f.withNeighbours,
              encoding: f.encoding,
              vectorChars: f.vectorChars,
              detail: `${f.rows} rows, ${f.withNeighbours} with neighbours (products someone visited twice or more)`,
            },
            '',
          ),
        )
        s.rows.push(derived(`${tag}/feed-csv`, `${N} products: item feed, items.csv`, 'B/item', f.bytesPerItemCsv, { ...attrs, rows: f.rows }, ''))
        s.rows.push(
          derived(
            `${tag}/build`,
            `${N} products: build (shop, model, feed)`,
            's',
            b.seconds.shop + b.seconds.model + b.seconds.feed,
            {
              ...attrs,
              detail: `shop ${b.seconds.shop.toFixed(1)} s, similarity + model ${b.seconds.model.toFixed(1)} s, npm run feed ${b.seconds.feed.toFixed(1)} s; ${b.users} visitors, ${b.events} events, ${b.visited} products visited`,
            },
            '',
          ),
        )
        const picked = await pickItems(b, plan)
        if (picked.withData < picked.candidates.length + picked.history.length)
          s.notes.push(`${N}: ${picked.withData} of ${picked.candidates.length + picked.history.length} picked products had a feed row`)
        for (const sub of ['data', 'feed', 'full', 'similarity.json']) rmSync(join(dir, sub), { recursive: true, force: true })
        prepared.push({ N, dir, siteDir: b.siteDir, candidates: picked.candidates, history: picked.history })
      } catch (err) {
        fail(N, err)
        rmSync(dir, { recursive: true, force: true })
      }
      progress.step(`catalogue: ${N} built`)
    }

    // 2. Bytes per stored event, per size.
    for (const p of prepared) {
      try {
        await eventBytesRows(h, p, plan, s)
      } catch (err) {
        fail(p.N, err)
      }
    }

    // 3. Timings and memory in rounds that visit every size in turn, so that a load change on
    //    a shared machine hits all sizes alike (the rerank target is a ratio between sizes).
    const runs = new Map<number, CatalogueRun[]>()
    const heaps = new Map<number, number[]>()
    for (let round = 0; round < plan.rounds; round++) {
      // Each round starts at another size: whatever the first visit of a round pays (the
      // browser's code caches, a busier moment) is spread over the sizes.
      for (const p of [...prepared.slice(round % Math.max(1, prepared.length)), ...prepared.slice(0, round % Math.max(1, prepared.length))]) {
        progress.note(`catalogue: ${p.N} in Chromium, round ${round + 1} of ${plan.rounds}`)
        // A fresh context each time: a first visit, the artifact downloaded.
        const ctx = await h.newContext()
        try {
          await serveSite(ctx, p.N, p.siteDir)
          const page = await h.openBenchPage(ctx)
          const r = await call<CatalogueRun>(page, 'catalogueRun', {
            dbName: `bench-cat-${p.N}`,
            model: `/cat-gen/${p.N}/model.json`,
            history: p.history,
            historyEvents: plan.historyEvents,
            candidates: p.candidates,
            reps: plan.reps,
            warm: plan.warm,
            readyTimeoutMs: 180_000,
          })
          const cdp = await ctx.newCDPSession(page)
          await cdp.send('HeapProfiler.collectGarbage')
          const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number }
          await cdp.detach()
          await call(page, 'catalogueDispose', null)
          runs.set(p.N, [...(runs.get(p.N) ?? []), r])
          heaps.set(p.N, [...(heaps.get(p.N) ?? []), heap.usedSize / 2 ** 20])
        } catch (err) {
          fail(p.N, err)
        } finally {
          await ctx.close()
        }
      }
    }
    // The rerank target is a ratio between the largest and the smallest size: paired within a
    // round (the two were measured a minute apart at most), then the median over rounds, so a
    // busy spell of the shared machine in one round moves one pair, not the pooled medians.
    if (prepared.length >= 2) {
      const lo = prepared[0]!
      const hi = prepared[prepared.length - 1]!
      const med = (r: CatalogueRun | undefined) => (r ? summarize(r.rerankMs.filter((_, i) => r.paths[i] === 'encoder')).p50 : null)
      const pairs: number[] = []
      for (let round = 0; round < plan.rounds; round++) {
        const a = med(runs.get(lo.N)?.[round])
        const b = med(runs.get(hi.N)?.[round])
        if (a && b !== null) pairs.push(b / a)
      }
      s.rows.push(
        row(
          'catalogue-paired/rerank',
          `rerank p50 at ${hi.N} ÷ at ${lo.N} products, per round`,
          '×',
          pairs,
          { group: 'catalogue-paired', largest: hi.N, smallest: lo.N, detail: pairs.map((x) => x.toFixed(2)).join(', ') },
          'no round measured both sizes',
        ),
      )
    }
    for (const p of prepared) {
      const tag = `catalogue/${p.N}`
      const attrs = { group: 'catalogue', products: p.N }
      const rs = runs.get(p.N) ?? []
      const errors = [...new Set(rs.map((r) => r.error).filter(Boolean))]
      const why = errors.length ? `failed: ${errors.join('; ')}` : 'no samples'
      const paths = Object.entries(rs.flatMap((r) => r.paths).reduce<Record<string, number>>((a, x) => ((a[x] = (a[x] ?? 0) + 1), a), {}))
        .map(([k, v]) => `${k}×${v}`)
        .join(' ')
      const encoderMs = rs.flatMap((r) => r.rerankMs.filter((_, i) => r.paths[i] === 'encoder'))
      const worker = rs.map((r) => r.workerBytes).filter((x): x is number => x !== null)
      const withVector = p.candidates.filter((c) => c.vector !== undefined).length
      const withNb = p.candidates.filter((c) => c.neighbours !== undefined).length
      s.rows.push(
        row(
          `${tag}/first-answer`,
          `${p.N} products: createEngine → first ranked answer (first visit)`,
          'ms',
          rs.map((r) => r.firstAnswerMs).filter(Number.isFinite),
          { ...attrs, paths: rs.map((r) => r.firstPath).join(' '), history: rs[0]?.history ?? null },
          why,
        ),
      )
      s.rows.push(
        row(
          `${tag}/encoder-ready`,
          `${p.N} products: createEngine → encoder ready (first visit)`,
          'ms',
          rs.map((r) => r.readyMs).filter((x): x is number => x !== null),
          { ...attrs, backend: rs[0]?.backend ?? null },
          why,
        ),
      )
      s.rows.push(
        row(
          `${tag}/rerank`,
          `${p.N} products: rerank(${p.candidates.length} candidates with their data), history ${rs[0]?.history ?? plan.historyEvents}`,
          'ms',
          encoderMs,
          {
            ...attrs,
            candidates: p.candidates.length,
            withVector,
            withNeighbours: withNb,
            paths,
            encodes: rs.reduce((a, r) => a + r.encodes, 0),
            backend: rs[0]?.backend ?? null,
            detail: `${withVector} candidates with a vector, ${withNb} with neighbours; answers ${paths}`,
          },
          errors.length ? why : `no encoder-path answer (${paths})`,
        ),
      )
      s.rows.push(row(`${tag}/memory/page`, `${p.N} products: page JS heap, engine loaded (after GC)`, 'MB', heaps.get(p.N) ?? [], attrs, why))
      s.rows.push(
        row(
          `${tag}/memory/worker`,
          `${p.N} products: worker, TensorFlow.js tensor memory`,
          'MB',
          worker.map((x) => x / 2 ** 20),
          { ...attrs, tensors: rs[0]?.workerTensors ?? null },
          why,
        ),
      )
      for (const e of errors) s.notes.push(`${p.N}: ${e}`)
    }
  } finally {
    for (const p of prepared) rmSync(p.dir, { recursive: true, force: true })
  }
  for (const N of plan.sizes)
    for (const id of ['artifact', 'rerank', 'event-bytes/clone'])
      if (!s.rows.some((x) => x.id === `catalogue/${N}/${id}`)) s.rows.push(missing(`catalogue/${N}/${id}`, `${N} products: ${id}`, '', 'failed (see notes)', { group: 'catalogue', products: N }))
  if (s.rows.every((x) => x.p50 === null)) {
    s.status = 'unavailable'
    s.reason = 'no catalogue size could be measured (see notes)'
  }
  s.notes.push(
    `Model per size: ${sources.join('; ')}. Built in a temporary folder and deleted after the run (catalogue-build.ts): synthetic shop (seed 1, src/offline/data/synthetic.ts), neighbours from the generated traffic's co-occurrence (${FEED_NEIGHBOURS} per product), split by the real npm run feed code (--mode feed, f16). Vocabulary cap ${VOCAB_CAP}.`,
  )
  s.notes.push(
    `The rerank target is the median over rounds of the per-round ratio of p50s (largest ÷ smallest size, measured in the same round), which cancels the shared machine's load drift between rounds; the table's pooled p50s and their ratio are in the target's note.`,
  )
  s.notes.push(
    `Timings: ${plan.rounds} rounds, each visiting every size (starting at another size each round) in a fresh browser context (empty HTTP cache: a first visit). In each, ${plan.historyEvents} one-item events are tracked first (items with their feed data, ${plan.historyItems} products), then an engine with the model is timed from createEngine to its first ranked answer (50 ms deadline: the profile path while the encoder loads) and to encoder ready (onProgress 'ready'); then ${plan.warm} unmeasured and ${plan.reps} timed reranks of ${plan.candidates} candidates (60% from the top 5% by popularity, 40% from anywhere; each with its feed row) at a clock that stands still, so the worker reuses the user vector and embeds and scores the candidates; rerank rows count encoder-path answers only.`,
  )
  s.notes.push(
    `Event bytes: ${plan.eventBytesN} one-item events (the store's default cap) of products that carry a vector and at least ${STORED_NEIGHBOURS} neighbours (the heavy case), tracked through the engine (validated, compacted to 8 neighbours, packed: store schema v3) in a Chromium profile on disk. "Structured clone": each record read back raw from IndexedDB and serialised by Node's v8.serialize (V8's ValueSerializer, the format Chromium's IndexedDB stores values in; Blink adds a few header bytes, and Node writes typed arrays as host objects, ±4 bytes). "Disk": storage.estimate() usage after − before ÷ events: LevelDB's files, so it also counts the key (the 47-character event id, stored as UTF-16), the by_time and by_item index entries and the write-ahead log not yet compacted, so it depends on when LevelDB last compacted (one run here gave 1,439 at 10,000 products where the others gave 745–790).`,
  )
  s.notes.push(
    "Page memory: CDP Runtime.getHeapUsage after HeapProfiler.collectGarbage, with the engine (and its copy of the history) loaded. Worker memory: the encoder worker's own tf.memory().numBytes (the weights and cached tensors; the WASM heap's reserved size is not included).",
  )
  return s
}

/** The catalogue rows of one measure, smallest catalogue first. */
function bySize(s: Section, measure: string): Array<{ products: number; p50: number | null }> {
  return s.rows
    .filter((r) => r.attrs.group === 'catalogue' && r.id.endsWith(`/${measure}`) && r.id.split('/').length === 2 + measure.split('/').length)
    .map((r) => ({ products: Number(r.attrs.products), p50: measure === 'event-bytes/clone' && typeof r.attrs.mean === 'number' ? r.attrs.mean : r.p50 }))
    .sort((a, b) => a.products - b.products)
}

export function catalogueTargets(r: Omit<Results, 'targets'>): Target[] {
  const s = r.sections.catalogue
  const out: Target[] = []
  const notRun = !s || s.status === 'skipped' ? `not measured: the catalogue section did not run${s?.reason ? ` (${s.reason})` : ''}` : null
  const fmtN = (n: number) => n.toLocaleString('en')
  const art = s ? bySize(s, 'artifact') : []
  const big = art[art.length - 1]
  const small = art[0]
  if (notRun || !big || big.p50 === null || !small || small.p50 === null) {
    out.push({
      id: 'catalogue/artifact',
      measure: 'Model download at the largest catalogue (gzip)',
      target: "≤ 1 MiB, and ≤ 1.1× the smallest catalogue's",
      value: null,
      limit: 1024 * 1024,
      met: null,
      where: '—',
      note: notRun ?? 'artifact not measured at the smallest and largest sizes',
    })
  } else {
    const limit = Math.min(1024 * 1024, 1.1 * small.p50)
    out.push({
      id: 'catalogue/artifact',
      measure: 'Model download at the largest catalogue (gzip)',
      target: "≤ 1 MiB, and ≤ 1.1× the smallest catalogue's",
      value: big.p50,
      limit,
      met: big.p50 <= limit,
      where: `${fmtN(big.products)} vs ${fmtN(small.products)} products`,
      note: `${art.map((a) => `${fmtN(a.products)}: ${a.p50} B`).join('; ')}; ratio ${(big.p50 / small.p50).toFixed(4)}×`,
    })
  }
  const rr = s ? bySize(s, 'rerank') : []
  const rb = rr[rr.length - 1]
  const rs = rr[0]
  const pooled = rb?.p50 != null && rs?.p50 ? rb.p50 / rs.p50 : null
  // Paired per round when the section has it (catalogueSection), else the pooled medians.
  const paired = s?.rows.find((x) => x.id === 'catalogue-paired/rerank')
  const ratio = paired?.p50 ?? pooled
  const how = paired?.p50 != null ? `median over ${paired.n} rounds of the per-round ratio (${String(paired.attrs.detail)}); pooled p50s ` : 'pooled p50s '
  out.push({
    id: 'catalogue/rerank',
    measure: 'rerank p50, largest ÷ smallest catalogue',
    target: '≤ 1.2',
    value: notRun ? null : ratio,
    limit: 1.2,
    met: notRun || ratio === null ? null : ratio <= 1.2,
    where: rb && rs ? `${fmtN(rb.products)} vs ${fmtN(rs.products)} products` : '—',
    ...(notRun || ratio === null
      ? { note: notRun ?? 'rerank not measured at both ends' }
      : { note: `${how}${rr.map((x) => `${fmtN(x.products)}: ${x.p50?.toFixed(1) ?? '—'} ms`).join('; ')} (ratio ${pooled?.toFixed(2) ?? '—'})` }),
  })
  const eb = s ? bySize(s, 'event-bytes/clone').filter((x) => x.p50 !== null) : []
  const worst = eb.reduce<{ products: number; p50: number | null } | null>((a, x) => (!a || (x.p50 ?? 0) > (a.p50 ?? 0) ? x : a), null)
  const disk = s ? bySize(s, 'event-bytes/disk') : []
  out.push({
    id: 'catalogue/event-bytes',
    measure: 'IndexedDB bytes per stored event (structured clone, mean)',
    target: '≤ 512',
    value: notRun ? null : (worst?.p50 ?? null),
    limit: 512,
    met: notRun || !worst || worst.p50 === null ? null : worst.p50 <= 512,
    where: worst ? `worst size: ${fmtN(worst.products)} products` : '—',
    note:
      notRun ??
      (worst
        ? `clone mean ${eb.map((x) => `${fmtN(x.products)}: ${x.p50?.toFixed(1)}`).join('; ')}; disk (storage.estimate, incl. key, indexes, LevelDB log) ${disk.map((x) => `${fmtN(x.products)}: ${x.p50?.toFixed(0) ?? '—'}`).join('; ')}`
        : 'no event bytes measured'),
  })
  return out
}

/** The section as Markdown: one table, a column per catalogue size. */
export function renderCatalogue(s: Section | undefined): string[] {
  if (!s) return []
  const L: string[] = ['## Catalogue scale (feed mode, synthetic shops)', '', `Status: ${s.status}${s.reason ? ` (${s.reason})` : ''}; ${s.seconds.toFixed(0)} s.`, '']
  const mine = s.rows.filter((r) => r.attrs.group === 'catalogue')
  const sizes = [...new Set(mine.map((r) => Number(r.attrs.products)))].sort((a, b) => a - b)
  const measures = [...new Set(mine.map((r) => r.id.split('/').slice(2).join('/')))]
  const cell = (m: string, n: number) => {
    const r = s.rows.find((x) => x.id === `catalogue/${n}/${m}`)
    if (!r) return '—'
    if (r.p50 === null) return `n/a: ${r.unavailable}`
    const v = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1))
    if (m === 'event-bytes/clone' && typeof r.attrs.mean === 'number') return `mean ${v(r.attrs.mean)}, max ${r.max} (${r.n})`
    return r.n > 1 ? `${v(r.p50)} / ${v(r.p95!)} (${r.n})` : v(r.p50)
  }
  L.push(`| Measure | ${sizes.map((n) => `${n.toLocaleString('en')} products`).join(' | ')} |`, `|---|${sizes.map(() => '---').join('|')}|`)
  for (const m of measures) {
    const any = mine.find((x) => x.id.endsWith(`/${m}`))!
    L.push(`| ${any.name.replace(/^\d+ products: /, '')} (${any.unit}) | ${sizes.map((n) => cell(m, n)).join(' | ')} |`)
  }
  const paired = s.rows.find((x) => x.id === 'catalogue-paired/rerank')
  if (paired) L.push('', `${paired.name}: ${paired.p50 === null ? `n/a: ${paired.unavailable}` : `median ${paired.p50.toFixed(2)}× (${String(paired.attrs.detail)})`}.`)
  L.push('', 'Timed cells with several samples read "p50 / p95 (n)".', '')
  return L
}

/**
 * The bench harness's pure-Node parts (run by `npm test` through vitest, before the build):
 * statistics, FLOP counting, the results schema and its extra checks, targets, the Markdown
 * rendering, sizes, the CLI flags and the progress bar. Nothing here times anything; the
 * browser smoke run of the harness is e2e/perf-smoke.spec.ts (it needs dist/).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { blockFlops, contextTokens, encodeFlops, incrementalFlops, scoreFlops, type FlopConfig } from './lib/flops'
import { Progress } from './lib/progress'
import { computeTargets, renderMarkdown } from './lib/report'
import { derived, missing, row } from './lib/rows'
import { mergeResults } from './lib/merge'
import { checkResults, SECTIONS, type Results, type Section } from './lib/schema'
import { compressed, packagesOf, staticClosure } from './lib/size'
import { percentile, ratio, summarize } from './lib/stats'
import { makePlan, parseArgs } from './run'

const CFG: FlopConfig = { d: 64, heads: 2, blocks: 2, ffn: 128, featSlots: 12, maxLen: 200 }

describe('stats', () => {
  it('percentiles interpolate between closest ranks (type 7)', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    expect(percentile(s, 0.5)).toBeCloseTo(5.5, 12)
    expect(percentile(s, 0.95)).toBeCloseTo(9.55, 12)
    expect(percentile(s, 0)).toBe(1)
    expect(percentile(s, 1)).toBe(10)
    expect(percentile([], 0.5)).toBeNull()
    expect(() => percentile(s, 1.5)).toThrow(RangeError)
  })
  it('summaries sort, drop non-finite samples and do not count them', () => {
    expect(summarize([3, NaN, 1, Infinity, 2])).toEqual({ p50: 2, p95: expect.closeTo(2.9, 12), n: 3, min: 1, max: 3 })
    expect(summarize([])).toEqual({ p50: null, p95: null, n: 0, min: null, max: null })
  })
  it('a ratio that cannot be formed is null, not 0 or Infinity', () => {
    expect(ratio(1, 4)).toBe(0.25)
    expect(ratio(1, 0)).toBeNull()
    expect(ratio(null, 3)).toBeNull()
    expect(ratio(2, NaN)).toBeNull()
  })
})

describe('FLOP counting', () => {
  it('the context is capped at maxLen and slides by maxLen/4 steps', () => {
    expect(contextTokens(50, 200)).toBe(50)
    expect(contextTokens(200, 200)).toBe(200)
    expect(contextTokens(201, 200)).toBe(151)
    expect(contextTokens(1000, 200)).toBe(200)
  })
  it('one block by hand: projections, attention and FFN', () => {
    const m = 10,
      N = 10,
      d = 64,
      ffn = 128
    expect(blockFlops(CFG, m, N)).toBe(4 * 2 * m * d * d + 2 * 2 * m * N * d + 2 * 2 * m * d * ffn)
  })
  it('a full encode grows with the context, not with the stored history beyond it', () => {
    expect(encodeFlops(CFG, 1000)).toBe(encodeFlops(CFG, 200))
    expect(encodeFlops(CFG, 200)).toBeGreaterThan(encodeFlops(CFG, 50))
    // 200 tokens: 2 blocks × (4·2·200·64² + 2·2·200²·64 + 2·2·200·64·128) + 2·200·12·64
    expect(encodeFlops(CFG, 200)).toBe(2 * (6_553_600 + 10_240_000 + 6_553_600) + 307_200)
    expect(encodeFlops(CFG, 0)).toBe(0)
  })
  it('one incremental token costs far less than a full encode; scoring is linear in the candidates', () => {
    expect(incrementalFlops(CFG, 199) * 50).toBeLessThan(encodeFlops(CFG, 200))
    expect(scoreFlops(CFG, 2000) - scoreFlops(CFG, 1000)).toBe(1000 * (2 * 12 * 64 + 2 * 64))
  })
})

function section(rows: Section['rows'] = [], extra: Partial<Section> = {}): Section {
  return { status: 'ok', seconds: 1, rows, notes: [], ...extra }
}

function fixture(): Omit<Results, 'targets'> {
  const r = (b: string, h: number, c: number, st: string, ms: number[], pass?: number) =>
    row(`rerank/${b}/h${h}/c${c}/${st}`, `${b} ${st}`, 'ms', ms, { kind: 'rerank', backend: b, software: false, history: h, candidates: c, state: st, workerPassP50: pass ?? null })
  return {
    schema: 'localrank-bench/1',
    date: '2026-01-01T00:00:00.000Z',
    quick: true,
    seconds: 1,
    machine: { cpuModel: 'x', cores: 2, memoryGiB: 8, loadAverage: [1, 1, 1], os: 'Linux', node: 'v20', chromium: '1', playwright: '1', webgpuAdapter: 'none' },
    model: { present: true, config: { d: 64 }, note: '' },
    sizes: { histories: [50], candidates: [100, 500], backends: ['wasm'] },
    sections: {
      size: section([], {
        sizes: [
          { id: 'loader', name: 'Loader', files: ['lib/localrank.js'], raw: 900, gzip: 500, brotli: 400 },
          { id: 'worker/wasm', name: 'Worker', files: [], raw: 90_000, gzip: 50_000, brotli: 45_000 },
        ],
      }),
      rerank: section([
        r('wasm', 50, 100, 'warm', [100, 110, 90], 95),
        r('wasm', 50, 100, 'cached', [5, 6, 4]),
        r('wasm', 50, 100, 'incremental', [40, 41, 39]),
        r('wasm', 50, 500, 'warm', [200], 150),
        r('wasm', 50, 500, 'cached', [30]),
        r('wasm', 50, 500, 'incremental', [50]),
        missing('rerank/wasm/h50/c500/cold', 'cold', 'ms', 'not run', { kind: 'rerank', backend: 'wasm', history: 50, candidates: 500, state: 'cold' }),
      ]),
      limits: section([derived('overhead/wasm/h50/c100', 'x', '×', 1.1, { group: 'overhead' }, '')]),
      page: section([derived('longtasks/localrank', 'Long frames', 'count', 2, {}, '')]),
      storage: section([], { status: 'skipped', reason: 'not selected (--only)' }),
      catalogue: section([], { status: 'skipped', reason: 'not selected (--only)' }),
      threads: section([], { status: 'skipped', reason: 'not selected (--only)' }),
    },
  }
}

describe('targets and rendering', () => {
  it('ratios are taken per configuration and the worst one decides', () => {
    const t = computeTargets(fixture())
    const by = Object.fromEntries(t.map((x) => [x.id, x]))
    // cached: 5/100 = 0.05 at c100, 30/200 = 0.15 at c500 → worst 0.15, missed
    expect(by['cached/wasm']!.value).toBeCloseTo(0.15, 12)
    expect(by['cached/wasm']!.met).toBe(false)
    expect(by['cached/wasm']!.where).toContain('500 candidates')
    // incremental: 0.4 and 0.25 → 0.4, missed
    expect(by['incremental/wasm']!.value).toBeCloseTo(0.4, 12)
    // overhead: 100/95 and 200/150 → 1.333, missed
    expect(by['overhead/wasm']!.value).toBeCloseTo(200 / 150, 12)
    expect(by['overhead/wasm']!.met).toBe(false)
    expect(by['longtasks']!).toMatchObject({ value: 2, met: false })
    expect(by['loader-size']!).toMatchObject({ value: 500, met: true })
    expect(by['worker-size']!).toMatchObject({ value: 50_000, met: false })
  })
  it('without a model the encoder targets are unavailable and say why', () => {
    const f = fixture()
    f.model = { present: false, config: null, note: 'missing' }
    f.sections.rerank = section([], { status: 'unavailable', reason: 'model missing' })
    const t = computeTargets(f)
    const cached = t.find((x) => x.id === 'cached')!
    expect(cached.value).toBeNull()
    expect(cached.met).toBeNull()
    expect(cached.note).toMatch(/model missing/)
  })
  it('the Markdown has the targets table with met/missed and every section', () => {
    const f = fixture()
    const results: Results = { ...f, targets: computeTargets(f) }
    expect(checkResults(results)).toMatchObject({ ok: true })
    const md = renderMarkdown(results)
    expect(md).toContain('## Targets')
    expect(md).toMatch(/Cached-user-vector rerank \(wasm\) \| ≤ 0\.1× a full encode \| 0\.15× \| \*\*missed\*\*/)
    expect(md).toMatch(/Embed loader \| ≤ 8 KB gzip \| 0\.5 KB \| \*\*met\*\*/)
    for (const h of ['## Size', '## Rerank latency', '## Limits and baselines', '## Page cost', '## Storage']) expect(md).toContain(h)
    expect(md).toContain('n/a')
  })
})

describe('results schema', () => {
  const good = (): Results => {
    const f = fixture()
    return { ...f, targets: computeTargets(f) }
  }
  it('accepts a well-formed result with every section', () => {
    const c = checkResults(good())
    expect(c.ok).toBe(true)
    expect(Object.keys(good().sections).sort()).toEqual([...SECTIONS].sort())
  })
  it('rejects a null number without a reason, a non-finite number, p95 < p50 and a missing section', () => {
    const a = good()
    a.sections.rerank.rows[0] = { ...a.sections.rerank.rows[0]!, p50: null, unavailable: undefined }
    expect(checkResults(a)).toMatchObject({ ok: false })
    const b = good() as unknown as { sections: { page: { rows: Array<{ p50: number }> } } }
    b.sections.page.rows[0]!.p50 = Infinity
    expect(checkResults(b)).toMatchObject({ ok: false })
    const c = good()
    c.sections.rerank.rows[0] = { ...c.sections.rerank.rows[0]!, p50: 10, p95: 5 }
    const cc = checkResults(c)
    expect(cc.ok).toBe(false)
    if (!cc.ok) expect(cc.issues.join()).toMatch(/p95 < p50/)
    const d = good() as unknown as { sections: Record<string, unknown> }
    delete d.sections.storage
    expect(checkResults(d)).toMatchObject({ ok: false })
    const e = good()
    e.sections.storage = { ...e.sections.storage, reason: undefined }
    expect(checkResults(e)).toMatchObject({ ok: false })
  })
})

describe('sizes', () => {
  it('gzip and brotli shrink repetitive input; sizes are byte counts', () => {
    const buf = Buffer.from('export const x = 1;\n'.repeat(500))
    const c = compressed(buf)
    expect(c.raw).toBe(buf.byteLength)
    expect(c.gzip).toBeLessThan(c.raw / 10)
    expect(c.brotli).toBeLessThanOrEqual(c.gzip)
  })
  it('the static import closure follows static imports, not import()', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lr-closure-'))
    writeFileSync(join(dir, 'a.mjs'), 'import { b } from "./b.mjs";\nimport "./c.mjs";\nconst lazy = () => import("./d.mjs");\nexport { b, lazy }\n')
    writeFileSync(join(dir, 'b.mjs'), 'export * from "./c.mjs"; export const b = 1\n')
    writeFileSync(join(dir, 'c.mjs'), 'export const c = 1\n')
    writeFileSync(join(dir, 'd.mjs'), 'export const d = 1\n')
    expect(
      staticClosure(join(dir, 'a.mjs'))
        .map((f) => f.slice(dir.length + 1))
        .sort(),
    ).toEqual(['a.mjs', 'b.mjs', 'c.mjs'])
  })
  it('packages are read from a source map', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lr-map-'))
    writeFileSync(join(dir, 'x.js'), '')
    writeFileSync(join(dir, 'x.js.map'), JSON.stringify({ sources: ['../node_modules/@tensorflow/tfjs-core/dist/ops.js', '../../src/encoder/runtime.ts', '../node_modules/idb/build/index.js'] }))
    expect(packagesOf(join(dir, 'x.js'))).toEqual(['@tensorflow/tfjs-core', 'idb', 'localrank src'])
  })
})

describe('CLI and progress', () => {
  it('parses --quick, --only and --out; rejects unknown sections and flags', () => {
    expect(parseArgs([])).toMatchObject({ quick: false, only: [...SECTIONS] })
    expect(parseArgs(['--quick', '--only', 'rerank,size', '--out', '/tmp/x'])).toMatchObject({ quick: true, only: ['rerank', 'size'], outDir: '/tmp/x' })
    expect(() => parseArgs(['--only', 'speed'])).toThrow(/--only takes/)
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument/)
  })
  it("the full plan covers the issue's grid on every backend; --quick is tiny", () => {
    const full = makePlan(false)
    expect(full.histories).toEqual([50, 200, 1000])
    expect(full.candidates).toEqual([100, 500, 2000])
    expect(full.backends.map((b) => b.name).sort()).toEqual(['cpu', 'wasm', 'webgpu'])
    const quick = makePlan(true)
    expect(Math.max(...quick.histories, ...quick.candidates)).toBeLessThanOrEqual(20)
    for (const b of full.backends) if (b.candidates.length < full.candidates.length) expect(b.skipWhy).toBeTruthy()
  })
  it('the progress bar writes lines with a percentage to its stream', () => {
    let out = ''
    const stream = { isTTY: false, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream
    const p = new Progress(4, stream)
    p.step('one')
    p.step('two', 2)
    p.finish()
    expect(out).toMatch(/25% .*one/)
    expect(out).toMatch(/75% .*two/)
    expect(out).toMatch(/100% .*done/)
  })
})

describe('catalogue targets (issue 10)', () => {
  const cat = (sizes: Array<{ n: number; gzip: number; rerank: number[]; clone: number[] }>) => {
    const f = fixture()
    const rows: Section['rows'] = []
    for (const z of sizes) {
      const a = { group: 'catalogue', products: z.n }
      rows.push(derived(`catalogue/${z.n}/artifact`, `${z.n} products: artifact`, 'B', z.gzip, a, ''))
      rows.push(row(`catalogue/${z.n}/rerank`, `${z.n} products: rerank`, 'ms', z.rerank, a))
      rows.push(row(`catalogue/${z.n}/event-bytes/clone`, `${z.n} products: clone`, 'B', z.clone, { ...a, mean: z.clone.reduce((x, y) => x + y, 0) / z.clone.length }))
      rows.push(derived(`catalogue/${z.n}/event-bytes/disk`, `${z.n} products: disk`, 'B', 700, a, ''))
    }
    f.sections.catalogue = section(rows)
    return f
  }
  it('artifact: ≤ 1 MiB and ≤ 1.1× the smallest size; rerank: largest ÷ smallest p50; event bytes: worst mean', () => {
    const f = cat([
      { n: 10_000, gzip: 600_000, rerank: [10, 12, 11], clone: [500, 510] },
      { n: 100_000, gzip: 600_100, rerank: [11, 13, 12], clone: [520, 530] },
      { n: 1_000_000, gzip: 600_200, rerank: [14, 14, 14], clone: [505, 505] },
    ])
    const by = Object.fromEntries(computeTargets(f).map((t) => [t.id, t]))
    expect(by['catalogue/artifact']).toMatchObject({ value: 600_200, met: true, limit: 660_000 })
    expect(by['catalogue/rerank']!.value).toBeCloseTo(14 / 11, 12)
    expect(by['catalogue/rerank']!.met).toBe(false)
    // The worst size's mean (100,000: 525) decides, not the largest catalogue's.
    expect(by['catalogue/event-bytes']).toMatchObject({ value: 525, met: false })
    expect(by['catalogue/event-bytes']!.where).toContain('100,000')
    const results: Results = { ...f, targets: computeTargets(f) }
    expect(checkResults(results)).toMatchObject({ ok: true })
    const md = renderMarkdown(results)
    expect(md).toContain('## Catalogue scale')
    expect(md).toMatch(/\| artifact \(B\) \| 600000 \| 600100 \| 600200 \|/)
  })
  it('a 1 MiB artifact misses even at the same size as the smallest; a section not run leaves the targets unavailable with a reason', () => {
    const big = cat([
      { n: 10_000, gzip: 1_100_000, rerank: [10], clone: [400] },
      { n: 1_000_000, gzip: 1_100_000, rerank: [10], clone: [400] },
    ])
    expect(computeTargets(big).find((t) => t.id === 'catalogue/artifact')).toMatchObject({ met: false, limit: 1024 * 1024 })
    const none = computeTargets(fixture()).filter((t) => t.id.startsWith('catalogue/'))
    expect(none.map((t) => t.id)).toEqual(['catalogue/artifact', 'catalogue/rerank', 'catalogue/event-bytes'])
    for (const t of none) expect(t).toMatchObject({ value: null, met: null, note: expect.stringMatching(/did not run/) })
  })
})

describe('--merge', () => {
  it("keeps the sections this run did not run, names them with their run's date, and recomputes the targets", () => {
    const old = fixture()
    old.date = '2026-11-30T10:00:00.000Z'
    const previous: Results = { ...old, targets: computeTargets(old) }
    const now = fixture()
    now.date = '2026-12-02T14:00:00.000Z'
    for (const k of ['size', 'rerank', 'limits', 'page'] as const) now.sections[k] = section([], { status: 'skipped', reason: 'not selected (--only)' })
    now.sections.catalogue = section([derived('catalogue/10/artifact', 'a', 'B', 100, { group: 'catalogue', products: 10 }, '')])
    const fresh: Results = { ...now, targets: computeTargets(now) }
    const m = mergeResults(fresh, JSON.parse(JSON.stringify(previous)), ['catalogue'])
    expect(m.sections.rerank).toEqual(previous.sections.rerank)
    expect(m.sections.catalogue).toEqual(now.sections.catalogue)
    expect(m.merged).toEqual([
      { section: 'size', date: old.date },
      { section: 'rerank', date: old.date },
      { section: 'limits', date: old.date },
      { section: 'page', date: old.date },
    ])
    expect(m.targets.find((t) => t.id === 'cached/wasm')!.value).toBeCloseTo(0.15, 12)
    expect(checkResults(m)).toMatchObject({ ok: true })
    expect(renderMarkdown(m)).toContain('Kept from earlier runs by `--merge`')
    // Nothing to merge from: the fresh results as they are.
    expect(mergeResults(fresh, null, ['catalogue'])).toBe(fresh)
  })
})

describe('catalogue rerank target, paired per round', () => {
  it('uses the median of the per-round ratios when the section has them, and renders them', () => {
    const f = fixture()
    const a = (n: number) => ({ group: 'catalogue', products: n })
    f.sections.catalogue = section([
      // First, as catalogueSection writes it (before the size rows of the timing rounds).
      row('catalogue-paired/rerank', 'rerank p50 at 1000 ÷ at 10 products, per round', '×', [1.1, 0.9, 3.0], { group: 'catalogue-paired', detail: '1.10, 0.90, 3.00' }),
      row('catalogue/10/rerank', '10 products: rerank', 'ms', [10, 10, 10], a(10)),
      row('catalogue/1000/rerank', '1000 products: rerank', 'ms', [20, 20, 20], a(1000)),
    ])
    const t = computeTargets(f).find((x) => x.id === 'catalogue/rerank')!
    expect(t.value).toBeCloseTo(1.1, 12)
    expect(t.met).toBe(true)
    expect(t.note).toContain('ratio 2.00')
    const md = renderMarkdown({ ...f, targets: computeTargets(f) })
    expect(md).toContain('median 1.10×')
    expect(md).toMatch(/\| Measure \| 10 products \| 1,000 products \|/)
    // The size rows keep their own name (the paired row is not one of them).
    expect(md).toContain('| rerank (ms) | 10.0 / 10.0 (3) | 20.0 / 20.0 (3) |')
  })
})

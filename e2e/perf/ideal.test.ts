/**
 * Issue 14's ideal targets (ideal.ts): the worst candidate count at a history size decides, each
 * size has its own limit, and a limits section that did not run leaves them unavailable with why.
 */
import { describe, expect, it } from 'vitest'
import { idealTargets } from './ideal'
import { computeTargets, renderMarkdown } from './lib/report'
import { derived, missing, row } from './lib/rows'
import { checkResults, type Results, type Row, type Section } from './lib/schema'

const section = (rows: Row[], over: Partial<Section> = {}): Section => ({ status: 'ok', seconds: 1, rows, notes: [], ...over })
const compute = (h: number, c: number, v: number | null) =>
  v === null
    ? missing(`compute/wasm/h${h}/c${c}`, `wasm h${h} c${c}`, '× ideal', 'no warm pass measured', { group: 'compute', backend: 'wasm', history: h, candidates: c })
    : derived(`compute/wasm/h${h}/c${c}`, `wasm h${h} c${c}`, '× ideal', v, { group: 'compute', backend: 'wasm', history: h, candidates: c, detail: `d${h}-${c}` }, '')

function results(limits: Section): Omit<Results, 'targets'> {
  const skip = section([], { status: 'skipped', reason: 'not selected (--only)' })
  return {
    schema: 'localrank-bench/1',
    date: '2026-01-01T00:00:00.000Z',
    quick: true,
    seconds: 1,
    machine: { cpuModel: 'x', cores: 2, memoryGiB: 8, loadAverage: [1, 1, 1], os: 'Linux', node: 'v20', chromium: '1', playwright: '1', webgpuAdapter: 'none' },
    model: { present: true, config: { d: 64 }, note: '' },
    sizes: { histories: [50, 200], candidates: [100, 2000], backends: ['wasm'] },
    sections: { size: skip, rerank: skip, limits, page: skip, storage: skip, catalogue: skip, threads: skip },
  }
}

describe('ideal/wasm targets', () => {
  it('take the worst candidate count per history size, against 6 at 200 events and 10 at 50', () => {
    const r = results(
      section([
        compute(200, 100, 5.5),
        compute(200, 2000, 7.25),
        compute(50, 100, 9.5),
        compute(50, 2000, null),
        // Another backend's rows must not count.
        derived('compute/cpu/h200/c100', 'cpu', '× ideal', 99, { group: 'compute', backend: 'cpu', history: 200, candidates: 100 }, ''),
      ]),
    )
    const by = Object.fromEntries(idealTargets(r).map((t) => [t.id, t]))
    expect(by['ideal/wasm/h200']).toMatchObject({ value: 7.25, limit: 6, met: false, where: 'worst of 2: c2000' })
    expect(by['ideal/wasm/h50']).toMatchObject({ value: 9.5, limit: 10, met: true, where: 'worst of 1: c100' })
    expect(by['ideal/wasm/h200']!.note).toContain('c100 5.5×')
    // They are in the bench's target table, and its results stay valid.
    const all = computeTargets(r)
    expect(all.filter((t) => t.id.startsWith('ideal/')).map((t) => t.id)).toEqual(['ideal/wasm/h200', 'ideal/wasm/h50'])
    const full: Results = { ...r, targets: all }
    expect(checkResults(full)).toMatchObject({ ok: true })
    expect(renderMarkdown(full)).toMatch(/Raw WASM pass ÷ compute limit, 200 events \| ≤ 6× .*\| 7\.2\d?× \| \*\*missed\*\*/)
  })
  it('are unavailable, with the reason, when the limits section did not run or measured nothing', () => {
    for (const t of idealTargets(results(section([], { status: 'skipped', reason: 'not selected (--only)' })))) expect(t).toMatchObject({ value: null, met: null, note: 'not selected (--only)' })
    const none = idealTargets(results(section([compute(200, 100, null)])))
    expect(none[0]).toMatchObject({ id: 'ideal/wasm/h200', value: null, met: null, note: 'no warm pass measured' })
    expect(none[1]).toMatchObject({ id: 'ideal/wasm/h50', value: null, note: 'no compute row for this size' })
  })
})

describe('kernels/wasm targets (the kernel budget) and software WebGPU', () => {
  const prof = (h: number, v: number | null) =>
    v === null
      ? missing(`profile/wasm/h${h}/kernels`, `wasm h${h}: kernels`, 'count', 'not profiled', { group: 'profile', backend: 'wasm', history: h })
      : derived(`profile/wasm/h${h}/kernels`, `wasm h${h}: kernels`, 'count', v, { group: 'profile', backend: 'wasm', history: h, detail: `k${h}` }, '')
  it('compare the profiled kernels per full encode with the budget per size, rendered as counts', () => {
    const r = results(section([prof(200, 62), prof(50, 70), compute(200, 100, 5)]))
    const by = Object.fromEntries(idealTargets(r).map((t) => [t.id, t]))
    expect(by['kernels/wasm/h200']).toMatchObject({ value: 62, limit: 64, met: true, note: 'k200' })
    expect(by['kernels/wasm/h50']).toMatchObject({ value: 70, met: false })
    const full: Results = { ...r, targets: computeTargets(r) }
    expect(checkResults(full)).toMatchObject({ ok: true })
    expect(renderMarkdown(full)).toMatch(/Kernels per full encode, WASM, 50 events \| ≤ 64 kernels \| 70 \| \*\*missed\*\*/)
    expect(idealTargets(results(section([prof(200, null)])))).toContainEqual(expect.objectContaining({ id: 'kernels/wasm/h200', value: null, met: null, note: 'not profiled' }))
  })
  it('report WebGPU ratios as informational: a value, never met or missed', () => {
    const rr = (b: string, st: string, ms: number[], pass?: number) =>
      row(`rerank/${b}/h50/c100/${st}`, `${b} ${st}`, 'ms', ms, { kind: 'rerank', backend: b, history: 50, candidates: 100, state: st, workerPassP50: pass ?? null })
    const r = results(section([]))
    r.sections.rerank = section(['wasm', 'webgpu'].flatMap((b) => [rr(b, 'warm', [100], 50), rr(b, 'cached', [50]), rr(b, 'incremental', [50])]))
    const t = computeTargets(r)
    const by = Object.fromEntries(t.map((x) => [x.id, x]))
    for (const id of ['cached', 'incremental', 'overhead']) {
      expect(by[`${id}/wasm`]!.met).toBe(false)
      expect(by[`${id}/webgpu`]).toMatchObject({ met: null })
      expect(by[`${id}/webgpu`]!.value).not.toBeNull()
      expect(by[`${id}/webgpu`]!.note).toContain('not timed')
    }
    expect(renderMarkdown({ ...r, targets: t })).toMatch(/Cached-user-vector rerank \(webgpu, software adapter: informational\) \| ≤ 0\.1× a full encode \| 0\.50× \| informational/)
  })
})

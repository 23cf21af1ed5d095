/**
 * Issue 14's ideal targets (ideal.ts): the worst candidate count at a history size decides, each
 * size has its own limit, and a limits section that did not run leaves them unavailable with why.
 */
import { describe, expect, it } from 'vitest'
import { idealTargets } from './ideal'
import { computeTargets, renderMarkdown } from './lib/report'
import { derived, missing } from './lib/rows'
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
    sections: { size: skip, rerank: skip, limits, page: skip, storage: skip, catalogue: skip },
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

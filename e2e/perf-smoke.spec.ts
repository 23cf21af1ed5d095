/**
 * Smoke run of `npm run bench` (e2e/perf/run.ts) with --quick sizes, in real Chromium against the
 * built dist/: it must produce results that are well formed (the schema in e2e/perf/lib/schema.ts,
 * every section present and run, every number finite or explicitly marked unavailable with a
 * reason, every target listed). It never asserts a time. The committed results in e2e/perf/ are
 * not touched: this run writes into a temporary folder.
 */
import { expect, test } from '@playwright/test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkResults, SECTIONS } from './perf/lib/schema'
import { runBench } from './perf/run'
import { requireModel, requireBuild } from './support'

test('the bench harness runs end to end with tiny sizes and writes well-formed results', async () => {
  test.setTimeout(600_000)
  requireBuild()
  // The encoder rows are the point of the bench: no model must fail here, not pass with them "unavailable".
  requireModel()
  const out = mkdtempSync(join(tmpdir(), 'localrank-bench-smoke-'))
  try {
    await runBench({ quick: true, only: [...SECTIONS], outDir: out, quiet: true })
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as unknown
    const check = checkResults(json)
    expect(check.ok ? [] : check.issues).toEqual([])
    if (!check.ok) return
    const r = check.results
    for (const s of SECTIONS) expect(['ok', 'partial', 'unavailable'], `section ${s}: ${r.sections[s].reason ?? ''}`).toContain(r.sections[s].status)
    expect(r.sections.size.status).toBe('ok')
    expect(r.sections.storage.status).toBe('ok')
    expect(r.sections.page.rows.length).toBeGreaterThan(0)
    expect(r.targets.map((t) => t.id.split('/')[0])).toEqual(expect.arrayContaining(['cached', 'incremental', 'overhead', 'longtasks', 'loader-size', 'worker-size']))
    // Where there is a model, the encoder rows are measured on the encoder path, not marked unavailable.
    const wasm = r.sections.rerank.rows.filter((x) => x.attrs.kind === 'rerank' && x.attrs.backend === 'wasm')
    expect(wasm.length).toBe(4)
    for (const x of wasm) expect(x.p50, `${x.id}: ${x.unavailable ?? ''}`).not.toBeNull()
    const md = readFileSync(join(out, 'results.md'), 'utf8')
    expect(md).toContain('## Targets')
    expect(md).toMatch(/\*\*(met|missed)\*\*/)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

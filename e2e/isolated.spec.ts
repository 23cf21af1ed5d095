/**
 * A cross-origin-isolated shop page (COOP same-origin + COEP require-corp, served by serve.ts
 * for `?coi=1` and for what such a page loads). There SharedArrayBuffer exists, so the encoder
 * picks multi-threaded WASM, whose pthread workers run a script tfjs builds from a function's
 * source text. In a minified bundle that text referred to names of the surrounding module
 * ("ReferenceError: e is not defined"), the threads never started and nothing fell back:
 * every answer was the server's order (issue 13 #21).
 */
import { expect, test, type Page } from '@playwright/test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireModel, requireBuild, ROOT } from './support'

interface Model {
  modelSha256: string
  vocab: string[]
}
let model: Model
let chunk = ''

test.beforeAll(() => {
  requireBuild()
  requireModel()
  model = JSON.parse(readFileSync(join(ROOT, 'dist/model/model.json'), 'utf8')) as Model
  const c = readdirSync(join(ROOT, 'dist/lib/chunks')).find((f) => /^encoder-.*\.js$/.test(f))
  if (!c) throw new Error('dist/lib/chunks/encoder-*.js is missing: the library build must split the encoder into its own chunk')
  chunk = `/lib/chunks/${c}`
})

function watch(page: Page) {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    // HTTP failures are listed by URL below (the browser's own favicon request is no failure of ours).
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`)
  })
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`HTTP ${r.status()} ${r.url()}`)
  })
  page.on('worker', (w) =>
    w.on('console', (m) => {
      if (m.type() === 'error') errors.push(`worker console: ${m.text()}`)
    }),
  )
  return errors
}

test('the engine on a cross-origin-isolated page ranks on the encoder path with threaded WASM', async ({ page }) => {
  test.setTimeout(120_000)
  const errors = watch(page)
  await page.goto('/fixtures/library.html?coi=1')
  await page.waitForFunction(() => !!(window as unknown as { libraryFixture?: unknown }).libraryFixture, null, { timeout: 20_000 })
  const ids = model.vocab.slice(0, 60)
  const r = await page.evaluate(
    async ({ ids, pin }) => {
      type Eng = {
        track(e: unknown): Promise<unknown>
        rerank(c: unknown[], o?: unknown): Promise<{ path: string; reason?: string; items: Array<{ id: string }> }>
        info(): { backend: string | null; backendReason: string; model: { ready: boolean; error?: string } | null }
        dispose(): Promise<void>
      }
      const { createEngine } = (window as unknown as { libraryFixture: { createEngine(o: unknown): Promise<Eng> } }).libraryFixture
      const errs: string[] = []
      let ready!: () => void
      const readyP = new Promise<void>((ok) => (ready = ok))
      const engine = await createEngine({
        dbName: 'isolated-fixture',
        model: '/model/model.json',
        modelSha256: pin,
        onError: (e: Error) => errs.push(e.message),
        onProgress: (p: { status: string }) => {
          if (p.status === 'ready') ready()
        },
      })
      for (let k = 0; k < 12; k++) await engine.track({ type: 'view_item', items: [{ id: ids[k % 6]!, category: ['Drama'] }] })
      const outcome = await Promise.race([readyP.then(() => 'ready'), new Promise<string>((ok) => setTimeout(() => ok('timeout'), 60_000))])
      const res = await engine.rerank(
        ids.map((id, i) => ({ id, category: [i % 2 ? 'Drama' : 'Comedy'], score: ids.length - i })),
        { deadlineMs: 10_000 },
      )
      const info = engine.info()
      await engine.dispose()
      return { isolated: self.crossOriginIsolated, sab: typeof SharedArrayBuffer, outcome, path: res.path, reason: res.reason, n: res.items.length, info, errs }
    },
    { ids, pin: model.modelSha256 },
  )
  console.log(`isolated page: backend ${r.info.backend}: ${r.info.backendReason}`)
  expect(r.isolated, 'the fixture page must be cross-origin isolated (serve.ts ?coi=1)').toBe(true)
  expect(r.sab).toBe('function')
  expect(r.errs).toEqual([])
  expect(r.outcome, JSON.stringify(r.info)).toBe('ready')
  expect(r.path, r.reason).toBe('encoder')
  expect(r.n).toBe(ids.length)
  expect(r.info.backend).toBe('wasm')
  expect(r.info.backendReason).toMatch(/WASM \(SIMD, threads\)/)
  expect(r.info.backendReason).not.toMatch(/failed/)
  expect(errors).toEqual([])
})

/** A fixed history of `n` views of vocabulary items, about an hour apart. */
function history(n: number) {
  return Array.from({ length: n }, (_, k) => ({
    id: `h-${k}`,
    type: 'view_item',
    items: [{ id: model.vocab[(k * 13) % 400]!, category: ['Drama'], title: `Film ${k}` }],
    timestamp: 1_500_000_000_000 + k * 3_600_000,
  }))
}

/** Full encode of `hist` on WASM in a fresh encoder, on an isolated page or not; scores and the worker's timing. */
async function encodeOn(page: Page, coi: boolean, hist: unknown[], cands: unknown[]) {
  await page.goto(`/fixtures/encoder.html?chunk=${encodeURIComponent(chunk)}${coi ? '&coi=1' : ''}`)
  await page.waitForFunction(() => !!(window as unknown as { encoderFixture?: unknown }).encoderFixture, null, { timeout: 20_000 })
  return page.evaluate(
    async ({ pin, hist, cands }) => {
      type H = {
        whenReady(): Promise<void>
        status(): { backend: string | null; reason: string }
        setHistory(e: unknown[]): void
        score(c: unknown[], s: AbortSignal): Promise<Float32Array | null>
        stats(): Promise<{ lastEncodeMs: number; lastEncodeKind: string | null } | null>
        dispose(): void
      }
      const fx = (window as unknown as { encoderFixture: { createEncoder(o: unknown): H } }).encoderFixture
      const h = fx.createEncoder({ model: '/model/model.json', sha256: pin, backend: 'wasm', clock: () => 1_500_000_000_000 + 500 * 3_600_000 })
      await h.whenReady()
      const times: number[] = []
      let scores: number[] = []
      for (let rep = 0; rep < 5; rep++) {
        // A history that differs each time: each score is a full encode (the "raw pass").
        h.setHistory(rep % 2 ? hist.slice(1) : hist)
        const s = await h.score(cands, new AbortController().signal)
        const st = await h.stats()
        if (st?.lastEncodeKind === 'full') times.push(st.lastEncodeMs)
        if (rep === 0) scores = Array.from(s ?? [])
      }
      const status = h.status()
      h.dispose()
      return { isolated: self.crossOriginIsolated, status, times, scores }
    },
    { pin: model.modelSha256, hist, cands },
  )
}

test('threaded and single-thread WASM give the same scores (prints the full-encode timings of both)', async ({ page }) => {
  test.setTimeout(180_000)
  const errors = watch(page)
  const hist = history(190)
  const cands = model.vocab.slice(500, 601).map((id, i) => ({ id, category: ['Drama'], score: 101 - i }))
  const threaded = await encodeOn(page, true, hist, cands)
  const single = await encodeOn(page, false, hist, cands)
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN
  console.log(
    `full encode of 190 events, WASM, median of ${threaded.times.length}/${single.times.length}: threaded ${med(threaded.times).toFixed(1)} ms [${threaded.times.map((t) => t.toFixed(1)).join(', ')}], single-thread ${med(single.times).toFixed(1)} ms [${single.times.map((t) => t.toFixed(1)).join(', ')}]`,
  )
  expect(threaded.isolated).toBe(true)
  expect(threaded.status.reason).toMatch(/threads\)/)
  expect(threaded.status.reason).not.toMatch(/no threads|failed/)
  expect(single.status.reason).toMatch(/no threads/)
  expect(threaded.scores).toHaveLength(cands.length)
  let m = 0
  threaded.scores.forEach((v, i) => (m = Math.max(m, Math.abs(v - single.scores[i]!))))
  console.log(`max |threaded − single-thread| score difference: ${m.toExponential(2)}`)
  expect(m).toBeLessThan(1e-4)
  expect(errors).toEqual([])
})

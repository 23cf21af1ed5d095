/**
 * The npm library as a shop self-hosts it: dist/lib copied under a sub-path (/vendor/localrank/,
 * see serve.ts) with no demo build beside it. The encoder's worker, TensorFlow.js chunks and WASM
 * binaries must be fetched relative to the library, not from the site root: an earlier build
 * asked for `/assets/worker-*.js`, which only worked because the demo's dist/ sat at `/`.
 */
import { expect, test } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireModel, requireBuild, ROOT } from './support'

test.beforeAll(() => {
  requireBuild()
  requireModel()
})

test('the library served from a sub-path loads its own worker and WASM, and reranks on the encoder path', async ({ page }) => {
  test.setTimeout(120_000)
  const model = JSON.parse(readFileSync(join(ROOT, 'dist/model/model.json'), 'utf8')) as { vocab: string[] }
  const requests: string[] = []
  const failed: string[] = []
  page.on('request', (r) => requests.push(new URL(r.url()).pathname))
  page.on('requestfailed', (r) => failed.push(r.url()))
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`)
  })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))

  await page.goto('/fixtures/library.html')
  await page.waitForFunction(() => !!(window as unknown as { libraryFixture?: unknown }).libraryFixture, null, { timeout: 20_000 })
  const vocab = model.vocab.slice(0, 60)
  const r = await page.evaluate(async (ids) => {
    type Eng = {
      track(e: unknown): Promise<unknown>
      rerank(c: unknown[]): Promise<{ path: string; reason?: string; items: Array<{ id: string }> }>
      info(): { backend: string | null; backendReason: string; model: { ready: boolean; error?: string } | null }
      close?(): Promise<void>
    }
    const { createEngine } = (window as unknown as { libraryFixture: { createEngine(o: unknown): Promise<Eng> } }).libraryFixture
    const errs: string[] = []
    let ready: () => void
    const readyP = new Promise<void>((ok) => (ready = ok))
    const engine = await createEngine({
      dbName: 'library-fixture',
      model: '/model/model.json',
      onError: (e: Error) => errs.push(e.message),
      onProgress: (p: { status: string }) => {
        if (p.status === 'ready') ready()
      },
    })
    for (let k = 0; k < 12; k++) await engine.track({ type: 'view_item', items: [{ id: ids[k % 6]!, category: ['Drama'] }] })
    await Promise.race([readyP, new Promise((_, no) => setTimeout(() => no(new Error(`encoder not ready: ${JSON.stringify(engine.info())} ${errs.join('; ')}`)), 90_000))])
    const res = await engine.rerank(ids.map((id, i) => ({ id, category: [i % 2 ? 'Drama' : 'Comedy'], score: ids.length - i })))
    return { path: res.path, reason: res.reason, n: res.items.length, info: engine.info(), errs }
  }, vocab)

  expect(r.errs).toEqual([])
  expect(r.info.model?.ready).toBe(true)
  expect(r.path).toBe('encoder')
  expect(r.n).toBe(vocab.length)
  expect(r.info.backend).toBe('wasm')
  // The worker and the WASM binary came from the library's own folder; nothing from the root's /assets/.
  expect(requests.some((p) => /^\/vendor\/localrank\/assets\/worker-[\w-]+\.js$/.test(p))).toBe(true)
  expect(requests.some((p) => /^\/vendor\/localrank\/assets\/tfjs-backend-wasm[\w-]*\.wasm$/.test(p))).toBe(true)
  expect(requests.filter((p) => p.startsWith('/assets/'))).toEqual([])
  expect(failed).toEqual([])
  expect(errors).toEqual([])
})

/**
 * "Only the chosen backend's chunks are fetched": every script a forced CPU or WASM engine loads
 * is scanned for WebGPU's shader code (WGSL's `@workgroup_size`), so a bundler that folds WebGPU's
 * kernels into a shared chunk fails here whatever the chunk is called. (An earlier build put the
 * one tfjs-backend-cpu module WebGPU shares inside WebGPU's chunk: CPU fetched all of WebGPU.)
 */
for (const backend of ['cpu', 'wasm'] as const) {
  test(`a forced ${backend} engine fetches no WebGPU code`, async ({ browser }) => {
    test.setTimeout(120_000)
    const model = JSON.parse(readFileSync(join(ROOT, 'dist/model/model.json'), 'utf8')) as { vocab: string[] }
    const context = await browser.newContext()
    const page = await context.newPage()
    const scripts: Array<Promise<{ path: string; webgpu: boolean }>> = []
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname
      if (path.endsWith('.js') || path.endsWith('.mjs')) scripts.push(r.text().then((t) => ({ path, webgpu: t.includes('@workgroup_size') })))
    })
    await page.goto('/fixtures/library.html')
    await page.waitForFunction(() => !!(window as unknown as { libraryFixture?: unknown }).libraryFixture, null, { timeout: 20_000 })
    const r = await page.evaluate(
      async ({ ids, backend }) => {
        type Eng = { rerank(c: unknown[]): Promise<{ path: string }>; info(): { backend: string | null } }
        const { createEngine } = (window as unknown as { libraryFixture: { createEngine(o: unknown): Promise<Eng> } }).libraryFixture
        let ready: () => void
        const readyP = new Promise<void>((ok) => (ready = ok))
        const engine = await createEngine({
          dbName: `chunks-${backend}`,
          model: '/model/model.json',
          backend,
          onProgress: (p: { status: string }) => {
            if (p.status === 'ready') ready()
          },
        })
        await Promise.race([readyP, new Promise((_, no) => setTimeout(() => no(new Error('encoder not ready')), 90_000))])
        const res = await engine.rerank(ids.map((id) => ({ id })))
        return { path: res.path, backend: engine.info().backend }
      },
      { ids: model.vocab.slice(0, 20), backend },
    )
    const loaded = await Promise.all(scripts)
    await context.close()
    expect(r.backend).toBe(backend)
    expect(loaded.some((s) => /\/assets\/worker-/.test(s.path))).toBe(true)
    expect(loaded.filter((s) => s.webgpu).map((s) => s.path)).toEqual([])
  })
}

test('the similarity table is fetched and parsed in a worker, and its neighbours lift candidates', async ({ page }) => {
  test.setTimeout(120_000)
  const sim = JSON.parse(readFileSync(join(ROOT, 'dist/model/similarity.json'), 'utf8')) as { items: string[]; offsets: number[]; neighbors: number[] }
  // An item with neighbours; its neighbours as candidates behind as many unrelated items.
  const row = sim.items.findIndex((_, i) => sim.offsets[i + 1]! - sim.offsets[i]! >= 5)
  const seen = sim.items[row]!
  const rowIds = sim.neighbors.slice(sim.offsets[row]!, sim.offsets[row + 1]!).map((j) => sim.items[j]!)
  const near = rowIds.slice(0, 5) // the five strongest
  const far = sim.items.filter((id) => id !== seen && !rowIds.includes(id)).slice(0, 5)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto('/fixtures/library.html')
  await page.waitForFunction(() => !!(window as unknown as { libraryFixture?: unknown }).libraryFixture, null, { timeout: 20_000 })
  const r = await page.evaluate(
    async ({ seen, near, far }) => {
      type Eng = {
        track(e: unknown): Promise<unknown>
        info(): { similarity: { ready: boolean; error?: string } | null }
        rerank(c: unknown[]): Promise<{ path: string; items: Array<{ id: string; explanation: Array<{ source: string }> }> }>
      }
      const { createEngine } = (window as unknown as { libraryFixture: { createEngine(o: unknown): Promise<Eng> } }).libraryFixture
      const errs: string[] = []
      const engine = await createEngine({ dbName: 'similarity-worker', similarity: '/model/similarity.json', onError: (e: Error) => errs.push(e.message) })
      await engine.track({ type: 'view_item', items: [{ id: seen }] })
      // The table loads in the background (issue 13 #6: nothing waits for it); rank once it is in use.
      while (!engine.info().similarity?.ready && !engine.info().similarity?.error) await new Promise((ok) => setTimeout(ok, 20))
      const res = await engine.rerank([...far, ...near].map((id, i) => ({ id, score: 10 - i })))
      const onPage = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/model/similarity.json')).length
      return { path: res.path, top: res.items.slice(0, 5).map((x) => x.id), similar: res.items.filter((x) => x.explanation.some((e) => e.source === 'similar')).map((x) => x.id), onPage, errs }
    },
    { seen, near, far },
  )
  expect(r.errs).toEqual([])
  expect(r.path).toBe('profile')
  // Only neighbours are explained by the table, the strongest among them; the server put every
  // unrelated item above them, the table puts the strongest neighbour first.
  expect(r.similar.length).toBeGreaterThan(0)
  expect(r.similar.every((id) => near.includes(id))).toBe(true)
  expect(r.similar).toContain(near[0])
  expect(r.top[0]).toBe(near[0])
  // The page itself never fetched the table: its resource timing has no entry for it (a worker's does).
  expect(r.onPage).toBe(0)
  expect(errors).toEqual([])
})

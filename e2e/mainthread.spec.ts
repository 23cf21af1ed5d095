/**
 * 7. Main thread: during load and rerank, a PerformanceObserver sees no long task over 50 ms
 *    caused by LocalRank. Attribution comes from Long Animation Frames (LoAF, Chromium ≥ 123),
 *    whose `scripts` name the source URL of each script that ran in a long frame; a LocalRank
 *    script is one served from /lib/ (the loader, the runtime and their chunks). Plain
 *    `longtask` entries (which cannot name a script) are counted and reported too.
 *    The history holds 300 events, and each rerank gets 1,000 candidates.
 */
import { expect, test } from '@playwright/test'
import { requireModel, requireBuild } from './support'

test.beforeAll(() => {
  requireBuild()
  // The model's load and encoder-path reranks are half of what this covers: no model is a failure, not a skip.
  requireModel()
})

interface Perf {
  longtasks: Array<{ start: number; duration: number; attribution: string[] }>
  loaf: Array<{ start: number; duration: number; blocking: number; scripts: Array<{ url: string; fn: string; invoker: string; duration: number }> }>
  noLoaf?: string
}

test('no long task from LocalRank during load and rerank', async ({ page }) => {
  test.setTimeout(120_000)
  // Seed a realistic history (300 events over 60 days) through the public API, then measure a fresh load.
  await page.goto('/fixtures/mainthread.html')
  await page.waitForFunction(() => (window as unknown as { localrank: { loaded?: boolean } }).localrank.loaded === true)
  await page.evaluate(async () => {
    const lr = (window as unknown as { localrank: { track(e: unknown): Promise<unknown>; clear(): Promise<void> } }).localrank
    await lr.clear()
    const genres = ['Action', 'Comedy', 'Drama', 'Horror', 'Sci-Fi', 'Romance']
    const types = ['view_item', 'view_item', 'select_item', 'add_to_cart', 'purchase']
    const now = Date.now()
    const all = []
    for (let i = 0; i < 300; i++) {
      all.push(
        lr.track({
          type: types[i % types.length],
          items: [{ id: String(2000 + (i % 150)), category: [genres[(i * 7) % genres.length]!], price: 10 + (i % 30) }],
          timestamp: now - (300 - i) * 4.3 * 3600e3,
        }),
      )
    }
    await Promise.all(all)
  })
  expect(await page.evaluate(() => (window as unknown as { localrank: { history(): Promise<unknown[]> } }).localrank.history().then((h) => h.length))).toBe(300)

  await page.reload()
  await expect(page.locator('#list')).toHaveAttribute('data-lr-state', /ranked|timeout/)
  // With the bundled model, also cover its whole load (fetch, SHA-256 check, backend start,
  // warm-up) and encoder-path reranks: all of it must stay off the main thread.
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { localrank: { info(): { model: { ready: boolean; error?: string } | null } } }).localrank.info().model), { timeout: 90_000 })
    .toMatchObject({ ready: true })
  const ranks = await page.evaluate(async () => {
    const lr = (window as unknown as { localrank: { rerank(c: unknown[], o?: unknown): Promise<{ path: string; timings: { totalMs: number } }> } }).localrank
    const genres = ['Action', 'Comedy', 'Drama', 'Horror', 'Sci-Fi', 'Romance']
    const candidates = Array.from({ length: 1000 }, (_, i) => ({ id: String(2000 + i), category: [genres[i % genres.length]!], price: 5 + (i % 40), score: 1 - i / 1000 }))
    const out = []
    for (let k = 0; k < 5; k++) {
      const r = await lr.rerank(candidates, { limit: 24 })
      out.push({ path: r.path, ms: Math.round(r.timings.totalMs * 10) / 10 })
      await new Promise((ok) => setTimeout(ok, 100))
    }
    return out
  })
  await page.waitForTimeout(500) // let the last frames be reported
  const perf = await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf)
  expect(perf.noLoaf, 'Long Animation Frames must be available for attribution').toBeUndefined()
  const fromLocalRank = (u: string) => /\/lib\//.test(u)
  const lrScripts = perf.loaf.flatMap((f) => f.scripts.filter((s) => fromLocalRank(s.url)).map((s) => ({ ...s, frame: Math.round(f.duration), blocking: Math.round(f.blocking) })))
  const lrLong = lrScripts.filter((s) => s.duration > 50)
  console.log(
    `[mainthread] reranks of 1,000: ${JSON.stringify(ranks)}; ` +
      `longtask entries: ${perf.longtasks.length} (${perf.longtasks.map((t) => Math.round(t.duration)).join(', ') || 'none'} ms); ` +
      `long animation frames: ${perf.loaf.length}; LocalRank scripts in them: ${lrScripts.length} (max ${Math.max(0, ...lrScripts.map((s) => Math.round(s.duration)))} ms); LocalRank long tasks > 50 ms: ${lrLong.length}; LocalRank scripts: ${JSON.stringify(lrScripts.map((s) => ({ url: s.url.replace(/^.*\/lib\//, ''), fn: s.fn, invoker: s.invoker, ms: Math.round(s.duration) })))}`,
  )
  expect(lrLong).toEqual([])
  expect(ranks.every((r) => r.path !== 'server')).toBe(true)
  expect(ranks.some((r) => r.path === 'encoder')).toBe(true)

  // Positive control: a 120 ms busy loop on the page is seen by both observers.
  await page.evaluate(() => {
    setTimeout(function busy() {
      const end = performance.now() + 120
      while (performance.now() < end) {
        /* busy */
      }
    }, 0)
  })
  await expect.poll(() => page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.longtasks.length), { timeout: 5000 }).toBeGreaterThan(perf.longtasks.length)
  await expect.poll(() => page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.loaf.length), { timeout: 5000 }).toBeGreaterThan(perf.loaf.length)
  // …and LoAF attributes it to a script (here the timer callback), which is what the check above relies on.
  const control = (await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf.loaf)).slice(perf.loaf.length)
  expect(control.flatMap((f) => f.scripts).some((s) => /setTimeout/.test(s.invoker) && s.duration >= 100)).toBe(true)
})

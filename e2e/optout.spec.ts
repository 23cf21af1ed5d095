/**
 * 4. Opt-out. With consent `denied`, and separately with Global Privacy Control on, a shopper
 *    who browses leaves nothing in IndexedDB and sees the server's order. Also: `denied` after
 *    a history exists wipes it in one call, and `pending` keeps events in memory only until
 *    the shopper grants consent.
 */
import { expect, test, type Page } from '@playwright/test'
import { browseGenre, demoHistory, demoReady, dumpIndexedDB, listSettled, nav, recordCount, requireBuild, shownCards } from './support'

test.beforeAll(requireBuild)

const engineInfo = (page: Page) => page.evaluate(() => (window as unknown as { localrankDemo: { engine: { info(): { consent: string; gpc: boolean; storage: string } } } }).localrankDemo.engine.info())

async function expectServerOrder(page: Page) {
  await nav(page, '#/')
  await listSettled(page)
  await expect(page.locator('localrank-list')).toHaveAttribute('data-lr-path', 'server')
  const shown = await shownCards(page)
  expect(shown).toHaveLength(24)
  expect(shown.map((c) => c.serverRank)).toEqual(shown.map((_, i) => i))
  expect(shown.every((c) => c.explanation === '')).toBe(true)
}

/**
 * From now on, record every track() the page makes (declarative tracking calls the engine's
 * `track` at click time), so a test can wait for the clicks it made to have been PROCESSED
 * before checking that nothing was stored: a positive signal, not a fixed sleep after which a
 * slow engine would make the negative check pass vacuously.
 */
async function watchTracks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { localrankDemo: { engine: { track(e: unknown): Promise<unknown> } }; lrTracks: Array<Promise<unknown>> }
    const engine = w.localrankDemo.engine
    const track = engine.track.bind(engine)
    w.lrTracks = []
    engine.track = (e: unknown) => {
      const p = track(e)
      w.lrTracks.push(p)
      return p
    }
  })
}
/** Wait until at least `n` track() calls were made since watchTracks, and all have settled; returns what they resolved to. */
async function tracksSettled(page: Page, n: number): Promise<unknown[]> {
  await expect.poll(() => page.evaluate(() => (window as unknown as { lrTracks: unknown[] }).lrTracks.length)).toBeGreaterThanOrEqual(n)
  return page.evaluate(() => Promise.all((window as unknown as { lrTracks: Array<Promise<unknown>> }).lrTracks))
}

async function expectNothingStored(page: Page, { emptyDbAllowed = false } = {}) {
  const dump = await dumpIndexedDB(page)
  expect(recordCount(dump), JSON.stringify(dump).slice(0, 300)).toBe(0)
  // When consent was never given, not even an empty database: opening one is itself storage.
  // (After a withdrawal the engine empties its database; an empty shell may remain.)
  if (!emptyDbAllowed) expect(dump.map((d) => d.name)).not.toContain('localrank')
  expect(await demoHistory(page)).toEqual([])
}

test('consent denied: nothing stored, server order', async ({ page }) => {
  await browseGenre(page, 'comedy', (c) => c.genres[0] === 'Comedy', 2, { expectStored: false, query: '?consent=denied' })
  await watchTracks(page)
  await page.locator('.product button[data-lr-event="add_to_wishlist"]').click()
  // The click was tracked and refused (null), not merely not yet processed.
  expect(await tracksSettled(page, 1)).toEqual([null])
  expect(await engineInfo(page)).toMatchObject({ consent: 'denied', gpc: false })
  await expectNothingStored(page)
  await expectServerOrder(page)
})

test('Global Privacy Control: nothing stored, server order, even with consent granted', async ({ page }) => {
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }))
  await browseGenre(page, 'comedy', (c) => c.genres[0] === 'Comedy', 2, { expectStored: false, query: '?consent=granted' })
  expect(await engineInfo(page)).toMatchObject({ consent: 'denied', gpc: true })
  // A banner click cannot override GPC.
  await page.evaluate(() => (window as unknown as { localrankDemo: { engine: { setConsent(c: string): Promise<void> } } }).localrankDemo.engine.setConsent('granted'))
  await nav(page, '#/genre/comedy')
  await listSettled(page)
  await watchTracks(page)
  await page.locator('localrank-list a.title').first().click()
  // The click's select_item (and the product page's view) were tracked and refused.
  const results = await tracksSettled(page, 1)
  expect(results.length).toBeGreaterThanOrEqual(1)
  expect(results.every((r) => r === null)).toBe(true)
  expect(await engineInfo(page)).toMatchObject({ consent: 'denied', gpc: true })
  await expectNothingStored(page)
  await expectServerOrder(page)
  // The shopper's controls say why.
  await nav(page, '#/privacy')
  await expect(page.locator('localrank-controls')).toContainText('Global Privacy Control')
})

test('withdrawing consent wipes the existing history in one call', async ({ page }) => {
  await browseGenre(page, 'comedy', (c) => c.genres[0] === 'Comedy', 2)
  expect(recordCount(await dumpIndexedDB(page))).toBeGreaterThan(0)
  await nav(page, '#/privacy')
  await page.getByLabel('Off: store nothing and delete what was kept').check()
  await expect.poll(async () => (await engineInfo(page)).consent).toBe('denied')
  await expect.poll(async () => recordCount(await dumpIndexedDB(page))).toBe(0) // the wipe settles a moment later
  await expectNothingStored(page, { emptyDbAllowed: true })
  // The choice holds after a reload: still nothing stored, server order.
  await page.reload()
  await demoReady(page)
  await expectServerOrder(page)
  await expectNothingStored(page, { emptyDbAllowed: true })
})

test('pending keeps events in memory only, until consent is granted', async ({ page }) => {
  await browseGenre(page, 'comedy', (c) => c.genres[0] === 'Comedy', 2, { query: '?consent=pending' })
  const kept = await demoHistory(page)
  expect(kept.length).toBeGreaterThanOrEqual(3)
  expect(recordCount(await dumpIndexedDB(page))).toBe(0)
  await nav(page, '#/privacy')
  await page.getByLabel('On: learn from my browsing, in this browser only').check()
  await expect.poll(async () => (await engineInfo(page)).consent).toBe('granted')
  // The memory events are written to IndexedDB as part of the switch (it settles a moment later).
  const stored = async () => ((await dumpIndexedDB(page)).find((d) => d.name === 'localrank')?.stores['events'] ?? []) as Array<{ id: string }>
  await expect.poll(async () => (await stored()).map((e) => e.id).sort()).toEqual(kept.map((e) => e.id).sort())
})

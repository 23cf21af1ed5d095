/**
 * A/B holdout (issue 15 #4) from the built bundle, in Chromium: `data-holdout` puts a sticky
 * share of devices on the server's order, and every ranked list pushes one `localrank_exposure`
 * event carrying only the variant to the shop's own data layer.
 */
import { expect, test, type Page } from '@playwright/test'
import { requireBuild } from './support'

test.beforeAll(requireBuild)

type LR = ((...a: unknown[]) => Promise<unknown>) & {
  loaded?: boolean
  info(): { variant?: string | null; consent: string }
  track(e: unknown): Promise<unknown>
  rerank(c: unknown, o?: unknown): Promise<{ path: string; reason?: string; items: Array<{ id: string }> }>
}
const lr = <T>(page: Page, fn: (lr: LR) => T | Promise<T>) => page.evaluate(`(${fn.toString()})(window.localrank)`) as Promise<T>
const loaded = async (page: Page) => {
  await page.waitForFunction(() => (window as unknown as { localrank: LR }).localrank.loaded === true)
  // The engine itself (info() answers 'loading' without a variant until then).
  await page.evaluate(() => (window as unknown as { localrank: { ready(): Promise<unknown> } }).localrank.ready().then(() => undefined))
}
/** Everything in the data layer that LocalRank pushed (the shop's own first entry left out). */
const exposures = (page: Page) => page.evaluate(() => (window as unknown as { dataLayer: unknown[] }).dataLayer.filter((e) => JSON.stringify(e).includes('localrank')))

/** A history that would put lamp-9 first: three lighting events with words found nowhere else. */
async function learnLighting(page: Page) {
  await lr(page, async (l) => {
    for (const id of ['lamp-1', 'lamp-2', 'lamp-3']) await l.track({ type: 'add_to_cart', items: [{ id, category: ['secret-lighting', 'lamps'], title: 'Zanzibar lamp' }] })
    await l.track({ type: 'search', query: 'zanzibar reading light' })
  })
}
async function refreshList(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const list = document.getElementById('list') as HTMLElement & { refresh(): void }
    const done = new Promise((r) => list.addEventListener('localrank:ranked', r, { once: true }))
    list.refresh()
    await done
    return Array.from(list.querySelectorAll('[data-item-id]')).map((e) => e.getAttribute('data-item-id')!)
  })
}

test('share 1: the control group gets the server’s order despite its history; each ranked list pushes one exposure with only the variant', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto('/fixtures/holdout.html?holdout=1')
  await loaded(page)
  await learnLighting(page)
  expect(await lr(page, (l) => l.info().variant)).toBe('control')
  expect(await refreshList(page)).toEqual(['pan-1', 'sock-1', 'lamp-9'])
  const r = await lr(page, (l) =>
    l.rerank([
      { id: 'pan-1', score: 0.9 },
      { id: 'lamp-9', category: ['secret-lighting', 'lamps'], score: 0.1 },
    ]),
  )
  expect(r.path).toBe('server')
  expect(r.items.map((i) => i.id)).toEqual(['pan-1', 'lamp-9'])

  const ranked = await page.evaluate(() => (window as unknown as { __ranked: number }).__ranked)
  const pushed = await exposures(page)
  // One per list the element showed, plus the one rerank() answer.
  expect(pushed).toHaveLength(ranked + 1)
  expect(ranked).toBeGreaterThanOrEqual(1)
  for (const e of pushed) expect(e).toEqual({ event: 'localrank_exposure', localrank_variant: 'control' })
  // Nothing of the history is anywhere in the data layer: not an id, a category, a title or the query.
  const all = await page.evaluate(() => JSON.stringify((window as unknown as { dataLayer: unknown[] }).dataLayer))
  for (const secret of ['lamp-1', 'lamp-2', 'lamp-3', 'secret-lighting', 'Zanzibar', 'zanzibar']) expect(all).not.toContain(secret)
  // The device keeps its draw.
  expect(Number(await page.evaluate(() => localStorage.getItem('localrank:holdout')))).toBeGreaterThanOrEqual(0)
  expect(errors).toEqual([])
})

test('share 0: personalised, the list follows the history, exposures say personalised', async ({ page }) => {
  await page.goto('/fixtures/holdout.html?holdout=0')
  await loaded(page)
  await learnLighting(page)
  expect(await lr(page, (l) => l.info().variant)).toBe('personalised')
  expect((await refreshList(page))[0]).toBe('lamp-9')
  const pushed = await exposures(page)
  expect(pushed.length).toBeGreaterThanOrEqual(1)
  for (const e of pushed) expect(e).toEqual({ event: 'localrank_exposure', localrank_variant: 'personalised' })
})

test('the group is the stored draw: sticky across pages, u < share is control', async ({ page }) => {
  await page.goto('/fixtures/holdout.html?holdout=0.5&draw=0.3')
  await loaded(page)
  expect(await lr(page, (l) => l.info().variant)).toBe('control')
  await page.goto('/fixtures/holdout.html?holdout=0.5&draw=0.7')
  await loaded(page)
  expect(await lr(page, (l) => l.info().variant)).toBe('personalised')
  // A fresh device draws once and keeps it: the next page reads the same draw.
  await page.evaluate(() => localStorage.removeItem('localrank:holdout'))
  await page.goto('/fixtures/holdout.html?holdout=0.5')
  await loaded(page)
  const first = await lr(page, (l) => l.info().variant)
  const draw = await page.evaluate(() => localStorage.getItem('localrank:holdout'))
  expect(draw).not.toBeNull()
  await page.reload()
  await loaded(page)
  expect(await lr(page, (l) => l.info().variant)).toBe(first)
  expect(await page.evaluate(() => localStorage.getItem('localrank:holdout'))).toBe(draw)
})

test('denied consent: outside the experiment, no exposure, no draw kept', async ({ page }) => {
  await page.goto('/fixtures/holdout.html?holdout=0.5&draw=0.3&consent=denied')
  await loaded(page)
  await refreshList(page)
  expect(await lr(page, (l) => l.info().variant)).toBeNull()
  expect(await exposures(page)).toEqual([])
  expect(await page.evaluate(() => localStorage.getItem('localrank:holdout'))).toBeNull()
})

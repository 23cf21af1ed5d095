/**
 * The demo works offline after the first load: its service worker precaches the app shell
 * (crawling the built assets), the catalogue and the model when present, and caches the
 * candidate pages as they are visited.
 */
import { expect, test } from '@playwright/test'
import { demoHistory, demoReady, listSettled, nav, requireBuild, shownCards } from './support'

test.beforeAll(requireBuild)

test('after one online visit, the shop loads, ranks and tracks offline', async ({ page, context }) => {
  test.setTimeout(90_000)
  await page.goto('/#/genre/comedy')
  await demoReady(page)
  await listSettled(page)
  // The worker is installed (precache done) and controls the page.
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated' && !!navigator.serviceWorker.controller, null, { timeout: 30_000 })
  const cached = await page.evaluate(async () => {
    const keys = await (await caches.open('localrank-demo-v1')).keys()
    return keys.map((r) => new URL(r.url).pathname)
  })
  expect(cached).toEqual(expect.arrayContaining(['/', '/catalogue/movies.json', '/catalogue/index.json']))
  expect(cached.some((p) => /^\/assets\/index-.*\.js$/.test(p))).toBe(true)
  // Let the page hand over what it fetched before the worker took control.
  await page.waitForTimeout(1000)

  await context.setOffline(true)
  await page.reload()
  await demoReady(page)
  expect(await listSettled(page)).toBe('ranked')
  expect((await shownCards(page)).length).toBe(24)
  // The home list (precached) and a visited genre page both work; so does tracking.
  await nav(page, '#/')
  await listSettled(page)
  const first = (await shownCards(page))[0]!
  await page.locator(`localrank-list [data-item-id="${first.id}"] a.title`).click()
  await expect(page.locator('.product h1')).toHaveText(first.title)
  await expect.poll(async () => (await demoHistory(page)).some((e) => e.type === 'view_item' && e.items[0]?.id === first.id), { timeout: 5000 }).toBe(true)
  await context.setOffline(false)
})

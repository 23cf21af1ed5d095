/**
 * A multi-page shop: a product link or a search form navigates away in the same task as the
 * click, so the select_item / search event tracked on the leaving page must still be stored.
 */
import { expect, test, type Page } from '@playwright/test'
import { requireBuild } from './support'

test.beforeAll(requireBuild)

type Ev = { id: string; type: string; items: Array<{ id: string }>; query?: string }
const loaded = (page: Page) => page.waitForFunction(() => (window as unknown as { localrank: { loaded?: boolean } }).localrank.loaded === true)
const history = (page: Page) => page.evaluate(() => (window as unknown as { localrank: { history(): Promise<Ev[]> } }).localrank.history())

test('clicks and searches that navigate away are stored, once each', async ({ page }) => {
  test.setTimeout(120_000)
  await page.goto('/fixtures/multipage.html')
  await loaded(page)
  const clicks = 12
  for (let i = 0; i < clicks; i++) {
    await Promise.all([page.waitForURL(`**/multipage.html?product=p-${i}`), page.locator(`#link-${i}`).click()])
    await loaded(page)
  }
  await page.locator('#search input').fill('blue lamp')
  await Promise.all([page.waitForURL('**/multipage.html?q=blue+lamp'), page.locator('#search button').click()])
  await loaded(page)
  const events = await history(page)
  const selects = events.filter((e) => e.type === 'select_item').map((e) => e.items[0]!.id)
  console.log(`[multipage] stored ${selects.length} of ${clicks} navigating clicks; searches ${events.filter((e) => e.type === 'search').length} of 1`)
  expect(selects).toEqual(Array.from({ length: clicks }, (_, i) => `p-${i}`))
  expect(events.filter((e) => e.type === 'search').map((e) => e.query)).toEqual(['blue lamp'])
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length)
  // The write-ahead copies in sessionStorage are gone once their writes committed.
  await expect.poll(() => page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('localrank:outbox:'))), { timeout: 5000 }).toEqual([])
})

/**
 * `<localrank-list limit>` in real Chromium (issue 13 #19, #22): what the shopper sees is what
 * the layout shows, so every count here is of children the browser lays out (computed
 * `display` not `none` and a non-empty box), never of the `hidden` property, which page CSS
 * overrides (`.card { display: flex }` beats the UA's `[hidden] { display: none }`).
 */
import { expect, test, type Page } from '@playwright/test'
import { listSettled, requireBuild } from './support'

test.beforeAll(requireBuild)

const loaded = (page: Page) => page.waitForFunction(() => (window as unknown as { localrank: { loaded?: boolean } }).localrank.loaded === true)
/** Ids of the children the browser shows, in document order. */
const laidOut = (page: Page, sel: string) =>
  page.locator(sel).evaluate((list) =>
    Array.from(list.children)
      .filter((c) => getComputedStyle(c).display !== 'none' && c.getBoundingClientRect().height > 0)
      .map((c) => c.getAttribute('data-item-id')),
  )

test('defect 19: a bad limit attribute ("abc", "", "-1") is ignored: every item is shown, the problem is logged, nothing throws', async ({ page }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  const warnings: string[] = []
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()))
  await page.goto('/fixtures/list-css.html')
  await loaded(page)
  for (const [sel, ids] of [
    ['#bad-abc', ['a1', 'a2', 'a3', 'a4']],
    ['#bad-empty', ['e1', 'e2', 'e3']],
    ['#bad-neg', ['n1', 'n2', 'n3']],
  ] as const) {
    await listSettled(page, sel)
    expect(await laidOut(page, sel), sel).toEqual(ids)
    expect(await page.locator(`${sel} > [hidden]`).count(), sel).toBe(0)
  }
  // Named once, as a warning (a mistake in the shop's markup, not a runtime failure).
  expect(warnings.filter((w) => w.includes('limit="abc"'))).toHaveLength(1)
  expect(pageErrors).toEqual([])
  expect(await page.evaluate(() => (window as unknown as { __unhandled: string[] }).__unhandled)).toEqual([])
})

test('defect 22: limit holds against page CSS that sets display on the items; the ranked top items are the ones shown, and a page inline display comes back', async ({ page }) => {
  await page.goto('/fixtures/list-css.html')
  await loaded(page)
  await listSettled(page, '#limited')
  expect(await laidOut(page, '#limited')).toEqual(['k1', 'k2'])
  // A history that prefers the garden: the next round shows the two garden items, and only them.
  await page.evaluate(async () => {
    const lr = (window as unknown as { localrank: (...a: unknown[]) => Promise<unknown> }).localrank
    for (let i = 0; i < 3; i++) await lr('track', { type: 'purchase', items: [{ id: `gx-${i}`, category: ['garden'] }] })
    const list = document.getElementById('limited') as HTMLElement & { refresh(): void }
    const done = new Promise((r) => list.addEventListener('localrank:ranked', r, { once: true }))
    list.refresh()
    await done
  })
  await expect(page.locator('#limited')).toHaveAttribute('data-lr-path', 'profile')
  expect(await laidOut(page, '#limited')).toEqual(['g1', 'g2'])
  // The page's own inline `display: grid` on g2 is its again when shown.
  expect(await page.locator('#limited [data-item-id="g2"]').evaluate((el) => getComputedStyle(el).display)).toBe('grid')
  // Changing the attribute applies at once, in the shown order.
  await page.locator('#limited').evaluate((el) => el.setAttribute('limit', '5'))
  expect(await laidOut(page, '#limited')).toEqual(['g1', 'g2', 'k1', 'k2', 'k3'])
  expect(await page.locator('#limited [data-item-id="g2"]').getAttribute('style')).toBe('display: grid;')
  expect(await page.locator('#limited [data-item-id="k1"]').getAttribute('style')).toBeNull()
  await page.locator('#limited').evaluate((el) => el.setAttribute('limit', '1'))
  expect(await laidOut(page, '#limited')).toEqual(['g1'])
})

test('defect 22 in the demo: "picked 24" shows 24 cards, whatever .card { display: flex } says', async ({ page }) => {
  await page.goto('/#/genre/comedy')
  await listSettled(page)
  const lede = await page.locator('.lede').first().textContent()
  expect(lede).toMatch(/picked and ordered 24/)
  const total = await page
    .locator('localrank-list')
    .first()
    .evaluate((l) => l.children.length)
  expect(total).toBeGreaterThan(24)
  expect(await laidOut(page, 'localrank-list >> nth=0')).toHaveLength(24)
})

test('defect 19, the controls too: interests="abc" and events="-1" are ignored, so the shopper still sees their interests and activity', async ({ page }) => {
  await page.goto('/fixtures/list-css.html')
  await loaded(page)
  await page.evaluate(async () => {
    const lr = (window as unknown as { localrank: (...a: unknown[]) => Promise<unknown> }).localrank
    for (const [i, g] of ['garden', 'kitchen', 'garden'].entries()) await lr('track', { type: 'view_item', items: [{ id: `c-${i}`, category: [g], title: `Thing ${i}` }] })
  })
  const controls = page.locator('#controls')
  // Each track re-renders the controls; wait for the last one.
  await expect(controls.locator('li.event')).toHaveCount(3)
  expect(await controls.locator('li[data-kind="category"]').count()).toBeGreaterThanOrEqual(2)
  await expect(controls.getByText('No interests yet.')).toHaveCount(0)
})

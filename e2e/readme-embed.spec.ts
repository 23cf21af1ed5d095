/**
 * The README's embed section, followed to the letter in a hand-written page
 * (e2e/fixtures/plain-shop.html, no build step): declarative tracking, `<localrank-list>`
 * without a flash of the wrong order, the JS API and the shopper's controls.
 */
import { expect, test, type Page } from '@playwright/test'
import { requireBuild } from './support'

test.beforeAll(requireBuild)

type Ev = { type: string; items: Array<{ id: string }>; timestamp: number }
const history = (page: Page) => page.evaluate(() => (window as unknown as { localrank: { history(): Promise<Ev[]> } }).localrank.history())
const kinds = async (page: Page) => (await history(page)).map((e) => `${e.type}:${e.items[0]?.id}`)

/** Records, every animation frame from the first one, whether the list is visible and in which order. */
const FRAMES = () => {
  const frames: Array<{ t: number; visible: boolean; order: string; state: string | null }> = []
  ;(window as unknown as { __frames: typeof frames }).__frames = frames
  const tick = () => {
    const list = document.getElementById('list')
    if (list) {
      const order = Array.from(list.children, (c) => c.getAttribute('data-item-id')).join(',')
      frames.push({ t: performance.now(), visible: getComputedStyle(list).visibility === 'visible', order, state: list.getAttribute('data-lr-state') })
    }
    if (performance.now() < 4000) requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
}

test('declarative tracking: 50% visible for 1 s is a view, clicks select, buttons fire their event', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto('/fixtures/plain-shop.html')
  await page.waitForFunction(() => (window as unknown as { localrank: { loaded?: boolean } }).localrank.loaded === true)
  // When the runtime arrived (tracking starts right after): views come ≥ 1 s later.
  const t0 = await page.evaluate(() => {
    const e = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((r) => r.name.includes('localrank-embed.mjs'))!
    return performance.timeOrigin + e.responseEnd
  })
  await page.waitForTimeout(300)
  // `view_item:` only: a list's cards on screen are one `view_item_list` impression (issue 15 #3),
  // which is not a view of any of them.
  expect((await kinds(page)).filter((k) => k.startsWith('view_item:'))).toEqual([]) // not yet 1 s
  await expect.poll(() => kinds(page), { timeout: 5000 }).toEqual(expect.arrayContaining(['view_item:lamp-1', 'view_item:mug-1']))
  const views = (await history(page)).filter((e) => e.type === 'view_item')
  for (const v of views) expect(v.timestamp - t0).toBeGreaterThanOrEqual(990)
  // List cards opted out (data-lr-view="off"); the item below the fold was never on screen.
  expect((await kinds(page)).filter((k) => k.startsWith('view_item:'))).toEqual(['view_item:lamp-1', 'view_item:mug-1'])

  // Scrolled into view for less than 1 s: still no view. For more: a view.
  await page.locator('#far').scrollIntoViewIfNeeded()
  await page.waitForTimeout(300)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.waitForTimeout(1200)
  expect(await kinds(page)).not.toContain('view_item:far-1')
  await page.locator('#far').scrollIntoViewIfNeeded()
  await expect.poll(() => kinds(page), { timeout: 5000 }).toContain('view_item:far-1')
  await page.evaluate(() => window.scrollTo(0, 0))

  // A link inside an item is select_item; an add-to-cart button is add_to_cart only.
  const before = (await history(page)).length
  await page.locator('#lamp a').click()
  await page.locator('#mug button[data-lr-event="add_to_cart"]').click()
  await expect.poll(async () => (await kinds(page)).slice(before)).toEqual(['select_item:lamp-1', 'add_to_cart:mug-1'])
  // data-lr-category / -price / -title attributes were read.
  expect((await history(page)).at(-1)!.items[0]).toEqual({ id: 'mug-1', category: ['kitchen', 'mugs'], price: 9, title: 'Blue mug' })
  expect(errors).toEqual([])
})

test('<localrank-list> is never shown in the wrong order, and reorders by history with explanations', async ({ page }) => {
  await page.addInitScript(FRAMES)
  await page.goto('/fixtures/plain-shop.html')
  await expect(page.locator('#list')).toHaveAttribute('data-lr-state', 'ranked')
  // Build a history in lighting (the README's JS API and the markup), then come back.
  await page.evaluate(async () => {
    const lr = (window as unknown as { localrank: (...a: unknown[]) => Promise<unknown> }).localrank
    for (let i = 0; i < 3; i++) await lr('track', { type: 'add_to_cart', items: [{ id: `lamp-${10 + i}`, category: ['home', 'lighting'] }] })
  })
  await page.reload()
  await expect(page.locator('#list')).toHaveAttribute('data-lr-state', 'ranked')
  const order = await page.locator('#list > article').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')))
  // The server put lighting 4th and 6th; the shopper's history puts lighting first.
  expect(order.slice(0, 2).sort()).toEqual(['bulb-1', 'lamp-2'])
  await expect(page.locator('#list [data-item-id="lamp-2"] [data-lr-explain]')).toHaveText(/lighting/i)
  expect(await page.locator('#list').getAttribute('data-lr-path')).toBe('profile')

  // No flash: every frame in which the list was visible showed the final order.
  await page.waitForTimeout(500)
  const frames = await page.evaluate(() => (window as unknown as { __frames: Array<{ t: number; visible: boolean; order: string; state: string | null }> }).__frames)
  const final = order.join(',')
  const visible = frames.filter((f) => f.visible)
  expect(frames.length).toBeGreaterThan(5)
  expect(visible.length).toBeGreaterThan(0)
  expect(visible.filter((f) => f.order !== final)).toEqual([])
  // And it was hidden, not collapsed, while waiting: the layout kept its height.
  const hiddenFrames = frames.filter((f) => !f.visible)
  expect(hiddenFrames.length).toBeGreaterThan(0)
  const box = await page.locator('#list').boundingBox()
  expect(box!.height).toBeGreaterThan(50)

  // The JS API example from the README also ran (queued before load).
  expect(await page.evaluate(() => (window as unknown as { __jsRerank: string[] }).__jsRerank)).toEqual(['b', 'a'])
  // The controls element is there and lists the history.
  await expect(page.locator('localrank-controls li.event').first()).toBeVisible()
})

test('if the script never loads, the list is revealed in server order by the CSS alone', async ({ page }) => {
  await page.route('**/lib/localrank.js', (r) => r.abort())
  await page.goto('/fixtures/plain-shop.html')
  const list = page.locator('#list')
  expect(await list.evaluate((el) => getComputedStyle(el).visibility)).toBe('hidden')
  await expect.poll(() => list.evaluate((el) => getComputedStyle(el).visibility), { timeout: 4000 }).toBe('visible')
  expect(await page.locator('#list > article').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')))).toEqual(['sock-1', 'pan-1', 'hat-1', 'lamp-2', 'mug-2', 'bulb-1'])
})

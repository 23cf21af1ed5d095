/**
 * Issue 15 #3 in Chromium from the built embed: `<localrank-list>` records the children it
 * shows on screen (IntersectionObserver, at least half visible) as one `view_item_list` event of
 * ids, once each; children below the fold count only once scrolled to; `impressions="off"`
 * records nothing; and an item shown again and again, never opened, moves down, explained.
 */
import { expect, test, type Page } from '@playwright/test'
import { requireBuild } from './support'

test.beforeAll(requireBuild)

async function open(page: Page, body: string): Promise<void> {
  await page.goto('/healthz')
  await page.setContent(`<!doctype html><script async src="/lib/localrank.js" data-storage="memory" data-track="off"></script><body style="margin:0">${body}</body>`)
  await page.waitForFunction(() => (window as unknown as { localrank?: { loaded?: boolean } }).localrank?.loaded === true, null, { timeout: 15_000 })
}
const impressions = (page: Page) =>
  page.evaluate(async () => {
    const h = await (window as unknown as { localrank: { history(): Promise<Array<{ type: string; items: Array<{ id: string }> }>> } }).localrank.history()
    return h.filter((e) => e.type === 'view_item_list').map((e) => e.items.map((i) => i.id))
  })

test('children on screen are one view_item_list of ids; below the fold only once scrolled to; impressions="off" records none', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 400 })
  await page.goto('/fixtures/impressions.html')
  await page.waitForFunction(() => (window as unknown as { localrank?: { loaded?: boolean } }).localrank?.loaded === true, null, { timeout: 15_000 })
  await expect(page.locator('#l')).toHaveAttribute('data-lr-state', /ranked|timeout|late/)
  await expect.poll(() => impressions(page), { timeout: 5000 }).toEqual([['a1', 'a2', 'a3']])
  await page.locator('[data-item-id="b2"]').scrollIntoViewIfNeeded()
  await expect
    .poll(() => impressions(page), { timeout: 5000 })
    .toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2'],
    ])
  // Back to the top: nothing is counted twice, and the list with impressions="off" never counted.
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.waitForTimeout(1500)
  expect((await impressions(page)).flat().sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2'])
})

test('an item shown again and again, never opened, moves down and says why', async ({ page }) => {
  await open(page, '<p>shop</p>')
  const r = await page.evaluate(async () => {
    const lr = (
      window as unknown as {
        localrank: {
          track(e: unknown): Promise<unknown>
          rerank(c: unknown, o: unknown): Promise<{ path: string; items: Array<{ id: string; explanation: Array<{ text: string }> }> }>
          config?: unknown
        }
      }
    ).localrank
    await lr.track({ type: 'view_item', items: [{ id: 's1', category: ['shoes'] }] })
    for (let i = 0; i < 12; i++) await lr.track({ type: 'view_item_list', items: [{ id: 'ignored' }, { id: 'x1' }] })
    await lr.track({ type: 'select_item', items: [{ id: 'x1', category: ['shoes'] }] })
    const list = ['ignored', 'x1', 'x2', 'h1'].map((id, i) => ({ id, category: [i < 3 ? 'shoes' : 'hats'], score: 10 - i }))
    return lr.rerank(list, { explain: true })
  })
  expect(r.path).toBe('profile')
  const at = r.items.findIndex((i) => i.id === 'ignored')
  expect(at).toBeGreaterThan(0)
  expect(r.items[at]!.explanation.map((e) => e.text)).toContain('Moved down: shown to you 12 times, never opened')
})

test('data-impressions="off": impressions do not move anything', async ({ page }) => {
  await page.goto('/healthz')
  await page.setContent(`<!doctype html><script async src="/lib/localrank.js" data-storage="memory" data-track="off" data-impressions="off"></script>`)
  await page.waitForFunction(() => (window as unknown as { localrank?: { loaded?: boolean } }).localrank?.loaded === true, null, { timeout: 15_000 })
  const r = await page.evaluate(async () => {
    const lr = (
      window as unknown as { localrank: { track(e: unknown): Promise<unknown>; rerank(c: unknown, o: unknown): Promise<{ items: Array<{ id: string; explanation: Array<{ text: string }> }> }> } }
    ).localrank
    await lr.track({ type: 'view_item', items: [{ id: 's1', category: ['shoes'] }] })
    for (let i = 0; i < 12; i++) await lr.track({ type: 'view_item_list', items: [{ id: 'ignored' }, { id: 'x1' }] })
    await lr.track({ type: 'select_item', items: [{ id: 'x1', category: ['shoes'] }] })
    return lr.rerank(
      ['ignored', 'x1', 'x2', 'h1'].map((id, i) => ({ id, category: [i < 3 ? 'shoes' : 'hats'], score: 10 - i })),
      { explain: true },
    )
  })
  expect(r.items.flatMap((i) => i.explanation.map((e) => e.text)).some((t) => t.startsWith('Moved down: shown'))).toBe(false)
})

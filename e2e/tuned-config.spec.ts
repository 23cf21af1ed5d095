/**
 * data-config (issue 11): the embed script loads the file `npm run tune` writes before the engine
 * starts; a broken or missing file is reported and the defaults apply, never thrown into the page.
 * fixtures/embed.html turns its query string into the script tag's data-* attributes.
 */
import { expect, test, type Page } from '@playwright/test'
import { requireBuild } from './support'

test.beforeAll(requireBuild)

type LR = ((...a: unknown[]) => Promise<unknown>) & { loaded?: boolean; rerank(c: unknown): Promise<{ path: string; items: Array<{ id: string }> }> }
const loaded = (page: Page) => page.waitForFunction(() => (window as unknown as { localrank: LR }).localrank.loaded === true)

/** After one garden add_to_cart: the order of [kitchen, garden], and what was reported. */
async function gardenAfterCart(page: Page, query: string) {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(`/fixtures/embed.html${query}`)
  await loaded(page)
  const order = await page.evaluate(async () => {
    const l = (window as unknown as { localrank: LR }).localrank
    await l('track', { type: 'add_to_cart', items: [{ id: 'g-1', category: ['garden'] }] })
    return (
      await l.rerank([
        { id: 'k', category: ['kitchen'] },
        { id: 'g', category: ['garden'] },
      ])
    ).items.map((i) => i.id)
  })
  const reported = await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)
  return { order, reported, pageErrors }
}

test('without data-config the garden history lifts the garden item; a tuned file with profile weight 0 keeps the server order', async ({ page, browser }) => {
  const plain = await gardenAfterCart(page, '')
  expect(plain.order).toEqual(['g', 'k'])
  const other = await browser.newPage()
  const tuned = await gardenAfterCart(other, '?config=/fixtures/tuned-server-order.json')
  expect(tuned.order).toEqual(['k', 'g'])
  expect(tuned.reported).toEqual([])
  expect(tuned.pageErrors).toEqual([])
  await other.close()
})

test('a broken tuned file is reported with its field and URL, and the defaults apply', async ({ page }) => {
  const r = await gardenAfterCart(page, '?config=/fixtures/tuned-broken.json')
  expect(r.reported.join('\n')).toMatch(/profile\.long\.halfLifeMs: .*tuned-broken\.json/)
  expect(r.order).toEqual(['g', 'k'])
  expect(r.pageErrors).toEqual([])
})

test('a missing tuned file is reported (HTTP 404) and the defaults apply', async ({ page }) => {
  const r = await gardenAfterCart(page, '?config=/fixtures/no-such-tuned.json')
  expect(r.reported.join('\n')).toMatch(/no-such-tuned\.json: HTTP 404/)
  expect(r.order).toEqual(['g', 'k'])
  expect(r.pageErrors).toEqual([])
})

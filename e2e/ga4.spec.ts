/**
 * Zero-code GA4 intake (issue 15 #2) from the built bundle: a page that already sends GA4
 * ecommerce events through gtag and in GTM's shape, some before LocalRank loads, with
 * `data-intake="ga4"`. LocalRank must learn from them without a single track() call, and the
 * shop's data layer must come out exactly as the shop made it.
 */
import { expect, test, type Page } from '@playwright/test'
import { requireBuild } from './support'

test.beforeAll(requireBuild)

interface Stored {
  type: string
  query?: string
  items?: Array<{ id: string; title?: string; brand?: string; category?: string[]; price?: number }>
}
const loaded = (page: Page) => page.waitForFunction(() => (window as unknown as { localrank: { loaded?: boolean } }).localrank.loaded === true)
const history = (page: Page) => page.evaluate(() => (window as unknown as { localrank: { history(): Promise<Stored[]> } }).localrank.history())
const shopPush = (page: Page, entry: unknown) => page.evaluate((e) => (window as unknown as { shopPush(e: unknown): void }).shopPush(e), entry)
const shopGtag = (page: Page, ...args: unknown[]) => page.evaluate((a) => (window as unknown as { shopGtag(...a: unknown[]): void }).shopGtag(...a), args)

/** The data layer as the page holds it, gtag's `arguments` entries as arrays, plus the shop's own record of it. */
const dataLayerState = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { dataLayer: unknown[]; __shop: { dl: unknown[]; pushed: unknown[]; returns: number[] } }
    const plain = (e: unknown) => (Object.prototype.toString.call(e) === '[object Arguments]' ? Array.from(e as ArrayLike<unknown>) : e)
    // gtag('js', new Date(0)) holds a Date: compare it as the shop recorded it.
    const entries = w.dataLayer.map(plain).map((e) => (Array.isArray(e) && e[0] === 'js' ? ['js', 'date'] : e))
    return { same: w.dataLayer === w.__shop.dl, entries: JSON.stringify(entries), pushed: JSON.stringify(w.__shop.pushed), returns: w.__shop.returns, length: w.dataLayer.length }
  })

test('learns from gtag and GTM pushes made before and after it loaded, with no track() call, and leaves the data layer as the shop made it', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto('/fixtures/ga4.html?intake=ga4')
  await loaded(page)
  // GTM arriving after LocalRank wraps push in its turn, chaining to ours as it does to gtag's:
  // it must still see every entry, and LocalRank too.
  await page.evaluate(() => {
    const w = window as unknown as { dataLayer: unknown[]; __gtmSeen: number }
    w.__gtmSeen = 0
    const prev = w.dataLayer.push
    w.dataLayer.push = function (...a: unknown[]) {
      const n = prev.apply(this, a)
      w.__gtmSeen += a.length
      return n
    }
  })
  await shopGtag(page, 'event', 'add_to_cart', {
    currency: 'EUR',
    value: 39,
    items: [{ item_id: 'lamp-1', item_name: 'Desk lamp', item_brand: 'Lumen', item_category: 'Home', item_category2: 'Lighting', item_category3: 'Lamps', price: 39, quantity: 1 }],
  })
  await shopPush(page, { ecommerce: null })
  await shopPush(page, {
    event: 'purchase',
    ecommerce: {
      transaction_id: 'T-1',
      value: 128.9,
      currency: 'EUR',
      items: [
        { item_id: 'lamp-2', item_name: 'Floor lamp', item_category: 'Home', item_category2: 'Lighting', price: 89.9 },
        {
          item_id: 'bulb-1',
          item_name: 'LED bulb',
          item_brand: 'Lumen',
          item_category: 'Home',
          item_category2: 'Lighting',
          item_category3: 'Bulbs',
          item_category4: 'LED',
          item_category5: 'E27',
          price: 39,
        },
      ],
    },
  })
  await shopGtag(page, 'event', 'search', { search_term: 'reading light' })
  // Not recorded: GA4 events LocalRank has no type for, and gtag's non-event commands.
  await shopGtag(page, 'event', 'view_cart', { items: [{ item_id: 'lamp-1' }] })
  await shopPush(page, { event: 'gtm.click' })

  await expect.poll(async () => (await history(page)).length).toBe(5)
  const h = await history(page)
  expect(h.map((e) => e.type)).toEqual(['view_item', 'select_item', 'add_to_cart', 'purchase', 'search'])
  expect(h[0]!.items).toEqual([{ id: 'lamp-1', title: 'Desk lamp', brand: 'Lumen', category: ['Home', 'Lighting', 'Lamps'], price: 39 }])
  expect(h[1]!.items).toEqual([{ id: 'lamp-2', title: 'Floor lamp', category: ['Home', 'Lighting'], price: 89.9 }])
  // The reset before purchase: only the purchase's own two items, not select_item's lamp-2 merged in front.
  expect(h[3]!.items!.map((i) => i.id)).toEqual(['lamp-2', 'bulb-1'])
  expect(h[3]!.items![1]!.category).toEqual(['Home', 'Lighting', 'Bulbs', 'LED', 'E27'])
  expect(h[4]!.query).toBe('reading light')

  // What it learned changes the ranking: lighting ahead of the server's first item.
  const order = await page.evaluate(async () => {
    const lr = (window as unknown as { localrank: { rerank(c: unknown[]): Promise<{ path: string; items: Array<{ id: string }> }> } }).localrank
    const r = await lr.rerank([
      { id: 'pan-1', category: ['Kitchen', 'Pans'], score: 0.9 },
      { id: 'sock-1', category: ['Clothing', 'Socks'], score: 0.8 },
      { id: 'lamp-9', category: ['Home', 'Lighting', 'Lamps'], brand: 'Lumen', score: 0.1 },
    ])
    return { path: r.path, ids: r.items.map((i) => i.id) }
  })
  expect(order.path).not.toBe('server')
  expect(order.ids[0]).toBe('lamp-9')

  // The data layer: the same array, the shop's entries exactly, in order; each push returned the new length.
  const dl = await dataLayerState(page)
  expect(dl.same).toBe(true)
  expect(dl.entries).toBe(dl.pushed)
  expect(dl.returns).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11])
  expect(dl.length).toBe(11)
  expect(await page.evaluate(() => (window as unknown as { __gtmSeen: number }).__gtmSeen)).toBe(6)
  expect(errors).toEqual([])
})

test('without data-intake the data layer is not read', async ({ page }) => {
  await page.goto('/fixtures/ga4.html')
  await loaded(page)
  await shopGtag(page, 'event', 'add_to_cart', { items: [{ item_id: 'lamp-1' }] })
  // A positive signal that the engine is running and would have stored it: an explicit track.
  await page.evaluate(() => (window as unknown as { localrank: { track(e: unknown): Promise<unknown> } }).localrank.track({ type: 'view_item', items: [{ id: 'explicit' }] }))
  const h = await history(page)
  expect(h.map((e) => e.items?.[0]?.id)).toEqual(['explicit'])
  const dl = await dataLayerState(page)
  expect(dl.same).toBe(true)
  expect(dl.entries).toBe(dl.pushed)
})

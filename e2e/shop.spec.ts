/**
 * The 1,000,000-product demo page (issue 10: "a second demo page runs on a generated
 * 1,000,000-product catalogue in the item-data mode, with the real engine"), as a shopper uses
 * it, in real Chromium, on the *built* page served by `vite preview` (the same Vite plugin that
 * `npm run dev` uses: src/demo/shop/api.ts answers /shop-api/ and joins each product's feed row).
 *
 * - The shopper browses a category, opens products from it, adds one to the cart, searches.
 *   The best sellers are then personalised by the real engine with the committed model
 *   (answer path `encoder`, model ready), and the shown top lifts that department.
 * - No request of the session (URL, headers, body; page and workers) names a history item;
 *   a positive control (a deep link to a product page) shows that the check sees a leak.
 * - What the browser downloads for the model is the user-side artifact: no item rows, no
 *   similarity table, no whole-table model; under 1 MiB.
 */
import { expect, test, type Page } from '@playwright/test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { preview, type PreviewServer } from 'vite'
import { captureRequests, requestLeaks, requireBuild, ROOT } from './support'

const PORT = Number(process.env.LOCALRANK_SHOP_PORT ?? 4391)
const BASE = `http://localhost:${PORT}`
let server: PreviewServer | null = null

test.beforeAll(async () => {
  requireBuild()
  if (!existsSync(join(ROOT, 'dist/src/demo/shop/index.html'))) throw new Error('dist/src/demo/shop/index.html is missing: run `npm run build` (vite.config.ts builds the shop page as a second input)')
  if (!existsSync(join(ROOT, 'src/demo/shop/model/model.json'))) throw new Error("src/demo/shop/model/model.json is missing: the shop page's model is committed there (npm run shop:train writes it)")
  server = await preview({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', preview: { port: PORT, strictPort: true, open: false } })
})
test.afterAll(async () => {
  await server?.close()
})

/** A product id as a whole token: p12 must not match p123. */
const wholeId = (id: string, text: string) => new RegExp(`(?<![A-Za-z0-9])${id}(?![0-9])`).test(text)

interface ShopState {
  engine: {
    info(): { backend: string | null; model: { ready: boolean; error?: string } | null; similarity: unknown; events: number }
    history(): Promise<Array<{ type: string; items: Array<{ id: string; vector?: string; neighbours?: unknown[] }> }>>
  } | null
  meta: { products: number; leaves: Array<{ index: number; path: string[] }>; modelId: string } | null
  last: { path: string; reason?: string; items: Array<{ candidate: { id: string; category: string[]; vector: string }; serverRank: number }> } | null
  lastCandidates: Array<{ id: string; category: string[] }>
}
const shop = (page: Page) =>
  page.evaluate(() => {
    const s = (window as unknown as { localrankShop: ShopState }).localrankShop
    return {
      meta: s.meta,
      info: s.engine?.info() ?? null,
      path: s.last?.path ?? null,
      reason: s.last?.reason,
      shown: s.last?.items.map((r) => ({ id: r.candidate.id, dept: r.candidate.category[0]!, serverRank: r.serverRank, hasVector: !!r.candidate.vector })) ?? [],
      candidates: s.lastCandidates.map((c) => ({ id: c.id, dept: c.category[0]! })),
    }
  })
/** The route has rendered its answer (the page sets data-route after each one). */
async function routed(page: Page, hash: string) {
  await page.waitForFunction((h) => document.body.dataset['route'] === h && !!document.querySelector('#results li'), hash, { timeout: 60_000 })
}

test('1,000,000 products in item-data mode: browse, track, personalised best sellers; no request names a history item', async ({ page }) => {
  test.setTimeout(240_000)
  const net = captureRequests(page)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))

  // The API builds its co-occurrence neighbours from the synthetic traffic on the first request.
  // deadline: this shared 2-core machine can take longer than the page's 250 ms to encode.
  await page.goto(`${BASE}/shop?db=shop-e2e-${Date.now()}&backend=wasm&deadline=10000`)
  await expect(page).toHaveURL(/\/src\/demo\/shop\/index\.html/)
  await routed(page, '#/')
  await page.waitForFunction(() => (window as unknown as { localrankShop: ShopState }).localrankShop.engine?.info().model?.ready === true, null, { timeout: 90_000 })
  const start = await shop(page)
  expect(start.meta!.products).toBe(1_000_000)
  expect(start.info!.similarity).toBeNull() // no similarity table in item-data mode
  // Best sellers, before any history: the server's top 24 and their departments.
  const cold = start
  const serverTop = cold.candidates.slice(0, 24)

  // A department that the best sellers' top 24 shows least of: the shopper's interest.
  const depts = [...new Set(start.meta!.leaves.map((l) => l.path[0]!))]
  const count = (xs: Array<{ dept: string }>, d: string) => xs.filter((x) => x.dept === d).length
  const dept = depts.sort((a, b) => count(serverTop, a) - count(serverTop, b))[0]!
  const leaf = start.meta!.leaves.find((l) => l.path[0] === dept)!
  await page.selectOption('#leaf', String(leaf.index))
  await routed(page, `#/leaf/${leaf.index}`)

  // Open three products from the category list (select_item + view_item), add the last to the cart.
  const opened: string[] = []
  for (let k = 0; k < 3; k++) {
    // The list is reranked after each view: open one not opened yet.
    const ids = await page.locator('#results li').evaluateAll((els) => els.map((el) => el.getAttribute('data-item-id')!))
    const id = ids.find((x) => !opened.includes(x))!
    opened.push(id)
    await page.locator(`#results li[data-item-id="${id}"] a.title`).click()
    await routed(page, `#/p/${id}`)
    await expect(page.locator('#product')).toHaveAttribute('data-item-id', id)
    if (k === 2) {
      await page.click('#add-to-cart')
      await expect(page.locator('#add-to-cart')).toHaveText('Added ✓')
      await expect(page.locator('#cart-link')).toHaveText('Cart (1)')
    } else await page.goBack()
    if (k < 2) await routed(page, `#/leaf/${leaf.index}`)
  }
  await page.fill('#q', leaf.path[2]!.toLowerCase())
  await page.click('#search-form button')
  await routed(page, `#/search/${encodeURIComponent(leaf.path[2]!.toLowerCase())}`)
  await page.click('#cart-link')
  await routed(page, '#/cart')
  await expect(page.locator('#cart li[data-item-id]')).toHaveCount(1)

  // Best sellers again: reranked by the encoder with the shopper's history.
  await page.click('a.brand')
  await routed(page, '#/')
  const warm = await shop(page)
  expect(warm.info!.model!.ready).toBe(true)
  expect(warm.info!.backend).toBe('wasm')
  expect(warm.path, `reason: ${warm.reason}`).toBe('encoder')
  expect(warm.candidates.map((c) => c.id)).toEqual(cold.candidates.map((c) => c.id)) // the same server candidates
  expect(warm.shown.every((s) => s.hasVector)).toBe(true)
  const lifted = count(warm.shown, dept)
  console.log(
    `[shop] department ${dept}: ${count(serverTop, dept)} of the server's top 24, ${lifted} of the personalised top 24; shown server ranks ${warm.shown.map((s) => s.serverRank + 1).join(',')}`,
  )
  expect(lifted).toBeGreaterThanOrEqual(count(serverTop, dept) + 6)
  expect(warm.shown.map((s) => s.id)).not.toEqual(serverTop.map((s) => s.id))

  // The history: 3 selects, 3 views, 1 add to cart (+ a search), each item with its vector.
  const history = await page.evaluate(() => (window as unknown as { localrankShop: ShopState }).localrankShop.engine!.history())
  const itemEvents = history.filter((e) => e.items.length > 0)
  expect(itemEvents.map((e) => e.type).sort()).toEqual(['add_to_cart', 'select_item', 'select_item', 'select_item', 'view_item', 'view_item', 'view_item'])
  expect(itemEvents.every((e) => e.items.every((i) => /^f16:[0-9a-f]{8}:/.test(i.vector ?? '') && Array.isArray(i.neighbours)))).toBe(true)
  const historyIds = [...new Set(itemEvents.flatMap((e) => e.items.map((i) => i.id)))]
  expect(historyIds.sort()).toEqual(opened.sort())

  // No request of the session names a history item.
  await net.settled()
  expect(net.seen.length).toBeGreaterThan(10)
  expect(requestLeaks(net.seen, historyIds, wholeId)).toEqual([])

  // The model download: the user-side artifact only, from the worker, small.
  const modelUrls = [...net.bytes.keys()].filter((u) => u.includes('/shop-api/model/'))
  expect(modelUrls.some((u) => u.endsWith('/model.json'))).toBe(true)
  expect(modelUrls.some((u) => u.endsWith('/weights.bin'))).toBe(true)
  const artifactBytes = modelUrls.reduce((s, u) => s + net.bytes.get(u)!, 0)
  console.log(`[shop] artifact ${artifactBytes} bytes (${modelUrls.length} files); ${net.seen.length} requests`)
  expect(artifactBytes).toBeGreaterThan(100_000)
  expect(artifactBytes).toBeLessThan(1024 * 1024)
  expect(net.seen.filter((r) => /similarity|\/model\/model\.json/.test(r.url) && !r.url.includes('/shop-api/'))).toEqual([])
  const artifact = (await (await fetch(`${BASE}/shop-api/model/model.json`)).json()) as { vocab: string[]; itemSide?: { keptRows: number } }
  expect(artifact.vocab).toEqual([]) // no item rows: the same bytes at any catalogue size

  // Positive control: a deep link to a viewed product names it, and the same check says so.
  await page.evaluate((id) => {
    location.hash = `#/p/${id}`
    location.reload()
  }, historyIds[0]!)
  await routed(page, `#/p/${historyIds[0]}`)
  await net.settled()
  expect(requestLeaks(net.seen, historyIds, wholeId).some((l) => l.includes('/shop-api/product?id='))).toBe(true)
  expect(errors).toEqual([])
})

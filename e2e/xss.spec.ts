/**
 * 5. XSS: catalogue titles containing HTML or script are shown as text everywhere they
 *    appear: list cards, the detail page, the cart, the side panel's order comparison and
 *    explanations, and the shopper's controls (history labels, in a shadow root).
 *    The catalogue responses are rewritten in flight (page.route), so the built demo is
 *    tested unchanged; the service worker is blocked so that routing sees every request.
 */
import { expect, test } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { demoReady, listSettled, nav, requireBuild, ROOT } from './support'

test.beforeAll(requireBuild)
test.use({ serviceWorkers: 'block' })

const PAYLOADS = [
  `<img src=x onerror="window.__xss=(window.__xss||0)+1">`,
  `<script>window.__xss=(window.__xss||0)+1</script>Scripted`,
  `"><svg onload="window.__xss=(window.__xss||0)+1"></svg> & Friends`,
]

test('titles with HTML and script are rendered as text', async ({ page }) => {
  const movies = JSON.parse(readFileSync(join(ROOT, 'dist/catalogue/movies.json'), 'utf8')) as { movies: Array<{ id: string; title: string }> }
  const all = JSON.parse(readFileSync(join(ROOT, 'dist/catalogue/candidates/all/1.json'), 'utf8')) as { candidates: Array<{ id: string; title: string }> }
  const evil = new Map(all.candidates.slice(0, PAYLOADS.length).map((c, i) => [c.id, PAYLOADS[i]!]))
  for (const m of movies.movies) if (evil.has(m.id)) m.title = evil.get(m.id)!
  for (const c of all.candidates) if (evil.has(c.id)) c.title = evil.get(c.id)!
  await page.route('**/catalogue/movies.json', (r) => r.fulfill({ json: movies }))
  await page.route('**/catalogue/candidates/all/1.json', (r) => r.fulfill({ json: all }))
  const dialogs: string[] = []
  page.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()))

  await page.goto('/#/')
  await demoReady(page)
  await listSettled(page)
  for (const p of PAYLOADS) await expect(page.locator('localrank-list a.title', { hasText: p })).toHaveCount(1)

  // Detail page, a view (so the title enters the history), add to cart.
  const [id0, p0] = [...evil][0]!
  await nav(page, `#/movie/${id0}`)
  await expect(page.locator('.product h1')).toHaveText(p0)
  await page.waitForTimeout(1300)
  await page.locator('.product button[data-lr-event="add_to_cart"]').click()
  await nav(page, '#/cart')
  await expect(page.locator('table.cart a', { hasText: p0 })).toHaveCount(1)

  // Home again: the side panel lists the titles (and explanations) as text.
  await nav(page, '#/')
  await listSettled(page)
  await expect(page.locator('#panel .order.server li', { hasText: PAYLOADS[1]! })).toHaveCount(1)
  await expect(page.locator('#panel .order.mine .name', { hasText: p0 })).toHaveCount(1)

  // The shopper's controls: history labels, inside the shadow root.
  await nav(page, '#/privacy')
  await expect(page.locator('localrank-controls li.event .label', { hasText: p0 }).first()).toBeVisible()

  const injected = await page.evaluate(() => {
    const roots: Array<Document | ShadowRoot> = [document, ...Array.from(document.querySelectorAll('*'), (e) => e.shadowRoot).filter((r): r is ShadowRoot => !!r)]
    return {
      xss: (window as unknown as { __xss?: number }).__xss ?? 0,
      imgs: roots.reduce((n, r) => n + r.querySelectorAll('img[src="x"]').length, 0),
      svgs: roots.reduce((n, r) => n + r.querySelectorAll('svg[onload]').length, 0),
      scripts: Array.from(document.scripts).filter((s) => s.textContent?.includes('__xss')).length,
    }
  })
  expect(injected).toEqual({ xss: 0, imgs: 0, svgs: 0, scripts: 0 })
  expect(dialogs).toEqual([])
})

/**
 * Issue 15 #7, the privacy controls as a newcomer saw them, in Chromium from the built demo:
 * - rows without a button (brand, price band) line up with the rows that have one;
 * - a blocked category stays in place, shown as blocked (no bar, no Block) with Unblock;
 * - with consent Off, the demo's panel does not say "loading" beside "encoder not started";
 * - an invalid embed attribute gives one console.warn naming it.
 */
import { expect, test, type Page } from '@playwright/test'
import { demoReady, requireBuild } from './support'

test.beforeAll(requireBuild)

async function seed(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const e = (window as unknown as { localrankDemo: { engine: { track(e: unknown): Promise<unknown> } } }).localrankDemo.engine
    const now = Date.now()
    await e.track({ type: 'view_item', items: [{ id: '2571', title: 'The Matrix', category: ['Action', 'Sci-Fi'], brand: 'Warner', price: 8.99 }], timestamp: now - 3 * 86400e3 })
    await e.track({ type: 'add_to_cart', items: [{ id: '1', title: 'Toy Story', category: ['Animation'], brand: 'Pixar', price: 8.99 }], timestamp: now - 60e3 })
  })
}

/** Geometry of each interest row: its kind, whether blocked, the bar's (or note's) box, its button. */
const rows = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelector('localrank-controls')!.shadowRoot!.querySelectorAll('ul[aria-labelledby="lr-interests"] > li'), (li) => {
      const el = li as HTMLElement
      const middle = el.children[1] as HTMLElement
      const r = middle.getBoundingClientRect()
      return {
        kind: el.dataset['kind'],
        key: el.dataset['key'],
        blocked: el.hasAttribute('data-blocked'),
        meter: !!el.querySelector('[role="meter"]'),
        left: r.left,
        width: r.width,
        button: el.querySelector('button')?.textContent ?? null,
      }
    }),
  )

test('interest rows line up whether or not they have a button; a blocked category stays in place with Unblock', async ({ page }) => {
  await page.goto('/#/privacy')
  await demoReady(page)
  await seed(page)
  const controls = page.locator('localrank-controls')
  await expect(controls.getByRole('meter').first()).toBeVisible()
  await expect.poll(async () => (await rows(page)).some((r) => r.kind === 'brand')).toBe(true)

  const before = await rows(page)
  // Positive control for the layout check: both kinds of row are there.
  expect(before.some((r) => r.button === null)).toBe(true)
  expect(before.some((r) => r.button !== null)).toBe(true)
  for (const r of before) {
    expect(Math.abs(r.left - before[0]!.left), `${r.kind} ${r.key} bar left`).toBeLessThan(0.5)
    expect(Math.abs(r.width - before[0]!.width), `${r.kind} ${r.key} bar width`).toBeLessThan(0.5)
  }

  const at = before.findIndex((r) => r.kind === 'category' && r.key === 'Action')
  expect(at).toBeGreaterThanOrEqual(0)
  await controls.getByRole('button', { name: 'Block category Action: never boost it again' }).click()
  await expect(controls.getByRole('button', { name: 'Unblock category Action' })).toBeVisible()

  const after = await rows(page)
  // In place: where it was, or the last row when the block took rows above it away (the
  // block also removes what The Matrix taught: Sci-Fi, Warner).
  const row = after[Math.min(at, after.length - 1)]!
  expect(row).toMatchObject({ kind: 'category', key: 'Action', blocked: true, meter: false, button: 'Unblock' })
  await expect(controls.locator('li[data-blocked] .blocked-note')).toHaveText('Blocked: never boosted')
  // Not shown twice, no Block button left for it, and no section below the fold.
  expect(after.filter((r) => r.key === 'Action')).toHaveLength(1)
  await expect(controls.getByRole('button', { name: /^Block category Action:/ })).toHaveCount(0)
  await expect(controls.getByRole('heading', { name: 'Never boosted' })).toHaveCount(0)
  expect(Math.abs(row.left - after.find((r) => r.meter)!.left)).toBeLessThan(0.5)
  // Focus stays on the row: the Unblock button that replaced Block.
  expect(await page.evaluate(() => (document.querySelector('localrank-controls')!.shadowRoot!.activeElement as HTMLElement | null)?.textContent)).toBe('Unblock')

  await controls.getByRole('button', { name: 'Unblock category Action' }).click()
  await expect(controls.getByRole('button', { name: 'Block category Action: never boost it again' })).toBeVisible()
})

test('consent Off: the panel says the model is not loaded, not "loading"', async ({ page }) => {
  await page.goto('/#/privacy')
  await demoReady(page)
  await page.locator('#consent-denied').check()
  await page.reload()
  await demoReady(page)
  const dd = (name: string) => page.locator('dl.kv dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]')
  await expect(dd('Why')).toHaveText(/encoder not started/)
  await expect(dd('Model')).toHaveText('not loaded: personalisation is off')
  await expect(dd('Backend')).not.toHaveText(/loading/)
})

test('an invalid embed attribute: one console.warn naming it', async ({ page }) => {
  const warnings: string[] = []
  const debugs: string[] = []
  page.on('console', (m) => (m.type() === 'warning' ? warnings : m.type() === 'debug' ? debugs : []).push(m.text()))
  await page.goto('/healthz')
  await page.setContent(`<!doctype html><script async src="/lib/localrank.js" data-model="/model/model.json" data-model-sha256="…" data-backend="gpu" data-storage="memory"></script>`)
  await page.waitForFunction(() => (window as unknown as { localrank?: { loaded?: boolean } }).localrank?.loaded === true, null, { timeout: 15_000 })
  await expect.poll(() => warnings.length).toBeGreaterThanOrEqual(2)
  await page.waitForTimeout(300)
  const ours = warnings.filter((w) => w.startsWith('[localrank]'))
  expect(ours.filter((w) => w.includes('data-model-sha256'))).toHaveLength(1)
  expect(ours.filter((w) => w.includes('data-backend'))).toHaveLength(1)
  expect(ours.find((w) => w.includes('data-model-sha256'))).toMatch(/modelSha256.*model\.json/)
  // The engine's own report of the same pin is not a second warning.
  expect(ours.filter((w) => /modelSha256/.test(w) && !w.includes('data-model-sha256'))).toEqual([])
})

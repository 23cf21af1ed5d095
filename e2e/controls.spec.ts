/**
 * The shopper's controls (`<localrank-controls>`, on the demo's "Your data" page), driven by
 * keyboard only: interests with decayed-weight meters, recent events, forget an event or an
 * item, block a category, pause, export as JSON, clear everything. Every control is a
 * labelled button, and focus never falls back to the top of the page after a row disappears.
 */
import { expect, test, type Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { demoHistory, demoReady, requireBuild } from './support'

test.beforeAll(requireBuild)

const engine = (page: Page) =>
  page.evaluate(() => (window as unknown as { localrankDemo: { engine: { meta(): Promise<{ paused?: boolean; blockedCategories?: string[] }> } } }).localrankDemo.engine.meta())
/** The focused element inside the controls' shadow root. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.querySelector('localrank-controls')?.shadowRoot?.activeElement as HTMLElement | null
    return el ? { tag: el.tagName, text: el.textContent, label: el.getAttribute('aria-label'), list: el.dataset['list'] ?? null } : null
  })

test('keyboard-only: review, forget, block, pause, export and clear', async ({ page }) => {
  await page.goto('/#/privacy')
  await demoReady(page)
  await page.evaluate(async () => {
    const e = (window as unknown as { localrankDemo: { engine: { track(e: unknown): Promise<unknown> } } }).localrankDemo.engine
    const now = Date.now()
    await e.track({ type: 'view_item', items: [{ id: '2571', title: 'The Matrix', category: ['Action', 'Sci-Fi', 'Thriller'], price: 8.99 }], timestamp: now - 3 * 86400e3 })
    await e.track({ type: 'view_item', items: [{ id: '1', title: 'Toy Story', category: ['Adventure', 'Animation'], price: 8.99 }], timestamp: now - 60e3 })
    await e.track({ type: 'add_to_cart', items: [{ id: '1', title: 'Toy Story', category: ['Adventure', 'Animation'], price: 8.99 }], timestamp: now - 30e3 })
    await e.track({ type: 'search', query: 'pixar', timestamp: now - 10e3 })
  })
  const controls = page.locator('localrank-controls')
  await expect(controls.locator('li.event')).toHaveCount(4)

  // Interests: meters with values, strongest = 100.
  const meters = controls.getByRole('meter')
  expect(await meters.count()).toBeGreaterThan(2)
  await expect(meters.first()).toHaveAttribute('aria-valuenow', '100')
  await expect(meters.first()).toHaveAttribute('aria-label', /% of your strongest interest/)
  // Recent events are newest first and labelled.
  await expect(controls.locator('li.event .label').first()).toHaveText('Searched for “pixar”')

  // Every button has an accessible name.
  const names = await controls.getByRole('button').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label') ?? b.textContent ?? ''))
  expect(names.every((n) => n.trim().length > 0)).toBe(true)

  // Tab reaches the controls' first button from the page.
  await page.locator('#consent-granted').focus()
  for (let i = 0; i < 10 && (await focused(page))?.text !== 'Pause personalisation'; i++) await page.keyboard.press('Tab')
  expect((await focused(page))?.text).toBe('Pause personalisation')

  // Pause with the keyboard (Space), and resume (Enter): aria-pressed follows, focus stays.
  await page.keyboard.press('Space')
  await expect(controls.getByRole('button', { name: 'Resume personalisation' })).toHaveAttribute('aria-pressed', 'true')
  expect(await engine(page)).toMatchObject({ paused: true })
  expect((await focused(page))?.text).toBe('Resume personalisation')
  await page.keyboard.press('Enter')
  await expect(controls.getByRole('button', { name: 'Pause personalisation' })).toHaveAttribute('aria-pressed', 'false')

  // Forget one event: the next row's Forget button takes the focus.
  await controls.getByRole('button', { name: 'Forget this event: Searched for “pixar”' }).focus()
  await page.keyboard.press('Enter')
  await expect(controls.locator('li.event')).toHaveCount(3)
  expect(await focused(page)).toMatchObject({ list: 'events', label: expect.stringMatching(/^Forget this event: /) })
  await expect(controls.getByRole('status')).toHaveText('Forgot: Searched for “pixar”.')

  // Forget everything about one item (2 events).
  await controls.getByRole('button', { name: 'Forget everything about Toy Story' }).first().focus()
  await page.keyboard.press('Enter')
  await expect(controls.locator('li.event')).toHaveCount(1)
  expect((await demoHistory(page)).flatMap((e) => e.items.map((i) => i.id))).toEqual(['2571'])

  // Block a category: it is listed under "Never boosted" and stored in the engine.
  const block = controls.getByRole('button', { name: /^Block category Action/ }).first()
  const label = (await block.getAttribute('aria-label'))!.replace(/^Block category (.*): never boost it again$/, '$1')
  await block.focus()
  await page.keyboard.press('Enter')
  await expect(controls.getByRole('button', { name: `Unblock category ${label}` })).toBeVisible()
  expect((await engine(page)).blockedCategories).toEqual([label.split(' › ').join('>')])

  // Export: a JSON file download of the whole history.
  await controls.getByRole('button', { name: 'Export my data (JSON)' }).focus()
  const download = page.waitForEvent('download')
  await page.keyboard.press('Enter')
  const file = await download
  expect(file.suggestedFilename()).toBe('localrank-history.json')
  const dump = JSON.parse(readFileSync((await file.path())!, 'utf8')) as { format: string; events: Array<{ items: Array<{ id: string }> }> }
  expect(dump.format).toBe('localrank-history')
  expect(dump.events.map((e) => e.items[0]!.id)).toEqual(['2571'])

  // Clear: a second, explicit confirmation that takes the focus; then nothing is left.
  await controls.getByRole('button', { name: 'Clear everything…' }).focus()
  await page.keyboard.press('Enter')
  await expect.poll(async () => (await focused(page))?.text).toBe('Yes, delete all my history')
  await page.keyboard.press('Enter')
  await expect(controls.getByText('Nothing recorded.')).toBeVisible()
  await expect(controls.getByRole('status')).toHaveText('All history on this device was deleted.')
  expect(await demoHistory(page)).toEqual([])
})

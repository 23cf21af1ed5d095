/**
 * Issue 13 #5 as the shopper saw it, in the demo with its real model: with 0 events stored the
 * encoder still reordered the list (its item biases: popularity) and every card said "Fits the
 * pattern of your recent activity", on a first visit and right after "Clear everything".
 * With no history the answer is the server's order, saying so, with no personal explanation.
 */
import { expect, test, type Page } from '@playwright/test'
import { demoHistory, demoReady, listSettled, nav, requireBuild, requireModel } from './support'

test.beforeAll(() => {
  requireBuild()
  requireModel()
})

type DemoWindow = { localrankDemo: { engine: { info(): { model: { ready: boolean } | null }; track(e: unknown): Promise<unknown> } } }

/** Rank the first list again and describe what it shows. */
async function rankAgain(page: Page) {
  return page
    .locator('localrank-list')
    .first()
    .evaluate(async (list: Element) => {
      const el = list as HTMLElement & { refresh(): void }
      const done = new Promise((r) => el.addEventListener('localrank:ranked', r, { once: true }))
      el.refresh()
      await done
      const cards = Array.from(el.children).filter((c) => getComputedStyle(c).display !== 'none')
      return {
        path: el.getAttribute('data-lr-path'),
        serverRanks: cards.map((c) => Number(c.getAttribute('data-lr-server-rank'))),
        explained: cards.filter((c) => (c.getAttribute('data-lr-explanation') ?? '') !== '').length,
      }
    })
}

test('defect 5 in the demo: with the encoder ready, a first visit and the page right after "Clear everything" keep the server order, unexplained', async ({ page }) => {
  test.setTimeout(120_000)
  await page.goto('/#/genre/comedy')
  await demoReady(page)
  await listSettled(page)
  await page.waitForFunction(() => (window as unknown as DemoWindow).localrankDemo.engine.info().model?.ready === true, null, { timeout: 60_000 })
  const first = await rankAgain(page)
  expect(first.path).toBe('server')
  expect(first.serverRanks).toEqual([...first.serverRanks.keys()])
  expect(first.explained).toBe(0)

  // With a history the same page does personalise (the checks above are not vacuous).
  const ids = await page.locator('localrank-list [data-item-id]').evaluateAll((els) => els.slice(30, 34).map((e) => e.getAttribute('data-item-id')!))
  await page.evaluate(async (ids) => {
    for (const id of ids) await (window as unknown as DemoWindow).localrankDemo.engine.track({ type: 'view_item', items: [{ id, category: ['Comedy'] }] })
  }, ids)
  const personal = await rankAgain(page)
  expect(['encoder', 'profile']).toContain(personal.path)

  // "Clear everything" in the shopper's controls, as a shopper does it.
  await nav(page, '#/privacy')
  await page.getByRole('button', { name: 'Clear everything…' }).click()
  await page.getByRole('button', { name: 'Yes, delete all my history' }).click()
  await expect.poll(async () => (await demoHistory(page)).length).toBe(0)
  await nav(page, '#/genre/comedy')
  await listSettled(page)
  const cleared = await rankAgain(page)
  expect(cleared.path).toBe('server')
  expect(cleared.serverRanks).toEqual([...cleared.serverRanks.keys()])
  expect(cleared.explained).toBe(0)
})

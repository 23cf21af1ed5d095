/**
 * Issue 13 in real Chromium, through the BUILT library: what one tab does to another, and a
 * database the engine did not write itself.
 *  - defect 1: tab B withdraws consent → tab A obeys at once and never recreates the database;
 *  - defect 8: after another tab opens a newer schema, later events are still written;
 *  - defects 9 and 10: a malformed record and a far-future one, written before the engine
 *    opens, leave the shopper's controls whole (every button there, forget works);
 *  - defect 6: a similarity table that takes 30 s to arrive holds no tracking: events tracked
 *    on a page that navigates away survive.
 */
import { expect, test, type Page } from '@playwright/test'
import type { Engine } from '../src/engine/types'
import { demoReady, requireBuild } from './support'

test.beforeAll(requireBuild)

type LrWindow = Window & { engine: Engine; lrErrors: Array<{ code: string; message: string }> }

async function openFixture(page: Page, db: string): Promise<void> {
  await page.goto(`/fixtures/store.html?db=${db}`)
  await page.waitForSelector('body[data-ready="true"]')
}
const dbNames = (page: Page) => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))

test('defect 1: withdrawal in tab B stops tab A at once; A never recreates the database', async ({ context }) => {
  const [a, b] = await Promise.all([context.newPage(), context.newPage()])
  await openFixture(a, 'tabs-consent')
  await openFixture(b, 'tabs-consent')
  await a.evaluate(() => (window as unknown as LrWindow).engine.track({ type: 'view_item', items: [{ id: 'lamp-1', category: ['home', 'lamps'] }] }))
  expect(await dbNames(a)).toContain('tabs-consent')
  await b.evaluate(() => (window as unknown as LrWindow).engine.setConsent('denied'))
  // A, straight away: its next tracks are refused or wiped, never stored.
  await a.evaluate(async () => {
    const { engine } = window as unknown as LrWindow
    for (let i = 0; i < 5; i++) await engine.track({ type: 'view_item', items: [{ id: `after-${i}` }] })
  })
  await expect.poll(() => a.evaluate(() => (window as unknown as LrWindow).engine.info().consent)).toBe('denied')
  expect(await a.evaluate(() => (window as unknown as LrWindow).engine.track({ type: 'view_item', items: [{ id: 'late' }] }))).toBeNull()
  expect(await a.evaluate(() => (window as unknown as LrWindow).engine.history())).toEqual([])
  expect(await dbNames(a)).not.toContain('tabs-consent')
  // And a page opened afterwards starts denied (the choice is persisted), opening nothing.
  const c = await context.newPage()
  await openFixture(c, 'tabs-consent')
  expect(await c.evaluate(() => (window as unknown as LrWindow).engine.info().consent)).toBe('denied')
  expect(await dbNames(c)).not.toContain('tabs-consent')
})

test('defect 8: after another tab upgrades the database, 20 later events are all written', async ({ context }) => {
  const [a, b] = await Promise.all([context.newPage(), context.newPage()])
  await openFixture(a, 'tabs-upgrade')
  await a.evaluate(() => (window as unknown as LrWindow).engine.track({ type: 'view_item', items: [{ id: 'before' }] }))
  // Tab B runs a newer build: it upgrades the schema and keeps its connection open.
  await b.goto('/fixtures/store.html?db=unrelated')
  await b.evaluate(
    () =>
      new Promise<void>((ok, ko) => {
        const probe = indexedDB.open('tabs-upgrade')
        probe.onsuccess = () => {
          const v = probe.result.version
          probe.result.close()
          const r = indexedDB.open('tabs-upgrade', v + 1)
          r.onupgradeneeded = () => r.result.createObjectStore('extra')
          r.onsuccess = () => {
            ;(window as unknown as { keep: IDBDatabase }).keep = r.result
            ok()
          }
          r.onerror = () => ko(r.error)
        }
      }),
  )
  const kept = await a.evaluate(async () => {
    const { engine } = window as unknown as LrWindow
    for (let i = 0; i < 20; i++) await engine.track({ type: 'view_item', items: [{ id: `after-${i}` }] })
    return (await engine.history()).length
  })
  expect(kept).toBe(21)
  const stored = () =>
    b.evaluate(
      () =>
        new Promise<number>((ok) => {
          const db = (window as unknown as { keep: IDBDatabase }).keep
          const r = db.transaction('events').objectStore('events').count()
          r.onsuccess = () => ok(r.result)
        }),
    )
  await expect.poll(stored).toBe(21)
})

test('defects 9 and 10: a malformed record and a far-future one leave the controls whole', async ({ page }) => {
  await page.goto('/#/privacy')
  await demoReady(page)
  await page.evaluate(() =>
    (window as unknown as { localrankDemo: { engine: Engine } }).localrankDemo.engine.track({ type: 'view_item', items: [{ id: '1', title: 'Toy Story', category: ['Animation'] }] }),
  )
  // Written behind the engine's back (another build, another script, a devtools edit).
  await page.evaluate(
    () =>
      new Promise<void>((ok, ko) => {
        const r = indexedDB.open('localrank')
        r.onsuccess = () => {
          const tx = r.result.transaction('events', 'readwrite')
          tx.objectStore('events').put({ id: 'bad', type: 'view_item', timestamp: Date.now() - 1000, items: null })
          tx.objectStore('events').put({ id: 'future', type: 'view_item', timestamp: 9e15, items: [{ id: 'f', title: 'From the future' }], itemIds: ['f'] })
          tx.oncomplete = () => {
            r.result.close()
            ok()
          }
          tx.onerror = () => ko(tx.error)
        }
      }),
  )
  await page.reload()
  await demoReady(page)
  const controls = page.locator('localrank-controls')
  await expect(controls.locator('li.event')).toHaveCount(1)
  for (const name of [/Pause/, /Export/, /Clear everything/]) await expect(controls.getByRole('button', { name })).toBeVisible()
  await expect(controls.getByRole('button', { name: /Forget this event/ })).toHaveCount(1)
  expect(await page.evaluate(() => (window as unknown as { localrankDemo: { engine: Engine } }).localrankDemo.engine.forget('1'))).toBe(1)
  await expect(controls.getByText('Nothing recorded.')).toBeVisible()
})

test('defect 6: with a similarity table that takes 30 s, events tracked on pages that navigate away survive', async ({ page }) => {
  test.setTimeout(90_000)
  let tableRequests = 0
  await page.route('**/slow-similarity.json', async (route) => {
    tableRequests++
    await new Promise((r) => setTimeout(r, 30_000))
    await route
      .fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ format: 'localrank-similarity', version: 1, items: [], offsets: [0], neighbors: [], sims: [] }) })
      .catch(() => {})
  })
  // The multi-page fixture, with a data-similarity attribute on its script tag.
  await page.route('**/fixtures/multipage.html*', async (route) => {
    const res = await route.fetch()
    const html = (await res.text()).replace('data-db-name="multipage"', 'data-db-name="slow-table" data-similarity="/slow-similarity.json"')
    await route.fulfill({ response: res, body: html })
  })
  const loaded = () => page.waitForFunction(() => (window as unknown as { localrank: { loaded?: boolean } }).localrank.loaded === true)
  await page.goto('/fixtures/multipage.html')
  await loaded()
  const clicks = 6
  for (let i = 0; i < clicks; i++) {
    await Promise.all([page.waitForURL(`**/multipage.html?product=p-${i}`), page.locator(`#link-${i}`).click()])
    await loaded()
  }
  expect(tableRequests).toBeGreaterThan(0) // the table was indeed still loading on every page
  const events = await page.evaluate(() => (window as unknown as { localrank: { history(): Promise<Array<{ type: string; items: Array<{ id: string }> }>> } }).localrank.history())
  const selects = events.filter((e) => e.type === 'select_item').map((e) => e.items[0]!.id)
  console.log(`[tabs] slow table: stored ${selects.length} of ${clicks} navigating clicks`)
  expect(selects).toEqual(Array.from({ length: clicks }, (_, i) => `p-${i}`))
})

/**
 * 2. Persistence: the history survives a reload, a new browser context restored from the
 *    first one's storage (Playwright's storageState with IndexedDB), and a new browser on the
 *    same user-data-dir (the shopper closing and reopening the browser).
 */
import { chromium, expect, test } from '@playwright/test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromiumArgs } from './playwright.config'
import { browseGenre, demoHistory, demoReady, dumpIndexedDB, nav, requireBuild } from './support'

test.beforeAll(requireBuild)

const ids = (h: Awaited<ReturnType<typeof demoHistory>>) => h.map((e) => e.id)

test('history survives a reload and a new context on the same storage', async ({ page, browser, baseURL }) => {
  await browseGenre(page, 'sci-fi', (c) => c.genres.includes('Sci-Fi'), 2)
  const before = await demoHistory(page)
  expect(before.length).toBeGreaterThanOrEqual(3) // 2 views + 1 add_to_cart

  // In IndexedDB, not just in memory.
  const dump = await dumpIndexedDB(page)
  const stored = dump.find((d) => d.name === 'localrank')?.stores['events'] as Array<{ id: string }> | undefined
  expect(stored?.map((e) => e.id).sort()).toEqual(ids(before).sort())

  await page.reload()
  await demoReady(page)
  // The reload shows the same movie page again, which may add one fresh view_item after 1 s.
  const reloaded = ids(await demoHistory(page))
  expect(reloaded.slice(0, before.length)).toEqual(ids(before))

  // A new context restored from this one's storage, IndexedDB included.
  await nav(page, '#/privacy')
  const snapshot = await demoHistory(page)
  const state = await page.context().storageState({ indexedDB: true })
  const ctx2 = await browser.newContext({ storageState: state, baseURL })
  const page2 = await ctx2.newPage()
  await page2.goto('/#/privacy')
  await demoReady(page2)
  expect(ids(await demoHistory(page2))).toEqual(ids(snapshot))
  // The shopper's controls in the new context list the same events.
  await expect(page2.locator('localrank-controls li.event')).toHaveCount(snapshot.length)
  await ctx2.close()
})

test('history survives closing and reopening the browser (same user-data-dir)', async ({ baseURL }) => {
  const dir = mkdtempSync(join(tmpdir(), 'localrank-profile-'))
  const launch = () =>
    chromium.launchPersistentContext(dir, {
      executablePath:
        process.env.LOCALRANK_CHROMIUM && process.env.LOCALRANK_CHROMIUM !== 'bundled'
          ? process.env.LOCALRANK_CHROMIUM
          : process.env.LOCALRANK_CHROMIUM === 'bundled'
            ? undefined
            : '/usr/bin/chromium',
      args: chromiumArgs,
      baseURL,
    })
  try {
    let ctx = await launch()
    let page = ctx.pages()[0] ?? (await ctx.newPage())
    await browseGenre(page, 'animation', (c) => c.genres.includes('Animation'), 2)
    const before = await demoHistory(page)
    const prefs = await page.evaluate(async () => {
      const e = (window as unknown as { localrankDemo: { engine: { blockCategory(c: string): Promise<void>; meta(): Promise<unknown> } } }).localrankDemo.engine
      await e.blockCategory('Horror')
      return e.meta()
    })
    expect(prefs).toMatchObject({ blockedCategories: ['Horror'] })
    await nav(page, '#/privacy')
    const closing = await demoHistory(page)
    expect(ids(closing).slice(0, before.length)).toEqual(ids(before))
    await ctx.close()

    ctx = await launch()
    page = ctx.pages()[0] ?? (await ctx.newPage())
    await page.goto('/#/privacy')
    await demoReady(page)
    expect(ids(await demoHistory(page))).toEqual(ids(closing))
    // The shopper's choices (blocked categories) persist too.
    expect(await page.evaluate(() => (window as unknown as { localrankDemo: { engine: { meta(): Promise<unknown> } } }).localrankDemo.engine.meta())).toMatchObject({ blockedCategories: ['Horror'] })
    await ctx.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/**
 * 8. Queue: calls to `localrank(...)` made before the classic script loads are kept in
 *    `localrank.q` and applied, in order, once it has loaded (e2e/fixtures/queue.html).
 */
import { expect, test } from '@playwright/test'
import { requireBuild } from './support'

test.beforeAll(requireBuild)

test('commands queued before the script loads are applied in order', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto('/fixtures/queue.html')
  // Before load: a plain queue holding all 7 calls.
  expect(
    await page.evaluate(() => ({ n: (window as unknown as { __queuedBeforeLoad: number }).__queuedBeforeLoad, loaded: (window as unknown as { __loadedBeforeLoad: boolean }).__loadedBeforeLoad })),
  ).toEqual({ n: 7, loaded: false })

  await page.waitForFunction(() => (window as unknown as { localrank: { loaded?: boolean } }).localrank.loaded === true)
  await page.waitForFunction(() => (window as unknown as { __log: string[] }).__log.length >= 3)
  const log = await page.evaluate(() => (window as unknown as { __log: string[] }).__log)
  // The invalid event went to the queued onError (config applied first), naming the field.
  expect(log.find((l) => l.startsWith('error:'))).toMatch(/^error:type:/)
  // The queued rerank ran after the queued tracks, so the garden item, second on the server, is first.
  expect(log).toContain('rerank:profile:g-1,k-1')
  expect(log).toContain('ready:function')
  expect(log.indexOf('rerank:profile:g-1,k-1')).toBeLessThan(log.indexOf('ready:function'))

  const state = await page.evaluate(async () => {
    const lr = (window as unknown as { localrank: { q: unknown[]; history(): Promise<Array<{ type: string; items: Array<{ id: string }>; query?: string }>>; info(): { storage: string } } }).localrank
    return { q: lr.q.length, history: (await lr.history()).map((e) => `${e.type}:${e.items[0]?.id ?? e.query}`), storage: lr.info().storage, dbs: (await indexedDB.databases()).map((d) => d.name) }
  })
  expect(state).toEqual({ q: 0, history: ['view_item:q-1', 'add_to_cart:q-2', 'search:garden hose'], storage: 'indexeddb', dbs: ['queue-fixture'] })

  // After load, the same function runs commands at once, and the API returns promises.
  const after = await page.evaluate(async () => {
    const lr = window as unknown as { localrank: ((...a: unknown[]) => Promise<unknown>) & { rerank(c: unknown[]): Promise<{ items: Array<{ id: string }> }> } }
    await lr.localrank('track', { type: 'purchase', items: [{ id: 'k-2', category: ['kitchen'] }] })
    const r = await lr.localrank.rerank([
      { id: 'g-2', category: ['garden'] },
      { id: 'k-3', category: ['kitchen'] },
    ])
    return r.items.map((i) => i.id)
  })
  expect(after).toHaveLength(2)
  expect(errors).toEqual([])
})

test('the classic loader stays tiny (≤ 8 KB gzip; everything else loads lazily)', async () => {
  const { readFileSync } = await import('node:fs')
  const { gzipSync } = await import('node:zlib')
  const { join } = await import('node:path')
  const { ROOT } = await import('./support')
  const raw = readFileSync(join(ROOT, 'dist/lib/localrank.js'))
  const gz = gzipSync(raw, { level: 9 }).length
  console.log(`[size] dist/lib/localrank.js: ${raw.length} B, ${gz} B gzip`)
  expect(gz).toBeLessThanOrEqual(8 * 1024)
  // It imports nothing statically: the runtime comes from import() at run time.
  expect(raw.toString()).not.toMatch(/^import |\bimport\s*\{/m)
})

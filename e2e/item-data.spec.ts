/**
 * Issue 10, "never fetch by history": a shop in the item-data mode (no similarity table, no item
 * table) on the built embed script in real Chromium.
 *
 * - Tracks items that carry their feed data: two product cards from `data-lr-item` (add to
 *   cart) and one `localrank.track()` call, each with a `vector` and `neighbours`.
 * - Checks what IndexedDB keeps of them: the vector as sent, at most 8 neighbours.
 * - Reranks candidates that carry theirs (`<localrank-list>` children and `localrank.rerank`):
 *   a candidate whose own neighbours name history items rises to #1; a candidate without
 *   neighbours rises through the history items' stored neighbours (the reverse direction);
 *   one that a history item listed only beyond its 8 strongest does not.
 * - Proves that no request of the session (URL, query, body, headers; page and workers, at the
 *   network layer) names a history item id. Requests keyed by candidate ids are allowed, and
 *   the page makes one (`rows.json?ids=<candidates>`), which the check must let through.
 * - The negative check runs after positive signals only (the events are in the store, the list
 *   and the API answered, then no request is in flight), never after a fixed sleep.
 * - A positive control leaks a history id through each channel (path, query, body, header)
 *   and shows that the same check reports every one.
 */
import { expect, test, type Page } from '@playwright/test'
import { serialize } from 'node:v8'
import type { StoredEvent } from '../src/events/types'
import { unpackRecord } from '../src/store/packed'
import { captureRequests, dumpIndexedDB, requestLeaks, requireBuild } from './support'

test.beforeAll(requireBuild)

/** The embed script has replaced its command-queue stub (`localrank.loaded`), and its engine is up. */
async function loaded(page: Page) {
  await page.waitForFunction(() => (window as unknown as { localrank?: { loaded?: boolean } }).localrank?.loaded === true, null, { timeout: 20_000 })
  await page.evaluate(() => (window as unknown as { localrank: Api }).localrank.ready())
}

type Api = {
  ready(): Promise<unknown>
  track(e: unknown): Promise<unknown>
  history(): Promise<Array<{ type: string; items: Array<{ id: string; vector?: string; neighbours?: Array<[string, number]> }> }>>
  rerank(
    c: unknown[],
  ): Promise<{ path: string; reason?: string; items: Array<{ id: string; serverRank: number; explanation: Array<{ source: string; text: string; contribution?: { kind: string; key: string } }> }> }>
}

test('items and candidates bring their data; no request names a history item', async ({ page }) => {
  test.setTimeout(90_000)
  const net = captureRequests(page)
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))

  await page.goto('/fixtures/item-data.html')
  await loaded(page)

  // --- track: two cards from markup, one call ---------------------------------------------
  for (const card of await page.locator('#products article').all()) await card.locator('button[data-lr-event="add_to_cart"]').click()
  await page.evaluate(() => (window as unknown as { localrank: Api; API_ITEM: unknown }).localrank.track({ type: 'view_item', items: [(window as unknown as { API_ITEM: unknown }).API_ITEM] }))
  const history = await expect
    .poll(async () => (await page.evaluate(() => (window as unknown as { localrank: Api }).localrank.history())).length, { timeout: 10_000 })
    .toBe(3)
    .then(() => page.evaluate(() => (window as unknown as { localrank: Api }).localrank.history()))
  const historyIds = [...new Set(history.flatMap((e) => e.items.map((i) => i.id)))].sort()
  expect(historyIds).toEqual(['hist-bulb-c2d4', 'hist-lamp-7f3a', 'hist-rug-55e1'])
  expect(history.map((e) => e.type).sort()).toEqual(['add_to_cart', 'add_to_cart', 'view_item'])

  // --- what IndexedDB keeps: the vector as sent, the 8 strongest neighbours ------------------
  // Records are stored packed since schema v3 (src/store/packed.ts: item tuples, the vector as
  // bytes); unpacked here with the store's own reader, so this checks what a read gives back.
  const dump = await dumpIndexedDB(page)
  const db = dump.find((d) => d.name === 'item-data-fixture')
  expect(db, `databases: ${dump.map((d) => d.name).join(', ')}`).toBeDefined()
  const raw = (db!.stores.events ?? []) as Array<{ items?: unknown[] }>
  expect(raw.some((r) => Array.isArray(r.items) && r.items.some((it) => Array.isArray(it) && (it as unknown[])[5] instanceof Uint8Array))).toBe(true)
  const records = raw.map((r) => unpackRecord(r) as StoredEvent & { itemIds?: string[] })
  const stored = records.flatMap((r, i) => (Array.isArray(r.items) ? r.items.map((it) => ({ it, bytes: serialize(raw[i]).length })) : []))
  const lamp = stored.find((s) => s.it.id === 'hist-lamp-7f3a')!
  expect(lamp.it.vector).toMatch(/^f16:0a1b2c3d:[A-Za-z0-9_-]{174}$/)
  expect(lamp.it.neighbours).toHaveLength(8) // the card carried 12
  expect(lamp.it.neighbours!.map((p) => p[0])).not.toContain('cand-towel-13') // the 12th
  expect(stored.find((s) => s.it.id === 'hist-bulb-c2d4')!.it.vector).toMatch(/^i8:0a1b2c3d:/)
  console.log(`[item-data] stored event records, structured-clone bytes (v8.serialize of the raw record): ${stored.map((s) => `${s.it.id} ${s.bytes}`).join(', ')}`)

  // --- rerank: the list (markup) and the API, with candidates carrying their rows -------------
  const listAnswer = page.evaluate(
    () =>
      new Promise<{ state: string; order: string[]; explanations: string[] }>((ok) => {
        const el = document.getElementById('list')!
        el.addEventListener('localrank:ranked', function onRanked(ev) {
          const d = (ev as CustomEvent<{ state: string; result?: { items: unknown[] } }>).detail
          if (!d.result || d.result.items.length === 0) return // the empty first round
          el.removeEventListener('localrank:ranked', onRanked)
          const kids = Array.from(el.children)
          ok({ state: d.state, order: kids.map((k) => k.getAttribute('data-item-id') ?? ''), explanations: kids.map((k) => k.getAttribute('data-lr-explanation') ?? '') })
        })
      }),
  )
  const candidates = await page.evaluate(() => (window as unknown as { loadCandidates(): Promise<unknown[]> }).loadCandidates())
  const list = await listAnswer
  const api = await page.evaluate((c) => (window as unknown as { localrank: Api }).localrank.rerank(c), candidates)

  expect(list.state).toBe('ranked')
  expect(list.order[0]).toBe('cand-shade-91') // last in the server's order; its own row names two history items
  expect(api.path).toBe('profile')
  const byId = new Map(api.items.map((r, k) => [r.id, { ...r, rank: k }]))
  expect(api.items.map((r) => r.id)).toEqual(list.order)
  const similarKeys = (id: string) =>
    byId
      .get(id)!
      .explanation.filter((e) => e.source === 'similar')
      .map((e) => e.contribution?.key)
  expect(similarKeys('cand-shade-91')).toEqual(expect.arrayContaining(['hist-lamp-7f3a', 'hist-bulb-c2d4']))
  // Reverse direction: the vase carries no neighbours; the lamp's stored ones list it.
  expect(byId.get('cand-vase-14')!.rank).toBeLessThan(byId.get('cand-vase-14')!.serverRank)
  expect(similarKeys('cand-vase-14')).toEqual(['hist-lamp-7f3a'])
  // The towel was the lamp's 12th neighbour, cut by the 8-neighbour bound: no lift from it.
  expect(similarKeys('cand-towel-13')).toEqual([])

  // --- nothing in flight any more: then the negative check -----------------------------------
  await net.settled()
  const session = net.seen.slice()
  const leaks = requestLeaks(session, historyIds)
  expect(leaks).toEqual([])
  expect(net.sockets).toEqual([])
  // The request keyed by candidate ids was made, and is allowed: it names candidates only.
  const rowsReq = session.find((r) => new URL(r.url).pathname === '/fixtures/item-data/rows.json')
  expect(rowsReq, 'the page fetched its candidates’ rows').toBeDefined()
  expect(new URL(rowsReq!.url).searchParams.get('ids')!.split(',').sort()).toEqual((candidates as Array<{ id: string }>).map((c) => c.id).sort())
  // No table or item data was downloaded by id or at all: only the page, the script and the fixture JSON.
  const paths = [...new Set(session.map((r) => new URL(r.url).pathname))]
  expect(paths.filter((p) => /similarity|model/.test(p))).toEqual([])
  console.log(`[item-data] ${session.length} requests, 0 naming a history item: ${paths.join(', ')}`)
  expect(pageErrors).toEqual([])
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([])

  // --- positive control: the same check catches a history id in each channel ----------------
  const before = net.seen.length
  await page.evaluate(async (id) => {
    await Promise.all([
      fetch(`/leak/path/${id}`),
      fetch(`/leak/query?seen=${encodeURIComponent(id)}`),
      fetch('/leak/body', { method: 'POST', body: JSON.stringify({ seen: id }) }),
      fetch('/leak/header', { headers: { 'x-seen': id } }),
    ])
  }, 'hist-lamp-7f3a')
  await net.settled()
  const control = requestLeaks(net.seen.slice(before), historyIds)
  expect(control.map((l) => l.replace(/ of .*/, '')).sort()).toEqual(['hist-lamp-7f3a in the body', 'hist-lamp-7f3a in the headers', 'hist-lamp-7f3a in the url', 'hist-lamp-7f3a in the url'])
})

test('issue 13 #16: an enumerable Object.prototype property (as old scripts add) does not stop tracking or ranking', async ({ page }) => {
  await page.addInitScript(() => {
    // What a 2008-era helper library does: a plain assignment, so the property is enumerable.
    ;(Object.prototype as Record<string, unknown>).legacyHelper = function () {
      return 1
    }
    ;(Object.prototype as Record<string, unknown>).price = -1 // an inherited field that must never be read as an item's
  })
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto('/fixtures/item-data.html')
  await loaded(page)
  for (const card of await page.locator('#products article').all()) await card.locator('button[data-lr-event="add_to_cart"]').click()
  await page.evaluate(() => (window as unknown as { localrank: Api; API_ITEM: unknown }).localrank.track({ type: 'view_item', items: [(window as unknown as { API_ITEM: unknown }).API_ITEM] }))
  await expect
    .poll(async () => (await page.evaluate(() => (window as unknown as { localrank: Api }).localrank.history())).map((e) => e.type).sort(), { timeout: 10_000 })
    .toEqual(['add_to_cart', 'add_to_cart', 'view_item'])
  const history = await page.evaluate(() => (window as unknown as { localrank: Api }).localrank.history())
  // Own fields only: no `legacyHelper`, and no inherited `price` on the rug (which has none).
  expect(Object.fromEntries(history.flatMap((e) => e.items.map((i) => [i.id, Object.keys(i).sort().join(',')])))).toEqual({
    'hist-lamp-7f3a': 'brand,category,id,neighbours,price,title,vector',
    'hist-bulb-c2d4': 'category,id,neighbours,price,title,vector',
    'hist-rug-55e1': 'category,id,neighbours,title,vector',
  })
  const candidates = await page.evaluate(() => (window as unknown as { loadCandidates(): Promise<unknown[]> }).loadCandidates())
  const api = await page.evaluate((c) => (window as unknown as { localrank: Api }).localrank.rerank(c), candidates)
  expect(api.path).toBe('profile')
  expect(api.items[0]!.id).toBe('cand-shade-91')
  expect(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).toEqual([])
  expect(pageErrors).toEqual([])
})

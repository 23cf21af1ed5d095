/**
 * Shared helpers for the end-to-end specs (not a spec itself). Every spec runs against the
 * *built* bundles in dist/ (run `npm run build` first); `requireBuild()` fails loudly if
 * they are missing rather than letting the specs time out on 404s.
 */
import { expect, type Page, type Request } from '@playwright/test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..')

export function requireBuild(): void {
  for (const f of ['dist/index.html', 'dist/lib/localrank.js', 'dist/lib/localrank-embed.mjs', 'dist/lib/localrank.mjs']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` before the e2e tests`)
  }
}

export const hasModel = () => existsSync(join(ROOT, 'dist', 'model', 'model.json'))

/**
 * Fail loudly (never skip) when the built bundle has no model: the shipped encoder lives in
 * public/model and `npm run build` copies it; retraining it needs `--out public/model --force`.
 */
export function requireModel(): void {
  if (!hasModel()) {
    throw new Error('dist/model/model.json is missing: the trained encoder lives in public/model; run `npm run build` (or retrain it with `npm run train -- --out public/model --force`, then build)')
  }
}

export interface IdbDump {
  name: string
  stores: Record<string, unknown[]>
}

/** Every IndexedDB database of the page's origin, with every record of every store. */
export async function dumpIndexedDB(page: Page): Promise<IdbDump[]> {
  return page.evaluate(async () => {
    const out: Array<{ name: string; stores: Record<string, unknown[]> }> = []
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue
      const db = await new Promise<IDBDatabase>((ok, ko) => {
        const r = indexedDB.open(info.name!)
        r.onsuccess = () => ok(r.result)
        r.onerror = () => ko(r.error)
      })
      const stores: Record<string, unknown[]> = {}
      for (const s of Array.from(db.objectStoreNames)) {
        stores[s] = await new Promise<unknown[]>((ok, ko) => {
          const r = db.transaction(s).objectStore(s).getAll()
          r.onsuccess = () => ok(r.result)
          r.onerror = () => ko(r.error)
        })
      }
      db.close()
      out.push({ name: info.name, stores })
    }
    return out
  })
}

export const recordCount = (dump: IdbDump[]) => dump.reduce((n, d) => n + Object.values(d.stores).reduce((m, s) => m + s.length, 0), 0)

/** The demo's engine (exposed as `window.localrankDemo.engine` for tests and curious people). */
export async function demoReady(page: Page): Promise<void> {
  await page.waitForFunction(() => !!(window as unknown as { localrankDemo?: unknown }).localrankDemo, null, { timeout: 20_000 })
}

export async function demoHistory(page: Page): Promise<Array<{ id: string; type: string; items: Array<{ id: string; title?: string; category?: string[] }>; query?: string; timestamp: number }>> {
  return page.evaluate(() => (window as unknown as { localrankDemo: { engine: { history(): Promise<never> } } }).localrankDemo.engine.history())
}

/** Wait for the first `<localrank-list>` in `scope` to settle; returns its state. */
export async function listSettled(page: Page, selector = 'localrank-list'): Promise<string> {
  const list = page.locator(selector).first()
  await expect(list).toHaveAttribute('data-lr-state', /ranked|timeout|late/, { timeout: 15_000 })
  return (await list.getAttribute('data-lr-state'))!
}

export interface ShownCard {
  id: string
  title: string
  genres: string[]
  serverRank: number
  explanation: string
}

/** The visible cards of the first list, in the order shown. */
export async function shownCards(page: Page, selector = 'localrank-list'): Promise<ShownCard[]> {
  return page
    .locator(selector)
    .first()
    .evaluate((list) =>
      Array.from(list.children)
        // What the layout shows, not the `hidden` property: page CSS can override [hidden] (issue 13 #22).
        .filter((c) => getComputedStyle(c).display !== 'none')
        .map((c, i) => {
          const item = JSON.parse(c.getAttribute('data-lr-item') ?? '{}') as { tags?: string[]; category?: string[]; title?: string }
          return {
            id: c.getAttribute('data-item-id') ?? '',
            title: item.title ?? '',
            // The demo's genres are tags since issue 15 #7 (a category path before).
            genres: item.tags ?? item.category ?? [],
            serverRank: Number(c.getAttribute('data-lr-server-rank') ?? i),
            explanation: c.getAttribute('data-lr-explanation') ?? '',
          }
        }),
    )
}

/** Same-document navigation in the demo (hash routes), waiting for the view to change. */
export async function nav(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    if (location.hash === h) return
    document.getElementById('app')?.replaceChildren()
    location.hash = h
  }, hash)
  await page.waitForFunction(() => (document.getElementById('app')?.childElementCount ?? 0) > 0)
}

/** Browse a genre like a shopper: open `n` of its movies (≥ 1.2 s each, so view_item fires), add one to the cart. */
export async function browseGenre(page: Page, slug: string, pick: (c: ShownCard) => boolean, n: number, opts: { expectStored?: boolean; query?: string } = {}): Promise<string[]> {
  await page.goto(`/${opts.query ?? ''}#/genre/${slug}`)
  await demoReady(page)
  const opened: string[] = []
  for (let i = 0; i < n; i++) {
    await nav(page, `#/genre/${slug}`)
    await listSettled(page)
    // The next matching card of the list as it is now: each view reranks the list, and a card
    // picked from the first list can leave the 24 shown (it waited out the test's timeout).
    const c = (await shownCards(page)).find((x) => pick(x) && !opened.includes(x.id))
    expect(c, `need ${n} matching cards on /#/genre/${slug}; found ${i}`).toBeDefined()
    if (!c) break
    await page.locator(`localrank-list [data-item-id="${c.id}"] a.title`).click()
    await expect(page.locator('.product h1')).toHaveText(c.title)
    await page.waitForTimeout(1300) // 50% visible for ≥ 1 s → view_item
    if (i === 0) await page.locator('.product button[data-lr-event="add_to_cart"]').click()
    opened.push(c.id)
  }
  if (opts.expectStored !== false) await expect.poll(async () => (await demoHistory(page)).filter((e) => e.type === 'view_item').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(n)
  return opened
}

/** One request of the browser context as the privacy specs see it. */
export interface SeenRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string | null
  from: 'page' | 'worker' | 'service worker'
}

/**
 * Capture every request of the browser context (pages, workers, service workers), the response
 * bytes per URL and the page's websockets; `settled()` waits until none is in flight (a request
 * counts until its bytes are counted).
 */
export function captureRequests(page: Page) {
  const seen: SeenRequest[] = []
  const bytes = new Map<string, number>()
  const sockets: string[] = []
  const inFlight = new Set<Request>()
  const ctx = page.context()
  ctx.on('request', (r) => {
    inFlight.add(r)
    seen.push({ method: r.method(), url: r.url(), headers: r.headers(), body: r.postData(), from: r.serviceWorker() ? 'service worker' : r.frame() ? 'page' : 'worker' })
  })
  ctx.on('requestfailed', (r) => inFlight.delete(r))
  ctx.on('requestfinished', async (r) => {
    const res = await r.response()
    const size = (await r.sizes().catch(() => null))?.responseBodySize ?? (await res?.body().catch(() => null))?.length ?? 0
    bytes.set(r.url(), (bytes.get(r.url()) ?? 0) + size)
    inFlight.delete(r)
  })
  page.on('websocket', (ws) => sockets.push(ws.url()))
  return { seen, bytes, sockets, settled: () => expect.poll(() => inFlight.size, { timeout: 15_000, message: 'requests still in flight' }).toBe(0) }
}

/**
 * Every way a secret could travel in the requests: the decoded URL, the header values, the body.
 * `matches` decides what counts as the secret in a text (default: any occurrence).
 */
export function requestLeaks(requests: readonly SeenRequest[], secrets: readonly string[], matches: (secret: string, text: string) => boolean = (secret, text) => text.includes(secret)): string[] {
  const out: string[] = []
  for (const r of requests) {
    let url = r.url
    try {
      url = decodeURIComponent(r.url.replace(/\+/g, ' '))
    } catch {
      /* keep the raw URL */
    }
    const channels: Array<[string, string]> = [
      ['url', url],
      [
        'headers',
        Object.entries(r.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n'),
      ],
      ['body', r.body ?? ''],
    ]
    for (const secret of secrets) for (const [where, text] of channels) if (matches(secret, text)) out.push(`${secret} in the ${where} of ${r.method} ${r.url} (${r.from})`)
  }
  return out
}

/**
 * The second demo page (issue 10): a shop of 1,000,000 synthetic products in the item-data
 * ("feed") mode, with the real engine. The shop's server (src/demo/shop/api.ts) sends each list
 * as candidates that carry their `vector` and `neighbours`; the page tracks the same items with
 * those fields, so the browser needs no item table and no similarity table, whatever the size of
 * the catalogue. The model it downloads is the user-side artifact (/shop-api/model/).
 *
 * Requests go to the shop's own API for what the page shows (a category, a query, the best
 * sellers): never for data keyed by anything in the shopper's history. A product opened from a
 * list is shown from the row that list already brought (its "more in this category" list is
 * asked for by category), so browsing names no product at all; only a deep link to a product
 * page (a typed or bookmarked #/p/<id>) asks the API for that product, as a shop's product URL
 * would. The cart is ordinary shop state in sessionStorage, as in the movie demo.
 *
 * URL switches: `?backend=webgpu|wasm|cpu`, `?db=<IndexedDB name>`, `?model=off`,
 * `?deadline=<ms>` (the encoder's deadline, default 250: a slow test machine may need more).
 */
import '../style.css'
import './shop.css'
import { createEngine } from '../../index'
import type { Engine } from '../../engine/types'
import type { Item, TrackInput } from '../../events/types'
import type { RankResult } from '../../rank/types'
import { fmtPrice, h } from '../dom'

interface ShopItem extends Required<Pick<Item, 'id' | 'title' | 'category' | 'brand' | 'price' | 'vector'>> {
  score: number
  neighbours?: Array<[string, number]>
}
interface ListAnswer {
  title: string
  items: ShopItem[]
}
interface Meta {
  products: number
  visitors: number
  leaves: Array<{ index: number; path: string[]; products: number }>
  model: string
  modelSha256?: string
  modelId: string
  neighboursPerItem: number
}
interface CartLine {
  item: ShopItem
  qty: number
}

const SHOWN = 24
const CANDIDATES = 500
const params = new URLSearchParams(location.search)
const app = document.getElementById('app')!
const status = document.getElementById('status')!
const leafSelect = document.getElementById('leaf') as HTMLSelectElement
const cartLink = document.getElementById('cart-link')!

/** What the e2e test and a curious developer can inspect: the engine and the last answer. */
const state: { engine: Engine | null; meta: Meta | null; last: RankResult<ShopItem> | null; lastCandidates: ShopItem[]; lastMs: number; ready: boolean } = {
  engine: null,
  meta: null,
  last: null,
  lastCandidates: [],
  lastMs: 0,
  ready: false,
}
;(window as unknown as { localrankShop: typeof state }).localrankShop = state

/**
 * Rows the server sent in this page's lists, so that opening one needs no request naming it.
 * Bounded (cleared at 5,000): it holds what this tab was shown, not the catalogue.
 */
const seen = new Map<string, ShopItem>()
let leafByPath = new Map<string, number>()

async function api<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'omit' })
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

// ----------------------------------------------------------------------------------- cart --

const CART_KEY = 'localrank-shop-cart'
function readCart(): CartLine[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(CART_KEY) ?? '[]') as CartLine[]
    return Array.isArray(v) ? v : []
  } catch {
    return []
  }
}
let cart = readCart()
function saveCart(): void {
  try {
    sessionStorage.setItem(CART_KEY, JSON.stringify(cart))
  } catch {
    /* private mode: the cart stays in memory */
  }
  const n = cart.reduce((k, l) => k + l.qty, 0)
  cartLink.textContent = `Cart (${n})`
}

// ------------------------------------------------------------------------------- tracking --

/** The item as tracked: its content and the data it came with (vector, neighbours), as `data-lr-item` would carry it. */
function tracked(it: ShopItem): Item {
  const out: Item = { id: it.id, title: it.title, category: it.category, brand: it.brand, price: it.price, vector: it.vector }
  if (it.neighbours) out.neighbours = it.neighbours
  return out
}

async function track(type: TrackInput['type'], items: ShopItem[] | null, query?: string): Promise<void> {
  const e = state.engine
  if (!e) return
  await e.track(items ? { type, items: items.map(tracked) } : { type, query: query ?? '' })
  renderStatus()
}

// -------------------------------------------------------------------------------- views --

function renderStatus(): void {
  const e = state.engine
  const m = state.meta
  const info = e?.info()
  const r = state.last
  const rows: Array<[string, string]> = [
    ['Catalogue', m ? `${m.products.toLocaleString('en')} products (${m.leaves.length} categories)` : '…'],
    ['Mode', 'item data: candidates and tracked items carry vector + neighbours'],
    ['Model', info?.model ? (info.model.ready ? `user side ready (${m?.modelId ?? ''})` : info.model.error ? `error: ${info.model.error}` : 'loading…') : 'off'],
    ['Backend', info?.backend ? `${info.backend} (${info.backendReason})` : '…'],
    ['Stored events', String(info?.events ?? 0)],
    ['Last answer', r ? `${r.path}${r.reason ? ` (${r.reason})` : ''}, ${state.lastCandidates.length} candidates in ${state.lastMs.toFixed(1)} ms` : '—'],
    ['Candidates with a vector', state.lastCandidates.length ? `${state.lastCandidates.filter((c) => c.vector).length} of ${state.lastCandidates.length}` : '—'],
  ]
  const clear = h('button', { type: 'button', id: 'clear', text: 'Clear my history' })
  clear.addEventListener('click', async () => {
    await state.engine?.clear()
    renderStatus()
    void route()
  })
  status.replaceChildren(
    h('h2', { text: 'Inside LocalRank' }),
    h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v, 'data-status': k.toLowerCase().replace(/\s+/g, '-') })])),
    h('p', { class: 'muted', text: 'Your history is kept in this browser (IndexedDB) and never sent. The shop API is only asked for the category, search or best sellers you open.' }),
    clear,
  )
}

function remember(items: ShopItem[]): void {
  if (seen.size > 5_000) seen.clear()
  for (const it of items) seen.set(it.id, it)
}

function card(r: RankResult<ShopItem>['items'][number]): HTMLElement {
  const it = r.candidate
  const why = r.explanation[0]?.text
  const el = h(
    'li',
    { class: 'card', 'data-item-id': it.id, 'data-server-rank': r.serverRank },
    h('a', { href: `#/p/${it.id}`, class: 'title', text: it.title }),
    h('span', { class: 'muted', text: `${it.category.join(' › ')} · ${it.brand}` }),
    h('span', { class: 'price', text: fmtPrice(it.price) }),
    why ? h('span', { class: 'why', text: why }) : null,
    h('span', { class: 'muted small', text: `server #${r.serverRank + 1}` }),
  )
  el.querySelector('a')!.addEventListener('click', () => void track('select_item', [it]))
  return el
}

async function showList(title: string, candidates: ShopItem[], ...head: HTMLElement[]): Promise<void> {
  const e = state.engine!
  remember(candidates)
  const t0 = performance.now()
  const r = await e.rerank(candidates, { limit: SHOWN, explain: SHOWN })
  state.lastMs = performance.now() - t0
  state.last = r
  state.lastCandidates = candidates
  app.replaceChildren(
    ...head,
    h('h2', { text: title }),
    h('p', { class: 'muted', id: 'answer', 'data-path': r.path, text: `Reordered on your device (${r.path}) from the server's ${candidates.length} candidates.` }),
    h('ol', { class: 'grid', id: 'results' }, ...r.items.map(card)),
  )
  renderStatus()
}

function productView(it: ShopItem): HTMLElement {
  const add = h('button', { type: 'button', id: 'add-to-cart', text: 'Add to cart' })
  add.addEventListener('click', () => {
    const line = cart.find((l) => l.item.id === it.id)
    if (line) line.qty++
    else cart.push({ item: it, qty: 1 })
    saveCart()
    void track('add_to_cart', [it]).then(() => {
      add.textContent = 'Added ✓'
    })
  })
  return h(
    'section',
    { class: 'product', id: 'product', 'data-item-id': it.id },
    h('h1', { text: it.title }),
    h('p', { class: 'muted', text: `${it.category.join(' › ')} · ${it.brand}` }),
    h('p', { class: 'price', text: fmtPrice(it.price) }),
    add,
  )
}

async function showProduct(id: string): Promise<void> {
  let it = seen.get(id)
  let others: ListAnswer
  if (it) {
    const leaf = leafByPath.get(it.category.join('\u0000'))
    others = leaf === undefined ? await api<ListAnswer>(`/shop-api/home?n=${CANDIDATES}`) : await api<ListAnswer>(`/shop-api/list?leaf=${leaf}&n=${CANDIDATES}`)
  } else {
    // A deep link: the product URL itself is the request, as on any shop.
    const r = await api<ListAnswer & { item: ShopItem }>(`/shop-api/product?id=${encodeURIComponent(id)}&n=${CANDIDATES}`)
    it = r.item
    others = r
  }
  await track('view_item', [it])
  // Other products of its category, reranked by what this shopper did (this view included).
  await showList(
    `More in ${it.category[it.category.length - 1] ?? 'this category'}`,
    others.items.filter((c) => c.id !== it.id),
    productView(it),
  )
}

async function showCart(): Promise<void> {
  const total = cart.reduce((k, l) => k + l.qty * l.item.price, 0)
  const lines = cart.map((l) => {
    const rm = h('button', { type: 'button', class: 'remove', text: 'Remove' })
    rm.addEventListener('click', () => {
      cart = cart.filter((x) => x.item.id !== l.item.id)
      saveCart()
      void track('remove_from_cart', [l.item]).then(() => showCart())
    })
    return h('li', { 'data-item-id': l.item.id }, h('span', { text: `${l.qty} × ${l.item.title} · ${fmtPrice(l.item.price)} ` }), rm)
  })
  const buy = h('button', { type: 'button', id: 'checkout', text: `Buy now (${fmtPrice(total)})`, disabled: cart.length === 0 })
  buy.addEventListener('click', async () => {
    const items = cart.map((l) => l.item)
    await track('begin_checkout', items)
    await track('purchase', items)
    cart = []
    saveCart()
    await showCart()
  })
  const head = h('section', { class: 'product', id: 'cart' }, h('h1', { text: 'Your cart' }), cart.length ? h('ul', {}, ...lines) : h('p', { class: 'muted', text: 'The cart is empty.' }), buy)
  const r = await api<ListAnswer>(`/shop-api/home?n=${CANDIDATES}`)
  const inCart = new Set(cart.map((l) => l.item.id))
  await showList(
    'You may also like',
    r.items.filter((c) => !inCart.has(c.id)),
    head,
  )
}

async function route(): Promise<void> {
  const [view = '', a = ''] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  try {
    if (view === 'leaf') {
      leafSelect.value = a
      const r = await api<ListAnswer>(`/shop-api/list?leaf=${encodeURIComponent(a)}&n=${CANDIDATES}`)
      await showList(r.title, r.items)
    } else if (view === 'search') {
      const r = await api<ListAnswer>(`/shop-api/search?q=${encodeURIComponent(a)}&n=${CANDIDATES}`)
      await track('search', null, a)
      await showList(r.title, r.items)
    } else if (view === 'p') {
      await showProduct(a)
    } else if (view === 'cart') {
      await showCart()
    } else {
      leafSelect.value = ''
      const r = await api<ListAnswer>(`/shop-api/home?n=${CANDIDATES}`)
      await showList(r.title, r.items)
    }
  } catch (e) {
    app.replaceChildren(h('p', { class: 'error', role: 'alert', text: `Could not load this page: ${e instanceof Error ? e.message : String(e)}` }))
  }
  state.ready = true
  document.body.dataset['route'] = location.hash || '#/'
}

async function main(): Promise<void> {
  saveCart()
  const meta = await api<Meta>('/shop-api/meta')
  state.meta = meta
  leafByPath = new Map(meta.leaves.map((l) => [l.path.join('\u0000'), l.index]))
  leafSelect.append(
    h('option', { value: '', text: 'Best sellers' }),
    ...meta.leaves.map((l) => h('option', { value: String(l.index), text: `${l.path.join(' › ')} (${l.products.toLocaleString('en')})` })),
  )
  leafSelect.addEventListener('change', () => {
    location.hash = leafSelect.value === '' ? '#/' : `#/leaf/${leafSelect.value}`
  })
  document.getElementById('search-form')!.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const q = (document.getElementById('q') as HTMLInputElement).value.trim()
    if (q) location.hash = `#/search/${encodeURIComponent(q)}`
  })
  const backend = params.get('backend')
  state.engine = await createEngine({
    // No `similarity`: in item-data mode the neighbours arrive with the items.
    ...(params.get('model') === 'off' ? {} : { model: new URL(meta.model, location.href).href, ...(meta.modelSha256 ? { modelSha256: meta.modelSha256 } : {}) }),
    ...(backend === 'webgpu' || backend === 'wasm' || backend === 'cpu' ? { backend } : {}),
    dbName: params.get('db') ?? 'localrank-shop',
    deadlineMs: Math.max(1, Number(params.get('deadline')) || 250),
    onProgress: () => renderStatus(),
    onError: (e) => console.warn('[shop] LocalRank:', e),
  })
  renderStatus()
  window.addEventListener('hashchange', () => void route())
  await route()
}

void main()

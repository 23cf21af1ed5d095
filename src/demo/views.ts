import type { Engine } from '../engine/types'
import type { Item } from '../events/types'
import { cart } from './cart'
import { fetchCandidates, loadGenres, loadMovies, search, type CatalogueMovie, type MovieCandidate } from './catalogue'
import { fmtPrice, h } from './dom'

/** How many of the server's 100 candidates a list page shows after reranking. */
export const SHOWN = 24

export interface ViewContext {
  engine: Promise<Engine>
  app: HTMLElement
  onRanked: (label: string, list: HTMLElement) => void
}

function hue(s: string): number {
  let x = 0
  for (const c of s) x = (x * 31 + c.charCodeAt(0)) % 360
  return x
}

function initials(title: string): string {
  return title
    .split(/\s+/)
    .filter((w) => /^[\p{L}\p{N}]/u.test(w) && !/^(the|a|an|of|and)$/i.test(w))
    .slice(0, 2)
    .map((w) => Array.from(w)[0]!.toUpperCase())
    .join('')
}

function poster(id: string, title: string, genre: string | undefined, big = false): HTMLElement {
  const p = h('div', { class: big ? 'poster big' : 'poster', 'aria-hidden': 'true' }, h('span', { text: initials(title) || '?' }), h('small', { text: genre ?? '' }))
  p.style.setProperty('--h', String(hue(genre ?? id)))
  return p
}

export const trackedItem = (c: { id: string; title: string; tags?: string[]; price: number }): Item => ({
  id: c.id,
  title: c.title.slice(0, 512),
  // Genres are tags: a film is Crime and Horror alike, neither is the other's parent.
  ...(c.tags?.length ? { tags: c.tags.slice(0, 16) } : {}),
  price: c.price,
})

function card(c: MovieCandidate, movie: CatalogueMovie | undefined): HTMLElement {
  const item = trackedItem(c)
  const genres = c.tags.filter((g) => g !== 'IMAX')
  const buy = h('button', { type: 'button', class: 'buy', 'data-lr-event': 'add_to_cart', 'aria-label': `Add ${c.title} to cart` }, 'Add to cart')
  buy.addEventListener('click', () => cart.add({ ...item, title: c.title, price: c.price }))
  return h(
    'article',
    {
      class: 'card',
      'data-item-id': c.id,
      'data-score': c.score,
      'data-lr-item': JSON.stringify(item),
      // A card merely on screen is not a view: it only echoes what the server chose to show.
      'data-lr-view': 'off',
    },
    h('a', { href: `#/movie/${encodeURIComponent(c.id)}`, tabindex: '-1', 'aria-hidden': 'true' }, poster(c.id, c.title, genres[0])),
    h(
      'div',
      { class: 'body' },
      h('h3', {}, h('a', { href: `#/movie/${encodeURIComponent(c.id)}`, class: 'title' }, c.title)),
      h('p', { class: 'meta' }, `${movie?.year ?? '—'} · ${genres.join(', ') || 'Unclassified'}`),
      h('p', { class: 'why', 'data-lr-explain': '' }),
      h('div', { class: 'row' }, h('span', { class: 'price', text: fmtPrice(c.price) }), buy),
    ),
  )
}

function rankedList(candidates: MovieCandidate[], movies: Map<string, CatalogueMovie>, ctx: ViewContext, label: string): HTMLElement {
  const list = h('localrank-list', { class: 'grid', limit: SHOWN, deadline: 1000, 'aria-label': label })
  for (const c of candidates) list.append(card(c, movies.get(c.id)))
  list.addEventListener('localrank:ranked', () => ctx.onRanked(label, list))
  return list
}

export async function genreGrid(): Promise<HTMLElement> {
  const genres = await loadGenres()
  const nav = h('div', { class: 'chips' })
  for (const g of genres) nav.append(h('a', { href: g.slug === 'all' ? '#/' : `#/genre/${g.slug}`, 'data-slug': g.slug, text: g.genre }))
  return nav
}

export async function listView(ctx: ViewContext, slug: string, page: number): Promise<void> {
  const [data, movies] = await Promise.all([fetchCandidates(slug, page), loadMovies()])
  const title = slug === 'all' ? 'Popular movies' : `Popular in ${data.genre}`
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' })
  const base = slug === 'all' ? '#/all' : `#/genre/${slug}`
  if (page > 1) pager.append(h('a', { href: `${base}/${page - 1}`, text: '← Previous' }))
  pager.append(h('span', { text: `Page ${page} of ${data.pages}` }))
  if (page < data.pages) pager.append(h('a', { href: `${base}/${page + 1}`, text: 'Next →' }))
  ctx.app.replaceChildren(
    h('h1', { text: title }),
    h('p', { class: 'lede', text: `The server sent its ${data.candidates.length} most popular candidates; LocalRank picked and ordered ${SHOWN} of them for you, on this device.` }),
    rankedList(data.candidates, movies, ctx, title),
    pager,
  )
}

export async function searchView(ctx: ViewContext, query: string): Promise<void> {
  const [results, movies] = await Promise.all([search(query), loadMovies()])
  const title = `Results for “${query}”`
  ctx.app.replaceChildren(
    h('h1', { text: title }),
    h('p', { class: 'lede', text: results.length ? `${results.length} matches, searched in your browser: the query was not sent anywhere.` : 'No matches.' }),
    results.length ? rankedList(results, movies, ctx, title) : h('p', { text: 'Try another word.' }),
  )
}

export async function detailView(ctx: ViewContext, id: string): Promise<void> {
  const movies = await loadMovies()
  const m = movies.get(id)
  if (!m) {
    ctx.app.replaceChildren(h('h1', { text: 'Not found' }), h('p', {}, h('a', { href: '#/', text: 'Back to the shop' })))
    return
  }
  const item = trackedItem({ id: m.id, title: m.title, tags: m.genres, price: m.price })
  const genres = m.genres.filter((g) => g !== 'IMAX')
  const add = h('button', { type: 'button', class: 'buy primary', 'data-lr-event': 'add_to_cart' }, 'Add to cart')
  add.addEventListener('click', () => {
    cart.add({ ...item, title: m.title, price: m.price })
    add.textContent = 'Added ✓'
  })
  const wish = h('button', { type: 'button', class: 'buy', 'data-lr-event': 'add_to_wishlist' }, 'Add to wishlist')
  wish.addEventListener('click', () => (wish.textContent = 'On your wishlist ✓'))
  // The whole product block is the item: 50% visible for 1 s is a view_item.
  const product = h(
    'section',
    { class: 'product', 'data-lr-item': JSON.stringify(item), 'data-lr-select': 'off', 'aria-labelledby': 'product-title' },
    poster(m.id, m.title, genres[0], true),
    h(
      'div',
      { class: 'body' },
      h('h1', { id: 'product-title', text: m.title }),
      h('p', { class: 'meta', text: `${m.year ?? 'Year unknown'} · ${genres.join(', ') || 'Unclassified'}` }),
      h('p', { class: 'meta', text: `★ ${m.rating.toFixed(1)} from ${m.ratings} MovieLens ratings` }),
      h('p', { class: 'price big', text: fmtPrice(m.price) }),
      h('div', { class: 'row' }, add, wish),
    ),
  )
  const more = h('section', { class: 'more' }, h('h2', { text: genres[0] ? `More ${genres[0]}` : 'More movies' }))
  ctx.app.replaceChildren(h('p', {}, h('a', { href: '#/', text: '← All movies' })), product, more)
  const slug = (genres[0] ?? 'all').toLowerCase().replace(/[^a-z0-9]+/g, '-')
  const data = await fetchCandidates(slug, 1).catch(() => fetchCandidates('all', 1))
  const others = data.candidates.filter((c) => c.id !== m.id)
  const list = rankedList(others, movies, ctx, `More like ${m.title}`)
  list.setAttribute('limit', '8')
  more.append(list)
}

export function cartView(ctx: ViewContext): void {
  const lines = cart.lines()
  if (lines.length === 0) {
    ctx.app.replaceChildren(h('h1', { text: 'Your cart' }), h('p', { text: 'Your cart is empty.' }), h('p', {}, h('a', { href: '#/', text: 'Browse movies' })))
    return
  }
  const table = h(
    'table',
    { class: 'cart' },
    h('caption', { class: 'sr-only', text: 'Items in your cart' }),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', text: 'Movie' }),
        h('th', { scope: 'col', text: 'Qty' }),
        h('th', { scope: 'col', text: 'Price' }),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: 'Actions' })),
      ),
    ),
  )
  const body = h('tbody')
  for (const l of lines) {
    const remove = h('button', { type: 'button', 'data-lr-event': 'remove_from_cart', 'aria-label': `Remove ${l.item.title} from cart` }, 'Remove')
    remove.addEventListener('click', () => {
      // Let the click reach LocalRank's (capture-phase) listener before the row is re-rendered.
      setTimeout(() => {
        cart.remove(l.item.id)
        cartView(ctx)
      })
    })
    const { title: _t, price: _p, ...rest } = l.item
    const tracked: Item = { ...rest, title: l.item.title, price: l.item.price }
    body.append(
      h(
        'tr',
        { 'data-lr-item': JSON.stringify(tracked), 'data-lr-view': 'off', 'data-lr-select': 'off' },
        h('td', {}, h('a', { href: `#/movie/${encodeURIComponent(l.item.id)}`, text: l.item.title })),
        h('td', { text: String(l.qty) }),
        h('td', { text: fmtPrice(l.qty * l.item.price) }),
        h('td', {}, remove),
      ),
    )
  }
  table.append(body)
  const buy = h('button', { type: 'button', class: 'buy primary' }, `Buy now (${fmtPrice(cart.total())})`)
  buy.addEventListener('click', async () => {
    const engine = await ctx.engine
    await engine.track({
      type: 'purchase',
      items: cart
        .lines()
        .slice(0, 100)
        .map((l) => ({ id: l.item.id, title: l.item.title, price: l.item.price, ...(l.item.tags ? { tags: l.item.tags } : {}), ...(l.item.category ? { category: l.item.category } : {}) })),
    })
    cart.clear()
    ctx.app.replaceChildren(
      h('h1', { text: 'Thank you!' }),
      h('p', { text: 'This is a demo: nothing was charged. LocalRank will now stop pushing what you just bought.' }),
      h('p', {}, h('a', { href: '#/', text: 'Keep browsing' })),
    )
  })
  ctx.app.replaceChildren(h('h1', { text: 'Your cart' }), table, h('p', { class: 'row' }, buy))
}

export function privacyView(ctx: ViewContext, consent: string, setConsent: (c: 'granted' | 'denied' | 'pending') => void): void {
  const fieldset = h('fieldset', {}, h('legend', { text: 'Personalisation on this device' }))
  for (const [value, label] of [
    ['granted', 'On: learn from my browsing, in this browser only'],
    ['pending', 'Ask me later: keep this visit in memory only'],
    ['denied', 'Off: store nothing and delete what was kept'],
  ] as const) {
    const input = h('input', { type: 'radio', name: 'consent', value, id: `consent-${value}`, checked: consent === value })
    input.addEventListener('change', () => input.checked && setConsent(value))
    fieldset.append(h('div', {}, input, ' ', h('label', { for: `consent-${value}`, text: label })))
  }
  ctx.app.replaceChildren(
    h('h1', { text: 'Your data' }),
    h('p', { class: 'lede', text: 'Everything below lives only in this browser. The shop’s server never receives it: it sends the same list to everyone, and LocalRank reorders it here.' }),
    fieldset,
    h('localrank-controls', { interests: 10, events: 25 }),
  )
}

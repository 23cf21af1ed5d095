/**
 * The demo shop: a movie shop on MovieLens ml-latest-small's catalogue, personalised by
 * LocalRank in the browser. It uses LocalRank the way an ESM shop would: `createEngine`,
 * `<localrank-list>`, `<localrank-controls>` and declarative tracking (`data-lr-*`).
 *
 * URL switches (for trying things and for the e2e tests): `?consent=denied|pending|granted`,
 * `?backend=webgpu|wasm|cpu`, `?model=off`, `?db=<IndexedDB name>`.
 */
import './style.css'
import { createEngine } from '../index'
import type { Consent, Engine, EngineOptions } from '../engine/types'
import { defineLocalRankElements, startDomTracking, type LocalRankList } from '../embed'
import { cart } from './cart'
import { h } from './dom'
import { Panel } from './panel'
import { registerServiceWorker } from './sw-register'
import { cartView, detailView, genreGrid, listView, privacyView, searchView, SHOWN, type ViewContext } from './views'

const params = new URLSearchParams(location.search)
const CONSENT_KEY = 'localrank-demo-consent'
const app = document.getElementById('app')!
const panelHost = document.getElementById('panel')!
const panel = new Panel()
panelHost.append(panel.el)

function storedConsent(): Consent {
  const q = params.get('consent')
  if (q === 'granted' || q === 'denied' || q === 'pending') return q
  try {
    const v = localStorage.getItem(CONSENT_KEY)
    if (v === 'granted' || v === 'denied') return v
  } catch {
    /* storage blocked */
  }
  return 'granted'
}
let consent: Consent = storedConsent()

/** The bundled model, when the encoder's artifacts are there (public/model/). */
async function findModel(): Promise<Pick<EngineOptions, 'model' | 'modelSha256' | 'similarity'>> {
  const out: Pick<EngineOptions, 'model' | 'modelSha256' | 'similarity'> = {}
  if (params.get('model') === 'off') return out
  const probe = async (path: string) => {
    try {
      const res = await fetch(new URL(path, document.baseURI), { method: 'HEAD', credentials: 'omit' })
      return res.ok && (res.headers.get('content-type') ?? '').includes('json')
    } catch {
      return false
    }
  }
  const [model, similarity] = await Promise.all([probe('model/model.json'), probe('model/similarity.json')])
  // No pinned hash here: the encoder's loader still verifies the weights against the SHA-256
  // that model.json declares (a corrupted or swapped shard is refused). A shop pins its own
  // model with data-model-sha256 / `modelSha256`.
  if (model) out.model = new URL('model/model.json', document.baseURI).href
  if (similarity) out.similarity = new URL('model/similarity.json', document.baseURI).href
  return out
}

const backend = params.get('backend')
const enginePromise: Promise<Engine> = findModel().then((found) =>
  createEngine({
    ...found,
    ...(backend === 'webgpu' || backend === 'wasm' || backend === 'cpu' ? { backend } : {}),
    ...(params.get('db') ? { dbName: params.get('db')! } : {}),
    consent,
    // The encoder runs in a worker, so waiting for it costs the page nothing; a list is hidden
    // for at most its own 1 s deadline anyway. 250 ms leaves room for a cold first pass.
    deadlineMs: 250,
    // The library default (similar : category = 10,000 : 1) is tuned for next-movie NDCG on
    // MovieLens, where genres add noise to item-to-item CF. A browsing shopper expects the
    // genre they explore to visibly rise, so the demo weighs the similarity table at 3× one
    // category level: a shop's own choice, made through the public `profile` option.
    profile: { featureWeights: { similar: 3 } },
    onProgress: (p) => panel.progress(p),
    onError: (e) => {
      console.warn('[demo] LocalRank:', e)
      panel.error(e)
    },
  }),
)
defineLocalRankElements({ engine: enginePromise })
startDomTracking({ track: (e) => enginePromise.then((engine) => engine.track(e)), onError: (e) => console.warn('[demo] tracking:', e) })
enginePromise.then((engine) => {
  panel.attach(engine)
  ;(window as unknown as { localrankDemo: unknown }).localrankDemo = { engine }
})

const ctx: ViewContext = {
  engine: enginePromise,
  app,
  onRanked: (label, list) => {
    const el = list as LocalRankList
    if (!el.result) return
    const server = Array.from(list.children, (c) => ({
      id: c.getAttribute('data-item-id') ?? '',
      title: c.querySelector('.title')?.textContent ?? '',
      serverRank: Number(c.getAttribute('data-lr-server-rank') ?? 0),
    })).sort((a, b) => a.serverRank - b.serverRank)
    panel.showRanking(label, el.result, server, Number(list.getAttribute('limit') ?? SHOWN))
  },
}

async function setConsent(c: Consent): Promise<void> {
  consent = c
  try {
    // Only the choice itself is remembered (like a cookie banner's), never any history.
    if (c === 'pending') localStorage.removeItem(CONSENT_KEY)
    else localStorage.setItem(CONSENT_KEY, c)
  } catch {
    /* storage blocked */
  }
  await (await enginePromise).setConsent(c)
  void panel.refresh()
}

function markNav(slug: string | null): void {
  document.querySelectorAll<HTMLAnchorElement>('#genres a').forEach((a) => {
    if (a.dataset['slug'] === slug) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  })
}

async function route(): Promise<void> {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  const [view = '', a, b] = parts
  try {
    if (view === '' || view === 'all') {
      markNav('all')
      await listView(ctx, 'all', Number(a ?? 1) || 1)
    } else if (view === 'genre' && a) {
      markNav(a)
      await listView(ctx, a, Number(b ?? 1) || 1)
    } else if (view === 'movie' && a) {
      markNav(null)
      await detailView(ctx, a)
    } else if (view === 'search' && a) {
      markNav(null)
      await searchView(ctx, a)
    } else if (view === 'cart') {
      markNav(null)
      cartView(ctx)
    } else if (view === 'privacy') {
      markNav(null)
      privacyView(ctx, consent, (c) => void setConsent(c))
    } else {
      app.replaceChildren(h('h1', { text: 'Not found' }), h('p', {}, h('a', { href: '#/', text: 'Back to the shop' })))
    }
  } catch (err) {
    console.warn('[demo]', err)
    app.replaceChildren(h('h1', { text: 'Something went wrong' }), h('p', { text: err instanceof Error ? err.message : String(err) }), h('p', {}, h('a', { href: '#/', text: 'Back to the shop' })))
  }
  document.title = `${app.querySelector('h1')?.textContent ?? 'Shop'} · LocalRank Movies`
}

document.getElementById('search-form')!.addEventListener('submit', (ev) => {
  ev.preventDefault()
  const q = (document.getElementById('q') as HTMLInputElement).value.trim()
  if (q) location.hash = `#/search/${encodeURIComponent(q)}`
})
const toggle = document.getElementById('panel-toggle')!
toggle.addEventListener('click', () => {
  const open = toggle.getAttribute('aria-expanded') !== 'true'
  toggle.setAttribute('aria-expanded', String(open))
  document.body.classList.toggle('panel-closed', !open)
})
const count = document.getElementById('cart-count')!
const showCount = () => (count.textContent = String(cart.count()))
cart.onChange(showCount)
showCount()

genreGrid()
  .then((nav) => document.getElementById('genres')!.replaceChildren(nav))
  .then(() => route())
  .catch((err) => console.warn('[demo]', err))
window.addEventListener('hashchange', () => {
  void route().then(() => app.focus({ preventScroll: false }))
  window.scrollTo(0, 0)
})
if (import.meta.env.PROD) registerServiceWorker()

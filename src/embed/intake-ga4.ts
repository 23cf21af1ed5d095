import type { EventType, Item, TrackInput } from '../events/types'
// Type only: the item mapping is passed in (ItemMapper), so this module, loaded on demand,
// shares no code with the embed entry and costs the entry nothing (a shared module would be
// split into a chunk of its own: +0.5 KB gzip to every page, measured).
import type { fromObject } from './items'

/** `fromObject` from items.ts: a GA4 item (or a LocalRank one) → a LocalRank item, or null. */
export type ItemMapper = typeof fromObject

/**
 * Zero-code intake of the GA4 ecommerce events a shop already sends (`data-intake="ga4"`,
 * or `localrank('config', { intake: 'ga4' })`, or `startGa4Intake()` from `localrank/embed`).
 *
 * Two shapes reach `window.dataLayer`, and both are read:
 * - **gtag.js**: `gtag('event', 'add_to_cart', { items: [...] })` pushes its `arguments`
 *   object, `['event', name, params]`; the items are `params.items`. Each call stands alone.
 * - **Google Tag Manager**: `dataLayer.push({ event: 'view_item', ecommerce: { items: [...] } })`.
 *   GTM keeps one data model into which every push is merged, objects and arrays recursively
 *   (arrays index by index), and its GA4 tag reads `ecommerce` from that model. That merge is
 *   why Google's snippets push `{ ecommerce: null }` before each event: without the reset, a
 *   second event's shorter `items` array keeps the first event's extra items
 *   (https://developers.google.com/analytics/devguides/collection/ga4/ecommerce?client_type=gtm).
 *   We keep the same model of `ecommerce`, so LocalRank learns exactly the items the shop's GA4
 *   tag reports: the reset clears it, and `ecommerce` pushed without an event is used by the
 *   next event.
 *
 * Item fields (through `fromObject`, the mapping `data-lr-item` uses): `item_id` → id,
 * `item_name` → title, `item_brand` → brand, `item_category`…`item_category5` → the category
 * path, `price` → price; items without an `item_id` are skipped (LocalRank keys on ids), and
 * at most 100 items of one event are kept (the event schema's limit; GA4 allows 200).
 * Events: the LocalRank types, which are GA4's names (`search` takes `search_term`;
 * `view_item_list` is an impression, src/rank/impressions.ts). Others (`view_cart`,
 * `add_payment_info`…) are ignored.
 *
 * **The shop's data layer is never changed or delayed.** The array stays the same object with
 * the same entries in the same order; entries are read, never written; `push` is wrapped the way
 * GTM and gtag.js wrap it themselves: the previous `push` runs first, with the same `this` and
 * arguments, and its return value (or exception) is what the caller gets. Our part runs after
 * it, inside a try/catch, and only extracts the items: validation and storage happen later, in
 * the engine's own promise chain. Entries pushed before LocalRank loaded are read at start, in
 * order. If the page replaces `window.dataLayer` with a new array later (some shops assign
 * `dataLayer = []` instead of `dataLayer = dataLayer || []`), the new array is picked up at
 * DOMContentLoaded, load and the next visibility change, with the entries it holds by then.
 */

/** The GA4 event names LocalRank records, each mapped to itself (view_item_list: impressions, src/rank/impressions.ts). */
const EVENTS: ReadonlySet<string> = new Set<EventType>(['view_item', 'select_item', 'add_to_cart', 'remove_from_cart', 'add_to_wishlist', 'begin_checkout', 'purchase', 'search', 'view_item_list'])
const MAX_ITEMS = 100
/** Keys never copied into our model: a page's data must not reach Object.prototype through us. */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype'])

type Plain = Record<string, unknown>
const isPlain = (v: unknown): v is Plain => !!v && typeof v === 'object' && !Array.isArray(v) && !isArgs(v)
const isArgs = (v: unknown): v is ArrayLike<unknown> => Object.prototype.toString.call(v) === '[object Arguments]'

/**
 * GTM's merge of one pushed value into the model: objects and arrays are merged recursively
 * (arrays by index), everything else replaces. Returns a fresh value; `src` is never mutated
 * nor kept (pages reuse their objects).
 */
function merge(into: unknown, src: unknown, depth = 0): unknown {
  if (depth > 8) return undefined
  if (Array.isArray(src)) {
    const out: unknown[] = Array.isArray(into) ? into.slice() : []
    for (let i = 0; i < src.length && i < 1000; i++) out[i] = merge(out[i], src[i], depth + 1)
    return out
  }
  if (isPlain(src)) {
    const out: Plain = isPlain(into) ? { ...into } : {}
    for (const k of Object.keys(src)) if (!UNSAFE.has(k)) out[k] = merge(out[k], src[k], depth + 1)
    return out
  }
  return src
}

/** The GA4 data model as far as LocalRank needs it: the `ecommerce` object GTM has merged so far. */
export class Ga4Model {
  ecommerce: Plain | undefined

  constructor(private readonly mapItem: ItemMapper) {}

  /** Apply one data-layer entry (in push order); returns the event it records, or null. */
  apply(entry: unknown): TrackInput | null {
    if (Array.isArray(entry) || isArgs(entry)) {
      // gtag('event', name, params): a command of its own; GTM's model is not involved.
      if (entry[0] !== 'event' || typeof entry[1] !== 'string') return null
      const params = isPlain(entry[2]) ? entry[2] : {}
      return toTrack(this.mapItem, entry[1], params['items'], params['search_term'])
    }
    if (!isPlain(entry)) return null
    if ('ecommerce' in entry) {
      const e = entry['ecommerce']
      // `{ ecommerce: null }` (or undefined) is the reset; anything else merges.
      this.ecommerce = isPlain(e) ? (merge(this.ecommerce, e) as Plain) : undefined
    }
    const name = entry['event']
    if (typeof name !== 'string') return null
    return toTrack(this.mapItem, name, this.ecommerce?.['items'], entry['search_term'] ?? this.ecommerce?.['search_term'])
  }
}

/** A GA4 event name with its items (or search term) → a LocalRank event, or null. */
export function toTrack(mapItem: ItemMapper, name: string, items: unknown, searchTerm?: unknown): TrackInput | null {
  if (!EVENTS.has(name)) return null
  const type = name as EventType
  if (type === 'search') {
    const q = typeof searchTerm === 'string' ? searchTerm.trim() : ''
    return q ? { type, query: q.slice(0, 512) } : null
  }
  if (!Array.isArray(items)) return null
  const out: Item[] = []
  for (const raw of items) {
    if (out.length >= MAX_ITEMS) break
    // Only item_id counts as the id here: a GA4 item's `id` is not a GA4 field.
    if (!isPlain(raw) || (typeof raw['item_id'] !== 'string' && typeof raw['item_id'] !== 'number')) continue
    const { id: _ignored, category: _c, brand: _b, title: _t, ...ga4 } = raw
    const item = mapItem(ga4)
    if (item) out.push(item)
  }
  return out.length ? { type, items: out } : null
}

export interface Ga4IntakeOptions {
  /** The item mapping (items.ts `fromObject`); `localrank/embed`'s startGa4Intake passes it. */
  mapItem: ItemMapper
  /** Where the events go: the page API's `track` (serialised with the other commands) or `engine.track`. */
  track: (event: TrackInput) => unknown
  onError?: (err: unknown) => void
  /** The window; tests pass a stand-in. */
  host?: Ga4Host
  /** GTM's "data layer name" when the shop renamed it. Default `dataLayer`. */
  dataLayerName?: string
}

export interface Ga4Host {
  [name: string]: unknown
  addEventListener?: (type: string, fn: () => void, opts?: { once?: boolean }) => void
  removeEventListener?: (type: string, fn: () => void) => void
}

/**
 * Start learning from the data layer. Creates it when absent (as `window.dataLayer =
 * window.dataLayer || []` in gtag's and GTM's snippets, which then reuse ours). Returns a
 * function that stops: the wrapper stays in the chain (unwrapping would drop a wrapper GTM
 * added after ours) but does nothing.
 */
export function startGa4Intake(opts: Ga4IntakeOptions): () => void {
  const host: Ga4Host = opts.host ?? (globalThis as unknown as Ga4Host)
  const name = opts.dataLayerName ?? 'dataLayer'
  const model = new Ga4Model(opts.mapItem)
  let active = true
  let attached: unknown[] | null = null
  const wrapped = new WeakSet<unknown[]>()
  const take = (entry: unknown) => {
    if (!active) return
    try {
      const event = model.apply(entry)
      if (event) Promise.resolve(opts.track(event)).catch((e: unknown) => opts.onError?.(e))
    } catch (e) {
      // A getter on the page's object threw, or similar: the entry is skipped, the page is not told.
      try {
        opts.onError?.(e)
      } catch {
        /* the page's handler threw: ignore */
      }
    }
  }
  const attach = () => {
    if (!active) return
    let dl = host[name]
    if (dl === undefined) dl = host[name] = []
    if (!Array.isArray(dl) || dl === attached) return
    attached = dl
    // An array we wrapped before (the page put it back) already feeds us: no second wrapper.
    if (wrapped.has(dl)) return
    wrapped.add(dl)
    for (const e of dl.slice()) take(e)
    const prev = dl.push
    dl.push = function (this: unknown, ...entries: unknown[]): number {
      // The shop's push (and GTM's, if it wrapped before us) first, untouched; its result is returned as is.
      const result = prev.apply(this, entries)
      for (const e of entries) take(e)
      return result
    }
  }
  attach()
  const recheck = () => attach()
  const events = ['DOMContentLoaded', 'load', 'visibilitychange']
  for (const t of events) host.addEventListener?.(t, recheck)
  return () => {
    active = false
    for (const t of events) host.removeEventListener?.(t, recheck)
  }
}

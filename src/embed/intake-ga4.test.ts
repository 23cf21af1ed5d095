import { describe, expect, it } from 'vitest'
import type { TrackInput } from '../events/types'
import { Ga4Model as Model, startGa4Intake as start, toTrack as toTrackWith, type Ga4Host, type Ga4IntakeOptions } from './intake-ga4'
import { fromObject } from './items'

// As the embed wires them: with items.ts' mapping.
const toTrack = (name: string, items: unknown, q?: unknown) => toTrackWith(fromObject, name, items, q)
class Ga4Model extends Model {
  constructor() {
    super(fromObject)
  }
}
const startGa4Intake = (o: Omit<Ga4IntakeOptions, 'mapItem'>) => start({ ...o, mapItem: fromObject })

const lamp = {
  item_id: 'sku-1',
  item_name: 'Desk lamp',
  item_brand: 'Acme',
  item_category: 'Home',
  item_category2: 'Lighting',
  item_category3: 'Lamps',
  item_category4: 'Desk',
  item_category5: 'LED',
  price: 39.5,
  quantity: 2,
  item_variant: 'black',
}

/** A window stand-in with a gtag function, as gtag's snippet defines it. */
function page(): { host: Ga4Host & { dataLayer?: unknown[] }; gtag: (...a: unknown[]) => void; got: TrackInput[] } {
  const host: Ga4Host & { dataLayer?: unknown[] } = {}
  const gtag = function (..._a: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    ;(host.dataLayer as unknown[]).push(arguments)
  }
  return { host, gtag, got: [] }
}

describe('GA4 item mapping', () => {
  it('maps item_id, item_name, item_brand, item_category…item_category5 and price; drops other GA4 fields', () => {
    expect(toTrack('add_to_cart', [lamp])).toEqual({
      type: 'add_to_cart',
      items: [{ id: 'sku-1', title: 'Desk lamp', brand: 'Acme', category: ['Home', 'Lighting', 'Lamps', 'Desk', 'LED'], price: 39.5 }],
    })
  })
  it('skips items without item_id, keeps at most 100, ignores events LocalRank does not record', () => {
    expect(toTrack('view_item', [{ item_name: 'no id' }, { id: 'ua-style' }])).toBeNull()
    const many = Array.from({ length: 150 }, (_, i) => ({ item_id: `p${i}` }))
    expect(toTrack('purchase', many)?.items).toHaveLength(100)
    expect(toTrack('view_cart', [lamp])).toBeNull()
    expect(toTrack('add_payment_info', [lamp])).toBeNull()
  })
  it('view_item_list (issue 15 #3): the items a list showed, recorded as impressions', () => {
    expect(toTrack('view_item_list', [lamp])).toMatchObject({ type: 'view_item_list', items: [{ id: 'sku-1' }] })
  })
  it('search takes search_term', () => {
    expect(toTrack('search', undefined, ' red lamp ')).toEqual({ type: 'search', query: 'red lamp' })
    expect(toTrack('search', undefined, '')).toBeNull()
  })
})

describe('Ga4Model (GTM data-model semantics)', () => {
  it('the { ecommerce: null } reset: the next event has only its own items', () => {
    const m = new Ga4Model()
    m.apply({ event: 'view_item', ecommerce: { items: [{ item_id: 'a' }, { item_id: 'b' }] } })
    m.apply({ ecommerce: null })
    expect(m.apply({ event: 'add_to_cart', ecommerce: { items: [{ item_id: 'c' }] } })?.items?.map((i) => i.id)).toEqual(['c'])
  })
  it('without the reset, arrays merge by index as GTM merges them (what the GA4 tag then sends)', () => {
    const m = new Ga4Model()
    m.apply({ event: 'view_item', ecommerce: { items: [{ item_id: 'a', item_brand: 'X' }, { item_id: 'b' }] } })
    const e = m.apply({ event: 'add_to_cart', ecommerce: { items: [{ item_id: 'c' }] } })
    expect(e?.items).toEqual([{ id: 'c', brand: 'X' }, { id: 'b' }])
  })
  it('ecommerce pushed on its own is used by the next event without one', () => {
    const m = new Ga4Model()
    expect(m.apply({ ecommerce: { items: [{ item_id: 'a' }] } })).toBeNull()
    expect(m.apply({ event: 'begin_checkout' })).toEqual({ type: 'begin_checkout', items: [{ id: 'a' }] })
  })
  it('gtag commands stand alone: their items are the params’ items, not the model’s', () => {
    const m = new Ga4Model()
    m.apply({ ecommerce: { items: [{ item_id: 'model' }] } })
    expect(m.apply(['event', 'select_item', { items: [{ item_id: 'g' }] }])?.items?.map((i) => i.id)).toEqual(['g'])
    expect(m.apply(['consent', 'update', { personalization_storage: 'granted' }])).toBeNull()
    expect(m.apply(['event', 'search', { search_term: 'lamp' }])).toEqual({ type: 'search', query: 'lamp' })
  })
  it('never lets page data reach Object.prototype', () => {
    const m = new Ga4Model()
    m.apply(JSON.parse('{"ecommerce":{"__proto__":{"polluted":1},"items":[{"item_id":"a"}]}}'))
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })
})

describe('startGa4Intake on a data layer', () => {
  it('reads entries pushed before it started, then later gtag and GTM pushes, in order', () => {
    const { host, gtag, got } = page()
    host.dataLayer = []
    gtag('event', 'view_item', { items: [{ item_id: 'early' }] })
    startGa4Intake({ host, track: (e) => got.push(e) })
    gtag('event', 'add_to_cart', { items: [{ item_id: 'later-gtag' }] })
    host.dataLayer.push({ ecommerce: null }, { event: 'purchase', ecommerce: { transaction_id: 't1', items: [{ item_id: 'later-gtm' }] } })
    expect(got.map((e) => [e.type, e.items?.[0]?.id])).toEqual([
      ['view_item', 'early'],
      ['add_to_cart', 'later-gtag'],
      ['purchase', 'later-gtm'],
    ])
  })

  it('leaves the data layer as the shop made it: same array, same entries in the same order, same push result, entries unmodified', () => {
    const { host, gtag } = page()
    const dl: unknown[] = [{ 'gtm.start': 1 }]
    host.dataLayer = dl
    const frozen = Object.freeze({ event: 'view_item', ecommerce: Object.freeze({ items: Object.freeze([Object.freeze({ item_id: 'f' })]) }) })
    startGa4Intake({ host, track: () => {} })
    const before = JSON.stringify(frozen)
    const n1 = dl.push(frozen)
    gtag('event', 'add_to_cart', { items: [{ item_id: 'x' }] })
    const n3 = dl.push({ ecommerce: null }, { event: 'gtm.click' })
    expect(host.dataLayer).toBe(dl)
    expect([n1, n3]).toEqual([2, 5])
    expect(dl).toHaveLength(5)
    expect(dl[1]).toBe(frozen)
    expect(JSON.stringify(frozen)).toBe(before)
    expect(Array.from(dl[2] as ArrayLike<unknown>)).toEqual(['event', 'add_to_cart', { items: [{ item_id: 'x' }] }])
    expect(dl.slice(3)).toEqual([{ ecommerce: null }, { event: 'gtm.click' }])
  })

  it('chains to a push GTM installed before it, and the caller gets GTM’s return value', () => {
    const { host } = page()
    const dl: unknown[] = []
    const seenByGtm: unknown[] = []
    dl.push = function (...e: unknown[]) {
      seenByGtm.push(...e)
      return 'gtm-result' as unknown as number
    }
    host.dataLayer = dl
    const got: TrackInput[] = []
    startGa4Intake({ host, track: (e) => got.push(e) })
    expect(dl.push({ event: 'view_item', ecommerce: { items: [{ item_id: 'a' }] } })).toBe('gtm-result')
    expect(seenByGtm).toHaveLength(1)
    expect(got).toHaveLength(1)
  })

  it('a throwing track, a rejecting track or a hostile entry never reaches the pusher', () => {
    const { host } = page()
    host.dataLayer = []
    const errors: unknown[] = []
    let calls = 0
    startGa4Intake({
      host,
      onError: (e) => errors.push(e),
      track: () =>
        ++calls === 1
          ? Promise.reject(new Error('no'))
          : (() => {
              throw new Error('sync')
            })(),
    })
    const hostile = {
      event: 'view_item',
      get ecommerce(): unknown {
        throw new Error('getter')
      },
    }
    expect(() => host.dataLayer!.push({ event: 'view_item', ecommerce: { items: [{ item_id: 'a' }] } }, { event: 'view_item', ecommerce: { items: [{ item_id: 'b' }] } }, hostile)).not.toThrow()
    expect(host.dataLayer).toHaveLength(3)
    return new Promise((r) => setTimeout(r, 0)).then(() => expect(errors.map((e) => (e as Error).message).sort()).toEqual(['getter', 'no', 'sync']))
  })

  it('creates the data layer when absent, and picks up one the page assigns later', () => {
    const { host } = page()
    const listeners: Record<string, () => void> = {}
    host.addEventListener = (t, fn) => void (listeners[t] = fn)
    const got: TrackInput[] = []
    startGa4Intake({ host, track: (e) => got.push(e) })
    expect(Array.isArray(host.dataLayer)).toBe(true)
    host.dataLayer = [{ event: 'view_item', ecommerce: { items: [{ item_id: 'replaced' }] } }]
    listeners['DOMContentLoaded']!()
    host.dataLayer.push({ ecommerce: null }, { event: 'add_to_cart', ecommerce: { items: [{ item_id: 'after' }] } })
    listeners['load']!()
    expect(got.map((e) => e.items?.[0]?.id)).toEqual(['replaced', 'after'])
  })

  it('stop() makes it inert without unwrapping', () => {
    const { host } = page()
    host.dataLayer = []
    const got: TrackInput[] = []
    const stop = startGa4Intake({ host, track: (e) => got.push(e) })
    stop()
    host.dataLayer.push({ event: 'view_item', ecommerce: { items: [{ item_id: 'a' }] } })
    expect(got).toEqual([])
    expect(host.dataLayer).toHaveLength(1)
  })
})

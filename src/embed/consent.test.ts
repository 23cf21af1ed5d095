import { describe, expect, it, vi } from 'vitest'
import { consentFromGtagEntry, watchGoogleConsent } from './consent'

// gtag pushes its `arguments` object, not an array.
function args(...a: unknown[]): IArguments {
  const collect = function (..._: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    return arguments
  }
  return collect(...a)
}

describe('consentFromGtagEntry', () => {
  it('maps personalization_storage from consent default/update calls only', () => {
    expect(consentFromGtagEntry(args('consent', 'default', { personalization_storage: 'denied' }))).toBe('denied')
    expect(consentFromGtagEntry(args('consent', 'update', { personalization_storage: 'granted', ad_storage: 'denied' }))).toBe('granted')
    expect(consentFromGtagEntry(args('consent', 'update', { ad_storage: 'granted' }))).toBeUndefined()
    expect(consentFromGtagEntry(args('config', 'G-XXXX', { personalization_storage: 'granted' }))).toBeUndefined()
    expect(consentFromGtagEntry({ event: 'gtm.js' })).toBeUndefined()
    expect(consentFromGtagEntry(null)).toBeUndefined()
  })
})

describe('watchGoogleConsent', () => {
  it('reads the latest state already in dataLayer and follows later pushes, chaining push', () => {
    const host: { dataLayer?: unknown[] } = {
      dataLayer: [args('consent', 'default', { personalization_storage: 'denied' }), { event: 'x' }, args('consent', 'update', { personalization_storage: 'granted' })],
    }
    const seenByOriginal: unknown[] = []
    const orig = host.dataLayer!.push
    host.dataLayer!.push = function (this: unknown[], ...e: unknown[]) {
      seenByOriginal.push(...e)
      return orig.apply(this, e)
    }
    const onChange = vi.fn()
    const w = watchGoogleConsent(host, onChange)
    expect(w.current).toBe('granted')
    host.dataLayer!.push(args('consent', 'update', { personalization_storage: 'denied' }))
    host.dataLayer!.push({ event: 'page_view' })
    expect(onChange.mock.calls).toEqual([['denied']])
    expect(seenByOriginal).toHaveLength(2) // GTM's own push still sees everything
    expect(host.dataLayer).toHaveLength(5)
    w.stop()
    host.dataLayer!.push(args('consent', 'update', { personalization_storage: 'granted' }))
    expect(onChange).toHaveBeenCalledTimes(1)
  })
  it('does nothing without a dataLayer unless asked to create one', () => {
    const host: { dataLayer?: unknown[] } = {}
    expect(watchGoogleConsent(host, () => {}).current).toBeUndefined()
    expect(host.dataLayer).toBeUndefined()
    watchGoogleConsent(host, () => {}, true)
    expect(Array.isArray(host.dataLayer)).toBe(true)
  })
  it('a throwing listener does not break the push: the entry is still pushed, counted, and later pushes still reach it', () => {
    const host: { dataLayer?: unknown[] } = { dataLayer: [] }
    const seen: string[] = []
    watchGoogleConsent(host, (c) => {
      seen.push(c)
      if (c === 'granted') throw new Error('boom')
    })
    const entry = args('consent', 'update', { personalization_storage: 'granted' })
    // Called directly: a throw here fails the test.
    const n = host.dataLayer!.push(entry)
    expect(n).toBe(1) // push's own return value (the new length) is kept
    expect(host.dataLayer).toHaveLength(1)
    expect(host.dataLayer![0]).toBe(entry)
    host.dataLayer!.push(args('consent', 'update', { personalization_storage: 'denied' }))
    expect(seen).toEqual(['granted', 'denied'])
    expect(host.dataLayer).toHaveLength(2)
  })
})

import type { Consent } from '../engine/types'

/**
 * Consent sources other than LocalRank's own `localrank('consent', …)` command.
 *
 * **Google consent mode.** A shop running a consent banner through gtag or GTM already calls
 * `gtag('consent', 'default' | 'update', { personalization_storage: 'granted' | 'denied', … })`.
 * gtag pushes its `arguments` object onto `window.dataLayer`, so we read those entries: the
 * ones already there when LocalRank boots, and every later push (by wrapping
 * `dataLayer.push`, chaining to the previous `push`, as GTM's own data-layer helper does, so
 * GTM still sees every entry). `personalization_storage` is the consent type Google defines for
 * "storage related to personalization, for example video recommendations", which is what
 * LocalRank's on-device history is (https://developers.google.com/tag-platform/security/concepts/consent-mode).
 * Other consent types (ad_storage, analytics_storage…) are ignored: they govern other purposes.
 *
 * **Global Privacy Control** (`navigator.globalPrivacyControl === true`) is enforced by the
 * engine (`respectGPC`, default on); it outranks any grant.
 */

/** One dataLayer entry → the consent it sets, or undefined when it says nothing about personalization. */
export function consentFromGtagEntry(entry: unknown): Consent | undefined {
  if (!entry || typeof entry !== 'object') return undefined
  const a = entry as ArrayLike<unknown>
  // gtag pushes `arguments` (array-like), not an array: ['consent', 'update', { … }].
  if (typeof a.length !== 'number' || a[0] !== 'consent' || (a[1] !== 'default' && a[1] !== 'update')) return undefined
  const params = a[2] as Record<string, unknown> | undefined
  const v = params && typeof params === 'object' ? params['personalization_storage'] : undefined
  return v === 'granted' ? 'granted' : v === 'denied' ? 'denied' : undefined
}

export interface DataLayerHost {
  dataLayer?: unknown[]
}

/**
 * Follow Google consent mode's `personalization_storage` in `host.dataLayer`.
 * Returns the latest value already in the data layer (or undefined) and calls `onChange`
 * for each later push that sets it. `create`: make `dataLayer` when absent (gtag's own
 * snippet does `window.dataLayer = window.dataLayer || []`, so it will reuse ours).
 */
export function watchGoogleConsent(host: DataLayerHost, onChange: (c: Consent) => void, create = false): { current: Consent | undefined; stop: () => void } {
  let current: Consent | undefined
  if (!Array.isArray(host.dataLayer)) {
    if (!create) return { current, stop: () => {} }
    host.dataLayer = []
  }
  const dl = host.dataLayer
  for (const e of dl) current = consentFromGtagEntry(e) ?? current
  const prev = dl.push
  let active = true
  const wrapped = function (this: unknown[], ...entries: unknown[]): number {
    const n = prev.apply(this, entries)
    if (active) {
      for (const e of entries) {
        try {
          const c = consentFromGtagEntry(e)
          if (c) onChange(c)
        } catch {
          /* never break the shop's data layer */
        }
      }
    }
    return n
  }
  dl.push = wrapped
  return {
    current,
    stop: () => {
      active = false
      if (dl.push === wrapped) dl.push = prev
    },
  }
}

/** `'granted' | 'denied' | 'pending'`, or undefined for anything else. */
export function parseConsent(v: unknown): Consent | undefined {
  return v === 'granted' || v === 'denied' || v === 'pending' ? v : undefined
}

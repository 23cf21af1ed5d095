import type { Engine, EngineInfo } from '../engine/types'
// Types only: this module is fetched only when a holdout runs, and any module it shared with the
// entries would be split out into a chunk of its own that every page then loads (measured: the
// ranker's two helpers here cost localrank.mjs +0.26 KB gzip). The caller passes them (Cleaners).
import type { sanitizeCandidates } from '../rank/candidates'
import type { cleanOptions } from '../rank/ranker'
import type { Candidate, RankOptions, RankResult } from '../rank/types'

/** The engine's own candidate and option cleaning, so that control answers are cleaned alike. */
export interface Cleaners {
  sanitizeCandidates: typeof sanitizeCandidates
  cleanOptions: typeof cleanOptions
}

/**
 * A/B holdout the shop can measure in its own analytics, with no history leaving the device
 * (`data-holdout="0.1"`, `localrank('config', { holdout: 0.1 })`, or `withHoldout()` from
 * `localrank/embed`).
 *
 * **Assignment.** Each device draws one number u, uniform in [0, 1), once, and keeps it in
 * `localStorage` (`localrank:holdout`). The shopper is in the control group while u < share,
 * so the group is sticky across pages and visits, and raising the share from 0.1 to 0.2 keeps
 * every control shopper in control (only the shoppers with 0.1 ≤ u < 0.2 move). Nothing about
 * the draw leaves the device; the server never learns it.
 *
 * **Who is in the experiment.** Shoppers whose consent is `denied`, or who send Global Privacy
 * Control, get the server's order anyway: they are outside the experiment (no variant, no
 * exposure event), and a stored draw is deleted, as the history is. Under `pending` consent the
 * draw is kept in memory for the page and stored once consent is granted, as events are.
 *
 * **Control** gets the server's order: the candidates as the engine would clean them (the same
 * `sanitizeCandidates`), in the server's order, cut to `limit`, `path: 'server'`, no personal
 * explanation; the model is not run for them. Control shoppers' events are still recorded on
 * the device (they keep their history for when the holdout ends).
 *
 * **Exposure.** Each ranked list (each `rerank` answer, which is what `<localrank-list>` shows)
 * pushes exactly one event to the shop's data layer, and it carries only the variant:
 *   `dataLayer.push({ event: 'localrank_exposure', localrank_variant: 'personalised' | 'control' })`
 * or, on a gtag.js page without Google Tag Manager, `gtag('event', 'localrank_exposure',
 * { localrank_variant })`, which gtag.js sends to GA4 directly. The variant is the assignment
 * (intention to treat): a personalised shopper whose answer fell back to the server's order (no
 * history yet, paused) still counts as personalised, which is what makes the lift unbiased.
 */

export type Variant = 'personalised' | 'control'
export const HOLDOUT_KEY = 'localrank:holdout'
export const EXPOSURE_EVENT = 'localrank_exposure'

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

export interface HoldoutOptions {
  /** Share of shoppers in the control group, in [0, 1]. */
  share: number
  /** Where the draw is kept. Default `localStorage`; null keeps it for this page only. */
  storage?: KeyValueStore | null
  /** Uniform [0, 1) source; tests pass a fixed one. */
  random?: () => number
  /** Where exposures go. Default: the page's `gtag`/`dataLayer` (see above). */
  expose?: (variant: Variant) => void
  /** The window, for the default `expose` and `storage`. */
  host?: HoldoutHost
  /** Reject bad candidate lists in the control path, as a strict engine would. */
  strict?: boolean
  onError?: (err: unknown) => void
}

export interface HoldoutHost {
  dataLayer?: unknown[]
  gtag?: (...args: unknown[]) => void
  google_tag_manager?: unknown
  localStorage?: KeyValueStore
}

/** An engine with a holdout: `info().variant` says the shopper's group (null outside the experiment). */
export interface HoldoutEngine extends Engine {
  info(): EngineInfo & { variant: Variant | null }
}

/** The default exposure sink: one entry on the shop's data layer, holding the variant and nothing else. */
export function pushExposure(host: HoldoutHost, variant: Variant): void {
  if (typeof host.gtag === 'function' && host.google_tag_manager === undefined) {
    host.gtag('event', EXPOSURE_EVENT, { localrank_variant: variant })
    return
  }
  if (!Array.isArray(host.dataLayer)) host.dataLayer = []
  host.dataLayer.push({ event: EXPOSURE_EVENT, localrank_variant: variant })
}

export function withHoldout(engine: Engine, opts: HoldoutOptions, { sanitizeCandidates, cleanOptions }: Cleaners): HoldoutEngine {
  const share = opts.share
  if (!(typeof share === 'number' && share >= 0 && share <= 1)) throw new RangeError(`holdout: ${String(opts.share)} is not a share in [0, 1]`)
  const host: HoldoutHost = opts.host ?? (globalThis as unknown as HoldoutHost)
  const storage = opts.storage === undefined ? safeLocalStorage(host) : opts.storage
  const random = opts.random ?? Math.random
  const expose = opts.expose ?? ((v: Variant) => pushExposure(host, v))
  const report = (e: unknown) => {
    try {
      opts.onError?.(e)
    } catch {
      /* the page's handler threw: ignore */
    }
  }
  let u: number | undefined
  let stored = false

  const quiet = <T>(fn: () => T): T | undefined => {
    try {
      return fn()
    } catch (e) {
      report(e)
      return undefined
    }
  }
  const variant = (): Variant | null => {
    const info = engine.info()
    if (info.consent === 'denied' || info.gpc) {
      // Also a draw stored on an earlier visit, before the withdrawal (cheap: one key).
      quiet(() => storage?.removeItem(HOLDOUT_KEY))
      u = undefined
      stored = false
      return null
    }
    if (u === undefined) {
      const kept = quiet(() => storage?.getItem(HOLDOUT_KEY))
      const n = kept == null ? NaN : Number(kept)
      if (n >= 0 && n < 1) {
        u = n
        stored = true
      } else u = random()
    }
    if (!stored && info.consent === 'granted' && storage) {
      quiet(() => storage.setItem(HOLDOUT_KEY, String(u)))
      stored = true
    }
    return u < share ? 'control' : 'personalised'
  }

  const control = <C extends Candidate>(candidates: ReadonlyArray<C>, options?: RankOptions): RankResult<C> => {
    const t0 = performance.now()
    const { valid, issues } = sanitizeCandidates<C>(candidates, opts.strict)
    const limit = cleanOptions(options).limit
    const kept = limit === undefined ? valid : valid.slice(0, limit)
    return {
      items: kept.map((c, i) => ({ id: String(c.id), candidate: c, score: 0, serverRank: i, explanation: [] })),
      path: 'server',
      reason: 'holdout: control group (the server’s order)',
      issues,
      timings: { totalMs: performance.now() - t0 },
    }
  }

  return {
    ...engine,
    async rerank<C extends Candidate>(candidates: ReadonlyArray<C>, options?: RankOptions): Promise<RankResult<C>> {
      const v = variant()
      const result = v === 'control' ? control(candidates, options) : await engine.rerank(candidates, options)
      if (v) quiet(() => expose(v))
      return result
    },
    info() {
      return { ...engine.info(), variant: quiet(variant) ?? null }
    },
  }
}

function safeLocalStorage(host: HoldoutHost): KeyValueStore | null {
  try {
    // Reading the property itself throws where storage is blocked (sandboxed frames, some private modes).
    return host.localStorage ?? null
  } catch {
    return null
  }
}

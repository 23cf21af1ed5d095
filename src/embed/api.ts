import type { Consent, Engine, EngineInfo } from '../engine/types'
import type { TrackInput } from '../events/types'
import type { Candidate, RankOptions, RankResult } from '../rank/types'
import { parseConsent } from './consent'

/**
 * The page-facing `window.localrank`: a command function in the style of `gtag()` and
 * Algolia's `aa()`, which is also an object with the engine's methods as promises.
 *
 *   localrank('track', { type: 'add_to_cart', items: [{ id: 'sku-1' }] })
 *   localrank('event', 'add_to_cart', { items: [{ id: 'sku-1' }] })     // gtag-shaped alias
 *   localrank('rerank', candidates, { limit: 12 }, (result) => render(result.items))
 *   localrank('consent', 'granted')                                     // or 'denied' / 'pending'
 *   localrank('consent', 'update', { personalization_storage: 'denied' }) // gtag-shaped
 *   localrank('ready', (api) => …)
 *   const { items } = await localrank.rerank(candidates)                // once loaded
 *
 * Every engine method is a command: the arguments follow the name, and a function as the last
 * argument receives the result. Nothing here ever throws or rejects into the page (unless
 * `strict`): errors go to `onError`, and a missing engine answers with the server's order.
 */
export type EngineMethod = Exclude<keyof Engine, 'info' | 'on'>
export const ENGINE_METHODS: readonly EngineMethod[] = [
  'track',
  'rerank',
  'history',
  'interests',
  'forget',
  'forgetEvent',
  'blockCategory',
  'unblockCategory',
  'pause',
  'setConsent',
  'clear',
  'export',
  'meta',
  'dispose',
]

export interface PageApi extends Omit<Engine, 'info'> {
  (command: string, ...args: unknown[]): Promise<unknown>
  /** Always an empty queue once loaded: commands run at once. */
  q: unknown[]
  /** Set once the runtime has replaced the stub. */
  loaded: true
  version: string
  /** Resolves with the engine (null when it could not be created). */
  ready(): Promise<Engine | null>
  info(): EngineInfo
}

export interface ApiDeps {
  engine: Promise<Engine | null>
  report: (err: unknown) => void
  strict?: boolean
  version?: string
}

/** The server's order, as the engine would answer on its 'server' path; used only when there is no engine. */
export function serverOrder<C extends Candidate>(candidates: ReadonlyArray<C>, reason: string): RankResult<C> {
  const list = Array.isArray(candidates) ? candidates : []
  return {
    items: list.filter((c) => c && typeof c === 'object' && typeof c.id === 'string' && c.id !== '').map((c, i) => ({ id: c.id, candidate: c, score: 0, serverRank: i, explanation: [] })),
    path: 'server',
    reason,
    issues: [],
    timings: { totalMs: 0 },
  }
}

const emptyInfo = (state: string): EngineInfo => ({
  backend: null,
  backendReason: state,
  model: null,
  similarity: null,
  events: 0,
  storage: 'memory',
  consent: 'pending',
  gpc: typeof navigator !== 'undefined' && (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true,
  paused: false,
})

export function createPageApi(deps: ApiDeps): PageApi {
  let engine: Engine | null = null
  let failed = false
  deps.engine.then(
    (e) => ((engine = e), (failed = !e)),
    () => (failed = true),
  )
  const fallback = (method: string, args: unknown[]): unknown => {
    switch (method) {
      case 'rerank':
        return serverOrder((args[0] ?? []) as Candidate[], 'LocalRank is unavailable')
      case 'history':
      case 'interests':
        return []
      case 'forget':
        return 0
      case 'forgetEvent':
        return false
      case 'meta':
        return {}
      case 'export':
        return { format: 'localrank-history', schemaVersion: 0, exportedAt: Date.now(), events: [], meta: {} }
      default:
        return method === 'track' ? null : undefined
    }
  }
  const call = async (method: EngineMethod, args: unknown[]): Promise<unknown> => {
    try {
      const e = await deps.engine
      if (!e) return fallback(method, args)
      return await (e[method] as (...a: unknown[]) => Promise<unknown>)(...args)
    } catch (err) {
      if (deps.strict) throw err
      deps.report(err)
      return fallback(method, args)
    }
  }
  const withCallback = (p: Promise<unknown>, cb: unknown) => {
    if (typeof cb !== 'function') return p
    return p.then((r) => {
      try {
        ;(cb as (r: unknown) => void)(r)
      } catch (err) {
        // The page's own callback threw: its bug, shown as an error, but not thrown into our caller.
        console.error('[localrank] a callback threw', err)
      }
      return r
    })
  }
  const listeners: Array<[string, (c: unknown) => void]> = []

  const api = function localrank(command: string, ...args: unknown[]): Promise<unknown> {
    try {
      const last = args[args.length - 1]
      const cb = typeof last === 'function' && command !== 'on' ? last : undefined
      const rest = cb ? args.slice(0, -1) : args
      switch (command) {
        case 'config':
          deps.report(new Error("localrank('config', …) only applies before the script has loaded; it was ignored"))
          return Promise.resolve(undefined)
        case 'event': {
          const [type, params] = rest as [string, Record<string, unknown> | undefined]
          return withCallback(call('track', [{ ...(params ?? {}), type } as TrackInput]), cb)
        }
        case 'consent': {
          const c: Consent | undefined =
            parseConsent(rest[0]) ??
            ((rest[0] === 'update' || rest[0] === 'default') && rest[1] && typeof rest[1] === 'object' ? parseConsent((rest[1] as Record<string, unknown>)['personalization_storage']) : undefined)
          if (!c) {
            if (rest[0] !== 'update' && rest[0] !== 'default') deps.report(new Error(`localrank('consent', ${JSON.stringify(rest[0])}): expected granted, denied or pending`))
            return Promise.resolve(undefined)
          }
          return withCallback(call('setConsent', [c]), cb)
        }
        case 'ready':
          return withCallback(api.ready(), cb)
        case 'on':
          return Promise.resolve(api.on(rest[0] as 'change', rest[1] as (c: unknown) => void))
        case 'info':
          return withCallback(
            api.ready().then(() => api.info()),
            cb,
          )
        default:
          if ((ENGINE_METHODS as readonly string[]).includes(command)) return withCallback(call(command as EngineMethod, rest), cb)
          deps.report(new Error(`localrank('${String(command)}'): unknown command; valid: ${['event', 'consent', 'ready', 'on', 'info', ...ENGINE_METHODS].join(', ')}`))
          return Promise.resolve(undefined)
      }
    } catch (err) {
      deps.report(err)
      return Promise.resolve(undefined)
    }
  } as PageApi

  for (const m of ENGINE_METHODS) {
    ;(api as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => call(m, args)
  }
  api.q = []
  api.loaded = true
  api.version = deps.version ?? '0'
  api.ready = () => deps.engine.catch(() => null)
  api.info = () => {
    try {
      return engine ? engine.info() : emptyInfo(failed ? 'LocalRank could not start' : 'loading')
    } catch (err) {
      deps.report(err)
      return emptyInfo('error')
    }
  }
  api.on = (type, listener) => {
    let off: (() => void) | null = null
    let cancelled = false
    listeners.push([type, listener as (c: unknown) => void])
    deps.engine
      .then((e) => {
        if (e && !cancelled) off = e.on(type, listener)
      })
      .catch(() => {})
    return () => {
      cancelled = true
      off?.()
    }
  }
  return api
}

export type { RankOptions }

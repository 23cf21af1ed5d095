/**
 * The embed runtime: what the classic loader (`localrank.js`) imports lazily, as the ES
 * module `localrank-embed.mjs` beside it. It creates the engine from the script tag's
 * attributes, replaces the `window.localrank` stub with the real API, replays the queued
 * commands in order, wires consent sources, starts declarative tracking and defines
 * `<localrank-list>` and `<localrank-controls>`.
 *
 * Ordering: commands take effect in the order they were made. Tracking commands may overlap
 * one another (so the store can batch them), but every other command is a barrier: it waits
 * for everything before it, and everything after waits for it. So `track(…)` then
 * `rerank(…)` ranks with that event, `consent('granted')` then `track(…)` stores the event,
 * and `track(…)` then `consent('denied')` wipes it.
 */
import { createEngine } from '../engine/engine'
import type { Consent, Engine, EngineOptions } from '../engine/types'
import { toLocalRankError, type LocalRankError } from '../errors'
import { sanitizeCandidates } from '../rank/candidates'
import { cleanOptions } from '../rank/ranker'
import { createPageApi, type PageApi } from './api'
import { parseHoldout, parseScriptConfig } from './config'
import { loadTunedConfig } from '../tuned/load'
import { parseConsent, watchGoogleConsent, type DataLayerHost } from './consent'
import { defineControlsElement } from './controls-element'
import type { HoldoutHost } from './holdout'
import type { Ga4Host } from './intake-ga4'
import { fromObject } from './items'
import { defineListElement } from './list-element'
import { debug, provideEngine, warn } from './source'
import { startDomTracking } from './track-dom'

export const VERSION = '0.1.0'

type Queued = ArrayLike<unknown>
interface Host extends DataLayerHost {
  localrank?: ((...a: unknown[]) => unknown) & { q?: Queued[]; loaded?: boolean }
}

const OVERLAPPING = new Set(['track', 'event'])
const isBarrier = (command: string) => !OVERLAPPING.has(command)

/**
 * Boot once per page. `data`: the loader's `script.dataset`; `scriptSrc`: its URL.
 * Returns the page API (also installed as `window.localrank`).
 */
export function boot(data: Record<string, string | undefined>, scriptSrc: string, host: Host = window as Host): PageApi | undefined {
  try {
    if (host.localrank?.loaded) return host.localrank as unknown as PageApi
    const queue: unknown[][] = Array.from(host.localrank?.q ?? [], (a) => Array.from(a))
    const cfg = parseScriptConfig(data, document.baseURI || scriptSrc)

    // `config` commands made before load are options for the engine, so they apply first.
    let options: EngineOptions = { ...cfg.options }
    let userOnError: ((e: LocalRankError) => void) | undefined
    const rest: unknown[][] = []
    let sawData = false
    for (const args of queue) {
      if (args[0] === 'config' && args[1] && typeof args[1] === 'object') options = { ...options, ...(args[1] as EngineOptions) }
      else if (args[0] === 'consent' && !sawData && parseConsent(args[1])) options.consent = parseConsent(args[1])
      else {
        sawData ||= args[0] !== 'ready' && args[0] !== 'on'
        rest.push(args)
      }
    }
    userOnError = options.onError
    // Option fields the shop has already been warned about by attribute name (a malformed pin is
    // kept so the engine refuses the file, and the engine then reports the same field again).
    const warned = new Set<string>()
    const report = (err: unknown) => {
      const e = toLocalRankError(err, 'invalid_options')
      // A bad option from a `config` command is the shop's mistake too: one warning, by field.
      const field = e.code === 'invalid_options' ? e.context.field : undefined
      if (field === undefined) debug(e.message, e)
      else if (!warned.has(field)) warned.add(field), warn(e.message)
      try {
        userOnError?.(e)
      } catch {
        /* the page's handler threw: ignore */
      }
    }
    // The shop's own mistakes (a bad attribute or config value): visible, once each, by name.
    const misconfigured = (message: string) => {
      // `data-model-sha256: …` → modelSha256, the option the engine names when it refuses it.
      warned.add(
        message
          .split(':')[0]!
          .replace(/^data-/, '')
          .replace(/-(\w)/g, (_, c: string) => c.toUpperCase()),
      )
      warn(message)
      try {
        userOnError?.(toLocalRankError(new Error(message), 'invalid_options'))
      } catch {
        /* the page's handler threw: ignore */
      }
    }
    for (const p of cfg.problems) misconfigured(p)
    // Embed-only options a `config` command may carry: taken out before the engine sees them.
    const { intake, holdout, ...engineOptions } = options as EngineOptions & { intake?: unknown; holdout?: unknown }
    options = engineOptions
    const holdoutShare = holdout === undefined ? cfg.holdout : (parseHoldout(holdout) ?? (misconfigured(`holdout: "${String(holdout)}" is not a share in [0, 1]`), cfg.holdout))
    const intakeMode = intake === undefined ? cfg.intake : intake === 'ga4' || intake === 'off' ? intake : (misconfigured(`intake: "${String(intake)}" is not one of ga4, off`), cfg.intake)
    // Made before consent is wired, so that consent mode 'auto' follows the data layer we read.
    if (intakeMode === 'ga4' && host.dataLayer === undefined) host.dataLayer = []

    // Google consent mode: the CMP's current choice wins over the attribute's default.
    let pushConsent: ((c: Consent) => void) | null = null
    if (cfg.consentMode !== 'off' && (cfg.consentMode === 'google' || Array.isArray(host.dataLayer))) {
      const w = watchGoogleConsent(host, (c) => pushConsent?.(c), cfg.consentMode === 'google')
      if (w.current) options.consent = w.current
    }

    // data-config: the tuned file (npm run tune) is fetched before the engine starts, so the
    // first ranked answer already uses it; the page's own `config` options win over the file's.
    // A missing or invalid file is reported and the library defaults apply.
    const tuned = cfg.configUrl ? loadTunedConfig(cfg.configUrl).catch((err: unknown) => (report(err), null)) : Promise.resolve(null)
    const engine: Promise<Engine | null> = tuned
      .then((t) => createEngine({ ...(t ?? {}), ...options, onError: report }))
      .catch((err: unknown) => {
        report(err)
        return null
      })
    // The holdout wraps the engine itself, so the page API and <localrank-list> both answer by
    // group. Its code (0.8 KB gzip) is fetched only when a holdout runs, while the engine starts.
    const ranked: Promise<Engine | null> =
      holdoutShare === undefined
        ? engine
        : Promise.all([engine, import('./holdout').catch((err: unknown) => (report(err), null))]).then(([e, m]) =>
            // Without its code (blocked chunk) nobody is assigned and no exposure is pushed: the
            // shopper is outside the experiment and keeps the engine's answer.
            e && m ? m.withHoldout(e, { share: holdoutShare, onError: report, strict: options.strict, host: host as unknown as HoldoutHost }, { sanitizeCandidates, cleanOptions }) : e,
          )
    const raw = createPageApi({ engine: ranked, report, strict: options.strict, version: VERSION })
    const api = serialise(raw)
    host.localrank = api as unknown as Host['localrank']
    // Calls nobody awaits still get a handler (issue 13 #15): in strict mode a rejection here
    // would otherwise be an unhandled rejection in the host page.
    const quietly = (p: unknown) => void Promise.resolve(p).catch(report)
    pushConsent = (c) => quietly(api('consent', c))
    provideEngine(ranked.then((e) => e ?? Promise.reject(toLocalRankError(new Error('LocalRank could not start'), 'storage'))))

    for (const args of rest) quietly(api(...(args as [string, ...unknown[]])))
    if (cfg.track) startDomTracking({ track: (e) => api.track(e), onError: report })
    // After the queued commands: events already in the data layer are ordered behind them.
    // Loaded on demand (1.3 KB gzip that other shops do not fetch); entries pushed meanwhile are
    // still in the data layer when it attaches, so none is missed.
    if (intakeMode === 'ga4') {
      import('./intake-ga4').then((m) => m.startGa4Intake({ track: (e) => api.track(e), onError: report, host: host as unknown as Ga4Host, mapItem: fromObject })).catch(report)
    }
    defineListElement()
    defineControlsElement()
    return api
  } catch (err) {
    debug('boot failed; the page keeps the server order', err)
    return undefined
  }
}

/** Wrap the command function so that barrier commands are ordered against all others. */
function serialise(api: PageApi): PageApi {
  let barrier: Promise<unknown> = Promise.resolve()
  const inflight = new Set<Promise<unknown>>()
  const run = (barrierCall: boolean, fn: () => Promise<unknown>): Promise<unknown> => {
    const settle = (p: Promise<unknown>) => p.catch(() => undefined)
    let p: Promise<unknown>
    if (barrierCall) {
      p = Promise.all([barrier, ...inflight].map(settle)).then(fn)
      barrier = settle(p)
    } else p = settle(barrier).then(fn)
    inflight.add(p)
    void settle(p).then(() => inflight.delete(p))
    return p
  }
  const wrapped = function localrank(command: string, ...args: unknown[]) {
    return run(isBarrier(command), () => api(command, ...args))
  } as PageApi
  Object.assign(wrapped, api)
  for (const key of Object.keys(api) as Array<keyof PageApi>) {
    const v = api[key]
    if (typeof v === 'function' && key !== 'ready' && key !== 'info' && key !== 'on') {
      ;(wrapped as unknown as Record<string, unknown>)[key] = (...args: unknown[]) => run(isBarrier(key), () => (v as (...a: unknown[]) => Promise<unknown>)(...args))
    }
  }
  return wrapped
}

/**
 * The engine: a small coordinator. It owns no fact twice and decides nothing itself:
 *
 * - **Consent, pause, blocked categories and the storage they allow** are the state machine's
 *   (state.ts, whose comment lists the states, events and transitions). Every change, from
 *   this tab, another tab or the store, is a `dispatch(event)`: the machine returns the next
 *   state and the effects, which run here one after another, in order.
 * - **Where they are persisted and how other tabs hear of them** is settings.ts: consent in
 *   localStorage (it must outlive a withdrawal, which deletes the database), every local change
 *   broadcast as a snapshot on a BroadcastChannel; pause and blocks in the store's meta.
 * - **The store's lifecycle** (open, switch memory ⇄ IndexedDB, fall back, destroy, outbox) is
 *   src/store/lifecycle.ts.
 * - **This tab's copy of the history and what derives from it** (profile, purchases, the
 *   encoder's history) is history.ts, which folds in each change instead of rereading.
 * - **Artifacts** (the encoder, the similarity table) load in the background and are swapped in
 *   when ready: nothing here waits for a download (defect 6: tracking waited for the table, and
 *   with a 30 s table 0 of 6 events survived a navigation).
 *
 * Every public method resolves even when storage or the model fail (they degrade and report
 * through `onError`); only `strict` mode throws.
 */
import { systemClock } from '../clock'
import type { EncoderHandle } from '../encoder/types'
import { LocalRankError, ValidationError, toLocalRankError } from '../errors'
import { compactForStorage } from '../events/compact'
import type { StoredEvent, TrackInput } from '../events/types'
import { validateEvent } from '../events/validate'
import { loadSimilarityTable, resolveProfileConfig } from '../interest'
import type { RankerConfig } from '../rank/defaults'
import { parseRankerOptions } from '../tuned/format'
import type { Interest } from '../interest/types'
import { rankCandidates, rerank as rerankPath } from '../rank'
import { yieldToPage } from '../yield'
import type { Candidate, RankOptions, RankResult } from '../rank/types'
import { StoreLifecycle } from '../store'
import type { EventStore, HistoryExport, StoreChange, StoreMeta } from '../store/types'
import { HistoryView } from './history'
import { SettingsSync } from './settings'
import { initialState, transition, type Effect, type EngineEvent, type EngineState } from './state'
import type { Consent, Engine, EngineInfo, EngineOptions } from './types'

/** The default deadline for the encoder inside `rerank` (ms): long enough for a warm pass, short enough to be invisible. */
const DEFAULT_DEADLINE_MS = 50

function gpcEnabled(): boolean {
  try {
    return typeof navigator !== 'undefined' && (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true
  } catch {
    return false
  }
}

/**
 * Every problem with the options, one typed error per field. Outside strict mode each bad field
 * is reported and dropped, and the rest of the configuration still applies (an out-of-range
 * `deadlineMs` used to drop the model too). `profile` is checked here, by the very function that
 * builds profiles from it (issue 13 #13: it was not, and `buildProfile` threw out of
 * `createEngine`, an unhandled rejection in a host page that only embedded the script).
 */
function optionProblems(o: EngineOptions): Array<[keyof EngineOptions | null, ValidationError]> {
  // [the option to drop (null: report only), the error]
  const out: Array<[keyof EngineOptions | null, ValidationError]> = []
  const bad = (key: keyof EngineOptions | null, reason: string, field: string = key ?? '') => void out.push([key, new ValidationError('invalid_options', field, reason)])
  const fn = (key: 'clock' | 'onError' | 'onProgress') => o[key] !== undefined && typeof o[key] !== 'function' && bad(key, 'must be a function')
  fn('clock')
  fn('onError')
  fn('onProgress')
  if (o.dbName !== undefined && (typeof o.dbName !== 'string' || o.dbName === '')) bad('dbName', 'must be a non-empty string')
  if (o.demotePurchasedMs !== undefined && !(typeof o.demotePurchasedMs === 'number' && o.demotePurchasedMs >= 0)) bad('demotePurchasedMs', 'must be a number of ms ≥ 0')
  if (o.retention !== undefined) {
    if (typeof o.retention !== 'object' || o.retention === null) bad('retention', 'must be an object { maxAgeMs?, maxEvents? }')
    else {
      // The store already falls back to the default for a bound that is not a positive number
      // (never "delete everything"); here it is also reported, naming the bound.
      for (const k of ['maxAgeMs', 'maxEvents'] as const) {
        const v = o.retention[k]
        if (v !== undefined && !(typeof v === 'number' && v > 0)) bad(null, `must be a number > 0 (Infinity: no bound); the default is used`, `retention.${k}`)
      }
    }
  }
  if (o.model !== undefined && (typeof o.model !== 'string' || o.model === '')) bad('model', 'must be a URL string')
  if (o.modelSha256 !== undefined && !/^[0-9a-f]{64}$/i.test(String(o.modelSha256))) bad('modelSha256', 'must be 64 hex characters')
  if (o.similarity !== undefined && (typeof o.similarity !== 'string' || o.similarity === '')) bad('similarity', 'must be a URL string')
  if (o.similaritySha256 !== undefined && !/^[0-9a-f]{64}$/i.test(String(o.similaritySha256))) bad('similaritySha256', 'must be 64 hex characters')
  if (o.backend !== undefined && !['webgpu', 'wasm', 'cpu'].includes(o.backend)) bad('backend', 'must be one of webgpu, wasm, cpu')
  if (o.storage !== undefined && !['indexeddb', 'memory'].includes(o.storage)) bad('storage', 'must be indexeddb or memory')
  if (o.consent !== undefined && !['granted', 'denied', 'pending'].includes(o.consent)) bad('consent', 'must be granted, denied or pending')
  if (o.deadlineMs !== undefined && !(typeof o.deadlineMs === 'number' && o.deadlineMs >= 0 && Number.isFinite(o.deadlineMs))) bad('deadlineMs', 'must be a finite number ≥ 0')
  if (o.impressions !== undefined && typeof o.impressions !== 'boolean') {
    if (typeof o.impressions !== 'object' || o.impressions === null) bad('impressions', 'must be true, false or { weight?, halfLifeMs?, grace? }')
    else
      for (const [k, v] of Object.entries(o.impressions))
        if (!['weight', 'halfLifeMs', 'grace'].includes(k) || !(typeof v === 'number' && v >= 0 && Number.isFinite(v) && (k !== 'halfLifeMs' || v > 0)))
          bad('impressions', `${k}: must be a finite number ≥ 0 (halfLifeMs > 0)`)
  }
  if (o.profile !== undefined) {
    try {
      resolveProfileConfig(o.profile)
    } catch (err) {
      // Not only a ValidationError: a getter that throws (a Proxy, a frozen config object of
      // some framework) must not reject createEngine either.
      out.push(['profile', err instanceof ValidationError ? err : new ValidationError('invalid_options', 'profile', `could not be read: ${err instanceof Error ? err.message : String(err)}`)])
    }
  }
  if (o.ranker !== undefined) {
    try {
      parseRankerOptions(o.ranker)
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      out.push(['ranker', err])
    }
  }
  return out
}

/**
 * The consent to start with. The page's option is its CMP's state at load; the persisted
 * choice is what the shopper last chose through LocalRank, in any tab.
 * - A persisted `denied` wins over any option but GPC's own denial: a withdrawal holds on
 *   every later page until the shopper grants again (`setConsent('granted')`).
 * - No option, or `pending` (the CMP has not decided yet): the persisted choice, else the option,
 *   else `granted` (the documented default).
 */
export function startingConsent(option: Consent | undefined, persisted: Consent | undefined): Consent {
  if (persisted === 'denied') return 'denied'
  if (option === undefined || option === 'pending') return persisted ?? option ?? 'granted'
  return option
}

const emptyExport = (at: number): HistoryExport => ({ format: 'localrank-history', schemaVersion: 0, exportedAt: at, events: [], meta: {} })

/**
 * Create an engine. It resolves even when storage or the model fail (they degrade to
 * memory / the profile path and report through `onError`); only invalid options in
 * `strict` mode reject.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const report = (err: unknown, code: LocalRankError['code'] = 'storage') => {
    const e = toLocalRankError(err, code)
    try {
      options.onError?.(e)
    } catch {
      /* a throwing onError must not break the engine */
    }
    return e
  }
  const problems = optionProblems(options)
  if (problems.length > 0) {
    if (options.strict) throw problems[0]![1]
    options = { ...options }
    for (const [key, err] of problems) {
      report(err, 'invalid_options')
      if (key) delete options[key]
    }
    // A pin without its artifact, or an artifact whose pin was malformed: refuse the artifact
    // rather than load it unchecked (the page asked for it to be checked).
    if (problems.some(([k]) => k === 'modelSha256')) delete options.model
    if (problems.some(([k]) => k === 'similaritySha256')) delete options.similarity
  }
  const clock = options.clock ?? systemClock
  const dbName = options.dbName ?? 'localrank'
  const gpc = (options.respectGPC ?? true) && gpcEnabled()

  const view = new HistoryView(options.profile, undefined) // `profile` checked above

  let disposed = false
  let state: EngineState
  // Another tab changed the settings: the same machine, the same transitions.
  const sync = new SettingsSync(dbName, (settings) => void dispatch({ type: 'sync', settings }).catch((e) => report(e)))
  state = initialState(startingConsent(options.consent, sync.persistedConsent()), gpc)

  const listeners = new Set<(c: StoreChange) => void>()
  let unsubscribe: (() => void) | null = null
  const lc = new StoreLifecycle({
    dbName,
    retention: options.retention,
    clock,
    memoryOnly: options.storage === 'memory',
    onReport: (e) => report(e),
    onStore: (store) => attach(store),
    snapshot: () => ({ events: view.all(), meta: storedSettings() }),
  })
  const settingsMeta = (): StoreMeta => ({ paused: state.paused, blockedCategories: [...state.blocked] })
  // What the store keeps: defaults are absent keys (setMeta deletes a key set to undefined), so
  // a shopper who changed nothing leaves no settings record behind.
  const storedSettings = (): StoreMeta => ({ paused: state.paused || undefined, blockedCategories: state.blocked.length ? [...state.blocked] : undefined })

  // ---- the effects of a transition, run one after another --------------------------------

  let effects: Promise<void> = Promise.resolve()
  function dispatch(event: EngineEvent): Promise<void> {
    const out = transition(state, event)
    state = out.state
    view.setBlocked(state.blocked) // what the profile and the encoder may learn from (issue 13 #2)
    if (out.effects.length === 0) return effects
    const p = effects.then(() => runAll(out.effects))
    effects = p.catch(() => {})
    return p
  }
  async function runAll(list: Effect[]): Promise<void> {
    let first: unknown
    for (const fx of list) {
      try {
        await run(fx)
      } catch (e) {
        first ??= e
      }
    }
    if (first !== undefined) throw first
  }
  async function run(fx: Effect): Promise<void> {
    switch (fx.kind) {
      case 'open': {
        const carry = fx.carry === 'all' ? { events: view.all(), meta: storedSettings() } : fx.carry === 'settings' ? { events: [], meta: storedSettings() } : undefined
        await lc.open(fx.target, carry)
        await loadFromStore()
        return
      }
      case 'destroy':
        await lc.destroy(fx.deleteDb)
        view.reset([])
        return
      case 'clear-history':
        await lc.clearHistory(true)
        view.reset([])
        return
      case 'save-settings':
        await lc.store?.setMeta(storedSettings())
        return
      case 'publish':
        sync.publish(fx.what === 'consent' ? { consent: state.consent } : { paused: state.paused, blocked: state.blocked })
        return
      case 'encoder':
        if (fx.on) startArtifacts()
        else stopEncoder()
        return
    }
  }

  /** Read the history and the settings of the store just opened. */
  async function loadFromStore(): Promise<void> {
    const store = lc.store
    if (!store) return view.reset([])
    const [events, meta] = await Promise.all([
      store.recent().catch((e: unknown) => {
        report(e)
        return view.all().slice()
      }),
      store.getMeta().catch((e: unknown) => {
        report(e)
        return {} as StoreMeta
      }),
    ])
    if (lc.store !== store) return // switched again meanwhile: that switch loads its own
    // Rebuild the profile in a task of its own (issue 14): run inside the store's read, the
    // read, the rebuild and the page's first rerank made one task (53–110 ms on a 2-core Xeon
    // with 200 events, on first visits: the bench's long tasks).
    await yieldToPage()
    if (lc.store !== store) return
    view.reset(events)
    void dispatch({ type: 'loaded', paused: meta.paused, blocked: meta.blockedCategories }).catch((e) => report(e))
  }

  // ---- changes made by other tabs, retention and quota ----------------------------------

  function attach(store: EventStore | null): void {
    unsubscribe?.()
    unsubscribe = store ? store.onChange((c) => onChange(store, c)) : null
  }
  // Events handed to the store and not yet confirmed: a local 'append' change names them by id.
  const inflight = new Map<string, StoredEvent>()
  function onChange(store: EventStore, c: StoreChange): void {
    // The copy is brought up to date BEFORE listeners hear of a change, so a listener that
    // rereads (the shopper's controls) sees it.
    if (c.kind === 'evict') view.remove(new Set(c.ids))
    else if (c.source === 'local') {
      if (c.kind === 'append') view.add(c.ids.flatMap((id) => inflight.get(id) ?? []))
      else if (c.kind === 'forget' && c.itemId !== undefined) view.remove((e) => e.items.some((it) => it.id === c.itemId))
      else if (c.kind === 'forget' && c.eventId !== undefined) view.remove(new Set([c.eventId]))
      else if (c.kind === 'clear') view.reset([])
    } else {
      if (c.kind === 'append') {
        // Fold in exactly what the other tab wrote (defect 27: not the whole history).
        store.get(c.ids).then(
          (events) => void (lc.store === store && view.add(events)),
          (e: unknown) => report(e),
        )
      } else if (c.kind === 'forget') {
        if (c.itemId !== undefined) view.remove((e) => e.items.some((it) => it.id === c.itemId))
        if (c.eventId !== undefined) view.remove(new Set([c.eventId]))
      } else if (c.kind === 'clear') view.reset([])
      else if (c.kind === 'meta') {
        // Normally the settings snapshot (settings.ts) has already said this; where no
        // BroadcastChannel exists it is how pause and blocks arrive. Guarded (defect 15).
        store.getMeta().then(
          (m) => void dispatch({ type: 'sync', settings: { paused: !!m.paused, blocked: m.blockedCategories ?? [] } }).catch((e) => report(e)),
          (e: unknown) => report(e),
        )
      }
    }
    for (const l of [...listeners]) {
      try {
        l(c)
      } catch (e) {
        report(e)
      }
    }
  }

  // ---- artifacts, in the background ------------------------------------------------------

  let encoder: EncoderHandle | null = null
  let encoderError: string | undefined
  let similarityStarted = false
  let similarityReady = false
  let similarityError: string | undefined
  function startArtifacts(): void {
    if (disposed || state.consent === 'denied') return
    if (options.similarity && !similarityStarted) {
      similarityStarted = true
      // Never awaited by anything: tracking and ranking go on without it, and the profile
      // takes the table when it arrives.
      loadSimilarityTable(options.similarity, { sha256: options.similaritySha256 }).then(
        (table) => {
          if (disposed) return
          view.setSimilarity(table)
          similarityReady = true
          similarityError = undefined
        },
        (err: unknown) => {
          similarityStarted = false // a later grant may try again
          similarityError = err instanceof Error ? err.message : String(err)
          report(err, 'model')
        },
      )
    }
    if (options.model && !encoder) void startEncoder()
  }
  async function startEncoder(): Promise<void> {
    try {
      // Lazy: the encoder's client (and, inside its worker, TensorFlow.js) is only fetched when a model is configured.
      const { createEncoder } = await import('../encoder')
      if (disposed || encoder || state.consent === 'denied' || !options.model) return
      const handle = createEncoder({ model: options.model, sha256: options.modelSha256, backend: options.backend, onProgress: options.onProgress, clock })
      encoder = handle
      view.setEncoder(handle)
      handle.whenReady().catch((err: unknown) => {
        encoderError = err instanceof Error ? err.message : String(err)
        report(err, 'model')
      })
    } catch (err) {
      encoderError = err instanceof Error ? err.message : String(err)
      report(err, 'model')
    }
  }
  function stopEncoder(): void {
    encoder?.dispose()
    encoder = null
    view.setEncoder(null)
  }

  // ---- start ------------------------------------------------------------------------------

  if (state.storage !== 'none') {
    try {
      await run({ kind: 'open', target: state.storage, carry: 'none' })
    } catch (err) {
      report(err)
    }
  }
  startArtifacts()

  const guard = async <T>(what: string, fallback: T, fn: () => Promise<T>): Promise<T> => {
    if (disposed) {
      const e = new LocalRankError('disposed', `${what}: the engine was disposed`)
      if (options.strict) throw e
      report(e)
      return fallback
    }
    try {
      return await fn()
    } catch (err) {
      if (options.strict) throw err
      report(err)
      return fallback
    }
  }
  const serverOrder = <C extends Candidate>(c: ReadonlyArray<C>, o: RankOptions | undefined, reason: string) => rankCandidates(c, { now: clock(), reason }, o)
  /**
   * A count argument (`history(limit)`, `interests(n)`): a number ≥ 0, floored (Infinity: all);
   * undefined or null for the default. Anything else is reported and ignored, never read as "none":
   * `history(NaN)` gave every event but `interests(NaN)` none, and the controls passed their
   * attributes through `Number()` (issue 13 #19's kind of bug).
   */
  const countArg = (field: string, v: unknown): number | undefined => {
    if (v === undefined || v === null) return undefined
    if (typeof v === 'number' && v >= 0) return Math.floor(v) // NaN fails v >= 0
    const e = new ValidationError('invalid_options', field, `must be a number ≥ 0 (got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}); ignored`)
    if (options.strict) throw e
    report(e)
    return undefined
  }
  const noteCategory = (field: string, v: unknown) => {
    if (typeof v !== 'string' || v === '') throw new ValidationError('invalid_options', field, 'must be a non-empty string')
  }

  const engine: Engine = {
    track: (input: TrackInput) =>
      guard('track', null, async () => {
        const event = compactForStorage(validateEvent(input, clock))
        // A switch under way (a consent choice, a fallback) finishes first, so the event lands
        // in the store the new state allows, never in one being copied or destroyed.
        await effects
        if (state.consent === 'denied' || state.paused || !lc.store) return null
        inflight.set(event.id, event)
        // Into this tab's copy (profile and encoder) before the write, not after it: the
        // worker's incremental encode (~0.3 ms at 50 events) then runs while IndexedDB commits
        // (~5-7 ms), and a rerank right after `await track()` finds the encoder's state current
        // instead of waiting for it (issue 14: 0.9 → 0.6-0.7 ms p50 at 100 candidates). A write
        // that fails takes the event back out: the view then rebuilds its profile and re-sends
        // the history, so nothing the store does not hold stays in either.
        view.add([event])
        let stored = false
        try {
          await lc.append([event])
          stored = true
        } finally {
          inflight.delete(event.id)
          if (!stored) view.remove(new Set([event.id]))
        }
        if ((state as EngineState).consent === 'denied') return null // withdrawn while writing: the wipe took it
        view.add([event]) // a no-op when held (above, or the store's change); back in after a switch (a fallback's reset) while writing
        return event
      }),

    rerank: async <C extends Candidate>(candidates: ReadonlyArray<C>, o?: RankOptions): Promise<RankResult<C>> => {
      try {
        const off = () =>
          disposed
            ? serverOrder(candidates, o, 'engine disposed')
            : state.consent === 'denied'
              ? serverOrder(candidates, o, gpc ? 'Global Privacy Control is on' : 'consent denied')
              : state.paused
                ? serverOrder(candidates, o, 'personalisation paused by the shopper')
                : null
        const early = off()
        if (early) return early
        let fresh = view.fresh()
        if (view.takeRebuilt()) {
          // The profile was just rebuilt (a load, another tab's write, a forget): rank in the next
          // task, so that the rebuild and the ranking are two tasks, not one long one (issue 14).
          // The shopper may have paused or withdrawn consent meanwhile: ask again.
          await yieldToPage()
          const late = off()
          if (late) return late
          fresh = view.fresh() // another tab may have written meanwhile
        }
        const { profile, purchases, blockedItems, historySize, impressions } = fresh
        const now = clock()
        // Signal-dependent default (src/tuned/signals.ts, issue 11 part 4): content-only evidence
        // that matches most of the list does not reorder it, unless the page set the profile's
        // weight (a tuned file does). Item data = a loaded table or neighbours carried by tracked items.
        // The ranker applies the rule to the profile values it computes for the ranking anyway,
        // while the worker encodes (issue 14: checking it here first cost a second walk of the
        // whole list, before the encoder was even asked).
        const contentRule = options.ranker?.weights?.profile !== undefined ? null : { itemData: similarityReady || view.carriesNeighbours }
        return await rerankPath(
          candidates,
          {
            now,
            profile,
            contentRule,
            encoder,
            // 0 events: the server's order, whatever the encoder says about an empty history
            // (issue 13 #5: its item biases reordered a first visit as "your recent activity").
            // Counted after blocks: a history made only of blocked events says nothing personal.
            historySize,
            purchases: purchases as Map<string, number>,
            impressions:
              options.impressions === false ? null : { log: impressions, ...(typeof options.impressions === 'object' && options.impressions !== null ? { config: options.impressions } : {}) },
            blockedCategories: new Set(state.blocked),
            blockedItems,
            deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
            strict: options.strict,
            // The ranker merges `weights` key by key over its defaults, so a partial `ranker`
            // option (a tuned file's) is complete there.
            config:
              options.ranker || options.demotePurchasedMs !== undefined
                ? ({ ...options.ranker, ...(options.demotePurchasedMs !== undefined ? { demotePurchasedMs: options.demotePurchasedMs } : {}) } as Partial<RankerConfig>)
                : undefined,
          },
          o,
        )
      } catch (err) {
        if (options.strict) throw err
        report(err, (err as { code?: LocalRankError['code'] }).code ?? 'invalid_candidates')
        // Last resort: the server's order of whatever is valid, or an empty answer.
        try {
          return serverOrder(candidates, o, 'ranking failed')
        } catch {
          return { items: [], path: 'server', reason: 'candidates were not a list', issues: [], timings: { totalMs: 0 } }
        }
      }
    },

    history: (limit) =>
      guard('history', [], async () => {
        const all = view.all()
        const k = countArg('limit', limit)
        return k === undefined ? all.slice() : all.slice(Math.max(0, all.length - k))
      }),

    interests: (n) => guard<Interest[]>('interests', [], async () => view.fresh().profile.top(clock(), countArg('n', n) ?? 10)),

    forget: (itemId) =>
      guard('forget', 0, async () => {
        noteCategory('itemId', itemId)
        await effects
        const store = lc.store
        if (!store) return 0
        const n = await store.forgetItem(itemId)
        view.remove((e) => e.items.some((it) => it.id === itemId))
        return n
      }),

    forgetEvent: (eventId) =>
      guard('forgetEvent', false, async () => {
        await effects
        const store = lc.store
        if (!store) return false
        const ok = await store.forgetEvent(eventId)
        view.remove(new Set([eventId]))
        return ok
      }),

    blockCategory: (category) =>
      guard('blockCategory', undefined, async () => {
        noteCategory('category', category)
        await dispatch({ type: 'block', category })
      }),

    unblockCategory: (category) => guard('unblockCategory', undefined, () => dispatch({ type: 'unblock', category })),

    pause: (paused) => guard('pause', undefined, () => dispatch({ type: 'pause', paused: !!paused })),

    setConsent: (next) =>
      guard('setConsent', undefined, async () => {
        if (!['granted', 'denied', 'pending'].includes(next)) throw new ValidationError('invalid_options', 'consent', 'must be granted, denied or pending')
        await dispatch({ type: 'consent', consent: next, from: 'local' })
      }),

    clear: (o) => guard('clear', undefined, () => dispatch({ type: 'clear', settings: o?.settings === true })),

    export: () =>
      guard('export', emptyExport(clock()), async () => {
        await effects
        return lc.store ? lc.store.export() : emptyExport(clock())
      }),

    meta: () => guard('meta', {}, async () => settingsMeta()),

    info: (): EngineInfo => {
      const st = encoder?.status()
      const out: EngineInfo = {
        backend: st?.backend ?? null,
        backendReason: st?.reason ?? (options.model ? (state.consent === 'denied' ? 'consent denied: encoder not started' : 'loading') : 'no model configured: profile path only'),
        model: options.model ? { url: options.model, ready: !!st?.ready, ...(st?.error || encoderError ? { error: st?.error ?? encoderError } : {}) } : null,
        similarity: options.similarity ? { url: options.similarity, ready: similarityReady, ...(similarityError ? { error: similarityError } : {}) } : null,
        events: view.length,
        storage: lc.store?.kind ?? 'memory',
        consent: state.consent,
        gpc,
        paused: state.paused,
      }
      const reason = lc.reason
      if (reason) out.storageReason = reason
      else if (!lc.store) out.storageReason = state.consent === 'denied' ? 'nothing is stored (consent denied)' : 'not opened'
      return out
    },

    on: (type, listener) => {
      if (type !== 'change') return () => {}
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    dispose: async () => {
      disposed = true
      unsubscribe?.()
      listeners.clear()
      sync.close()
      stopEncoder()
      lc.close()
    },
  }
  return engine
}

import { systemClock } from '../clock'
import type { EncoderHandle } from '../encoder/types'
import { LocalRankError, ValidationError, toLocalRankError } from '../errors'
import type { StoredEvent, TrackInput } from '../events/types'
import { validateEvent } from '../events/validate'
import { compactForStorage } from '../events/compact'
import { buildProfile, loadSimilarityTable } from '../interest'
import type { Interest, InterestProfile, SimilarityTable } from '../interest/types'
import { rankCandidates, rerank as rerankPath } from '../rank'
import type { Candidate, RankOptions, RankResult } from '../rank/types'
import { openStore, sessionOutbox } from '../store'
import type { EventStore, StoreChange, StoreMeta } from '../store/types'
import type { Consent, Engine, EngineInfo, EngineOptions } from './types'

/** The default deadline for the encoder inside `rerank` (ms): long enough for a warm pass, short enough to be invisible. */
const DEFAULT_DEADLINE_MS = 50

function gpcEnabled(): boolean {
  return typeof navigator !== 'undefined' && (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true
}

function checkOptions(o: EngineOptions): void {
  const bad = (field: string, reason: string) => {
    throw new ValidationError('invalid_options', field, reason)
  }
  if (o.model !== undefined && (typeof o.model !== 'string' || o.model === '')) bad('model', 'must be a URL string')
  if (o.modelSha256 !== undefined && !/^[0-9a-f]{64}$/i.test(o.modelSha256)) bad('modelSha256', 'must be 64 hex characters')
  if (o.backend !== undefined && !['webgpu', 'wasm', 'cpu'].includes(o.backend)) bad('backend', 'must be one of webgpu, wasm, cpu')
  if (o.storage !== undefined && !['indexeddb', 'memory'].includes(o.storage)) bad('storage', 'must be indexeddb or memory')
  if (o.consent !== undefined && !['granted', 'denied', 'pending'].includes(o.consent)) bad('consent', 'must be granted, denied or pending')
  if (o.deadlineMs !== undefined && !(o.deadlineMs >= 0 && Number.isFinite(o.deadlineMs))) bad('deadlineMs', 'must be a finite number ≥ 0')
}

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
  try {
    checkOptions(options)
  } catch (err) {
    if (options.strict) throw err
    report(err, 'invalid_options')
    options = { ...options, model: undefined, backend: undefined }
  }
  const clock = options.clock ?? systemClock
  const dbName = options.dbName ?? 'localrank'
  const gpc = (options.respectGPC ?? true) && gpcEnabled()
  let consent: Consent = gpc ? 'denied' : (options.consent ?? 'granted')

  // Under 'denied' (or GPC) IndexedDB is not even opened: opening creates a database,
  // which is itself storage. Under 'pending' events live in memory until a choice is made.
  const openPersistent = () => openStore({ dbName, retention: options.retention, clock, memory: options.storage === 'memory' })
  let store: EventStore | null = consent === 'granted' ? await openPersistent() : consent === 'pending' ? await openStore({ dbName, retention: options.retention, clock, memory: true }) : null
  let meta: StoreMeta = store ? await store.getMeta().catch(() => ({})) : {}

  let similarity: SimilarityTable | undefined
  if (options.similarity && consent !== 'denied') {
    try {
      similarity = await loadSimilarityTable(options.similarity)
    } catch (err) {
      report(err, 'model')
    }
  }

  let events: StoredEvent[] = []
  let profile: InterestProfile = buildProfile([], options.profile, similarity)
  const purchases = new Map<string, number>()
  const notePurchase = (e: StoredEvent) => {
    if (e.type !== 'purchase') return
    for (const it of e.items) purchases.set(it.id, Math.max(purchases.get(it.id) ?? 0, e.timestamp))
  }
  const reload = async () => {
    events = store ? await store.recent() : []
    profile = buildProfile(events, options.profile, similarity)
    purchases.clear()
    for (const e of events) notePurchase(e)
    encoder?.setHistory(events)
  }

  let encoder: EncoderHandle | null = null
  let encoderError: string | undefined
  const startEncoder = async () => {
    if (!options.model || encoder || consent === 'denied') return
    try {
      // Lazy: the encoder's client (and, inside its worker, TensorFlow.js) is only fetched when a model is configured.
      const { createEncoder } = await import('../encoder')
      const handle = createEncoder({ model: options.model, sha256: options.modelSha256, backend: options.backend, onProgress: options.onProgress })
      encoder = handle
      handle.setHistory(events)
      handle.whenReady().catch((err: unknown) => {
        encoderError = err instanceof Error ? err.message : String(err)
        report(err, 'model')
      })
    } catch (err) {
      encoderError = err instanceof Error ? err.message : String(err)
      report(err, 'model')
    }
  }

  const listeners = new Set<(c: StoreChange) => void>()
  let unsubscribe: (() => void) | null = null
  const attach = () => {
    unsubscribe?.()
    unsubscribe = store
      ? store.onChange((change) => {
          // Another tab wrote, forgot or cleared, or retention/quota evicted events: our
          // in-memory history and profile are stale, so rebuild them from the store.
          if (change.source === 'remote' || change.kind === 'evict') void reload().catch((err) => report(err))
          if (change.kind === 'meta' && change.source === 'remote') void store?.getMeta().then((m) => (meta = m))
          for (const l of listeners) l(change)
        })
      : null
  }
  try {
    await reload()
  } catch (err) {
    report(err)
  }
  attach()
  void startEncoder()
  let disposed = false

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

  // A consent switch swaps the store (memory ⇄ IndexedDB, or wipes it). Events tracked while it
  // runs wait for it, so they land in the store the new consent allows instead of in a store
  // that is being copied or closed (where they were lost).
  let switching: Promise<void> = Promise.resolve()
  const switchStore = async (prev: Consent, next: Consent): Promise<void> => {
    if (next === 'denied') {
      // Withdrawal: wipe what was kept (memory or IndexedDB) and stop the encoder.
      await engine.clear()
      store?.close()
      // Leave no empty database behind either: under 'denied' the origin holds nothing of ours.
      if (store?.kind === 'indexeddb') await deleteDatabase(dbName)
      store = null
      encoder?.dispose()
      encoder = null
      attach()
      return
    }
    if (next === 'granted') {
      const pending = prev === 'pending' && store ? await store.recent() : []
      store?.close()
      const persistent = await openPersistent()
      store = persistent
      if (pending.length) await persistent.append(pending)
      meta = await persistent.getMeta()
    } else {
      store?.close()
      store = await openStore({ dbName, clock, memory: true })
    }
    attach()
    await reload()
    void startEncoder()
  }

  const blocked = () => new Set(meta.blockedCategories ?? [])
  const serverOrder = <C extends Candidate>(c: ReadonlyArray<C>, o: RankOptions | undefined, reason: string) => rankCandidates(c, { now: clock(), reason }, o)

  const engine: Engine = {
    track: (input: TrackInput) =>
      guard('track', null, async () => {
        // Bounded bytes per stored event (issue 10): the item data a page sent is cut to what the ranker reads later.
        const event = compactForStorage(validateEvent(input, clock))
        await switching
        if (!store || consent === 'denied') return null
        if (meta.paused) return null
        await store.append([event])
        events.push(event)
        profile.add(event)
        notePurchase(event)
        encoder?.append(event)
        return event
      }),

    rerank: async <C extends Candidate>(candidates: ReadonlyArray<C>, o?: RankOptions): Promise<RankResult<C>> => {
      try {
        if (disposed) return serverOrder(candidates, o, 'engine disposed')
        if (consent === 'denied') return serverOrder(candidates, o, gpc ? 'Global Privacy Control is on' : 'consent denied')
        if (meta.paused) return serverOrder(candidates, o, 'personalisation paused by the shopper')
        return await rerankPath(
          candidates,
          {
            now: clock(),
            profile,
            encoder,
            purchases,
            blockedCategories: blocked(),
            deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
            strict: options.strict,
            config: options.demotePurchasedMs !== undefined ? { demotePurchasedMs: options.demotePurchasedMs } : undefined,
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

    history: (limit) => guard('history', [], async () => (limit === undefined ? events.slice() : events.slice(Math.max(0, events.length - limit)))),

    interests: (n = 10) => guard<Interest[]>('interests', [], async () => profile.top(clock(), n)),

    forget: (itemId) =>
      guard('forget', 0, async () => {
        if (typeof itemId !== 'string' || itemId === '') throw new ValidationError('invalid_options', 'itemId', 'must be a non-empty string')
        if (!store) return 0
        const n = await store.forgetItem(itemId)
        await reload()
        return n
      }),

    forgetEvent: (eventId) =>
      guard('forgetEvent', false, async () => {
        if (!store) return false
        const ok = await store.forgetEvent(eventId)
        await reload()
        return ok
      }),

    blockCategory: (category) =>
      guard('blockCategory', undefined, async () => {
        if (typeof category !== 'string' || category === '') throw new ValidationError('invalid_options', 'category', 'must be a non-empty string')
        const next = Array.from(new Set([...(meta.blockedCategories ?? []), category]))
        meta = { ...meta, blockedCategories: next }
        await store?.setMeta({ blockedCategories: next })
      }),

    unblockCategory: (category) =>
      guard('unblockCategory', undefined, async () => {
        const next = (meta.blockedCategories ?? []).filter((c) => c !== category)
        meta = { ...meta, blockedCategories: next }
        await store?.setMeta({ blockedCategories: next })
      }),

    pause: (paused) =>
      guard('pause', undefined, async () => {
        meta = { ...meta, paused: !!paused }
        await store?.setMeta({ paused: !!paused })
      }),

    setConsent: (next) =>
      guard('setConsent', undefined, async () => {
        if (!['granted', 'denied', 'pending'].includes(next)) throw new ValidationError('invalid_options', 'consent', 'must be granted, denied or pending')
        if (gpc && next !== 'denied') return // GPC outranks a banner click: stay denied.
        if (next === consent) return
        const prev = consent
        consent = next
        let done!: () => void
        const previous = switching
        switching = new Promise<void>((ok) => (done = ok))
        try {
          await previous
          await switchStore(prev, next)
        } finally {
          done()
        }
      }),

    clear: () =>
      guard('clear', undefined, async () => {
        if (store) await store.clear()
        else await deleteDatabase(dbName)
        meta = {}
        await reload()
      }),

    export: () => guard('export', { format: 'localrank-history' as const, schemaVersion: 0, exportedAt: clock(), events: [], meta: {} }, async () => (store ? store.export() : { format: 'localrank-history' as const, schemaVersion: 0, exportedAt: clock(), events: [], meta: {} })),

    meta: () => guard('meta', {}, async () => ({ ...meta })),

    info: (): EngineInfo => {
      const st = encoder?.status()
      const out: EngineInfo = {
        backend: st?.backend ?? null,
        backendReason: st?.reason ?? (options.model ? (consent === 'denied' ? 'consent denied: encoder not started' : 'loading') : 'no model configured: profile path only'),
        model: options.model ? { url: options.model, ready: !!st?.ready, ...(st?.error || encoderError ? { error: st?.error ?? encoderError } : {}) } : null,
        events: events.length,
        storage: store?.kind ?? 'memory',
        consent,
        gpc,
        paused: !!meta.paused,
      }
      if (store?.fallbackReason) out.storageReason = store.fallbackReason
      else if (!store) out.storageReason = consent === 'denied' ? 'nothing is stored (consent denied)' : 'not opened'
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
      encoder?.dispose()
      encoder = null
      store?.close()
    },
  }
  return engine
}

/** Delete the history database and this tab's copy of writes still in flight (outbox.ts). */
function deleteDatabase(name: string): Promise<void> {
  sessionOutbox(name)?.clear()
  return new Promise((ok) => {
    if (typeof indexedDB === 'undefined') return ok()
    try {
      const req = indexedDB.deleteDatabase(name)
      req.onsuccess = req.onerror = req.onblocked = () => ok()
    } catch {
      ok()
    }
  })
}

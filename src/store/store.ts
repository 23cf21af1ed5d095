import { systemClock, type Clock } from '../clock'
import { LocalRankError, StorageError } from '../errors'
import { MAX_CLOCK_SKEW_MS } from '../events/time-window'
import { EVENT_TYPES, type StoredEvent } from '../events/types'
import type { Backend, StoreTx } from './backend'
import { sessionOutbox, type Outbox } from './outbox'
import { DEFAULT_RETENTION, SCHEMA_VERSION, type EventStore, type HistoryExport, type RetentionPolicy, type StoreChange, type StoreMeta } from './types'

export interface StoreConfig {
  dbName: string
  retention: RetentionPolicy
  clock: Clock
  batchWindowMs: number
  fallbackReason?: string
  /** Write-ahead copy of in-flight appends (outbox.ts); used by an IndexedDB store only. */
  outbox?: Outbox | null
  /** Problems worked around (malformed records skipped); see StoreOptions.onReport. */
  onReport?: (error: LocalRankError) => void
}

/** Default wait for more appends to join a batch, ms. */
export const DEFAULT_BATCH_WINDOW_MS = 4

/**
 * Quota errors by every name browsers have used: the standard `QuotaExceededError`
 * (legacy DOMException code 22), and old Firefox's `NS_ERROR_DOM_QUOTA_REACHED` (code 1014).
 */
export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false
  const { name, code } = e as { name?: unknown; code?: unknown }
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22 || code === 1014
}

/**
 * How many of the oldest events to evict before retrying a write refused for quota:
 * `min(count, max(ceil(0.1 · count), batchSize))`, i.e. a tenth of the store, but at least
 * as many as the batch adds, so the retry does not grow the store. Oldest first, because
 * decay makes them the least useful for ranking.
 */
export function quotaEvictionSize(count: number, batchSize: number): number {
  return Math.min(count, Math.max(Math.ceil(count * 0.1), batchSize, 1))
}

/** The ids each retention bound evicted. */
export interface RetentionResult {
  age: string[]
  count: string[]
  future: string[]
}

/**
 * Write a batch and enforce retention in the same atomic run (so no reader ever sees the
 * store over its bounds): put, delete everything with `timestamp < now − maxAgeMs` by walking
 * `by_time` from its oldest end, everything dated after `now + MAX_CLOCK_SKEW_MS` from its
 * newest end (validation refuses such events now, but a database written before, or by another
 * program, may hold them, and age retention never reaches them: defect 10), then delete the
 * oldest beyond `maxEvents`.
 */
export async function writeWithRetention(tx: StoreTx, events: readonly StoredEvent[], now: number, policy: RetentionPolicy): Promise<RetentionResult> {
  if (events.length) await tx.put(events)
  const age = await tx.deleteOlderThan(now - policy.maxAgeMs)
  const future = await tx.deleteNewerThan(now + MAX_CLOCK_SKEW_MS)
  const n = await tx.count()
  const count = n > policy.maxEvents ? await tx.deleteOldest(n - policy.maxEvents) : []
  return { age, count, future }
}

const EVENT_TYPE_SET = new Set<string>(EVENT_TYPES)

/**
 * Whether a stored record is an event LocalRank can use. Records are checked on the way out
 * because the database is not ours alone: an older build, another script of the origin, or a
 * devtools edit may have written it, and one record with `items: null` used to make every
 * `forget(itemId)` and the shopper's controls fail (defect 9).
 */
export function wellFormed(r: unknown): r is StoredEvent {
  if (typeof r !== 'object' || r === null) return false
  const e = r as Partial<Record<keyof StoredEvent, unknown>>
  if (typeof e.id !== 'string' || e.id === '' || typeof e.type !== 'string' || !EVENT_TYPE_SET.has(e.type)) return false
  if (typeof e.timestamp !== 'number' || !Number.isFinite(e.timestamp)) return false
  if (e.query !== undefined && typeof e.query !== 'string') return false
  if (!Array.isArray(e.items)) return false
  for (const it of e.items) {
    if (typeof it !== 'object' || it === null || typeof (it as { id?: unknown }).id !== 'string') return false
    const cat = (it as { category?: unknown }).category
    if (cat !== undefined && !(Array.isArray(cat) && cat.every((c) => typeof c === 'string'))) return false
    const tags = (it as { tags?: unknown }).tags
    if (tags !== undefined && !(Array.isArray(tags) && tags.every((c) => typeof c === 'string'))) return false
  }
  return true
}

interface Pending {
  events: readonly StoredEvent[]
  resolve: () => void
  reject: (e: unknown) => void
}

type ChangeBody = StoreChange extends infer C ? (C extends StoreChange ? Omit<C, 'source'> : never) : never
const CHANGE_KINDS = new Set(['append', 'forget', 'clear', 'meta', 'evict'])
const EVICT_REASONS = ['age', 'count', 'future'] as const
const MESSAGE_TAG = 'localrank-store-change'

function report(err: unknown): void {
  // A throwing listener is the listener's bug; report it as the DOM does for event
  // listeners (window.onerror) instead of breaking the store's own promise chain.
  const g = globalThis as { reportError?: (e: unknown) => void }
  if (typeof g.reportError === 'function') g.reportError(err)
  else console.error(err)
}

/**
 * The store's behaviour, written once over a {@link Backend}: batching, retention, quota
 * eviction, change notification (local and, for IndexedDB, cross-tab). Every operation runs
 * through one queue, in call order, and a read first flushes the appends queued before it,
 * so a tab always reads its own writes.
 */
export class Store implements EventStore {
  readonly kind: 'indexeddb' | 'memory'
  readonly fallbackReason: string | undefined
  private readonly listeners = new Set<(c: StoreChange) => void>()
  private readonly channel: BroadcastChannel | null = null
  private pending: Pending[] = []
  private readonly outbox: Outbox | null
  private timer: ReturnType<typeof setTimeout> | null = null
  private microtask = false
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false
  /** Ids of malformed records already reported, so each is reported once, not on every read. */
  private readonly reportedBad = new Set<string>()

  constructor(
    private readonly backend: Backend,
    private readonly cfg: StoreConfig,
  ) {
    this.kind = backend.kind
    this.fallbackReason = cfg.fallbackReason
    // A memory store's history ends with the page anyway: nothing to carry over.
    this.outbox = backend.kind === 'indexeddb' ? (cfg.outbox ?? null) : null
    // Only a shared (IndexedDB) store has other tabs to tell: a memory store's history is
    // this page's alone.
    if (backend.kind === 'indexeddb' && typeof BroadcastChannel === 'function') {
      try {
        const ch = new BroadcastChannel(`localrank:${cfg.dbName}`)
        ch.onmessage = (ev: MessageEvent) => this.onRemote(ev.data)
        // Node keeps the process alive while a channel is open; a store should not.
        ;(ch as unknown as { unref?: () => void }).unref?.()
        this.channel = ch
      } catch {
        this.channel = null // opaque origins (sandboxed iframes) may refuse a channel
      }
    }
  }

  // ---- writes ---------------------------------------------------------------------------

  append(events: StoredEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError())
    if (events.length === 0) return Promise.resolve()
    // Synchronously, before the batch window: the page may be gone by the time it closes.
    this.outbox?.add(events)
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ events: events.slice(), resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.timer !== null || this.microtask) return
    if (this.cfg.batchWindowMs <= 0) {
      this.microtask = true
      queueMicrotask(() => {
        this.microtask = false
        this.flush()
      })
    } else {
      this.timer = setTimeout(() => {
        this.timer = null
        this.flush()
      }, this.cfg.batchWindowMs)
    }
  }

  /** Move everything queued so far into one batch on the operation queue. */
  private flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    void this.enqueue(() => this.writeBatch(batch)).catch(() => {})
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const events = batch.flatMap((p) => p.events)
    const ids = events.map((e) => e.id)
    try {
      const evicted = await this.writeWithQuotaRetry(events)
      this.outbox?.remove(ids)
      for (const p of batch) p.resolve()
      this.emit({ kind: 'append', ids })
      this.emitEvictions(evicted)
    } catch (e) {
      // Refused for good (quota): not stored, so not replayed either. Any other failure (an
      // aborted transaction, a closing connection) stays in the outbox for the next page.
      if (e instanceof LocalRankError && e.code === 'quota') this.outbox?.remove(ids)
      for (const p of batch) p.reject(e)
    }
  }

  private emitEvictions(r: RetentionResult): void {
    for (const reason of EVICT_REASONS) if (r[reason].length > 0) this.emit({ kind: 'evict', count: r[reason].length, reason, ids: r[reason] })
  }

  enforceRetention(): Promise<void> {
    return this.op('retention', async () => {
      const r = await this.backend.run('readwrite', (tx) => writeWithRetention(tx, [], this.cfg.clock(), this.cfg.retention))
      this.emitEvictions(r)
    })
  }

  /**
   * Write what a previous page of this tab had in flight when it went away (see outbox.ts).
   * Returns how many events were replayed; an event already stored is overwritten by itself.
   */
  replayOutbox(): Promise<number> {
    const events = this.outbox?.pending() ?? []
    if (events.length === 0) return Promise.resolve(0)
    return this.append(events).then(() => events.length)
  }

  /**
   * One write attempt; on QuotaExceededError evict {@link quotaEvictionSize} oldest events in
   * their own transaction (deletes are allowed under quota pressure), retry exactly once,
   * then give up with `StorageError('quota')`. Each attempt is all-or-nothing, so a refused
   * batch leaves no partial trace.
   */
  private async writeWithQuotaRetry(events: StoredEvent[]): Promise<RetentionResult> {
    const attempt = () => this.backend.run('readwrite', (tx) => writeWithRetention(tx, events, this.cfg.clock(), this.cfg.retention))
    try {
      return await attempt()
    } catch (first) {
      if (!isQuotaError(first)) throw this.storageError('write', first)
      const evicted = await this.backend
        .run('readwrite', async (tx) => tx.deleteOldest(quotaEvictionSize(await tx.count(), events.length)))
        .catch((e: unknown) => {
          throw this.quotaError(events.length, 0, e)
        })
      if (evicted.length > 0) this.emit({ kind: 'evict', count: evicted.length, reason: 'quota', ids: evicted })
      try {
        return await attempt()
      } catch (second) {
        throw isQuotaError(second) ? this.quotaError(events.length, evicted.length, second) : this.storageError('write', second)
      }
    }
  }

  forgetItem(itemId: string): Promise<number> {
    return this.op('forget', async () => {
      const n = await this.backend.run('readwrite', (tx) => tx.deleteByItem(itemId))
      if (n > 0) this.emit({ kind: 'forget', itemId })
      return n
    })
  }

  forgetEvent(eventId: string): Promise<boolean> {
    return this.op('forget', async () => {
      const found = await this.backend.run('readwrite', (tx) => tx.delete(eventId))
      if (found) this.emit({ kind: 'forget', eventId })
      return found
    })
  }

  clear(options: { keepMeta?: boolean } = {}): Promise<void> {
    return this.op('clear', async () => {
      await this.backend.run('readwrite', async (tx) => {
        await tx.clearEvents()
        if (!options.keepMeta) await tx.clearMeta()
      })
      this.outbox?.clear()
      this.emit({ kind: 'clear' })
    })
  }

  setMeta(patch: Partial<StoreMeta>): Promise<void> {
    return this.op('setMeta', async () => {
      await this.backend.run('readwrite', (tx) => tx.setMeta(patch))
      this.emit({ kind: 'meta' })
    })
  }

  // ---- reads ----------------------------------------------------------------------------

  recent(limit?: number): Promise<StoredEvent[]> {
    return this.op('recent', () =>
      this.backend.run('readonly', async (tx) => {
        if (limit === undefined) return this.usable(await tx.all())
        const n = Math.floor(limit)
        return n > 0 ? this.usable(await tx.newest(n)).reverse() : []
      }),
    )
  }

  get(ids: readonly string[]): Promise<StoredEvent[]> {
    if (ids.length === 0) return Promise.resolve([])
    return this.op('get', () => this.backend.run('readonly', async (tx) => this.usable(await tx.get(ids))))
  }

  /** Keep the well-formed records; report each malformed one once (it stays on disk, untouched). */
  private usable(records: unknown[]): StoredEvent[] {
    const out: StoredEvent[] = []
    const bad: string[] = []
    for (const r of records) {
      if (wellFormed(r)) out.push(r)
      else {
        const id = typeof (r as { id?: unknown } | null)?.id === 'string' ? (r as { id: string }).id : String(r)
        if (!this.reportedBad.has(id)) {
          this.reportedBad.add(id)
          bad.push(id)
        }
      }
    }
    if (bad.length) {
      const e = new StorageError(
        'storage',
        `skipped ${bad.length} malformed record(s) in "${this.cfg.dbName}" (ids ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}): not well-formed events`,
        { store: this.cfg.dbName, ids: bad },
      )
      try {
        this.cfg.onReport?.(e)
      } catch (err) {
        report(err)
      }
    }
    return out
  }

  count(): Promise<number> {
    return this.op('count', () => this.backend.run('readonly', (tx) => tx.count()))
  }

  getMeta(): Promise<StoreMeta> {
    return this.op('getMeta', () => this.backend.run('readonly', (tx) => tx.getMeta()))
  }

  export(): Promise<HistoryExport> {
    return this.op('export', () =>
      this.backend.run('readonly', async (tx) => {
        const events = this.usable(await tx.all())
        const meta = await tx.getMeta()
        return { format: 'localrank-history' as const, schemaVersion: SCHEMA_VERSION, exportedAt: this.cfg.clock(), events, meta }
      }),
    )
  }

  // ---- changes --------------------------------------------------------------------------

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  private emit(body: ChangeBody): void {
    this.deliver({ ...body, source: 'local' } as StoreChange)
    try {
      this.channel?.postMessage({ tag: MESSAGE_TAG, change: body })
    } catch {
      /* a closed channel: other tabs simply miss one notification */
    }
  }

  private onRemote(data: unknown): void {
    // Same-origin pages only, but still check the shape: anything else on the channel is ignored.
    if (typeof data !== 'object' || data === null || (data as { tag?: unknown }).tag !== MESSAGE_TAG) return
    const change = (data as { change?: unknown }).change
    if (typeof change !== 'object' || change === null || !CHANGE_KINDS.has((change as { kind?: unknown }).kind as string)) return
    const ids = (change as { ids?: unknown }).ids
    const kind = (change as { kind: string }).kind
    // A tab folds in exactly these ids (engine): they must be a list of strings.
    if ((kind === 'append' || kind === 'evict') && !(Array.isArray(ids) && ids.every((id) => typeof id === 'string'))) return
    this.deliver({ ...(change as ChangeBody), source: 'remote' } as StoreChange)
  }

  private deliver(change: StoreChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change)
      } catch (e) {
        report(e)
      }
    }
  }

  close(): void {
    if (this.closed) return
    this.flush() // appends already accepted still get written
    this.closed = true
    this.listeners.clear()
    void this.enqueue(async () => {
      this.channel?.close()
      this.backend.close()
    }).catch(report) // never expected to throw; if it does, reported, not an unhandled rejection
  }

  // ---- plumbing -------------------------------------------------------------------------

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn)
    this.tail = p.catch(() => {})
    return p
  }

  /** Run a non-append operation after every append queued before it. */
  private op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError())
    this.flush()
    return this.enqueue(fn).catch((e: unknown) => {
      throw this.storageError(what, e)
    })
  }

  private closedError(): StorageError {
    return new StorageError('disposed', `store "${this.cfg.dbName}" is closed`, { store: this.cfg.dbName })
  }

  private storageError(what: string, e: unknown): LocalRankError {
    if (e instanceof LocalRankError) return e
    const name = typeof e === 'object' && e !== null ? String((e as { name?: unknown }).name ?? 'Error') : 'Error'
    const msg = e instanceof Error ? e.message : String(e)
    return new StorageError('storage', `${what} on ${this.kind} store "${this.cfg.dbName}" failed: ${name}: ${msg}`, { store: this.cfg.dbName }, { cause: e })
  }

  private quotaError(batch: number, evicted: number, cause: unknown): StorageError {
    return new StorageError(
      'quota',
      `storage quota exceeded writing ${batch} event(s) to "${this.cfg.dbName}" even after evicting the ${evicted} oldest; the batch was not stored`,
      { store: this.cfg.dbName, evicted, batch },
      { cause },
    )
  }
}

export function storeConfig(o: {
  dbName?: string
  retention?: Partial<RetentionPolicy>
  clock?: Clock
  batchWindowMs?: number
  outbox?: Outbox | null
  onReport?: (error: LocalRankError) => void
}): StoreConfig {
  // A bound that is not a positive number (NaN, 0, negative, a string from a config file)
  // falls back to its default rather than deleting the whole history; Infinity means no bound.
  const bound = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : d)
  return {
    dbName: o.dbName ?? 'localrank',
    retention: {
      maxAgeMs: bound(o.retention?.maxAgeMs, DEFAULT_RETENTION.maxAgeMs),
      maxEvents: Math.floor(bound(o.retention?.maxEvents, DEFAULT_RETENTION.maxEvents)),
    },
    clock: o.clock ?? systemClock,
    batchWindowMs: o.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS,
    outbox: o.outbox === undefined ? sessionOutbox(o.dbName ?? 'localrank') : o.outbox,
    onReport: o.onReport,
  }
}

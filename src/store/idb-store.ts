import { wrap, type IDBPDatabase, type IDBPTransaction } from 'idb'
import { StorageError } from '../errors'
import type { StoredEvent } from '../events/types'
import type { Backend, StoreTx } from './backend'
import { SCHEMA_VERSION, type LocalRankDB, type StoreMeta } from './types'

type Stores = ['events', 'meta']
type Tx = IDBPTransaction<LocalRankDB, Stores, 'readwrite' | 'versionchange'>
const STORES: Stores = ['events', 'meta']

/**
 * The one migration function: a step per schema version, applied in order from the version
 * found on disk. Never edit a released step; add `if (oldVersion < N)` for version N and bump
 * SCHEMA_VERSION in types.ts.
 */
export function upgrade(db: IDBPDatabase<LocalRankDB>, oldVersion: number): void {
  if (oldVersion < 1) {
    // v1: events keyed by their UUID (a replayed write overwrites instead of duplicating),
    // with `by_time` for age retention, oldest-first trimming and newest-N reads.
    const events = db.createObjectStore('events', { keyPath: 'id' })
    events.createIndex('by_time', 'timestamp')
    db.createObjectStore('meta')
  }
}

const errorName = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : undefined

/**
 * Open (creating or upgrading) the database on `factory`, an `IDBFactory` (idb's `openDB`
 * always uses the global one; we take it as a parameter so tests and callers can inject one).
 *
 * Rejects after `timeoutMs` when the request never settles: Safari 14 could leave the first
 * `indexedDB.open` pending forever (https://bugs.webkit.org/show_bug.cgi?id=226547), and an
 * open blocked by another tab that keeps an old version open waits indefinitely. A
 * connection that arrives after we gave up is closed at once so it blocks nobody.
 */
export function openDatabase(factory: IDBFactory, name: string, timeoutMs: number): Promise<IDBPDatabase<LocalRankDB>> {
  return new Promise((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => {
      settled = true
      reject(new StorageError('storage', `opening IndexedDB "${name}" did not finish within ${timeoutMs} ms`, { store: name }))
    }, timeoutMs)
    const fail = (e: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(e)
    }
    let request: IDBOpenDBRequest
    try {
      // Firefox private browsing (before v115) throws or errors here with InvalidStateError;
      // a sandboxed or cookie-blocked context throws SecurityError.
      request = factory.open(name, SCHEMA_VERSION)
    } catch (e) {
      fail(e)
      return
    }
    request.addEventListener('upgradeneeded', (ev) => {
      const tx = request.transaction
      if (tx) wrap(tx).done.catch(() => {}) // the open request reports the failure; avoid an unhandled rejection
      upgrade(wrap(request.result) as unknown as IDBPDatabase<LocalRankDB>, ev.oldVersion)
    })
    ;(wrap(request) as unknown as Promise<IDBPDatabase<LocalRankDB>>).then((db) => {
      if (settled) return db.close()
      settled = true
      clearTimeout(timer)
      resolve(db)
    }, fail)
  })
}

class IdbTx implements StoreTx {
  constructor(private readonly tx: Tx) {}

  private get events() {
    return this.tx.objectStore('events')
  }

  async put(events: readonly StoredEvent[]): Promise<void> {
    const store = this.events
    const reqs: Promise<unknown>[] = []
    try {
      // Issue every put before awaiting any: one round of requests, not one per event.
      for (const e of events) reqs.push(store.put(e))
    } finally {
      // If a put throws synchronously (quota, DataCloneError) the caller aborts the
      // transaction and the earlier requests fail with AbortError: that is expected.
      for (const r of reqs) r.catch(() => {})
    }
    await Promise.all(reqs)
  }

  async deleteOlderThan(cutoff: number): Promise<number> {
    // Walking `by_time` from its start and stopping at the cutoff costs only the deleted
    // events, and needs no IDBKeyRange (which would have to match the injected factory).
    const store = this.events
    const dels: Promise<unknown>[] = []
    let cursor = await store.index('by_time').openKeyCursor()
    while (cursor && cursor.key < cutoff) {
      dels.push(store.delete(cursor.primaryKey))
      cursor = await cursor.continue()
    }
    await Promise.all(dels)
    return dels.length
  }

  async deleteOldest(n: number): Promise<number> {
    const store = this.events
    const dels: Promise<unknown>[] = []
    let cursor = n > 0 ? await store.index('by_time').openKeyCursor() : null
    while (cursor && dels.length < n) {
      dels.push(store.delete(cursor.primaryKey))
      cursor = dels.length < n ? await cursor.continue() : null
    }
    await Promise.all(dels)
    return dels.length
  }

  count(): Promise<number> {
    return this.events.count()
  }

  all(): Promise<StoredEvent[]> {
    return this.events.index('by_time').getAll()
  }

  async newest(limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = []
    let cursor = limit > 0 ? await this.events.index('by_time').openCursor(null, 'prev') : null
    while (cursor) {
      out.push(cursor.value)
      cursor = out.length < limit ? await cursor.continue() : null
    }
    return out
  }

  async delete(id: string): Promise<boolean> {
    const store = this.events
    if ((await store.getKey(id)) === undefined) return false
    await store.delete(id)
    return true
  }

  async deleteWhere(pred: (event: StoredEvent) => boolean): Promise<number> {
    const dels: Promise<unknown>[] = []
    let cursor = await this.events.openCursor()
    while (cursor) {
      if (pred(cursor.value)) dels.push(cursor.delete())
      cursor = await cursor.continue()
    }
    await Promise.all(dels)
    return dels.length
  }

  clearEvents(): Promise<void> {
    return this.events.clear()
  }

  async getMeta(): Promise<StoreMeta> {
    const out: Record<string, unknown> = {}
    let cursor = await this.tx.objectStore('meta').openCursor()
    while (cursor) {
      out[cursor.key] = cursor.value
      cursor = await cursor.continue()
    }
    return out as StoreMeta
  }

  async setMeta(patch: Partial<StoreMeta>): Promise<void> {
    const meta = this.tx.objectStore('meta')
    const reqs: Promise<unknown>[] = []
    for (const [k, v] of Object.entries(patch) as Array<[keyof StoreMeta, StoreMeta[keyof StoreMeta]]>) {
      reqs.push(v === undefined ? meta.delete(k) : meta.put(v, k))
    }
    await Promise.all(reqs)
  }

  clearMeta(): Promise<void> {
    return this.tx.objectStore('meta').clear()
  }
}

/**
 * IndexedDB through `idb`. Holds one connection and gives it up when asked:
 * - `versionchange` (another tab opens a newer schema): close at once, or that tab's
 *   upgrade stays blocked until this one is closed (IndexedDB 3.0 §"open a database").
 * - `close` (the browser closed it: site data cleared, Safari reclaiming a background tab):
 *   forget it.
 * Either way the next operation reopens. A transaction on a connection that died without an
 * event throws InvalidStateError; that is retried once on a fresh connection.
 */
export class IdbBackend implements Backend {
  readonly kind = 'indexeddb' as const
  private db: IDBPDatabase<LocalRankDB> | null = null
  private opening: Promise<IDBPDatabase<LocalRankDB>> | null = null
  private closed = false
  /** How many connections were opened; tests read it to see a reopen. */
  opens = 0

  private constructor(
    private readonly factory: IDBFactory,
    readonly name: string,
    private readonly timeoutMs: number,
  ) {}

  static async open(factory: IDBFactory, name: string, timeoutMs: number): Promise<IdbBackend> {
    const b = new IdbBackend(factory, name, timeoutMs)
    await b.connection()
    return b
  }

  private connection(): Promise<IDBPDatabase<LocalRankDB>> {
    if (this.closed) return Promise.reject(new StorageError('storage', `store "${this.name}" is closed`, { store: this.name }))
    if (this.db) return Promise.resolve(this.db)
    this.opening ??= openDatabase(this.factory, this.name, this.timeoutMs).then(
      (db) => {
        this.opening = null
        this.opens++
        if (this.closed) {
          db.close()
          throw new StorageError('storage', `store "${this.name}" is closed`, { store: this.name })
        }
        db.addEventListener('versionchange', () => this.drop(db))
        db.addEventListener('close', () => this.drop(db))
        this.db = db
        return db
      },
      (e: unknown) => {
        this.opening = null
        throw e
      },
    )
    return this.opening
  }

  private drop(db: IDBPDatabase<LocalRankDB>): void {
    db.close()
    if (this.db === db) this.db = null
  }

  async run<T>(mode: 'readonly' | 'readwrite', fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    let db = await this.connection()
    let tx: Tx
    try {
      tx = db.transaction(STORES, mode) as unknown as Tx
    } catch (e) {
      if (errorName(e) !== 'InvalidStateError') throw e
      this.drop(db)
      db = await this.connection()
      tx = db.transaction(STORES, mode) as unknown as Tx
    }
    // Always observed, so an aborted transaction is never an unhandled rejection.
    tx.done.catch(() => {})
    try {
      const result = await fn(new IdbTx(tx))
      await tx.done
      return result
    } catch (e) {
      // Abort explicitly: otherwise the requests issued before the failure would commit,
      // and a batch must be all-or-nothing.
      try {
        tx.abort()
      } catch {
        /* already aborted or finished */
      }
      throw e
    }
  }

  close(): void {
    this.closed = true
    this.db?.close()
    this.db = null
  }
}

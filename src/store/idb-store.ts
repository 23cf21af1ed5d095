import { wrap, type IDBPDatabase, type IDBPTransaction } from 'idb'
import { StorageError, type LocalRankError } from '../errors'
import { EVENT_TYPES, type EventType, type StoredEvent } from '../events/types'
import { mentions, type Backend, type StoreTx } from './backend'
import { packItems, packType, unpackRecord } from './packed'
import { SCHEMA_VERSION, type LocalRankDB, type StoredRecord, type StoreMeta } from './types'

type Stores = ['events', 'meta']
type Tx = IDBPTransaction<LocalRankDB, Stores, 'readwrite' | 'versionchange'>
const STORES: Stores = ['events', 'meta']

/** A database of our name whose layout LocalRank cannot use without destroying data it did not write. */
export class LayoutProblem extends Error {
  override readonly name = 'LayoutProblem'
}

/** The ids of a record's items, once each: the `by_item` (multiEntry) key of a v2 record. */
export function itemIdsOf(record: { items?: unknown }): string[] {
  if (!Array.isArray(record.items)) return []
  const out = new Set<string>()
  for (const it of record.items) {
    // A v3 record's items are tuples, id first (packed.ts).
    const id = Array.isArray(it) ? (it as unknown[])[0] : (it as { id?: unknown } | null)?.id
    if (typeof id === 'string') out.add(id)
  }
  return [...out]
}

/**
 * The one migration function: a step per schema version, applied in order from the version
 * found on disk. Never edit a released step; add `if (oldVersion < N)` for version N and bump
 * SCHEMA_VERSION in types.ts. Written against the raw IndexedDB API (the v2 step walks a cursor
 * inside the upgrade transaction, which must not await anything else).
 *
 * `notes` collects what a step had to repair, so the caller can report it.
 * @throws LayoutProblem when a store of our name has a layout a step cannot repair without
 *   deleting what is in it (the caller aborts the upgrade: nothing is touched).
 */
export function upgrade(db: IDBDatabase, oldVersion: number, tx: IDBTransaction, notes: string[] = []): void {
  if (oldVersion < 1) {
    // v1: events keyed by their id (a replayed write overwrites instead of duplicating),
    // with `by_time` for age retention, oldest-first trimming and newest-N reads.
    const events = db.createObjectStore('events', { keyPath: 'id' })
    events.createIndex('by_time', 'timestamp')
    db.createObjectStore('meta')
  }
  if (oldVersion < 2) {
    // Repair first: a "v1" database of this name written by another build (or another
    // program) may lack a store or an index; every read and write then failed (defect 7).
    let events: IDBObjectStore
    if (!db.objectStoreNames.contains('events')) {
      events = db.createObjectStore('events', { keyPath: 'id' })
      notes.push('created the missing "events" store')
    } else {
      events = tx.objectStore('events')
      if (events.keyPath !== 'id') throw new LayoutProblem(`its "events" store is keyed by ${JSON.stringify(events.keyPath)}${events.autoIncrement ? ' (autoIncrement)' : ''}, not by "id"`)
    }
    if (!events.indexNames.contains('by_time')) {
      events.createIndex('by_time', 'timestamp')
      notes.push('created the missing "by_time" index')
    }
    if (!db.objectStoreNames.contains('meta')) {
      db.createObjectStore('meta')
      notes.push('created the missing "meta" store')
    }
    // v2: `by_item` over each record's item ids, so forget(itemId) stops scanning everything.
    if (!events.indexNames.contains('by_item')) events.createIndex('by_item', 'itemIds', { multiEntry: true })
    // The v2 backfill of `itemIds` on the records already there is done by the v3 walk below:
    // two cursors rewriting the same records in one upgrade transaction would race (the
    // second's update could carry a value read before the first's).
  }
  if (oldVersion < 3) {
    // v3: every record rewritten with its items packed (packed.ts), and `itemIds` backfilled
    // where a v1 record lacks it. Nothing else of a record is touched; a record that is not an
    // event (no items array) is left as it is, for the read path to skip and report.
    const events = tx.objectStore('events')
    const req = events.openCursor()
    req.onsuccess = () => {
      const cursor = req.result
      if (!cursor) return
      const v = cursor.value as { items?: unknown; itemIds?: unknown } | null
      if (v && typeof v === 'object' && Array.isArray(v.items)) {
        const plain = unpackRecord(v) as { items: unknown[]; type?: unknown }
        const items = plain.items.every((it) => it !== null && typeof it === 'object' && typeof (it as { id?: unknown }).id === 'string') ? packItems(plain.items as StoredEvent['items']) : v.items
        const type = EVENT_TYPES.includes(plain.type as EventType) ? packType(plain.type as EventType) : plain.type
        cursor.update({ ...v, type, items, itemIds: Array.isArray(v.itemIds) ? v.itemIds : itemIdsOf(v) })
      }
      cursor.continue()
    }
  }
}

/** Why the database cannot be used as ours, or null when its layout is what we need. */
export function layoutProblem(db: IDBDatabase): string | null {
  for (const s of STORES) if (!db.objectStoreNames.contains(s)) return `it has no "${s}" store`
  const events = db.transaction('events', 'readonly').objectStore('events')
  if (events.keyPath !== 'id') return `its "events" store is keyed by ${JSON.stringify(events.keyPath)}, not by "id"`
  if (!events.indexNames.contains('by_time')) return 'its "events" store has no "by_time" index'
  return null
}

const errorName = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : undefined)

/** One `open` request as a promise; `onUpgrade` runs inside `upgradeneeded`. */
function request(factory: IDBFactory, name: string, version: number | undefined, onUpgrade?: (db: IDBDatabase, oldVersion: number, tx: IDBTransaction) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let req: IDBOpenDBRequest
    try {
      // Firefox private browsing (before v115) throws or errors here with InvalidStateError;
      // a sandboxed or cookie-blocked context throws SecurityError.
      req = version === undefined ? factory.open(name) : factory.open(name, version)
    } catch (e) {
      reject(e)
      return
    }
    req.onupgradeneeded = (ev) => onUpgrade?.(req.result, ev.oldVersion, req.transaction!)
    req.onsuccess = () => resolve(req.result)
    req.onerror = (ev) => {
      ev.preventDefault?.() // handled here: not an uncaught error in the page
      reject(req.error)
    }
  })
}

/**
 * Open (creating, upgrading or repairing) the database on `factory`, an `IDBFactory` (idb's
 * `openDB` always uses the global one; we take it as a parameter so tests can inject one).
 *
 * - A database NEWER than this build (another tab runs a newer release, defect 8) refuses our
 *   version with VersionError: we then open it at its own version and use it if its layout is
 *   still ours (the events and meta stores, keyed and indexed as we need).
 * - A layout we cannot use (a foreign v1, defect 7) rejects with a StorageError saying so; the
 *   caller falls back to memory, and the database is left as it was.
 *
 * Rejects after `timeoutMs` when the request never settles: Safari 14 could leave the first
 * `indexedDB.open` pending forever (https://bugs.webkit.org/show_bug.cgi?id=226547), and an
 * open blocked by another tab that keeps an old version open waits indefinitely. A
 * connection that arrives after we gave up is closed at once so it blocks nobody.
 */
export function openDatabase(factory: IDBFactory, name: string, timeoutMs: number, notes: string[] = []): Promise<IDBPDatabase<LocalRankDB>> {
  const layoutError = (why: string) => new StorageError('storage', `IndexedDB "${name}" has a layout LocalRank cannot use: ${why}; it was left untouched`, { store: name, layout: why })
  const attempt = async (): Promise<IDBDatabase> => {
    let problem: LayoutProblem | null = null
    let db: IDBDatabase
    try {
      db = await request(factory, name, SCHEMA_VERSION, (raw, oldVersion, tx) => {
        try {
          upgrade(raw, oldVersion, tx, notes)
        } catch (e) {
          problem = e instanceof LayoutProblem ? e : new LayoutProblem(String(e))
          tx.abort() // all or nothing: the database stays exactly as it was
        }
      })
    } catch (e) {
      if (problem) throw layoutError((problem as LayoutProblem).message)
      if (errorName(e) !== 'VersionError') throw e
      db = await request(factory, name, undefined)
    }
    const why = layoutProblem(db)
    if (why) {
      db.close()
      throw layoutError(why)
    }
    return db
  }
  return new Promise((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => {
      settled = true
      reject(new StorageError('storage', `opening IndexedDB "${name}" did not finish within ${timeoutMs} ms`, { store: name }))
    }, timeoutMs)
    attempt().then(
      (db) => {
        if (settled) return db.close()
        settled = true
        clearTimeout(timer)
        resolve(wrap(db) as unknown as IDBPDatabase<LocalRankDB>)
      },
      (e: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}

/** A read record as the rest of LocalRank sees it: items unpacked, the index-only `itemIds` stripped. */
function unindexed(record: unknown): unknown {
  const r = unpackRecord(record)
  if (r && typeof r === 'object' && 'itemIds' in r) {
    const { itemIds: _ids, ...rest } = r as StoredRecord
    return rest
  }
  return r
}

/** The v3 record of an event: items packed, their ids for `by_item`. */
export function toRecord(e: StoredEvent): StoredRecord {
  return { ...e, type: packType(e.type), items: packItems(e.items), itemIds: itemIdsOf(e) }
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
      for (const e of events) reqs.push(store.put(toRecord(e)))
    } finally {
      // If a put throws synchronously (quota, DataCloneError) the caller aborts the
      // transaction and the earlier requests fail with AbortError: that is expected.
      for (const r of reqs) r.catch(() => {})
    }
    await Promise.all(reqs)
  }

  async deleteOlderThan(cutoff: number): Promise<string[]> {
    // Walking `by_time` from its start and stopping at the cutoff costs only the deleted
    // events, and needs no IDBKeyRange (which would have to match the injected factory).
    return this.deleteByTime('next', (time) => time < cutoff)
  }

  async deleteNewerThan(cutoff: number): Promise<string[]> {
    return this.deleteByTime('prev', (time) => time > cutoff)
  }

  async deleteOldest(n: number): Promise<string[]> {
    return n > 0 ? this.deleteByTime('next', (_time, deleted) => deleted < n) : []
  }

  /**
   * Delete events walking `by_time` in `direction` while `more(time, deletedSoFar)` holds;
   * returns the deleted ids. The one cursor walk behind age, future-date and count eviction.
   */
  private async deleteByTime(direction: 'next' | 'prev', more: (time: number, deleted: number) => boolean): Promise<string[]> {
    const store = this.events
    const ids: string[] = []
    const dels: Promise<unknown>[] = []
    let cursor = await store.index('by_time').openKeyCursor(null, direction)
    while (cursor && more(cursor.key, dels.length)) {
      ids.push(cursor.primaryKey)
      dels.push(store.delete(cursor.primaryKey))
      cursor = await cursor.continue()
    }
    await Promise.all(dels)
    return ids
  }

  count(): Promise<number> {
    return this.events.count()
  }

  async all(): Promise<unknown[]> {
    return (await this.events.index('by_time').getAll()).map(unindexed)
  }

  async newest(limit: number): Promise<unknown[]> {
    const out: unknown[] = []
    let cursor = limit > 0 ? await this.events.index('by_time').openCursor(null, 'prev') : null
    while (cursor) {
      out.push(unindexed(cursor.value))
      cursor = out.length < limit ? await cursor.continue() : null
    }
    return out
  }

  async get(ids: readonly string[]): Promise<unknown[]> {
    const store = this.events
    const found = await Promise.all(ids.map((id) => store.get(id)))
    return found.filter((r) => r !== undefined).map(unindexed)
  }

  async delete(id: string): Promise<boolean> {
    const store = this.events
    if ((await store.getKey(id)) === undefined) return false
    await store.delete(id)
    return true
  }

  async deleteByItem(itemId: string): Promise<number> {
    const store = this.events
    // v2 and later: only the records that mention the item (the by_item index). A newer
    // database opened at its own version might have dropped the index: scan then.
    if (store.indexNames.contains('by_item')) {
      const keys = await store.index('by_item').getAllKeys(itemId)
      await Promise.all(keys.map((k) => store.delete(k)))
      return keys.length
    }
    const dels: Promise<unknown>[] = []
    let cursor = await store.openCursor()
    while (cursor) {
      if (mentions(cursor.value, itemId)) dels.push(cursor.delete())
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
 * - `versionchange` with a new version (another tab opens a newer schema): close at once, or
 *   that tab's upgrade stays blocked until this one is closed (IndexedDB 3.0 §"open a
 *   database"); the next operation reopens at whatever version is on disk (openDatabase), so
 *   this tab keeps writing instead of failing every later write with VersionError (defect 8).
 * - `versionchange` with `newVersion === null`: another tab is DELETING the database, which
 *   LocalRank does only when the shopper withdraws consent. Close, and never reopen: a reopen
 *   would recreate the database the shopper just had deleted (defect 1). Every later run fails
 *   with a StorageError carrying `deleted: true`; the lifecycle moves to memory meanwhile.
 * - `close` (the browser closed it: site data cleared, Safari reclaiming a background tab):
 *   forget it; the next operation reopens.
 * A transaction on a connection that died without an event throws InvalidStateError; that is
 * retried once on a fresh connection.
 */
export class IdbBackend implements Backend {
  readonly kind = 'indexeddb' as const
  private db: IDBPDatabase<LocalRankDB> | null = null
  private opening: Promise<IDBPDatabase<LocalRankDB>> | null = null
  private closed = false
  /** Set when another tab deleted the database (see the class comment). */
  deleted = false
  /** How many connections were opened; tests read it to see a reopen. */
  opens = 0

  private constructor(
    private readonly factory: IDBFactory,
    readonly name: string,
    private readonly timeoutMs: number,
    private readonly onReport: ((e: LocalRankError) => void) | undefined,
  ) {}

  static async open(factory: IDBFactory, name: string, timeoutMs: number, onReport?: (e: LocalRankError) => void): Promise<IdbBackend> {
    const b = new IdbBackend(factory, name, timeoutMs, onReport)
    await b.connection()
    return b
  }

  private connection(): Promise<IDBPDatabase<LocalRankDB>> {
    if (this.deleted) return Promise.reject(new StorageError('storage', `IndexedDB "${this.name}" was deleted by another tab; not recreating it`, { store: this.name, deleted: true }))
    if (this.closed) return Promise.reject(new StorageError('storage', `store "${this.name}" is closed`, { store: this.name }))
    if (this.db) return Promise.resolve(this.db)
    const notes: string[] = []
    this.opening ??= openDatabase(this.factory, this.name, this.timeoutMs, notes).then(
      (db) => {
        this.opening = null
        this.opens++
        if (notes.length) this.onReport?.(new StorageError('storage', `IndexedDB "${this.name}" was repaired on upgrade: ${notes.join('; ')}`, { store: this.name, repairs: notes }))
        if (this.closed) {
          db.close()
          throw new StorageError('storage', `store "${this.name}" is closed`, { store: this.name })
        }
        db.addEventListener('versionchange', (ev) => {
          if ((ev as IDBVersionChangeEvent).newVersion === null) this.deleted = true
          this.drop(db)
        })
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

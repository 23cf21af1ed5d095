import type { Clock } from '../clock'
import { LocalRankError, StorageError } from '../errors'
import type { StoredEvent } from '../events/types'
import { compareEvents } from './backend'
import { openStore } from './open'
import { sessionOutbox } from './outbox'
import type { EventStore, RetentionPolicy, StoreMeta } from './types'

/**
 * Which kind of store the coordinator wants: `persistent` (IndexedDB, or memory when the page
 * asked for `storage: 'memory'`), `memory` (consent pending: this page only) or `none`
 * (consent denied: nothing at all, not even an empty database).
 */
export type StorageTarget = 'persistent' | 'memory' | 'none'

export interface LifecycleOptions {
  dbName: string
  retention?: Partial<RetentionPolicy>
  clock: Clock
  /** The page asked for `storage: 'memory'`: `persistent` opens a memory store too. */
  memoryOnly?: boolean
  /** Test hook: the IDBFactory (default the global `indexedDB`). */
  indexedDB?: IDBFactory
  /** Problems worked around (fallbacks, repairs, skipped records). */
  onReport: (error: LocalRankError) => void
  /** The current store changed (opened, switched, fell back, destroyed): re-subscribe. */
  onStore: (store: EventStore | null) => void
  /** What this tab holds, for a fallback whose old store cannot even be read any more. */
  snapshot: () => { events: readonly StoredEvent[]; meta: StoreMeta }
}

const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))

/** A write that failed for a reason other than quota (handled by eviction) or a closed store. */
function isWriteFailure(e: unknown): boolean {
  return e instanceof LocalRankError && e.code === 'storage'
}

/**
 * The store's lifecycle, in one place: open, switch (memory ⇄ IndexedDB, carrying what a
 * pending tab kept), fall back to memory when IndexedDB stops working, destroy (a withdrawal:
 * wipe, close, delete the database and this tab's outbox). The engine decides WHEN (its state
 * machine, src/engine/state.ts); this class decides HOW, and serialises it: an append made
 * while a switch runs waits for it, so it lands in the store the new state allows.
 *
 * Fallback (defect 7): IndexedDB can open and still refuse every write (a broken disk, a
 * database another tab deleted). The first such failure moves this tab to a memory store that
 * holds everything it knew plus the batch that failed, reports why once, and goes on: events
 * are kept for this page (and, through the outbox, offered to the next page's IndexedDB).
 */
export class StoreLifecycle {
  private current: EventStore | null = null
  private busy: Promise<void> = Promise.resolve()
  private fallbackReason: string | undefined

  constructor(private readonly o: LifecycleOptions) {}

  get store(): EventStore | null {
    return this.current
  }

  /** Why this tab keeps history in memory, when it does against its wish. */
  get reason(): string | undefined {
    return this.fallbackReason ?? this.current?.fallbackReason
  }

  /** Resolves once every switch requested so far has finished. */
  settled(): Promise<void> {
    return this.busy
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const p = this.busy.then(fn)
    this.busy = p.catch(() => {})
    return p
  }

  /** Close what is open and open `target`, writing `carry` into it first. */
  open(target: StorageTarget, carry?: { events: readonly StoredEvent[]; meta: StoreMeta }): Promise<void> {
    return this.serial(async () => {
      this.current?.close()
      this.current = null
      this.fallbackReason = undefined
      if (target === 'none') return this.o.onStore(null)
      const s = await openStore({
        dbName: this.o.dbName,
        retention: this.o.retention,
        clock: this.o.clock,
        memory: target === 'memory' || this.o.memoryOnly,
        indexedDB: this.o.indexedDB,
        onReport: this.o.onReport,
      })
      this.current = s
      if (carry) {
        try {
          if (carry.events.length) await s.append(carry.events.slice())
          await s.setMeta(carry.meta)
        } catch (e) {
          if (s.kind !== 'indexeddb' || !isWriteFailure(e)) throw e
          await this.toMemory(s, e, carry.events, carry.meta)
          return
        }
      }
      this.o.onStore(this.current)
    })
  }

  /**
   * Append, falling back to memory when IndexedDB refuses the write (see the class comment).
   * Rejects only when even that fails, or for quota (the store's own eviction gave up).
   */
  async append(events: StoredEvent[]): Promise<void> {
    await this.busy
    const s = this.current
    if (!s) throw new StorageError('consent', 'nothing is stored: consent is not granted', { store: this.o.dbName })
    try {
      await s.append(events)
    } catch (e) {
      if (s.kind !== 'indexeddb' || !isWriteFailure(e)) throw e
      await this.serial(async () => {
        if (this.current === s) await this.toMemory(s, e, events, undefined)
        else await this.current?.append(events) // another failure of the same batch got here first
      })
    }
  }

  /** Replace the failing IndexedDB store `old` by a memory store holding what we know. Runs inside `serial`. */
  private async toMemory(old: EventStore, cause: unknown, extra: readonly StoredEvent[], meta: StoreMeta | undefined): Promise<void> {
    const snap = this.o.snapshot()
    const kept = await old.recent().catch(() => snap.events.slice())
    old.close()
    const mem = await openStore({ dbName: this.o.dbName, retention: this.o.retention, clock: this.o.clock, memory: true, onReport: this.o.onReport })
    const byId = new Map<string, StoredEvent>()
    for (const e of [...snap.events, ...kept, ...extra]) byId.set(e.id, e)
    const all = [...byId.values()].sort(compareEvents)
    if (all.length) await mem.append(all)
    await mem.setMeta(meta ?? snap.meta)
    this.current = mem
    const deleted = cause instanceof LocalRankError && cause.context['deleted'] === true
    this.fallbackReason = deleted
      ? `IndexedDB "${this.o.dbName}" was deleted by another tab; history is kept in memory for this page only`
      : `writes to IndexedDB "${this.o.dbName}" fail (${describe(cause)}); history is kept in memory for this page only`
    this.o.onReport(new StorageError('storage', this.fallbackReason, { store: this.o.dbName, fallback: 'memory' }, { cause }))
    this.o.onStore(mem)
  }

  /** Delete the events (and the meta unless `keepMeta`); with no store open, delete any database left over. */
  clearHistory(keepMeta: boolean): Promise<void> {
    return this.serial(async () => {
      if (this.current) await this.current.clear({ keepMeta })
      else await deleteDatabase(this.o.dbName, this.o.indexedDB)
    })
  }

  /**
   * Withdrawal: wipe what is kept, close, and (when `deleteDb`, i.e. this tab made the choice)
   * delete the database and this tab's outbox, so the origin holds nothing of ours. A tab that
   * only HEARS of the withdrawal does not delete: the deciding tab did, and a late delete could
   * race a grant made meanwhile.
   */
  destroy(deleteDb: boolean): Promise<void> {
    return this.serial(async () => {
      const s = this.current
      this.current = null
      this.fallbackReason = undefined
      if (s) {
        await s.clear().catch(() => {}) // a deleted or broken database: nothing more to wipe here
        s.close()
      }
      sessionOutbox(this.o.dbName)?.clear()
      if (deleteDb) await deleteDatabase(this.o.dbName, this.o.indexedDB)
      this.o.onStore(null)
    })
  }

  close(): void {
    this.current?.close()
    this.current = null
  }
}

/**
 * Delete the history database and this tab's copy of writes still in flight (outbox.ts).
 * Resolves on success, error, or `blocked` (a tab that still holds a connection gets
 * `versionchange` and closes; the deletion then completes on its own).
 */
export function deleteDatabase(name: string, factory?: IDBFactory): Promise<void> {
  sessionOutbox(name)?.clear()
  return new Promise((ok) => {
    let f: IDBFactory | undefined
    try {
      f = factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
    } catch {
      f = undefined
    }
    if (!f) return ok()
    try {
      const req = f.deleteDatabase(name)
      req.onsuccess = req.onerror = req.onblocked = () => ok()
    } catch {
      ok()
    }
  })
}

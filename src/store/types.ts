import type { DBSchema } from 'idb'
import type { Outbox } from './outbox'
import type { StoredEvent } from '../events/types'

/** Bumped on every schema change; `upgrade()` in idb-store.ts has one step per version. */
export const SCHEMA_VERSION = 1

/** Values kept in the `meta` store: the shopper's choices, which must survive a reload. */
export interface StoreMeta {
  /** Shopper paused personalisation: nothing is recorded and the server order is kept. */
  paused?: boolean
  /** Categories (any level of the path) the shopper asked never to be boosted. */
  blockedCategories?: string[]
  /** Consent persisted by the embed ('granted' | 'denied'); 'pending' is never persisted. */
  consent?: 'granted' | 'denied'
}

/** The IndexedDB schema, as a type (idb's DBSchema): the single source of truth for its shape. */
export interface LocalRankDB extends DBSchema {
  events: {
    /** `StoredEvent.id` (a per-page sequence number then a UUID, see eventId), so a retried or duplicated write can never store one event twice. */
    key: string
    value: StoredEvent
    indexes: { by_time: number }
  }
  meta: {
    key: keyof StoreMeta
    value: StoreMeta[keyof StoreMeta]
  }
}

export interface RetentionPolicy {
  /** Events older than this are deleted on write. Default 180 days. */
  maxAgeMs: number
  /** At most this many events are kept; the oldest go first. Default 5,000. */
  maxEvents: number
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeMs: 180 * 24 * 3600 * 1000, maxEvents: 5000 }

/** What `export()` returns: the shopper's whole history, self-describing. */
export interface HistoryExport {
  format: 'localrank-history'
  schemaVersion: number
  exportedAt: number
  events: StoredEvent[]
  meta: StoreMeta
}

export type StoreChange =
  | { kind: 'append'; ids: string[]; source: 'local' | 'remote' }
  | { kind: 'forget'; itemId?: string; eventId?: string; source: 'local' | 'remote' }
  | { kind: 'clear'; source: 'local' | 'remote' }
  | { kind: 'meta'; source: 'local' | 'remote' }
  | { kind: 'evict'; count: number; reason: 'age' | 'count' | 'quota'; source: 'local' | 'remote' }

export interface EventStore {
  readonly kind: 'indexeddb' | 'memory'
  /** Why the store fell back to memory, when it did (e.g. "IndexedDB open failed: SecurityError"). */
  readonly fallbackReason: string | undefined
  /**
   * Queue events for writing. Calls made in the same tick are written in one transaction
   * (batching); the promise settles when that batch has committed. Retention is enforced in
   * the same transaction. On QuotaExceededError: evict the oldest events, retry once, then
   * reject with a `StorageError` of code `quota`.
   */
  append(events: StoredEvent[]): Promise<void>
  /** The newest `limit` events (all when omitted), returned oldest first. */
  recent(limit?: number): Promise<StoredEvent[]>
  count(): Promise<number>
  /** Delete every event that mentions `itemId`; returns how many events were deleted. */
  forgetItem(itemId: string): Promise<number>
  /** Delete one event by id; returns whether it existed. */
  forgetEvent(eventId: string): Promise<boolean>
  /** Delete all events and meta. */
  clear(): Promise<void>
  export(): Promise<HistoryExport>
  getMeta(): Promise<StoreMeta>
  setMeta(patch: Partial<StoreMeta>): Promise<void>
  /** Local and cross-tab (BroadcastChannel) changes. Returns an unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void
  close(): void
}

export interface StoreOptions {
  /** IndexedDB database name. Default `localrank`. */
  dbName?: string
  retention?: Partial<RetentionPolicy>
  clock?: () => number
  /** Test hook and private-mode escape hatch: the IDBFactory to use (default `globalThis.indexedDB`). */
  indexedDB?: IDBFactory
  /** Force the in-memory store. */
  memory?: boolean
  /**
   * How long `append` waits to gather more events into one transaction. Default 4 ms (the
   * clamp browsers apply to nested timers anyway). 0 batches only the calls of the same tick
   * (a microtask), which is what the property tests use to stay fast.
   */
  batchWindowMs?: number
  /**
   * Give up opening IndexedDB after this long and fall back to memory. Default 3,000 ms:
   * Safari has been seen to leave `indexedDB.open` pending forever (WebKit bug 226547), and
   * an open blocked by another tab never settles on its own.
   */
  openTimeoutMs?: number
  /**
   * Where in-flight appends are copied so that a page that navigates away right after
   * `track()` does not lose them (see outbox.ts). Default: this tab's sessionStorage, where
   * there is one; null turns it off.
   */
  outbox?: Outbox | null
}

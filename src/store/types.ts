import type { DBSchema } from 'idb'
import type { LocalRankError } from '../errors'
import type { Outbox } from './outbox'
import type { Item, StoredEvent } from '../events/types'
import type { PackedItem } from './packed'

/**
 * Bumped on every schema change; `upgrade()` in idb-store.ts has one step per version.
 * - v1: `events` keyed by id, index `by_time`; `meta`.
 * - v2: each stored record carries `itemIds` (its items' ids) under a multiEntry index
 *   `by_item`, so `forget(itemId)` reads only the events that mention the item instead of
 *   scanning the whole history; the step also repairs v1 databases missing a store or index.
 * - v3: events are stored packed (packed.ts: each item a tuple, the vector as bytes, neighbour
 *   weights as a typed array, string lists joined, the type as a number), so an event with item
 *   data stays within 512 bytes of structured clone; the step rewrites every record in that
 *   form (issue 10, `catalogue/event-bytes`).
 */
export const SCHEMA_VERSION = 3

/** Values kept in the `meta` store: the shopper's choices, which must survive a reload. */
export interface StoreMeta {
  /** Shopper paused personalisation: nothing is recorded and the server order is kept. */
  paused?: boolean
  /** Categories (any level of the path) the shopper asked never to be boosted. */
  blockedCategories?: string[]
  /**
   * Not written by LocalRank any more: consent must outlive the history (a withdrawal deletes
   * this database), so the engine keeps it in src/engine/settings.ts. Kept in the type so that
   * databases and exports written before v2 still type-check.
   */
  consent?: 'granted' | 'denied'
}

/**
 * What the `events` store holds (v3): the event as validated and compacted, its items in their
 * packed form (packed.ts; an item with a field the tuple has no slot for stays an object), plus
 * the ids of its items for the `by_item` index (IndexedDB cannot index a field inside an array
 * of objects, so the item ids need their own array; multiEntry indexes each id once). Reads
 * unpack the items and strip `itemIds`: the rest of LocalRank only ever sees a StoredEvent.
 */
export type StoredRecord = Omit<StoredEvent, 'items' | 'type'> & {
  /** The event type's index in EVENT_TYPES (packed.ts `packType`); a name in records written before v3. */
  type: number | StoredEvent['type']
  items: Array<PackedItem | Item>
  itemIds: string[]
}

/** The IndexedDB schema, as a type (idb's DBSchema): the single source of truth for its shape. */
export interface LocalRankDB extends DBSchema {
  events: {
    /** `StoredEvent.id` (a per-page sequence number then a UUID, see eventId), so a retried or duplicated write can never store one event twice. */
    key: string
    value: StoredRecord
    indexes: { by_time: number; by_item: string }
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
  /** `ids`: the evicted events, so a tab can drop them from its copy without rereading the history. */
  | { kind: 'evict'; count: number; reason: 'age' | 'count' | 'quota' | 'future'; ids: string[]; source: 'local' | 'remote' }

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
  /**
   * The newest `limit` events (all when omitted), returned oldest first. A stored record that is
   * not a well-formed event (written by another program, or by a bug) is skipped and reported
   * once through `onReport`; it never makes the read fail.
   */
  recent(limit?: number): Promise<StoredEvent[]>
  /** The events with these ids that exist (any order): how a tab folds in another tab's appends. */
  get(ids: readonly string[]): Promise<StoredEvent[]>
  /**
   * Enforce retention now (age, count, and events dated after now + the clock skew allowed),
   * without a write: run on open, so bounds hold even for a history nobody adds to.
   */
  enforceRetention(): Promise<void>
  count(): Promise<number>
  /** Delete every event that mentions `itemId`; returns how many events were deleted. */
  forgetItem(itemId: string): Promise<number>
  /** Delete one event by id; returns whether it existed. */
  forgetEvent(eventId: string): Promise<boolean>
  /** Delete all events, and the meta too unless `keepMeta` (the shopper's settings outlive a history clear). */
  clear(options?: { keepMeta?: boolean }): Promise<void>
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
  /**
   * Told about problems the store worked around (a malformed record skipped, a database
   * repaired, a layout it cannot use). Never called for errors that also reject a call.
   */
  onReport?: (error: LocalRankError) => void
}

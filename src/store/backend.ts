import type { StoredEvent } from '../events/types'
import type { StoreMeta } from './types'

/**
 * The few primitives a storage backend must offer. Everything with a policy in it (batching,
 * retention, quota eviction, change notification) lives once, in store.ts, and is written
 * against this interface, so the IndexedDB store and its in-memory fallback cannot drift apart.
 *
 * Order is always (timestamp, id) ascending: IndexedDB iterates an index's equal keys by
 * primary key (IndexedDB 3.0, "index ... records are sorted by key, then by value"), and
 * the memory backend sorts with {@link compareEvents}, which compares strings by UTF-16
 * code units exactly as IndexedDB compares string keys.
 */
export interface StoreTx {
  /** Insert or overwrite (same id) these events. */
  put(events: readonly StoredEvent[]): Promise<void>
  /** Delete every event with `timestamp < cutoff`; returns the ids deleted. */
  deleteOlderThan(cutoff: number): Promise<string[]>
  /** Delete every event with `timestamp > cutoff` (dated in the future); returns the ids deleted. */
  deleteNewerThan(cutoff: number): Promise<string[]>
  /** Delete the `n` oldest events; returns the ids deleted. */
  deleteOldest(n: number): Promise<string[]>
  count(): Promise<number>
  /** Every record, oldest first, as stored (not yet checked: see store.ts `wellFormed`). */
  all(): Promise<unknown[]>
  /** The newest `limit` records, NEWEST first (a reverse cursor). */
  newest(limit: number): Promise<unknown[]>
  /** The records with these ids that exist. */
  get(ids: readonly string[]): Promise<unknown[]>
  /** Delete one event; returns whether it existed. */
  delete(id: string): Promise<boolean>
  /** Delete every event that mentions `itemId`; returns how many. */
  deleteByItem(itemId: string): Promise<number>
  clearEvents(): Promise<void>
  getMeta(): Promise<StoreMeta>
  /** Keys set to `undefined` are removed. */
  setMeta(patch: Partial<StoreMeta>): Promise<void>
  clearMeta(): Promise<void>
}

/** Whether a stored record mentions `itemId` (tolerant of malformed records: they mention nothing). */
export function mentions(record: unknown, itemId: string): boolean {
  const items = (record as { items?: unknown } | null)?.items
  // A v3 record's items are tuples whose first slot is the id (packed.ts).
  return Array.isArray(items) && items.some((it) => (Array.isArray(it) ? it[0] : (it as { id?: unknown } | null)?.id) === itemId)
}

export interface Backend {
  readonly kind: 'indexeddb' | 'memory'
  /**
   * Run `fn` as ONE atomic unit: a readwrite run either commits everything it did or, if
   * `fn` throws or the commit fails, nothing. `fn` must await only the tx's own methods
   * (an IndexedDB transaction auto-commits as soon as it has no pending request).
   * The caller (store.ts) runs one at a time.
   */
  run<T>(mode: 'readonly' | 'readwrite', fn: (tx: StoreTx) => Promise<T>): Promise<T>
  close(): void
}

/** Total order used everywhere: by timestamp, ties by id (code-unit order, as IndexedDB). */
export function compareEvents(a: Pick<StoredEvent, 'timestamp' | 'id'>, b: Pick<StoredEvent, 'timestamp' | 'id'>): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

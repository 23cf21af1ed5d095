/**
 * The behaviour store: the shopper's event history, in IndexedDB (through idb) or, where
 * that is unavailable, in memory. `openStore` is the only way in; the backends and the
 * shared batching/retention logic stay private to this folder.
 */
import { IdbBackend } from './idb-store'
import { MemoryBackend } from './memory-store'
import { Store, storeConfig } from './store'
import type { EventStore, StoreOptions } from './types'

export { DEFAULT_RETENTION, SCHEMA_VERSION } from './types'
export type { EventStore, HistoryExport, LocalRankDB, RetentionPolicy, StoreChange, StoreMeta, StoreOptions } from './types'
export { isQuotaError, quotaEvictionSize } from './store'
export { sessionOutbox, outboxPrefix, type Outbox } from './outbox'

/** Default `openTimeoutMs`. */
export const DEFAULT_OPEN_TIMEOUT_MS = 3000

function describe(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const { name, message } = e as { name?: unknown; message?: unknown }
    return [name, message].filter((x) => typeof x === 'string' && x).join(': ') || String(e)
  }
  return String(e)
}

/**
 * Open the history store. Never throws: when IndexedDB is missing, throws on access or open,
 * errors, or does not open within `openTimeoutMs`, it resolves to an in-memory store with
 * the same behaviour, `kind: 'memory'` and a human-readable `fallbackReason`.
 */
export async function openStore(options: StoreOptions = {}): Promise<EventStore> {
  const cfg = storeConfig(options)
  const memory = (fallbackReason?: string) => new Store(new MemoryBackend(), { ...cfg, fallbackReason })
  if (options.memory) return memory()
  let factory: IDBFactory | undefined
  try {
    // Reading `indexedDB` itself throws SecurityError in sandboxed iframes and when the
    // browser blocks site data ("Block third-party cookies" for a third-party frame).
    factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  } catch (e) {
    return memory(`IndexedDB is not accessible (${describe(e)}); history is kept for this page only`)
  }
  if (!factory) return memory('IndexedDB is not available in this environment; history is kept for this page only')
  try {
    const backend = await IdbBackend.open(factory, cfg.dbName, options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS)
    const store = new Store(backend, cfg)
    // Queued before any read (reads flush appends first), so the first history includes them.
    void store.replayOutbox().catch(() => {}) // a failed replay stays in the outbox for next time
    return store
  } catch (e) {
    return memory(`IndexedDB open failed (${describe(e)}); history is kept for this page only`)
  }
}

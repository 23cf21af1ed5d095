import { LocalRankError, StorageError } from '../errors'
import { IdbBackend } from './idb-store'
import { MemoryBackend } from './memory-store'
import { Store, storeConfig } from './store'
import type { EventStore, StoreOptions } from './types'

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
    const backend = await IdbBackend.open(factory, cfg.dbName, options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS, options.onReport)
    const store = new Store(backend, cfg)
    // Queued before any read (reads flush appends first), so the first history includes them.
    void store.replayOutbox().catch(() => {}) // a failed replay stays in the outbox for next time
    // Bounds hold from the first read, even for a history nobody adds to (future-dated
    // records written before v2's validation included).
    void store
      .enforceRetention()
      .catch((e: unknown) => options.onReport?.(e instanceof LocalRankError ? e : new StorageError('storage', `retention on open failed: ${describe(e)}`, { store: cfg.dbName })))
    return store
  } catch (e) {
    return memory(`IndexedDB open failed (${describe(e)}); history is kept for this page only`)
  }
}

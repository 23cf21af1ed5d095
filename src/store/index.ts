/**
 * The behaviour store: the shopper's event history, in IndexedDB (through idb) or, where
 * that is unavailable, in memory. `StoreLifecycle` (open, switch, fall back, destroy) is how
 * the engine holds one; `openStore` opens a single store. The backends and the shared
 * batching/retention logic stay private to this folder.
 */
export { openStore, DEFAULT_OPEN_TIMEOUT_MS } from './open'

export { DEFAULT_RETENTION, SCHEMA_VERSION } from './types'
export type { EventStore, HistoryExport, LocalRankDB, RetentionPolicy, StoreChange, StoreMeta, StoreOptions, StoredRecord } from './types'
export { StoreLifecycle, deleteDatabase, type LifecycleOptions, type StorageTarget } from './lifecycle'
export { isQuotaError, quotaEvictionSize } from './store'
export { sessionOutbox, outboxPrefix, type Outbox } from './outbox'

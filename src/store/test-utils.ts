/**
 * Shared fixtures for the store's tests (not part of the library: nothing outside *.test.ts
 * imports this file). Importing it installs fake-indexeddb's classes as globals, because idb
 * recognises requests and transactions with `instanceof IDBRequest` etc.
 */
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import type { EventType, StoredEvent } from '../events/types'
import { openStore } from './index'
import type { EventStore, StoreChange, StoreOptions } from './types'

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0)

/** A settable fixed clock. */
export function fixedClock(start = T0): { (): number; set(t: number): void; advance(ms: number): void } {
  let now = start
  const c = () => now
  c.set = (t: number) => void (now = t)
  c.advance = (ms: number) => void (now += ms)
  return c
}

export function ev(id: string, timestamp: number, items: string[] = ['sku-1'], type: EventType = 'view_item'): StoredEvent {
  return { id, type, timestamp, items: items.map((i) => ({ id: i, category: ['home', 'lamps'], price: 10 })) }
}

export type Kind = 'indexeddb' | 'memory'

let n = 0
/** A store of the given kind on a fresh fake IndexedDB (one factory per call unless given), on a fixed clock at T0 unless given. */
export async function makeStore(kind: Kind, options: StoreOptions = {}): Promise<EventStore> {
  const s = await openStore({
    dbName: `test-${++n}`,
    batchWindowMs: 0,
    clock: fixedClock(),
    ...options,
    ...(kind === 'memory' ? { memory: true } : { indexedDB: options.indexedDB ?? new IDBFactory() }),
  })
  if (s.kind !== kind) throw new Error(`expected a ${kind} store, got ${s.kind} (${s.fallbackReason})`)
  return s
}

export function collect(store: EventStore): StoreChange[] {
  const out: StoreChange[] = []
  store.onChange((c) => out.push(c))
  return out
}

/** Resolve once `pred` holds, polling; rejects after `ms`. */
export async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

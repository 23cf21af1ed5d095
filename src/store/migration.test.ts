/**
 * Schema v1 → v2 (issue 10 and issue 13 #7): a database written by the v1 build, with data,
 * is upgraded in place: nothing lost, every record gets its `itemIds` for the `by_item`
 * (multiEntry) index, and forget(itemId) then reads only the records that mention the item.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBFactory, IDBIndex as FDBIndex, IDBObjectStore as FDBObjectStore } from 'fake-indexeddb'
import type { LocalRankError } from '../errors'
import { openStore } from './index'
import { fixedClock, T0 } from './test-utils'
import { SCHEMA_VERSION, type EventStore } from './types'

const open: EventStore[] = []
afterEach(() => {
  vi.restoreAllMocks()
  for (const s of open.splice(0)) s.close()
})

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, ko) => {
    r.onsuccess = () => ok(r.result)
    r.onerror = () => ko(r.error)
  })
}

/** Exactly what the v1 build's upgrade() created, then filled as the v1 build stored events. */
async function v1Database(factory: IDBFactory, name: string, n: number): Promise<void> {
  const r = factory.open(name, 1)
  r.onupgradeneeded = () => {
    const events = r.result.createObjectStore('events', { keyPath: 'id' })
    events.createIndex('by_time', 'timestamp')
    r.result.createObjectStore('meta')
  }
  const db = await req(r)
  const tx = db.transaction(['events', 'meta'], 'readwrite')
  for (let i = 0; i < n; i++) {
    tx.objectStore('events').put({
      id: `v1-${String(i).padStart(3, '0')}`,
      type: i % 5 === 4 ? 'add_to_cart' : 'view_item',
      timestamp: T0 - (n - i) * 1000,
      items: [{ id: `sku-${i % 7}`, category: ['home', 'lamps'] }, ...(i % 3 === 0 ? [{ id: 'shared' }] : [])],
    })
  }
  tx.objectStore('meta').put(true, 'paused')
  tx.objectStore('meta').put(['lamps'], 'blockedCategories')
  await new Promise((ok) => (tx.oncomplete = ok))
  db.close()
}

describe('migration v1 → v2', () => {
  it('keeps every event and the meta, backfills itemIds, and creates by_item', async () => {
    const factory = new IDBFactory()
    await v1Database(factory, 'mig', 60)
    const reports: LocalRankError[] = []
    const s = await openStore({ indexedDB: factory, dbName: 'mig', clock: fixedClock(), outbox: null, onReport: (e) => reports.push(e) })
    open.push(s)
    expect(s.kind).toBe('indexeddb')
    const events = await s.recent()
    expect(events).toHaveLength(60)
    expect(events[0]).toEqual({ id: 'v1-000', type: 'view_item', timestamp: T0 - 60_000, items: [{ id: 'sku-0', category: ['home', 'lamps'] }, { id: 'shared' }] })
    expect(events.some((e) => 'itemIds' in e)).toBe(false) // the index field never leaks out
    expect(await s.getMeta()).toEqual({ paused: true, blockedCategories: ['lamps'] })
    expect(reports).toEqual([]) // a well-formed v1 database needs no repair
    s.close()
    const db = await req(factory.open('mig'))
    expect(db.version).toBe(SCHEMA_VERSION)
    const store = db.transaction('events').objectStore('events')
    const raw = (await req(store.getAll())) as Array<{ id: string; itemIds: string[] }>
    expect(raw.find((r) => r.id === 'v1-003')!.itemIds).toEqual(['sku-3', 'shared'])
    expect(await req(store.index('by_item').count('shared'))).toBe(20)
    db.close()
  })

  it('forget(itemId) deletes through by_item without walking the whole store', async () => {
    const factory = new IDBFactory()
    await v1Database(factory, 'mig-forget', 60)
    const s = await openStore({ indexedDB: factory, dbName: 'mig-forget', clock: fixedClock(), outbox: null })
    open.push(s)
    await s.count()
    const storeCursor = vi.spyOn(FDBObjectStore.prototype, 'openCursor')
    const byItem = vi.spyOn(FDBIndex.prototype, 'getAllKeys')
    expect(await s.forgetItem('shared')).toBe(20)
    expect(storeCursor).not.toHaveBeenCalled()
    expect(byItem).toHaveBeenCalledTimes(1)
    expect(await s.count()).toBe(40)
    expect((await s.recent()).some((e) => e.items.some((it) => it.id === 'shared'))).toBe(false)
  })
})

/** A v2 database as the v2 build wrote it: plain items with vectors and neighbours, `itemIds`, `by_item`. */
async function v2Database(factory: IDBFactory, name: string, n: number): Promise<Array<Record<string, unknown>>> {
  const r = factory.open(name, 2)
  r.onupgradeneeded = () => {
    const events = r.result.createObjectStore('events', { keyPath: 'id' })
    events.createIndex('by_time', 'timestamp')
    events.createIndex('by_item', 'itemIds', { multiEntry: true })
    r.result.createObjectStore('meta')
  }
  const db = await req(r)
  const tx = db.transaction(['events', 'meta'], 'readwrite')
  const written: Array<Record<string, unknown>> = []
  for (let i = 0; i < n; i++) {
    const item = {
      id: `sku-${i % 7}`,
      category: ['home', 'lamps'],
      price: 10 + i,
      title: `Lamp ${i}`,
      vector: `f16:0a1b2c3d:${Buffer.from(new Uint8Array(130).map((_, k) => (k * 31 + i) & 255)).toString('base64url')}`,
      neighbours: [
        [`sku-${(i + 1) % 7}`, 0.6123],
        [`sku-${(i + 2) % 7}`, 0.25],
      ],
    }
    const e = { id: `v2-${String(i).padStart(3, '0')}`, type: 'view_item', timestamp: T0 - (n - i) * 1000, items: i % 4 === 0 ? [item, { id: 'shared' }] : [item] }
    written.push(e)
    tx.objectStore('events').put({ ...e, itemIds: e.items.map((x) => x.id) })
  }
  // Not an event: the v3 step must leave it alone (the read path skips and reports it).
  tx.objectStore('events').put({ id: 'zz-foreign', timestamp: T0 - 1, items: null })
  tx.objectStore('meta').put(true, 'paused')
  await new Promise((ok) => (tx.oncomplete = ok))
  db.close()
  return written
}

describe('migration v2 → v3', () => {
  it('rewrites every record with packed items; every event reads back exactly as stored, meta kept, by_item intact', async () => {
    const factory = new IDBFactory()
    const written = await v2Database(factory, 'mig3', 40)
    const reports: LocalRankError[] = []
    const s = await openStore({ indexedDB: factory, dbName: 'mig3', clock: fixedClock(), outbox: null, onReport: (e) => reports.push(e) })
    open.push(s)
    expect(s.kind).toBe('indexeddb')
    expect(await s.recent()).toEqual(written)
    expect(await s.getMeta()).toEqual({ paused: true })
    expect(reports.map((r) => r.message).join('\n')).toMatch(/zz-foreign|malformed|skipped/i)
    s.close()
    const db = await req(factory.open('mig3'))
    expect(db.version).toBe(SCHEMA_VERSION)
    const store = db.transaction('events').objectStore('events')
    const raw = (await req(store.getAll())) as Array<{ id: string; items: unknown; itemIds: string[] }>
    const v = raw.find((r) => r.id === 'v2-004')!
    expect(v.itemIds).toEqual(['sku-4', 'shared'])
    // Packed: tuples, the vector as bytes (1 + 4 + 130), neighbour weights as float32.
    const [first, second] = v.items as unknown[][]
    expect(Array.isArray(first)).toBe(true)
    expect(first![5]).toBeInstanceOf(Uint8Array)
    expect((first![5] as Uint8Array).length).toBe(135)
    expect(first![7]).toBeInstanceOf(Float32Array)
    expect(second).toEqual(['shared'])
    expect(raw.find((r) => r.id === 'zz-foreign')!.items).toBeNull()
    expect(await req(store.index('by_item').count('shared'))).toBe(10)
    db.close()
  })

  it('a v1 database goes straight to v3 in one walk: itemIds backfilled and items packed', async () => {
    const factory = new IDBFactory()
    await v1Database(factory, 'mig13', 30)
    const s = await openStore({ indexedDB: factory, dbName: 'mig13', clock: fixedClock(), outbox: null })
    open.push(s)
    expect(await s.recent()).toHaveLength(30)
    expect(await s.forgetItem('shared')).toBe(10)
    s.close()
    const db = await req(factory.open('mig13'))
    const raw = (await req(db.transaction('events').objectStore('events').getAll())) as Array<{ id: string; items: unknown[]; itemIds: string[] }>
    expect(raw.every((r) => Array.isArray(r.itemIds) && r.items.every(Array.isArray))).toBe(true)
    db.close()
  })
})

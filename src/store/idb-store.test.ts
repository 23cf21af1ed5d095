/**
 * What only the IndexedDB store does: one transaction per batch, quota eviction and retry,
 * schema upgrade, fallback to memory when opening fails, cross-tab notification, concurrent
 * writers, and connection loss. Runs on fake-indexeddb, a fresh IDBFactory per test.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBDatabase as FDBDatabase, IDBFactory, IDBObjectStore as FDBObjectStore, IDBOpenDBRequest as FDBOpenDBRequest, forceCloseDatabase } from 'fake-indexeddb'
import { StorageError } from '../errors'
import { DEFAULT_OPEN_TIMEOUT_MS, isQuotaError, openStore, quotaEvictionSize } from './index'
import { collect, ev, fixedClock, makeStore, T0, until } from './test-utils'
import { SCHEMA_VERSION, type EventStore, type StoreChange } from './types'

const open: EventStore[] = []
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  for (const s of open.splice(0)) s.close()
})
async function idbStore(o: Parameters<typeof makeStore>[1] = {}) {
  const s = await makeStore('indexeddb', o)
  open.push(s)
  return s
}

/** Count readwrite transactions opened on any fake-indexeddb connection. */
function countWriteTransactions() {
  const spy = vi.spyOn(FDBDatabase.prototype, 'transaction')
  return () => spy.mock.calls.filter((c) => c[1] === 'readwrite').length
}

function rawOpen(factory: IDBFactory, name: string, version?: number, onUpgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, version)
    req.onupgradeneeded = () => onUpgrade?.(req.result)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

describe('batching', () => {
  it('writes N appends of one tick in ONE readwrite transaction, and settles every caller', async () => {
    const s = await idbStore({ batchWindowMs: 0 })
    const writes = countWriteTransactions()
    const settled: string[] = []
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.append([ev(`e${i}`, T0 + i)]).then(() => void settled.push(`e${i}`))))
    expect(writes()).toBe(1)
    expect(settled).toHaveLength(50)
    expect(await s.count()).toBe(50)
  })

  it('gathers appends made within the batch window (separate ticks) into one transaction', async () => {
    const s = await idbStore({ batchWindowMs: 30 })
    const writes = countWriteTransactions()
    const ps: Promise<void>[] = []
    for (let i = 0; i < 5; i++) {
      ps.push(s.append([ev(`e${i}`, T0 + i)]))
      await Promise.resolve() // a later microtask
      await new Promise((r) => setImmediate(r)) // a later macrotask, still inside 30 ms
    }
    await Promise.all(ps)
    expect(writes()).toBe(1)
  })

  it('appends awaited one after another are separate batches (each settles only on its commit)', async () => {
    const s = await idbStore({ batchWindowMs: 0 })
    const writes = countWriteTransactions()
    for (let i = 0; i < 3; i++) await s.append([ev(`e${i}`, T0 + i)])
    expect(writes()).toBe(3)
  })
})

describe('quota', () => {
  /** Make `put` on the events store throw QuotaExceededError, as a full origin does. */
  function quotaOnPut(failAttempts: number, failAtPut = 2) {
    const real = FDBObjectStore.prototype.put
    let attempt = 0
    let putsThisTx = 0
    let lastTx: unknown = null
    const spy = vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'events') {
        if (this.transaction !== lastTx) {
          lastTx = this.transaction
          putsThisTx = 0
          attempt++
        }
        putsThisTx++
        // Fail on the failAtPut-th put of an attempt: earlier puts of the batch were issued
        // and must be rolled back with it.
        if (attempt <= failAttempts && putsThisTx === failAtPut) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
      }
      return real.apply(this, args)
    })
    return { attempts: () => attempt, spy }
  }

  const seed = Array.from({ length: 20 }, (_, i) => ev(`old${String(i).padStart(2, '0')}`, T0 - 1000 + i, [`sku-${i}`]))

  it('evicts the oldest (max(10% of the store, batch size)), retries once and succeeds', async () => {
    const s = await idbStore()
    await s.append(seed)
    const changes = collect(s)
    const q = quotaOnPut(1)
    const batch = [ev('n1', T0, ['a']), ev('n2', T0 + 1, ['b']), ev('n3', T0 + 2, ['c'])]
    await expect(s.append(batch)).resolves.toBeUndefined()
    expect(q.attempts()).toBe(2)
    const all = await s.recent()
    // 20 stored, batch of 3: evict max(ceil(2), 3) = 3 oldest.
    expect(all.map((e) => e.id)).toEqual([...seed.slice(3).map((e) => e.id), 'n1', 'n2', 'n3'])
    expect(all.slice(0, 17)).toEqual(seed.slice(3)) // survivors byte-for-byte intact
    expect(changes).toEqual([
      { kind: 'evict', count: 3, reason: 'quota', ids: ['old00', 'old01', 'old02'], source: 'local' },
      { kind: 'append', ids: ['n1', 'n2', 'n3'], source: 'local' },
    ])
  })

  it('rejects with StorageError code quota after ONE retry; the batch is all-or-nothing', async () => {
    const s = await idbStore()
    await s.append(seed)
    const changes = collect(s)
    const q = quotaOnPut(Infinity)
    const batch = [ev('n1', T0, ['a']), ev('n2', T0 + 1, ['b']), ev('n3', T0 + 2, ['c'])]
    const err = await s.append(batch).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(StorageError)
    expect(err).toMatchObject({ code: 'quota', context: { evicted: 3, batch: 3 } })
    expect(q.attempts()).toBe(2) // first try + exactly one retry
    q.spy.mockRestore()
    const all = await s.recent()
    expect(all).toEqual(seed.slice(3)) // n1 (whose put succeeded before the failure) was rolled back
    expect(changes).toEqual([{ kind: 'evict', count: 3, reason: 'quota', ids: ['old00', 'old01', 'old02'], source: 'local' }])
    // The store keeps working once space is back.
    await s.append([ev('after', T0 + 10)])
    expect(await s.count()).toBe(18)
  })

  it('rejects every caller of a refused batch, and only them', async () => {
    const s = await idbStore()
    quotaOnPut(Infinity, 1)
    const r = await Promise.allSettled([s.append([ev('a', T0)]), s.append([ev('b', T0)])])
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected'])
    vi.restoreAllMocks()
    await expect(s.append([ev('c', T0)])).resolves.toBeUndefined()
    expect((await s.recent()).map((e) => e.id)).toEqual(['c'])
  })

  it('does not evict on other errors: they reject as StorageError code storage', async () => {
    const s = await idbStore()
    await s.append(seed)
    const changes = collect(s)
    const real = FDBObjectStore.prototype.put
    vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...a: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'events') throw new DOMException('could not be cloned', 'DataCloneError')
      return real.apply(this, a)
    })
    await expect(s.append([ev('x', T0)])).rejects.toMatchObject({ name: 'StorageError', code: 'storage', message: expect.stringContaining('DataCloneError') })
    vi.restoreAllMocks()
    expect(await s.count()).toBe(20)
    expect(changes).toEqual([])
  })

  it('recognises quota errors by name and by legacy code 22 / 1014', () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true)
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true) // old WebKit
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED', code: 1014 })).toBe(true) // old Firefox
    expect(isQuotaError(new DOMException('x', 'DataCloneError'))).toBe(false)
    expect(isQuotaError(new Error('QuotaExceededError'))).toBe(false)
    expect(isQuotaError(null)).toBe(false)
    expect([quotaEvictionSize(1000, 3), quotaEvictionSize(1000, 400), quotaEvictionSize(5, 1), quotaEvictionSize(0, 3)]).toEqual([100, 400, 1, 0])
  })
})

describe('schema and upgrade', () => {
  it('creates the schema on an empty database: events keyed by id with by_time, and meta', async () => {
    const factory = new IDBFactory()
    const s = await idbStore({ indexedDB: factory, dbName: 'fresh' })
    s.close()
    const db = await rawOpen(factory, 'fresh')
    expect(db.version).toBe(SCHEMA_VERSION)
    expect([...db.objectStoreNames].sort()).toEqual(['events', 'meta'])
    const tx = db.transaction('events')
    const events = tx.objectStore('events')
    expect(events.keyPath).toBe('id')
    expect([...events.indexNames].sort()).toEqual(['by_item', 'by_time'])
    expect(events.index('by_time').keyPath).toBe('timestamp')
    expect(events.index('by_time').unique).toBe(false)
    expect(events.index('by_item').keyPath).toBe('itemIds')
    expect(events.index('by_item').multiEntry).toBe(true)
    db.close()
  })

  it('reopening an existing database keeps its events and meta (no upgrade re-run)', async () => {
    const factory = new IDBFactory()
    const a = await idbStore({ indexedDB: factory, dbName: 'keep' })
    await a.append([ev('1', T0), ev('2', T0 + 1)])
    await a.setMeta({ consent: 'granted' })
    a.close()
    const b = await idbStore({ indexedDB: factory, dbName: 'keep' })
    expect((await b.recent()).map((e) => e.id)).toEqual(['1', '2'])
    expect(await b.getMeta()).toEqual({ consent: 'granted' })
  })
})

describe('memory fallback (never throws out of openStore)', () => {
  it('falls back when indexedDB is undefined', async () => {
    vi.stubGlobal('indexedDB', undefined)
    const s = await openStore({ dbName: 'x', clock: fixedClock() })
    open.push(s)
    expect(s.kind).toBe('memory')
    expect(s.fallbackReason).toMatch(/not available/)
    await s.append([ev('a', T0)])
    expect(await s.count()).toBe(1)
  })

  it('falls back when reading indexedDB itself throws (sandboxed frame)', async () => {
    vi.stubGlobal('indexedDB', undefined)
    Object.defineProperty(globalThis, 'indexedDB', {
      configurable: true,
      get() {
        throw new DOMException('access denied', 'SecurityError')
      },
    })
    try {
      const s = await openStore({})
      open.push(s)
      expect(s.kind).toBe('memory')
      expect(s.fallbackReason).toMatch(/SecurityError/)
    } finally {
      Object.defineProperty(globalThis, 'indexedDB', { configurable: true, writable: true, value: new IDBFactory() })
    }
  })

  it('falls back when open throws (Firefox private mode: InvalidStateError)', async () => {
    const factory = new IDBFactory()
    vi.spyOn(factory, 'open').mockImplementation(() => {
      throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError')
    })
    const s = await openStore({ indexedDB: factory, batchWindowMs: 0, clock: fixedClock() })
    open.push(s)
    expect(s.kind).toBe('memory')
    expect(s.fallbackReason).toMatch(/IndexedDB open failed \(InvalidStateError/)
    await s.append([ev('a', T0)])
    expect((await s.recent())[0]!.id).toBe('a')
  })

  it('falls back when a newer version on disk (VersionError) does not have our layout, and says why', async () => {
    const factory = new IDBFactory()
    ;(await rawOpen(factory, 'newer', SCHEMA_VERSION + 5)).close()
    const s = await openStore({ indexedDB: factory, dbName: 'newer' })
    open.push(s)
    expect(s.kind).toBe('memory')
    expect(s.fallbackReason).toMatch(/layout LocalRank cannot use: it has no "events" store/)
  })

  it('uses a newer version on disk (VersionError for ours) at its own version when its layout is still ours', async () => {
    const factory = new IDBFactory()
    const a = await idbStore({ indexedDB: factory, dbName: 'newer-ok' })
    await a.append([ev('a', T0)])
    a.close()
    ;(await rawOpen(factory, 'newer-ok', SCHEMA_VERSION + 3, (db) => void db.createObjectStore('extra'))).close()
    const s = await idbStore({ indexedDB: factory, dbName: 'newer-ok' })
    expect(s.kind).toBe('indexeddb')
    await s.append([ev('b', T0 + 1)])
    expect((await s.recent()).map((e) => e.id)).toEqual(['a', 'b'])
  })

  it('falls back when open never settles (Safari hang), after openTimeoutMs', async () => {
    const factory = new IDBFactory()
    vi.spyOn(factory, 'open').mockImplementation(() => new FDBOpenDBRequest())
    const t = Date.now()
    const s = await openStore({ indexedDB: factory, openTimeoutMs: 50 })
    open.push(s)
    expect(Date.now() - t).toBeGreaterThanOrEqual(45)
    expect(s.kind).toBe('memory')
    expect(s.fallbackReason).toMatch(/did not finish within 50 ms/)
    expect(DEFAULT_OPEN_TIMEOUT_MS).toBe(3000)
  })
})

describe('several tabs', () => {
  it('tells other instances of the same database through BroadcastChannel (source: remote)', async () => {
    const factory = new IDBFactory()
    const a = await idbStore({ indexedDB: factory, dbName: 'shared' })
    const b = await idbStore({ indexedDB: factory, dbName: 'shared' })
    const other = await idbStore({ indexedDB: factory, dbName: 'other-db' })
    const fromA = collect(a)
    const fromB = collect(b)
    const fromOther = collect(other)
    await a.append([ev('x', T0, ['lamp-7'])])
    await until(() => fromB.length >= 1)
    expect(fromB[0]).toEqual({ kind: 'append', ids: ['x'], source: 'remote' })
    expect(fromA[0]).toEqual({ kind: 'append', ids: ['x'], source: 'local' })
    await b.forgetItem('lamp-7')
    await b.setMeta({ paused: true })
    await b.clear()
    await until(() => fromA.length >= 4)
    expect(fromA.slice(1)).toEqual<StoreChange[]>([
      { kind: 'forget', itemId: 'lamp-7', source: 'remote' },
      { kind: 'meta', source: 'remote' },
      { kind: 'clear', source: 'remote' },
    ])
    // The remote change is real: A reads what B did.
    expect(await a.getMeta()).toEqual({})
    await new Promise((r) => setTimeout(r, 20))
    expect(fromOther).toEqual([]) // another database's channel hears nothing
  })

  it('ignores foreign messages on the channel', async () => {
    const s = await idbStore({ dbName: 'noisy' })
    const changes = collect(s)
    const ch = new BroadcastChannel('localrank:noisy')
    ch.postMessage({ kind: 'clear' })
    ch.postMessage({ tag: 'localrank-store-change', change: { kind: 'drop-tables' } })
    ch.postMessage({ tag: 'localrank-store-change', change: { kind: 'meta' } })
    await until(() => changes.length >= 1)
    ch.close()
    expect(changes).toEqual([{ kind: 'meta', source: 'remote' }])
  })

  it('two instances appending 300 events each at the same time: 600 stored, none lost, none duplicated', async () => {
    const factory = new IDBFactory()
    const a = await idbStore({ indexedDB: factory, dbName: 'race', batchWindowMs: 1 })
    const b = await idbStore({ indexedDB: factory, dbName: 'race', batchWindowMs: 1 })
    const write = async (s: EventStore, tag: string) => {
      const ps: Promise<void>[] = []
      for (let i = 0; i < 300; i++) {
        // Same timestamps in both "tabs", in bursts across ticks.
        ps.push(s.append([{ ...ev(`${tag}-${i}`, T0 + (i % 7)), id: crypto.randomUUID() }]))
        if (i % 25 === 0) await new Promise((r) => setTimeout(r, 0))
      }
      await Promise.all(ps)
    }
    await Promise.all([write(a, 'a'), write(b, 'b')])
    const fromA = await a.recent()
    const fromB = await b.recent()
    expect(fromA).toHaveLength(600)
    expect(new Set(fromA.map((e) => e.id)).size).toBe(600)
    expect(fromB).toEqual(fromA)
    expect(await b.count()).toBe(600)
  })

  it('closes its connection on versionchange so another tab can upgrade, then goes on at the newer version', async () => {
    const factory = new IDBFactory()
    const s = await idbStore({ indexedDB: factory, dbName: 'upg', openTimeoutMs: 200 })
    await s.append([ev('a', T0)])
    let blocked = false
    const upgraded = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = factory.open('upg', SCHEMA_VERSION + 1)
      req.onblocked = () => void (blocked = true)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
      setTimeout(() => reject(new Error('upgrade blocked by the open store')), 1000)
    })
    expect(upgraded.version).toBe(SCHEMA_VERSION + 1)
    expect(blocked).toBe(false)
    upgraded.close()
    // Not VersionError on every later call (defect 8): reopened at the version on disk.
    await s.append([ev('b', T0 + 1)])
    expect((await s.recent()).map((e) => e.id)).toEqual(['a', 'b'])
  })

  it('reopens on next use after the browser closed the connection (close event)', async () => {
    const txSpy = vi.spyOn(FDBDatabase.prototype, 'transaction')
    const s = await idbStore({ dbName: 'closed' })
    await s.append([ev('a', T0)])
    const raw = txSpy.mock.contexts[0] as IDBDatabase
    forceCloseDatabase(raw as unknown as typeof FDBDatabase) // its .d.ts mistypes the parameter as the class
    await s.append([ev('b', T0 + 1)])
    expect((await s.recent()).map((e) => e.id)).toEqual(['a', 'b'])
    expect(txSpy.mock.contexts.at(-1)).not.toBe(raw)
  })

  it('reopens when a connection died silently (transaction throws InvalidStateError)', async () => {
    const txSpy = vi.spyOn(FDBDatabase.prototype, 'transaction')
    const s = await idbStore({ dbName: 'silent' })
    await s.append([ev('a', T0)])
    const raw = txSpy.mock.contexts[0] as IDBDatabase
    raw.close() // no close event: the next transaction() on it throws InvalidStateError
    expect(await s.count()).toBe(1)
    expect(txSpy.mock.contexts.at(-1)).not.toBe(raw)
  })
})

describe('clock', () => {
  it('export stamps exportedAt with the injected clock', async () => {
    const clock = fixedClock(T0 + 123)
    const s = await idbStore({ clock })
    expect((await s.export()).exportedAt).toBe(T0 + 123)
  })
})

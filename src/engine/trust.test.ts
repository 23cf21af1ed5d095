/**
 * Issue 13, the coordinating layer: each test reproduces one defect found by the outside
 * review, through the public engine API, on fake-indexeddb (one IDBFactory per test). Two
 * engines on the same factory and database name are two tabs: they share the database and,
 * as real tabs do, BroadcastChannel (Node delivers it between instances of one process).
 */
import 'fake-indexeddb/auto'
import { IDBFactory, IDBObjectStore as FDBObjectStore } from 'fake-indexeddb'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type LocalRankError, ValidationError } from '../errors'
import type { Candidate } from '../rank/types'
import { SCHEMA_VERSION } from '../store'
import { createEngine } from './engine'
import type { Engine, EngineOptions } from './types'

const HOUR = 3600e3
const DAY = 24 * HOUR
const T = Date.UTC(2026, 5, 1)
const clock = () => T
let n = 0
const engines: Engine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.dispose()
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

/** A Storage over a Map: localStorage for Node, shared by the "tabs" of one test. */
function memoryStorage(): Storage {
  const m = new Map<string, string>()
  return {
    get length() {
      return m.size
    },
    key: (i: number) => [...m.keys()][i] ?? null,
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, String(v)),
    removeItem: (k: string) => void m.delete(k),
    clear: () => m.clear(),
  }
}

interface Tab {
  e: Engine
  errors: LocalRankError[]
}
async function tab(idb: IDBFactory, opts: EngineOptions = {}): Promise<Tab> {
  vi.stubGlobal('indexedDB', idb)
  const errors: LocalRankError[] = []
  const e = await createEngine({ clock, onError: (x) => errors.push(x), ...opts })
  engines.push(e)
  return { e, errors }
}
const dbNames = async (idb: IDBFactory) => (await idb.databases()).map((d) => d.name)
const view = (id: string, category = ['Horror'], timestamp?: number) => ({ type: 'view_item' as const, items: [{ id, category }], ...(timestamp === undefined ? {} : { timestamp }) })
async function until(pred: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
function rawOpen(factory: IDBFactory, name: string, version?: number, onUpgrade?: (db: IDBDatabase, tx: IDBTransaction) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, version)
    req.onupgradeneeded = () => onUpgrade?.(req.result, req.transaction!)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}
function rawAll(db: IDBDatabase, store: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const req = db.transaction(store, 'readonly').objectStore(store).getAll()
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}
function rawPut(db: IDBDatabase, store: string, value: unknown, key?: IDBValidKey): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, 'readwrite')
    tx.objectStore(store).put(value, key)
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
  })
}

const catalogue: Candidate[] = ['Comedy', 'Drama', 'Horror', 'Action'].flatMap((g, gi) => [0, 1, 2].map((k) => ({ id: `${g}-${k}`, category: [g], score: 100 - gi * 3 - k })))

describe('defect 1: withdrawal is honoured across tabs', () => {
  it('tab B denies → tab A reports denied at once, stores nothing, never recreates the database', async () => {
    const idb = new IDBFactory()
    const dbName = `t1-${++n}`
    const a = await tab(idb, { dbName })
    const b = await tab(idb, { dbName })
    await a.e.track(view('m1'))
    await b.e.setConsent('denied')
    // A tracks straight away, before it could have heard anything: must not recreate the DB.
    const raced = await a.e.track(view('m2'))
    await until(() => a.e.info().consent === 'denied')
    expect(await a.e.track(view('m3'))).toBeNull()
    expect(await a.e.history()).toEqual([])
    expect((await a.e.rerank(catalogue)).path).toBe('server')
    expect(await dbNames(idb)).not.toContain(dbName)
    // The event raced against the withdrawal is not kept anywhere either.
    if (raced) expect((await a.e.export()).events).toEqual([])
  })

  it('the choice is persisted: a tab opened later, with no explicit consent, starts denied and opens nothing', async () => {
    const idb = new IDBFactory()
    vi.stubGlobal('localStorage', memoryStorage())
    const dbName = `t1p-${++n}`
    const b = await tab(idb, { dbName })
    await b.e.track(view('m1'))
    await b.e.setConsent('denied')
    const open = vi.spyOn(idb, 'open')
    const later = await tab(idb, { dbName })
    expect(later.e.info().consent).toBe('denied')
    expect(await later.e.track(view('m2'))).toBeNull()
    expect(open).not.toHaveBeenCalled()
    // What is kept is the choice alone: one key, the consent word and when, nothing of the history.
    const kept = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)!)
    expect(kept).toEqual([`localrank:consent:${dbName}`])
    const value = JSON.parse(localStorage.getItem(kept[0]!)!) as Record<string, unknown>
    expect(Object.keys(value).sort()).toEqual(['at', 'consent'])
    expect(value['consent']).toBe('denied')
    expect(localStorage.getItem(kept[0]!)).not.toContain('m1')
  })

  it('a grant in one tab reaches the other (the latest choice wins everywhere)', async () => {
    const idb = new IDBFactory()
    const dbName = `t1g-${++n}`
    const a = await tab(idb, { dbName, consent: 'pending' })
    const b = await tab(idb, { dbName, consent: 'pending' })
    await b.e.setConsent('granted')
    await until(() => a.e.info().consent === 'granted')
    await until(() => a.e.info().storage === 'indexeddb')
    const tracked = await a.e.track(view('m1'))
    expect(tracked).not.toBeNull()
    await until(async () => (await b.e.history()).length === 1)
  })
})

describe('defect 3: pending → granted keeps the shopper’s settings', () => {
  it('pause and blocked categories chosen while pending survive the grant, and are stored', async () => {
    const idb = new IDBFactory()
    const dbName = `t3-${++n}`
    const a = await tab(idb, { dbName, consent: 'pending' })
    await a.e.track(view('m1'))
    await a.e.blockCategory('Horror')
    await a.e.pause(true)
    await a.e.setConsent('granted')
    expect(a.e.info()).toMatchObject({ consent: 'granted', storage: 'indexeddb', paused: true })
    expect((await a.e.meta()).blockedCategories).toEqual(['Horror'])
    expect(await a.e.track(view('m2'))).toBeNull() // still paused
    expect((await a.e.history()).map((x) => x.items[0]!.id)).toEqual(['m1'])
    await a.e.dispose()
    const reopened = await tab(idb, { dbName })
    expect(reopened.e.info().paused).toBe(true)
    expect((await reopened.e.meta()).blockedCategories).toEqual(['Horror'])
  })
})

describe('defect 4: clear() keeps the shopper’s settings unless asked', () => {
  it('pause then clear(): still paused and blocked, recording does not resume; clear({ settings: true }) resets them', async () => {
    const idb = new IDBFactory()
    const a = await tab(idb, { dbName: `t4-${++n}` })
    await a.e.track(view('m1'))
    await a.e.blockCategory('Drama')
    await a.e.pause(true)
    await a.e.clear()
    expect(await a.e.history()).toEqual([])
    expect(a.e.info().paused).toBe(true)
    expect((await a.e.meta()).blockedCategories).toEqual(['Drama'])
    expect(await a.e.track(view('m2'))).toBeNull()
    await a.e.clear({ settings: true })
    expect(a.e.info().paused).toBe(false)
    expect((await a.e.meta()).blockedCategories ?? []).toEqual([])
    expect(await a.e.track(view('m3'))).not.toBeNull()
  })
})

describe('defect 6: a slow similarity table never holds tracking', () => {
  it('createEngine resolves and track() records while the table is still downloading; the table is swapped in when it arrives', async () => {
    let release!: (r: Response) => void
    const body = { format: 'localrank-similarity', version: 1, items: ['Comedy-0', 'Action-2'], offsets: [0, 1, 2], neighbors: [1, 0], sims: [0.9, 0.9] }
    vi.stubGlobal(
      'fetch',
      vi.fn(() => new Promise<Response>((ok) => (release = ok))),
    )
    const idb = new IDBFactory()
    const made = tab(idb, { dbName: `t6-${++n}`, similarity: 'https://shop.example/sim.json' })
    const first = await Promise.race([made, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), 1500))])
    expect(first).not.toBe('still waiting')
    const a = await made
    expect(await a.e.track(view('Comedy-0', ['Comedy']))).not.toBeNull()
    expect(await a.e.history()).toHaveLength(1)
    release(new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } }))
    // Once loaded, the table's neighbour of the viewed item outranks every other Action film.
    await until(async () => {
      const r = await a.e.rerank(catalogue.filter((c) => c.category?.[0] === 'Action'))
      return r.items[0]!.id === 'Action-2'
    })
  })
})

describe('defect 7: IndexedDB opens but cannot be used', () => {
  it('every write fails (a broken disk): events are kept in memory, and the fallback is reported', async () => {
    const idb = new IDBFactory()
    const a = await tab(idb, { dbName: `t7-${++n}` })
    vi.spyOn(FDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('disk I/O error', 'UnknownError')
    })
    const tracked = []
    for (const id of ['m1', 'm2', 'm3']) tracked.push(await a.e.track(view(id)))
    expect(tracked.every((t) => t !== null)).toBe(true)
    expect((await a.e.history()).map((x) => x.items[0]!.id)).toEqual(['m1', 'm2', 'm3'])
    expect(a.e.info().storage).toBe('memory')
    expect(a.e.info().storageReason).toMatch(/UnknownError|write/)
    expect(a.errors.some((x) => x.code === 'storage')).toBe(true)
  })

  it('an old version-1 database of the same name without the expected index or meta store is repaired, and reported', async () => {
    const idb = new IDBFactory()
    const dbName = `t7b-${++n}`
    const old = await rawOpen(idb, dbName, 1, (db) => void db.createObjectStore('events', { keyPath: 'id' }))
    await rawPut(old, 'events', { id: 'old-1', type: 'view_item', timestamp: T - HOUR, items: [{ id: 'kept' }] })
    old.close()
    const a = await tab(idb, { dbName })
    expect(await a.e.track(view('m1'))).not.toBeNull()
    expect((await a.e.history()).map((x) => x.items[0]!.id)).toEqual(['kept', 'm1'])
    expect(a.e.info().storage).toBe('indexeddb')
    expect(a.errors.map((x) => x.message).join('\n')).toMatch(/repair/i)
  })

  it('a same-name database whose events store has another key layout: falls back to memory, touches nothing, reports', async () => {
    const idb = new IDBFactory()
    const dbName = `t7c-${++n}`
    const old = await rawOpen(idb, dbName, 1, (db) => void db.createObjectStore('events', { autoIncrement: true }))
    await rawPut(old, 'events', { someone: 'else' })
    old.close()
    const a = await tab(idb, { dbName })
    expect(await a.e.track(view('m1'))).not.toBeNull()
    expect((await a.e.history()).map((x) => x.items[0]!.id)).toEqual(['m1'])
    expect(a.e.info().storage).toBe('memory')
    expect(a.e.info().storageReason).toMatch(/layout/)
    const raw = await rawOpen(idb, dbName)
    expect(await rawAll(raw, 'events')).toEqual([{ someone: 'else' }])
    raw.close()
  })
})

describe('defect 8: after another tab upgrades the database, no later event is dropped', () => {
  it('20 events tracked after a newer version opened are all kept and written', async () => {
    const idb = new IDBFactory()
    const dbName = `t8-${++n}`
    const a = await tab(idb, { dbName })
    await a.e.track(view('before'))
    // Another tab, with a newer build, upgrades the schema (and keeps its connection open).
    const newer = await rawOpen(idb, dbName, SCHEMA_VERSION + 1, (db) => void db.createObjectStore('extra'))
    for (let i = 0; i < 20; i++) await a.e.track(view(`after-${i}`))
    expect(await a.e.history()).toHaveLength(21)
    await until(async () => (await rawAll(newer, 'events')).length === 21)
    newer.close()
  })
})

describe('defect 9: a malformed stored record does not break the controls', () => {
  it('a record with items: null is skipped and reported; forget(itemId) and history work', async () => {
    const idb = new IDBFactory()
    const dbName = `t9-${++n}`
    const a = await tab(idb, { dbName })
    await a.e.track(view('m1'))
    await a.e.track(view('m2'))
    await a.e.dispose()
    const raw = await rawOpen(idb, dbName)
    await rawPut(raw, 'events', { id: 'bad', type: 'view_item', timestamp: T - 1000, items: null })
    raw.close()
    const b = await tab(idb, { dbName })
    expect((await b.e.history()).map((x) => x.items[0]!.id)).toEqual(['m1', 'm2'])
    expect(await b.e.forget('m1')).toBe(1)
    expect((await b.e.history()).map((x) => x.items[0]!.id)).toEqual(['m2'])
    expect(b.errors.some((x) => /malformed|bad record/i.test(x.message))).toBe(true)
  })
})

describe('defect 10: timestamps are bounded', () => {
  it('rejects a timestamp beyond now + skew, and one before the sane lower bound, naming the field and the window', async () => {
    const a = await tab(new IDBFactory(), { dbName: `t10-${++n}` })
    for (const ts of [9e15, T + DAY, 5]) {
      expect(await a.e.track(view('m1', ['X'], ts))).toBeNull()
      const err = a.errors.at(-1) as ValidationError
      expect(err).toBeInstanceOf(ValidationError)
      expect(err.field).toBe('timestamp')
      expect(err.reason).toMatch(/no later than|no earlier than/)
    }
    expect(await a.e.track(view('ok', ['X'], T - HOUR))).not.toBeNull()
    expect(await a.e.history()).toHaveLength(1)
  })

  it('future-dated events already stored are evicted when the store opens', async () => {
    const idb = new IDBFactory()
    const dbName = `t10b-${++n}`
    const a = await tab(idb, { dbName })
    await a.e.track(view('m1'))
    await a.e.dispose()
    const raw = await rawOpen(idb, dbName)
    await rawPut(raw, 'events', { id: 'future', type: 'view_item', timestamp: 8.7e15, items: [{ id: 'f' }] })
    await rawPut(raw, 'events', { id: 'future2', type: 'view_item', timestamp: T + 30 * DAY, items: [{ id: 'f2' }] })
    raw.close()
    const b = await tab(idb, { dbName })
    expect((await b.e.history()).map((x) => x.items[0]!.id)).toEqual(['m1'])
    expect((await b.e.export()).events.map((x) => x.id)).not.toContain('future')
  })
})

describe('retention', () => {
  it('events older than the retention window, stored before this page, are evicted when the store opens (not only on the next write)', async () => {
    const idb = new IDBFactory()
    const dbName = `tr-${++n}`
    const a = await tab(idb, { dbName })
    await a.e.track(view('recent', ['X'], T - DAY))
    await a.e.dispose()
    // A shopper who comes back after seven months: last visit's events were written then.
    const raw = await rawOpen(idb, dbName)
    await rawPut(raw, 'events', { id: 'old', type: 'view_item', timestamp: T - 200 * DAY, items: [{ id: 'old-item' }], itemIds: ['old-item'] })
    raw.close()
    const b = await tab(idb, { dbName })
    // No track(): opening alone enforces the 180-day default.
    await until(async () => {
      const db = await rawOpen(idb, dbName)
      try {
        return (await rawAll(db, 'events')).length === 1
      } finally {
        db.close()
      }
    })
    expect((await b.e.export()).events.map((x) => x.items[0]!.id)).toEqual(['recent'])
  })
})

describe('defect 15: no unguarded promise', () => {
  it('a settings change from another tab whose re-read fails is reported, not an unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (r: unknown) => unhandled.push(r)
    process.on('unhandledRejection', onUnhandled)
    try {
      const idb = new IDBFactory()
      const dbName = `t15-${++n}`
      const a = await tab(idb, { dbName })
      const b = await tab(idb, { dbName })
      await a.e.track(view('m1'))
      // Reads now fail in every tab of this process (A's reaction to B's change included).
      vi.spyOn(FDBObjectStore.prototype, 'openCursor').mockImplementation(() => {
        throw new DOMException('gone', 'UnknownError')
      })
      await b.e.pause(true).catch(() => {})
      await until(() => a.e.info().paused)
      await new Promise((r) => setTimeout(r, 50))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('settings shared across tabs', () => {
  it('a pause or block in tab B reaches tab A at once, an unblock too; a settings change never carries B’s consent', async () => {
    const idb = new IDBFactory()
    const dbName = `ts-${++n}`
    const a = await tab(idb, { dbName })
    const b = await tab(idb, { dbName })
    await b.e.blockCategory('Horror')
    await until(async () => (await a.e.meta()).blockedCategories?.includes('Horror') === true)
    await b.e.unblockCategory('Horror')
    await until(async () => (await a.e.meta()).blockedCategories?.length === 0)
    await b.e.pause(true)
    await until(() => a.e.info().paused)
    expect(await a.e.track(view('m1'))).toBeNull()
    // A third tab whose page says pending: B's later pause does not grant it anything.
    const c = await tab(idb, { dbName, consent: 'pending' })
    await b.e.pause(false)
    await until(() => !a.e.info().paused)
    await new Promise((r) => setTimeout(r, 30))
    expect(c.e.info()).toMatchObject({ consent: 'pending', storage: 'memory' })
  })
})

describe('defect 13: an invalid `profile` option never rejects createEngine outside strict mode', () => {
  const badProfiles: Array<[unknown, string]> = [
    [{ long: { name: 'no-such-kernel' } }, 'profile.long.name'],
    [{ eventWeights: { purchase: 'a lot' } }, 'profile.eventWeights.purchase'],
    [{ priceBands: [10, 5] }, 'profile.priceBands[1]'],
    ['fast', 'profile'],
    [
      {
        get long() {
          throw new Error('a getter that throws')
        },
      },
      'profile',
    ],
  ]
  const label = (p: unknown) => {
    try {
      return JSON.stringify(p)
    } catch {
      return 'an object whose getter throws'
    }
  }
  it('resolves, reports a ValidationError naming the field, and tracks and ranks with the default profile; other options are kept', async () => {
    for (const [profile, field] of badProfiles) {
      const a = await tab(new IDBFactory(), { dbName: `t13-${++n}`, profile: profile as EngineOptions['profile'], storage: 'memory', similarity: 'https://shop.example/none.json' })
      const err = a.errors.find((x) => x.code === 'invalid_options')
      expect(err, label(profile)).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).field, label(profile)).toContain(field)
      expect(await a.e.track(view('Horror-0'))).not.toBeNull()
      const r = await a.e.rerank(catalogue)
      expect([r.path, r.items[0]?.id]).toEqual(['profile', 'Horror-0'])
      // Only the bad option is dropped: the rest of the page's configuration still applies.
      expect(a.e.info().similarity?.url).toBe('https://shop.example/none.json')
    }
  })
  it('strict mode rejects with that ValidationError', async () => {
    for (const [profile, field] of badProfiles) {
      vi.stubGlobal('indexedDB', new IDBFactory())
      const made = createEngine({ clock, storage: 'memory', strict: true, profile: profile as EngineOptions['profile'] })
      await expect(made, label(profile)).rejects.toBeInstanceOf(ValidationError)
      await expect(made).rejects.toMatchObject({ code: 'invalid_options', field: expect.stringContaining(field) })
    }
  })
  it('every other bad option is reported by name and dropped alone; strict rejects on it', async () => {
    const bad: EngineOptions = { dbName: '' as string, demotePurchasedMs: -5, clock: 'now' as never, onProgress: 1 as never, retention: { maxEvents: -1, maxAgeMs: 30 * DAY } }
    const a = await tab(new IDBFactory(), { ...bad, storage: 'memory' })
    expect(a.errors.map((x) => (x as ValidationError).field).sort()).toEqual(['clock', 'dbName', 'demotePurchasedMs', 'onProgress', 'retention.maxEvents'])
    expect(a.errors.every((x) => x instanceof ValidationError && x.code === 'invalid_options')).toBe(true)
    // Still an engine, with the defaults for what was dropped (the injected clock of tab() was replaced by 'now': the system clock).
    expect(await a.e.track({ type: 'view_item', items: [{ id: 'x' }] })).not.toBeNull()
    for (const [k, v] of Object.entries(bad)) {
      vi.stubGlobal('indexedDB', new IDBFactory())
      await expect(createEngine({ storage: 'memory', strict: true, [k]: v }), k).rejects.toBeInstanceOf(ValidationError)
    }
  })
  it('another bad option (deadlineMs) drops only itself, not the model or the profile', async () => {
    const a = await tab(new IDBFactory(), { dbName: `t13-${++n}`, storage: 'memory', deadlineMs: -1, model: 'https://shop.example/model.json', profile: { featureWeights: { category: 0 } } })
    expect(a.errors.map((x) => (x as ValidationError).field)).toContain('deadlineMs')
    expect(a.e.info().model?.url).toBe('https://shop.example/model.json')
  })
})

describe('defect 18: rerank(list, null) answers with the list', () => {
  it('null, a string or garbage options rank like no options, on every path (personal, paused, denied)', async () => {
    const a = await tab(new IDBFactory(), { dbName: `t18-${++n}` })
    await a.e.track(view('Horror-1'))
    const expectAll = async (when: string) => {
      const plain = (await a.e.rerank(catalogue)).items.map((i) => i.id)
      expect(plain, when).toHaveLength(catalogue.length)
      for (const o of [null, 'limit', 12, { limit: 'abc' }, { limit: -1 }]) {
        const r = await a.e.rerank(catalogue, o as never)
        expect(
          r.items.map((i) => i.id),
          `${when}: ${JSON.stringify(o)}`,
        ).toEqual(plain)
      }
    }
    await expectAll('personal')
    await a.e.pause(true)
    await expectAll('paused')
    await a.e.setConsent('denied')
    await expectAll('denied')
  })
})

describe('defect 11: the similarity table has a pin', () => {
  const genuine = JSON.stringify({ format: 'localrank-similarity', version: 1, items: ['Comedy-0', 'Action-2'], offsets: [0, 1, 2], neighbors: [1, 0], sims: [0.9, 0.9] })
  // Well-formed, and it promotes another item: what an attacker on the CDN would serve.
  const tampered = genuine.replace('Action-2', 'Action-1')
  const sha = async (text: string) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))), (b) => b.toString(16).padStart(2, '0')).join('')
  const serve = (text: string) =>
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(text, { headers: { 'content-type': 'application/json' } })),
    )
  const action = catalogue.filter((c) => c.category?.[0] === 'Action')
  const similarIn = (r: { items: Array<{ explanation: Array<{ source: string }> }> }) => r.items.some((i) => i.explanation.some((x) => x.source === 'similar'))

  it('a table matching its pin is used', async () => {
    serve(genuine)
    const a = await tab(new IDBFactory(), { dbName: `t11-${++n}`, similarity: 'https://shop.example/sim.json', similaritySha256: (await sha(genuine)).toUpperCase() })
    await a.e.track(view('Comedy-0', ['Comedy']))
    await until(() => a.e.info().similarity?.ready === true)
    const r = await a.e.rerank(action, { explain: true })
    expect(r.items[0]!.id).toBe('Action-2')
    expect(similarIn(r)).toBe(true)
  })
  it('a tampered, well-formed table is refused: reported as integrity, not used, and ranking goes on without it', async () => {
    serve(tampered)
    const a = await tab(new IDBFactory(), { dbName: `t11-${++n}`, similarity: 'https://shop.example/sim.json', similaritySha256: await sha(genuine) })
    expect(await a.e.track(view('Comedy-0', ['Comedy']))).not.toBeNull()
    await until(() => a.e.info().similarity?.error !== undefined)
    expect(a.e.info().similarity).toMatchObject({ ready: false, error: expect.stringMatching(/SHA-256/) })
    const err = a.errors.find((x) => x.code === 'integrity')
    expect(err?.message).toContain('https://shop.example/sim.json')
    expect(err?.context).toMatchObject({ expected: await sha(genuine), actual: await sha(tampered) })
    // Without the table nothing personal is known about Action films: the server's order.
    const r = await a.e.rerank(action, { explain: true })
    expect(r.items.map((i) => i.id)).toEqual(['Action-0', 'Action-1', 'Action-2'])
    expect(similarIn(r)).toBe(false)
    // Without a pin the same tampered table is used: the pin is what refused it.
    const b = await tab(new IDBFactory(), { dbName: `t11-${++n}`, similarity: 'https://shop.example/sim.json' })
    await b.e.track(view('Comedy-0', ['Comedy']))
    await until(() => b.e.info().similarity?.ready === true)
    expect((await b.e.rerank(action)).items[0]!.id).toBe('Action-1')
  })
  it('a malformed pin is reported and the table is not loaded unchecked', async () => {
    serve(genuine)
    const a = await tab(new IDBFactory(), { dbName: `t11-${++n}`, similarity: 'https://shop.example/sim.json', similaritySha256: 'not-a-digest' })
    expect(a.errors.map((x) => (x as ValidationError).field)).toContain('similaritySha256')
    expect(a.e.info().similarity).toBeNull()
    expect(fetch).not.toHaveBeenCalled()
  })
})

describe('defect 19, the engine side: a bad count is ignored, not read as "none"', () => {
  it('history(limit) and interests(n) with NaN, a negative number or a string: reported, and answered as with no argument', async () => {
    const a = await tab(new IDBFactory(), { dbName: `t19-${++n}` })
    for (const g of ['Comedy', 'Drama', 'Horror']) await a.e.track(view(`${g}-0`, [g]))
    const allHistory = (await a.e.history()).map((x) => x.id)
    const allInterests = (await a.e.interests()).map((x) => x.key)
    expect(allHistory).toHaveLength(3)
    expect(allInterests.length).toBeGreaterThan(3)
    // null means "no argument" (as for rerank's options), silently.
    expect((await a.e.history(null as never)).map((x) => x.id)).toEqual(allHistory)
    expect((await a.e.interests(null as never)).map((x) => x.key)).toEqual(allInterests)
    expect(a.errors).toEqual([])
    for (const bad of [Number.NaN, -1, 'abc', '', {}]) {
      a.errors.length = 0
      expect(
        (await a.e.history(bad as never)).map((x) => x.id),
        `history(${String(bad)})`,
      ).toEqual(allHistory)
      expect(
        (await a.e.interests(bad as never)).map((x) => x.key),
        `interests(${String(bad)})`,
      ).toEqual(allInterests)
      expect(
        a.errors.map((x) => (x as ValidationError).field),
        String(bad),
      ).toEqual(['limit', 'n'])
    }
    // Good counts still count.
    expect((await a.e.history(2)).map((x) => x.id)).toEqual(allHistory.slice(1))
    expect(await a.e.interests(2)).toHaveLength(2)
    expect(await a.e.history(0)).toEqual([])
  })
})

/**
 * The write-ahead outbox (outbox.ts) with a real store on fake IndexedDB. The browser's own
 * sessionStorage and a real navigation are exercised in e2e/multipage.spec.ts; here Web Storage
 * is a small Map-backed implementation of the same interface.
 */
import { IDBFactory } from 'fake-indexeddb'
import { describe, expect, it } from 'vitest'
import { ev, makeStore, T0 } from './test-utils'
import { outboxPrefix, sessionOutbox } from './outbox'

class MapStorage implements Storage {
  private m = new Map<string, string>()
  get length() {
    return this.m.size
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null
  }
  getItem(k: string) {
    return this.m.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.m.set(k, String(v))
  }
  removeItem(k: string) {
    this.m.delete(k)
  }
  clear() {
    this.m.clear()
  }
  keys() {
    return [...this.m.keys()]
  }
}

describe('outbox', () => {
  it('holds an append from the call until its transaction commits, then lets go', async () => {
    const storage = new MapStorage()
    const s = await makeStore('indexeddb', { dbName: 'ob-1', outbox: sessionOutbox('ob-1', storage), batchWindowMs: 50 })
    const p = s.append([ev('a', T0)])
    expect(storage.keys()).toEqual([`${outboxPrefix('ob-1')}a`]) // synchronously, before the batch window
    await p
    expect(storage.keys()).toEqual([])
    s.close()
  })

  it('a page that went away with writes in flight: the next store replays them, once each', async () => {
    const storage = new MapStorage()
    const idb = new IDBFactory()
    const first = await makeStore('indexeddb', { dbName: 'ob-2', indexedDB: idb, outbox: sessionOutbox('ob-2', storage) })
    await first.append([ev('kept', T0)])
    first.close()
    // What an unload mid-batch leaves: entries in the outbox, one of them already committed.
    const box = sessionOutbox('ob-2', storage)!
    box.add([ev('lost-1', T0 + 1, ['sku-9'], 'select_item'), ev('lost-2', T0 + 2), ev('kept', T0)])
    const next = await makeStore('indexeddb', { dbName: 'ob-2', indexedDB: idb, outbox: sessionOutbox('ob-2', storage) })
    const ids = (await next.recent()).map((e) => e.id)
    expect(ids).toEqual(['kept', 'lost-1', 'lost-2'])
    expect((await next.recent()).find((e) => e.id === 'lost-1')).toMatchObject({ type: 'select_item', timestamp: T0 + 1, items: [{ id: 'sku-9' }] })
    expect(storage.keys()).toEqual([])
    next.close()
  })

  it('drops malformed or tampered entries instead of storing them', async () => {
    const storage = new MapStorage()
    const prefix = outboxPrefix('ob-3')
    storage.setItem(`${prefix}bad-json`, '{nope')
    storage.setItem(`${prefix}bad-type`, JSON.stringify({ type: 'exfiltrate', items: [{ id: 'x' }], timestamp: T0 }))
    storage.setItem(`${prefix}no-time`, JSON.stringify({ type: 'view_item', items: [{ id: 'x' }] }))
    storage.setItem(`${prefix}bad-item`, JSON.stringify({ type: 'view_item', items: [{ id: 42 }], timestamp: T0 }))
    storage.setItem(`${prefix}good`, JSON.stringify({ type: 'view_item', items: [{ id: 'ok' }], timestamp: T0 }))
    storage.setItem('unrelated', 'left alone')
    const s = await makeStore('indexeddb', { dbName: 'ob-3', outbox: sessionOutbox('ob-3', storage) })
    expect((await s.recent()).map((e) => e.id)).toEqual(['good'])
    expect(storage.keys()).toEqual(['unrelated'])
    s.close()
  })

  it('clearing the history clears the outbox too; a memory store never uses it', async () => {
    const storage = new MapStorage()
    const s = await makeStore('indexeddb', { dbName: 'ob-4', outbox: sessionOutbox('ob-4', storage), batchWindowMs: 50 })
    const p = s.append([ev('a', T0)])
    const cleared = s.clear()
    await Promise.all([p, cleared])
    expect(await s.recent()).toEqual([])
    expect(storage.keys()).toEqual([])
    s.close()
    const m = await makeStore('memory', { dbName: 'ob-5', outbox: sessionOutbox('ob-5', storage) })
    await m.append([ev('b', T0)])
    expect(storage.keys()).toEqual([])
    m.close()
  })

  it('a storage that throws (quota, blocked) never fails an append', async () => {
    const broken = new MapStorage()
    broken.setItem = () => {
      throw new DOMException('full', 'QuotaExceededError')
    }
    const s = await makeStore('indexeddb', { dbName: 'ob-6', outbox: sessionOutbox('ob-6', broken) })
    await s.append([ev('a', T0)])
    expect((await s.recent()).map((e) => e.id)).toEqual(['a'])
    s.close()
  })
})

/**
 * The store's contract, run on BOTH backends (fake IndexedDB and the memory fallback): the
 * fallback must behave exactly like the real store, so every behaviour is asserted on each.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '../errors'
import { collect, ev, fixedClock, makeStore, T0, type Kind } from './test-utils'
import { SCHEMA_VERSION, type EventStore } from './types'

const DAY = 24 * 3600 * 1000
const open: EventStore[] = []
afterEach(() => {
  for (const s of open.splice(0)) s.close()
})
async function store(kind: Kind, o: Parameters<typeof makeStore>[1] = {}) {
  const s = await makeStore(kind, o)
  open.push(s)
  return s
}

describe.each<Kind>(['indexeddb', 'memory'])('%s store', (kind) => {
  it('reports its kind and no fallback reason when it did not fall back', async () => {
    const s = await store(kind)
    expect(s.kind).toBe(kind)
    expect(s.fallbackReason).toBeUndefined()
  })

  it('returns recent events oldest first, newest-N by (timestamp, id), ties broken by id', async () => {
    const s = await store(kind)
    await s.append([ev('c', T0 + 2), ev('b', T0 + 1), ev('z', T0 + 1), ev('a', T0 + 1), ev('d', T0 + 3)])
    expect((await s.recent()).map((e) => e.id)).toEqual(['a', 'b', 'z', 'c', 'd'])
    expect((await s.recent(3)).map((e) => e.id)).toEqual(['z', 'c', 'd'])
    expect((await s.recent(4)).map((e) => e.id)).toEqual(['b', 'z', 'c', 'd'])
    expect(await s.recent(0)).toEqual([])
    expect((await s.recent(99)).length).toBe(5)
    expect(await s.count()).toBe(5)
  })

  it('stores copies: mutating what was appended or read changes nothing stored', async () => {
    const s = await store(kind)
    const e = ev('a', T0)
    await s.append([e])
    e.items[0]!.id = 'mutated'
    const [read] = await s.recent()
    read!.items[0]!.id = 'mutated-too'
    expect((await s.recent())[0]!.items[0]!.id).toBe('sku-1')
  })

  it('rewriting an id overwrites instead of duplicating', async () => {
    const s = await store(kind)
    await s.append([ev('a', T0, ['x'])])
    await Promise.all([s.append([ev('a', T0 + 5, ['y'])]), s.append([ev('b', T0)])])
    const all = await s.recent()
    expect(all.map((e) => e.id)).toEqual(['b', 'a'])
    expect(all[1]!.items[0]!.id).toBe('y')
  })

  it('settles every caller of a batch and reads its own writes without awaiting them', async () => {
    const s = await store(kind, { batchWindowMs: 20 })
    const writes = [s.append([ev('a', T0)]), s.append([ev('b', T0 + 1)]), s.append([])]
    // recent() flushes the pending batch first: no need to await the appends.
    expect((await s.recent()).map((e) => e.id)).toEqual(['a', 'b'])
    // Every caller's promise settles, each with undefined (a rejected one would fail here).
    expect(await Promise.all(writes)).toEqual([undefined, undefined, undefined])
  })

  it('enforces the age bound on write with the injected clock (strictly older than maxAge goes)', async () => {
    const clock = fixedClock()
    const s = await store(kind, { clock, retention: { maxAgeMs: 10 * DAY } })
    const changes = collect(s)
    await s.append([ev('old', T0 - 11 * DAY), ev('edge', T0 - 10 * DAY), ev('new', T0)])
    expect((await s.recent()).map((e) => e.id)).toEqual(['edge', 'new'])
    expect(changes).toContainEqual({ kind: 'evict', count: 1, reason: 'age', ids: ['old'], source: 'local' })
    // Ageing happens on the next write, not on read.
    clock.advance(5 * DAY)
    expect(await s.count()).toBe(2)
    await s.append([ev('later', T0 + 5 * DAY)])
    expect((await s.recent()).map((e) => e.id)).toEqual(['new', 'later'])
  })

  it('enforces the count bound on write, oldest first, in the same write', async () => {
    const s = await store(kind, { clock: fixedClock(), retention: { maxEvents: 5 } })
    const changes = collect(s)
    await s.append(Array.from({ length: 8 }, (_, i) => ev(`e${i}`, T0 - 1000 + (i % 4), ['x'])))
    // timestamps: e0,e4 → +0; e1,e5 → +1; e2,e6 → +2; e3,e7 → +3. Oldest three by (t,id): e0, e4, e1.
    expect((await s.recent()).map((e) => e.id)).toEqual(['e5', 'e2', 'e6', 'e3', 'e7'])
    expect(changes).toContainEqual({ kind: 'evict', count: 3, reason: 'count', ids: ['e0', 'e4', 'e1'], source: 'local' })
    await s.append([ev('n', T0)])
    expect(await s.count()).toBe(5)
    expect((await s.recent(1))[0]!.id).toBe('n')
  })

  it('uses the defaults of 180 days and 5,000 events', async () => {
    const s = await store(kind, { clock: fixedClock() })
    await s.append(Array.from({ length: 5003 }, (_, i) => ev(`e${String(i).padStart(5, '0')}`, T0 - i)))
    expect(await s.count()).toBe(5000)
    const changes = collect(s)
    // 'aged' goes by age; 'young' is within 180 days but is now the oldest of 5,001, so it
    // goes by count; 'fresh' stays.
    await s.append([ev('aged', T0 - 181 * DAY), ev('young', T0 - 179 * DAY), ev('fresh', T0 + 1)])
    const ids = new Set((await s.recent()).map((e) => e.id))
    expect([ids.has('aged'), ids.has('young'), ids.has('fresh')]).toEqual([false, false, true])
    expect(await s.count()).toBe(5000)
    expect(changes.filter((c) => c.kind === 'evict')).toEqual([
      { kind: 'evict', count: 1, reason: 'age', ids: ['aged'], source: 'local' },
      { kind: 'evict', count: 2, reason: 'count', ids: ['young', 'e04999'], source: 'local' },
    ])
  })

  it('ignores nonsense retention values instead of wiping the history', async () => {
    const s = await store(kind, { clock: fixedClock(), retention: { maxEvents: -1, maxAgeMs: Number.NaN } })
    await s.append([ev('a', T0 - 10 * DAY), ev('b', T0)])
    expect(await s.count()).toBe(2)
  })

  it('forgets an item everywhere: every event mentioning it goes, others stay', async () => {
    const s = await store(kind)
    const changes = collect(s)
    await s.append([ev('1', T0, ['lamp-7']), ev('2', T0 + 1, ['bulb-3', 'lamp-7']), ev('3', T0 + 2, ['bulb-3'])])
    expect(await s.forgetItem('lamp-7')).toBe(2)
    expect((await s.recent()).map((e) => e.id)).toEqual(['3'])
    expect(JSON.stringify(await s.export())).not.toContain('lamp-7')
    expect(await s.forgetItem('lamp-7')).toBe(0)
    expect(changes.filter((c) => c.kind === 'forget')).toEqual([{ kind: 'forget', itemId: 'lamp-7', source: 'local' }])
  })

  it('forgets one event by id', async () => {
    const s = await store(kind)
    await s.append([ev('1', T0), ev('2', T0 + 1)])
    expect(await s.forgetEvent('1')).toBe(true)
    expect(await s.forgetEvent('1')).toBe(false)
    expect((await s.recent()).map((e) => e.id)).toEqual(['2'])
  })

  it('keeps meta, exports everything with its schema version, and clears events and meta', async () => {
    const clock = fixedClock()
    const s = await store(kind, { clock })
    await s.append([ev('1', T0 - 5, ['a']), ev('2', T0, ['b'])])
    await s.setMeta({ paused: true, blockedCategories: ['lamps'], consent: 'granted' })
    await s.setMeta({ paused: undefined })
    expect(await s.getMeta()).toEqual({ blockedCategories: ['lamps'], consent: 'granted' })
    const dump = await s.export()
    expect(dump).toEqual({
      format: 'localrank-history',
      schemaVersion: SCHEMA_VERSION,
      exportedAt: T0,
      events: [ev('1', T0 - 5, ['a']), ev('2', T0, ['b'])],
      meta: { blockedCategories: ['lamps'], consent: 'granted' },
    })
    // Round trip: an export re-imported into a fresh store gives the same export.
    const t = await store(kind, { clock })
    await t.append(dump.events)
    await t.setMeta(dump.meta)
    expect(await t.export()).toEqual(dump)
    // JSON-safe
    expect(JSON.parse(JSON.stringify(dump))).toEqual(dump)

    await s.clear()
    expect(await s.count()).toBe(0)
    expect(await s.getMeta()).toEqual({})
    expect((await s.export()).events).toEqual([])
  })

  it('notifies local listeners after commit, and unsubscribes', async () => {
    const s = await store(kind)
    const changes = collect(s)
    const seen: number[] = []
    const off = s.onChange(() => seen.push(1))
    await s.append([ev('a', T0)])
    off()
    await s.clear()
    expect(changes.map((c) => c.kind)).toEqual(['append', 'clear'])
    expect(changes[0]).toEqual({ kind: 'append', ids: ['a'], source: 'local' })
    expect(seen).toEqual([1])
  })

  it('a throwing listener does not break the store', async () => {
    const s = await store(kind)
    const g = globalThis as { reportError?: unknown }
    const saved = g.reportError
    const reported: unknown[] = []
    g.reportError = (e: unknown) => reported.push(e)
    try {
      s.onChange(() => {
        throw new Error('listener bug')
      })
      await s.append([ev('a', T0)])
      expect(await s.count()).toBe(1)
      expect(reported).toHaveLength(1)
    } finally {
      g.reportError = saved
    }
  })

  it('after close, appends already accepted are written and new calls reject with a typed error', async () => {
    const s = await store(kind, { batchWindowMs: 10 })
    const p = s.append([ev('a', T0)])
    s.close()
    await expect(p).resolves.toBeUndefined()
    await expect(s.count()).rejects.toBeInstanceOf(StorageError)
    await expect(s.append([ev('b', T0)])).rejects.toMatchObject({ code: 'disposed' })
  })
})

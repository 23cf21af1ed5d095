import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type LocalRankError, ValidationError } from '../errors'
import type { Candidate } from '../rank/types'
import { createEngine } from './engine'
import type { Engine, EngineOptions } from './types'

const DAY = 86400e3
let t = Date.UTC(2026, 5, 1)
const clock = () => t
const engines: Engine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.dispose()
  vi.unstubAllGlobals()
})

async function make(opts: EngineOptions = {}, idb: IDBFactory = new IDBFactory()) {
  vi.stubGlobal('indexedDB', idb)
  const errors: LocalRankError[] = []
  const e = await createEngine({ clock, onError: (x) => errors.push(x), ...opts })
  engines.push(e)
  return { e, errors, idb }
}

const genres = ['Comedy', 'Drama', 'Horror', 'Action']
const asItem = ({ score: _s, ...item }: Candidate) => item
const catalogue: Candidate[] = Array.from({ length: 40 }, (_, i) => ({ id: `m${i}`, title: `Movie ${i}`, category: [genres[i % 4] as string], score: 1000 - i * 10 }))

describe('engine', () => {
  it('after three view_item events in one category, that category comes first, with explanations', async () => {
    const { e } = await make()
    for (const id of ['m2', 'm6', 'm10']) await e.track({ type: 'view_item', items: [asItem(catalogue.find((c) => c.id === id) as Candidate)] })
    const r = await e.rerank(catalogue, { limit: 10 })
    expect(r.path).toBe('profile')
    expect(r.items.slice(0, 10).every((i) => i.candidate.category?.[0] === 'Horror')).toBe(true)
    expect(r.items[0]?.explanation.length).toBeGreaterThan(0)
    expect(r.items.map((i) => i.explanation.map((x) => x.text).join()).join(' ')).toMatch(/Horror/)
  })

  it('a rerank that follows a profile rebuild ranks in a later task; one that follows nothing does not wait (issue 14: no long task)', async () => {
    const first = await make()
    for (const id of ['m2', 'm6', 'm10', 'm3']) await first.e.track({ type: 'view_item', items: [asItem(catalogue.find((c) => c.id === id) as Candidate)] })
    // A second engine on the same database loads those events and rebuilds the profile from them.
    const { e } = await make({}, first.idb)
    const race = async () => {
      let ticked = false
      setTimeout(() => (ticked = true), 0) // a task queued before the rerank starts
      const r = await e.rerank(catalogue, { limit: 10 })
      return { ticked, r }
    }
    const after = await race()
    expect(after.r.path).toBe('profile')
    expect(after.ticked).toBe(true) // the page's task ran between the rebuild and the ranking
    expect((await race()).ticked).toBe(false) // nothing rebuilt: the answer comes in the same task
    await e.forget('m3')
    const forgot = await race()
    expect(forgot.ticked).toBe(true)
    expect(forgot.r.items.map((i) => i.id)).toEqual((await e.rerank(catalogue, { limit: 10 })).items.map((i) => i.id))
  })

  it('keeps history in IndexedDB: a second engine on the same database sees it', async () => {
    const idb = new IDBFactory()
    const { e } = await make({}, idb)
    await e.track({ type: 'purchase', items: [{ id: 'm1', category: ['Drama'] }] })
    await e.dispose()
    const { e: e2 } = await make({}, idb)
    expect((await e2.history()).map((x) => x.items[0]?.id)).toEqual(['m1'])
    expect(e2.info()).toMatchObject({ storage: 'indexeddb', events: 1 })
    // The purchase demotes m1 in the next list.
    const r = await e2.rerank(catalogue.slice(0, 4))
    expect(r.items.at(-1)?.id).toBe('m1')
  })

  it('rejects an invalid event with a typed error to onError, stores nothing, and never throws', async () => {
    const { e, errors } = await make()
    await expect(e.track({ type: 'view_item', items: [{ id: 'a', price: -3 }] })).resolves.toBeNull()
    expect(errors[0]).toBeInstanceOf(ValidationError)
    expect((errors[0] as ValidationError).field).toBe('items[0].price')
    expect(await e.history()).toEqual([])
  })

  it('throws in strict mode', async () => {
    const { e } = await make({ strict: true })
    await expect(e.track({ type: 'nope' } as never)).rejects.toThrow(/type: must be one of/)
  })

  it('forget, clear and export', async () => {
    const { e } = await make()
    await e.track({ type: 'view_item', items: [{ id: 'a', category: ['X'] }] })
    await e.track({ type: 'view_item', items: [{ id: 'b', category: ['Y'] }] })
    expect(await e.forget('a')).toBe(1)
    const dump = await e.export()
    expect(dump.format).toBe('localrank-history')
    expect(dump.schemaVersion).toBeGreaterThan(0)
    expect(dump.events.map((x) => x.items[0]?.id)).toEqual(['b'])
    await e.clear()
    expect(await e.history()).toEqual([])
    expect((await e.rerank(catalogue.slice(0, 5))).path).toBe('server')
  })

  it('pause stops recording and personalising; interests show decayed weights', async () => {
    const { e } = await make()
    await e.track({ type: 'view_item', items: [{ id: 'm0', category: ['Comedy'] }] })
    const before = (await e.interests(5)).find((i) => i.kind === 'category')
    expect(before?.weight).toBeGreaterThan(0)
    // Weights are shares of the decayed activity: a newer interest makes the older one fade.
    t += 30 * DAY
    await e.track({ type: 'view_item', items: [{ id: 'm1', category: ['Drama'] }] })
    const later = await e.interests(5)
    expect(later.find((i) => i.kind === 'category' && i.key === before?.key)?.weight).toBeLessThan(before?.weight as number)
    expect(later.find((i) => i.kind === 'category' && i.key === 'Drama')?.weight).toBeGreaterThan(0.5)
    await e.pause(true)
    expect(await e.track({ type: 'view_item', items: [{ id: 'm1' }] })).toBeNull()
    const r = await e.rerank(catalogue.slice(0, 8))
    expect(r.path).toBe('server')
    expect(r.reason).toMatch(/paused/)
    expect(e.info().paused).toBe(true)
  })

  it('blocking a category stops it being boosted', async () => {
    const { e } = await make()
    for (const id of ['m2', 'm6']) await e.track({ type: 'view_item', items: [asItem(catalogue.find((c) => c.id === id) as Candidate)] })
    await e.blockCategory('Horror')
    const r = await e.rerank(catalogue.slice(0, 8))
    const pos = (id: string) => r.items.findIndex((i) => i.id === id)
    expect(pos('m2')).toBeGreaterThanOrEqual(2)
    expect(pos('m6')).toBeGreaterThanOrEqual(6)
  })

  it('consent denied: nothing is stored, IndexedDB is never opened, server order kept', async () => {
    const idb = new IDBFactory()
    const open = vi.spyOn(idb, 'open')
    const { e } = await make({ consent: 'denied' }, idb)
    expect(await e.track({ type: 'view_item', items: [{ id: 'm2', category: ['Horror'] }] })).toBeNull()
    const r = await e.rerank(catalogue.slice(0, 6))
    expect(r.path).toBe('server')
    expect(r.items.map((i) => i.serverRank)).toEqual([0, 1, 2, 3, 4, 5])
    expect(open).not.toHaveBeenCalled()
  })

  it('Global Privacy Control acts as denied and outranks a later grant', async () => {
    vi.stubGlobal('navigator', { globalPrivacyControl: true })
    const { e } = await make({ consent: 'granted' })
    expect(e.info()).toMatchObject({ gpc: true, consent: 'denied' })
    await e.setConsent('granted')
    expect(await e.track({ type: 'view_item', items: [{ id: 'm2' }] })).toBeNull()
    expect((await e.rerank(catalogue.slice(0, 3))).reason).toMatch(/Global Privacy Control/)
  })

  it('pending keeps events in memory only, then persists them on grant; denial wipes', async () => {
    const idb = new IDBFactory()
    const { e } = await make({ consent: 'pending' }, idb)
    await e.track({ type: 'view_item', items: [{ id: 'm2', category: ['Horror'] }] })
    expect(e.info().storage).toBe('memory')
    expect(await idb.databases()).toEqual([])
    await e.setConsent('granted')
    expect(e.info().storage).toBe('indexeddb')
    expect((await e.history()).length).toBe(1)
    await e.setConsent('denied')
    expect(await e.history()).toEqual([])
    const { e: again } = await make({}, idb)
    expect(await again.history()).toEqual([])
  })

  it('events tracked while a consent switch is under way are neither lost nor stored before the switch', async () => {
    const idb = new IDBFactory()
    const { e } = await make({ consent: 'pending' }, idb)
    await e.track({ type: 'view_item', items: [{ id: 'before' }] })
    // The banner click and the shopper's next view race: nothing awaited in between.
    const switching = e.setConsent('granted')
    const during = [e.track({ type: 'view_item', items: [{ id: 'during-1' }] }), e.track({ type: 'add_to_cart', items: [{ id: 'during-2' }] })]
    await Promise.all([switching, ...during])
    expect((await e.history()).map((x) => x.items[0]!.id)).toEqual(['before', 'during-1', 'during-2'])
    const { e: reopened } = await make({}, idb)
    expect((await reopened.history()).map((x) => x.items[0]!.id)).toEqual(['before', 'during-1', 'during-2'])
    // And withdrawal: an event tracked while the wipe runs is not stored either.
    const wiping = e.setConsent('denied')
    const late = e.track({ type: 'view_item', items: [{ id: 'late' }] })
    await Promise.all([wiping, late])
    expect(await late).toBeNull()
    expect(await e.history()).toEqual([])
  })

  it('degrades to the server order on garbage candidates without throwing', async () => {
    const { e, errors } = await make()
    const r = await e.rerank('nope' as never)
    expect(r.items).toEqual([])
    expect(r.path).toBe('server')
    expect(errors[0]?.code).toBe('invalid_candidates')
  })

  it('falls back to memory when IndexedDB throws on open, and says so', async () => {
    const idb = new IDBFactory()
    vi.spyOn(idb, 'open').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError')
    })
    const { e } = await make({}, idb)
    expect(e.info().storage).toBe('memory')
    expect(e.info().storageReason).toMatch(/SecurityError/)
    expect(await e.track({ type: 'view_item', items: [{ id: 'x' }] })).not.toBeNull()
  })
})

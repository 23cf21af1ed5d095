import { describe, expect, it, vi } from 'vitest'
import type { Engine } from '../engine/types'
import { createPageApi, serverOrder } from './api'

function fakeEngine(over: Partial<Engine> = {}): Engine {
  const calls: unknown[][] = []
  const e = {
    calls,
    track: vi.fn(async (ev) => ({ id: '1', items: [], timestamp: 1, ...ev })),
    rerank: vi.fn(async (c) => ({ ...serverOrder(c, 'fake'), path: 'profile' as const })),
    history: vi.fn(async () => []),
    setConsent: vi.fn(async () => {}),
    info: () => ({ backend: null, backendReason: '', model: null, events: 0, storage: 'memory' as const, consent: 'granted' as const, gpc: false, paused: false }),
    on: vi.fn(() => () => {}),
    ...over,
  }
  return e as unknown as Engine
}

describe('createPageApi', () => {
  it('runs commands as engine calls, with an optional callback last', async () => {
    const engine = fakeEngine()
    const api = createPageApi({ engine: Promise.resolve(engine), report: () => {} })
    const cb = vi.fn()
    await api('rerank', [{ id: 'a' }], { limit: 1 }, cb)
    expect(engine.rerank).toHaveBeenCalledWith([{ id: 'a' }], { limit: 1 })
    expect(cb.mock.calls[0]![0]).toMatchObject({ path: 'profile' })
    await api('event', 'add_to_cart', { items: [{ id: 'x' }] })
    expect(engine.track).toHaveBeenCalledWith({ type: 'add_to_cart', items: [{ id: 'x' }] })
  })
  it('maps consent commands, including the gtag shape', async () => {
    const engine = fakeEngine()
    const api = createPageApi({ engine: Promise.resolve(engine), report: () => {} })
    await api('consent', 'pending')
    await api('consent', 'update', { personalization_storage: 'denied' })
    await api('consent', 'update', { ad_storage: 'granted' })
    expect(vi.mocked(engine.setConsent).mock.calls).toEqual([['pending'], ['denied']])
  })
  it('reports unknown commands and engine errors, never rejecting', async () => {
    const report = vi.fn()
    const api = createPageApi({ engine: Promise.resolve(fakeEngine({ history: async () => Promise.reject(new Error('db gone')) })), report })
    await expect(api('nope')).resolves.toBeUndefined()
    await expect(api.history()).resolves.toEqual([])
    expect(report.mock.calls.map((c) => String((c[0] as Error).message))).toEqual([expect.stringContaining("'nope'"), 'db gone'])
  })
  it('rejects in strict mode', async () => {
    const api = createPageApi({ engine: Promise.resolve(fakeEngine({ history: async () => Promise.reject(new Error('db gone')) })), report: () => {}, strict: true })
    await expect(api.history()).rejects.toThrow('db gone')
  })
  it('answers with the server order when there is no engine', async () => {
    const api = createPageApi({ engine: Promise.resolve(null), report: () => {} })
    const r = await api.rerank([{ id: 'b' }, { id: 'a' }])
    expect(r).toMatchObject({
      path: 'server',
      items: [
        { id: 'b', serverRank: 0 },
        { id: 'a', serverRank: 1 },
      ],
    })
    expect(await api.track({ type: 'view_item', items: [{ id: 'a' }] })).toBeNull()
    await Promise.resolve()
    expect(api.info().backendReason).toBe('LocalRank could not start')
  })
  it('a throwing callback is contained', async () => {
    const api = createPageApi({ engine: Promise.resolve(fakeEngine()), report: () => {} })
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    await expect(
      api('history', () => {
        throw new Error('page bug')
      }),
    ).resolves.toEqual([])
    expect(err).toHaveBeenCalled()
    err.mockRestore()
  })
})

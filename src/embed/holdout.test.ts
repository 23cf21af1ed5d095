import { describe, expect, it } from 'vitest'
import type { Engine, EngineInfo } from '../engine/types'
import type { Candidate, RankResult } from '../rank/types'
import { parseHoldout } from './config'
import { sanitizeCandidates } from '../rank/candidates'
import { cleanOptions } from '../rank/ranker'
import { EXPOSURE_EVENT, HOLDOUT_KEY, pushExposure, withHoldout as wrap, type HoldoutHost, type HoldoutOptions } from './holdout'

// As the embed wires it: with the engine's own cleaning.
const withHoldout = (e: Engine, o: HoldoutOptions) => wrap(e, o, { sanitizeCandidates, cleanOptions })

/** A stand-in engine that personalises by reversing the list, so the two arms differ visibly. */
function fakeEngine(info: Partial<EngineInfo> = {}): Engine & { ranked: number; state: Partial<EngineInfo> } {
  const state: Partial<EngineInfo> = { consent: 'granted', gpc: false, ...info }
  const e = {
    ranked: 0,
    state,
    async rerank<C extends Candidate>(c: ReadonlyArray<C>): Promise<RankResult<C>> {
      e.ranked++
      return {
        items: [...c].reverse().map((x, i) => ({ id: x.id, candidate: x, score: 1, serverRank: c.length - 1 - i, explanation: [{ text: 'You viewed lamps' }] as never })),
        path: 'profile',
        issues: [],
        timings: { totalMs: 0 },
      }
    },
    info: () => ({ backend: null, backendReason: '', model: null, similarity: null, events: 3, storage: 'memory', paused: false, ...state }) as EngineInfo,
  }
  return e as unknown as Engine & { ranked: number; state: Partial<EngineInfo> }
}

function memoryStorage(): Storage & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) } as unknown as Storage & {
    data: Map<string, string>
  }
}

const list = [{ id: 'a', score: 0.9 }, { id: 'b', score: 0.5 }, { id: 'a', score: 0.1 }, { id: 'c' }]

describe('holdout assignment', () => {
  it('parses the share: a number in [0, 1], else undefined', () => {
    expect([parseHoldout('0.1'), parseHoldout(0), parseHoldout('1'), parseHoldout('10%'), parseHoldout(-0.1), parseHoldout(''), parseHoldout(null)]).toEqual([
      0.1,
      0,
      1,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
    expect(() => withHoldout(fakeEngine(), { share: 2 })).toThrow(/holdout: 2/)
  })

  it('is sticky: the draw is stored on the device and read back by the next page', () => {
    const storage = memoryStorage()
    const first = withHoldout(fakeEngine(), { share: 0.1, storage, random: () => 0.05, expose: () => {} })
    expect(first.info().variant).toBe('control')
    expect(storage.data.get(HOLDOUT_KEY)).toBe('0.05')
    // The next page: its own random source would say personalised, the stored draw wins.
    const next = withHoldout(fakeEngine(), { share: 0.1, storage, random: () => 0.99, expose: () => {} })
    expect(next.info().variant).toBe('control')
    // Raising the share keeps control shoppers in control; u = 0.15 moves only when the share passes it.
    storage.data.set(HOLDOUT_KEY, '0.15')
    expect(withHoldout(fakeEngine(), { share: 0.1, storage, expose: () => {} }).info().variant).toBe('personalised')
    expect(withHoldout(fakeEngine(), { share: 0.2, storage, expose: () => {} }).info().variant).toBe('control')
  })

  it('splits devices in the asked share', () => {
    let seed = 7
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    let control = 0
    const n = 20_000
    for (let i = 0; i < n; i++) if (withHoldout(fakeEngine(), { share: 0.1, storage: null, random, expose: () => {} }).info().variant === 'control') control++
    // Binomial(20000, 0.1): sd = 42, so ±4 sd.
    expect(Math.abs(control - 2000)).toBeLessThan(170)
  })

  it('denied consent or GPC: outside the experiment, no exposure, stored draw deleted; pending keeps it in memory until granted', async () => {
    const storage = memoryStorage()
    const exposures: string[] = []
    const engine = fakeEngine({ consent: 'pending' })
    const h = withHoldout(engine, { share: 0.5, storage, random: () => 0.2, expose: (v) => exposures.push(v) })
    expect(h.info().variant).toBe('control')
    expect(storage.data.size).toBe(0)
    engine.state.consent = 'granted'
    await h.rerank(list)
    expect(storage.data.get(HOLDOUT_KEY)).toBe('0.2')
    engine.state.consent = 'denied'
    expect(h.info().variant).toBeNull()
    await h.rerank(list)
    expect(storage.data.size).toBe(0)
    engine.state.consent = 'granted'
    engine.state.gpc = true
    await h.rerank(list)
    expect(exposures).toEqual(['control'])
  })
})

describe('holdout ranking and exposure', () => {
  it('control gets the server’s order, cleaned as the engine cleans it, cut to limit; the model is not run', async () => {
    const engine = fakeEngine()
    const h = withHoldout(engine, { share: 1, storage: null, expose: () => {} })
    const r = await h.rerank(list, { limit: 2 })
    expect(r.items.map((i) => i.id)).toEqual(['a', 'b'])
    expect(r.path).toBe('server')
    expect(r.items.every((i) => i.explanation.length === 0)).toBe(true)
    expect(r.issues.map((i) => i.field)).toEqual(['candidates[2].id'])
    expect(engine.ranked).toBe(0)
  })

  it('personalised gets the engine’s answer', async () => {
    const engine = fakeEngine()
    const h = withHoldout(engine, { share: 0, storage: null, expose: () => {} })
    expect((await h.rerank([{ id: 'a' }, { id: 'b' }])).items.map((i) => i.id)).toEqual(['b', 'a'])
    expect(engine.ranked).toBe(1)
  })

  it('each ranked list pushes exactly one exposure, and it carries only the variant', async () => {
    const host: HoldoutHost = { dataLayer: [] }
    const h = withHoldout(fakeEngine(), { share: 0, storage: null, host })
    await h.rerank(list)
    await h.rerank(list, { limit: 1 })
    expect(host.dataLayer).toEqual([
      { event: EXPOSURE_EVENT, localrank_variant: 'personalised' },
      { event: EXPOSURE_EVENT, localrank_variant: 'personalised' },
    ])
    for (const e of host.dataLayer!) expect(Object.keys(e as object).sort()).toEqual(['event', 'localrank_variant'])
  })

  it('a gtag.js page without GTM gets a gtag event; with GTM, a data-layer event', () => {
    const calls: unknown[][] = []
    pushExposure({ gtag: (...a) => void calls.push(a), dataLayer: [] }, 'control')
    expect(calls).toEqual([['event', EXPOSURE_EVENT, { localrank_variant: 'control' }]])
    const gtm: HoldoutHost = { gtag: () => calls.push(['wrong']), google_tag_manager: {}, dataLayer: [] }
    pushExposure(gtm, 'control')
    expect(gtm.dataLayer).toEqual([{ event: EXPOSURE_EVENT, localrank_variant: 'control' }])
    expect(calls).toHaveLength(1)
  })

  it('a throwing data layer or storage never breaks the answer', async () => {
    const errors: unknown[] = []
    const storage = {
      getItem: () => {
        throw new Error('blocked')
      },
      setItem: () => {
        throw new Error('blocked')
      },
      removeItem: () => {},
    }
    const h = withHoldout(fakeEngine(), {
      share: 0,
      storage,
      random: () => 0.5,
      expose: () => {
        throw new Error('dl')
      },
      onError: (e) => errors.push(e),
    })
    expect((await h.rerank([{ id: 'a' }, { id: 'b' }])).items.map((i) => i.id)).toEqual(['b', 'a'])
    expect(errors.map((e) => (e as Error).message)).toEqual(['blocked', 'blocked', 'dl'])
  })
})

import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createEngine } from '../engine/engine'
import { buildProfile } from '../interest'
import type { Engine, EngineOptions } from '../engine/types'
import type { LocalRankError } from '../errors'
import type { Candidate } from '../rank/types'
import { parseTunedConfig, serializeTuned } from './format'

/** The library loads a tuned file through the engine's `profile` and `ranker` options. */
const t = Date.UTC(2026, 5, 1)
const engines: Engine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.dispose()
  vi.unstubAllGlobals()
})

async function make(opts: EngineOptions) {
  vi.stubGlobal('indexedDB', new IDBFactory())
  const errors: LocalRankError[] = []
  const e = await createEngine({ clock: () => t, storage: 'memory', onError: (x) => errors.push(x), ...opts })
  engines.push(e)
  return { e, errors }
}

const genres = ['Comedy', 'Drama', 'Horror', 'Action']
const catalogue: Candidate[] = Array.from({ length: 40 }, (_, i) => ({ id: `m${i}`, category: [genres[i % 4] as string], score: 1000 - i * 10 }))

async function topAfterHorror(opts: EngineOptions): Promise<string[]> {
  const { e } = await make(opts)
  for (const id of ['m2', 'm6', 'm10']) await e.track({ type: 'view_item', items: [{ id, category: ['Horror'] }] })
  return (await e.rerank(catalogue, { limit: 5 })).items.map((i) => i.id)
}

describe('a tuned file in the library', () => {
  it('its ranker weights change the answer: profile weight 0 keeps the server order, the default does not', async () => {
    const file = JSON.parse(serializeTuned({ profile: {}, ranker: { weights: { profile: 0 } } }))
    const off = await topAfterHorror({ ...parseTunedConfig(file) })
    expect(off).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    const on = await topAfterHorror({})
    expect(on.filter((id) => Number(id.slice(1)) % 4 === 2).length).toBeGreaterThan(2)
  })

  it('its profile options reach the profile: category weight 0 and item weight 0 leave nothing to rank by', async () => {
    const opts = parseTunedConfig(JSON.parse(serializeTuned({ profile: { featureWeights: { category: 0, item: 0 } }, ranker: {} })))
    expect(await topAfterHorror(opts)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
  })

  it('a bad ranker option is reported naming the field and dropped; strict mode rejects', async () => {
    const { errors } = await make({ ranker: { weights: { profile: -1 } } })
    expect(errors.map((e) => (e as { field?: string }).field)).toContain('ranker.weights.profile')
    await expect(make({ strict: true, ranker: { serverTransform: 'sqrt' as never } })).rejects.toThrow(/ranker\.serverTransform/)
  })

  it('default: content matching most of the list leaves the server order, saying why; an explicit profile weight reorders it', async () => {
    // Every candidate shares a genre with the history (MovieLens-like genres).
    const covered: Candidate[] = Array.from({ length: 40 }, (_, i) => ({ id: `m${i}`, category: i % 2 ? ['Horror', 'Comedy'] : ['Horror', 'Action'], score: 1000 - i }))
    const run = async (opts: EngineOptions) => {
      const { e } = await make(opts)
      for (const [id, sub] of [
        ['h1', 'Drama'],
        ['h2', 'Comedy'],
      ] as const)
        await e.track({ type: 'view_item', items: [{ id, category: ['Horror', sub] }] })
      return e.rerank(covered, { limit: 5 })
    }
    const d = await run({})
    expect(d.items.map((i) => i.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    expect(d.path).toBe('server')
    expect(d.reason).toMatch(/nothing specific/)
    const tuned = await run({ ranker: { weights: { profile: 3 } } })
    expect(tuned.items.map((i) => i.id)).not.toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
  })

  it('the default rule reads the values the ranking computes: one profile walk per candidate, not two (issue 14)', async () => {
    // A history of Horror and a list where a quarter is Horror: content that speaks, so the
    // profile reorders, and the rule had to look at every candidate to know it.
    const { e } = await make({})
    for (const id of ['h1', 'h2']) await e.track({ type: 'view_item', items: [{ id, category: ['Horror'] }] })
    const proto = Object.getPrototypeOf(buildProfile([])) as { value: (...a: unknown[]) => number }
    const spy = vi.spyOn(proto, 'value')
    try {
      const r = await e.rerank(catalogue, { explain: false })
      expect(r.path).toBe('profile')
      expect(r.items.slice(0, 10).filter((i) => Number(i.id.slice(1)) % 4 === 2).length).toBe(10)
      // Before: profileSpeaks walked the 40 candidates in the engine, then the ranker again (80).
      expect(spy.mock.calls.length).toBe(catalogue.length)
    } finally {
      spy.mockRestore()
    }
  })
})

import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../events/types'
import type { Dataset } from '../data/types'
import { Bootstrap } from '../metrics/bootstrap'
import { createContext } from './context'
import { runEvaluation, summarise } from './run'
import type { ModelSpec } from './types'

const D = 24 * 3600 * 1000
let k = 0
const ev = (item: string, t: number): StoredEvent => ({ id: `e${k++}`, type: 'view_item', items: [{ id: item }], timestamp: t })

// 3 users; u0 has a long history with a 400-day gap before its last three events.
const users = [
  { id: 'u0', events: [ev('a', 0), ev('b', 1 * D), ev('c', 401 * D), ev('d', 402 * D), ev('e', 403 * D)] },
  { id: 'u1', events: [ev('a', 0), ev('c', D), ev('d', 2 * D), ev('f', 3 * D)] },
  { id: 'u2', events: [ev('a', 0), ev('b', D), ev('c', 2 * D), ev('g', 3 * D)] },
]
const ds: Dataset = { name: 'f', files: [], items: new Map(), meta: new Map(), users, reports: [], unknownItems: 0, eventMapping: '' }

/** A spy: records what each session was fed and when it was asked; scores the target-agnostic "alphabetical" order. */
function spy(log: Array<{ user: string; seen: string[]; now: number; ids: string[]; scores: number[] }>): ModelSpec {
  return {
    name: 'spy',
    description: '',
    group: 'baseline',
    create: () => ({
      session: (u) => {
        const seen: string[] = []
        return {
          add: (e) => void seen.push(e.items[0]!.id),
          score: (cands, now) => {
            const scores = cands.map((c) => -c.id.charCodeAt(0))
            log.push({ user: u.user, seen: [...seen], now, ids: cands.map((c) => c.id), scores })
            return Float64Array.from(scores)
          },
        }
      },
    }),
  }
}

describe('runEvaluation', () => {
  it('replays training events, then the validation event, scoring at the held-out times with the server order', async () => {
    const ctx = createContext(ds, { seed: 1 })
    const log: Parameters<typeof spy>[0] = []
    const r = await runEvaluation(ctx, [spy(log)], { protocols: ['full'], phases: ['val', 'test'] })
    const u0 = log.filter((x) => x.user === 'u0')
    expect(u0.map((x) => [x.seen, x.now])).toEqual([
      [['a', 'b', 'c'], 402 * D],
      [['a', 'b', 'c', 'd'], 403 * D],
    ])
    // The server's list is ordered by training popularity: a (3 users) first.
    for (const x of log) {
      const pop = x.ids.map((id) => ctx.popularity(id))
      expect([...pop].sort((p, q) => q - p)).toEqual(pop)
    }
    // Full ranking of u0's test item e among never-touched items f, g: alphabetical puts e first.
    const cell = r.cells.find((c) => c.phase === 'test')!
    expect(cell.hr[5]![0]).toBe(1)
    expect(cell.mrr[0]).toBe(1)
    const s = summarise(r, ctx.split.universe.length, new Bootstrap(r.users.length, 50, 1))
    expect(s).toHaveLength(2)
    expect(s[0]!.users).toBe(3)
  })

  it('with the store retention only the events it would still hold are replayed', async () => {
    const ctx = createContext(ds, { seed: 1 })
    const log: Parameters<typeof spy>[0] = []
    await runEvaluation(ctx, [spy(log)], { protocols: ['uniform'], phases: ['val', 'test'], retention: { maxAgeMs: 180 * D, maxEvents: 5000 } })
    expect(log.filter((x) => x.user === 'u0').map((x) => x.seen)).toEqual([['c'], ['c', 'd']])
    const capped: Parameters<typeof spy>[0] = []
    await runEvaluation(ctx, [spy(capped)], { protocols: ['uniform'], phases: ['test'], retention: { maxAgeMs: 1e15, maxEvents: 2 } })
    expect(capped.filter((x) => x.user === 'u0').map((x) => x.seen)).toEqual([['c', 'd']])
  })
})

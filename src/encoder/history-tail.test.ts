import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Item, StoredEvent } from '../events/types'
import { initTf } from '../offline/train/tf-node'
import { forModel, historyMessage, historyTail } from './history-tail'
import { disposeModel, EncoderSession, loadModel, type LoadedModel } from './session'
import { tinyArtifact, tinyItem } from './testing'
import { tokenCount } from './tokens'

let model: LoadedModel
const MAX_LEN = 24 // tinyConfig's
const T0 = 1_700_000_000_000

beforeAll(async () => {
  await initTf('cpu')
  const { artifact, bytes } = await tinyArtifact()
  model = loadModel(artifact, bytes)
  return () => disposeModel(model)
})

/** An event of each kind whose token count differs: 0 (impression, empty search), 1, or several. */
const eventArb = fc.record({
  kind: fc.constantFrom('view', 'view', 'view', 'purchase', 'search', 'emptySearch', 'impression', 'oov'),
  item: fc.nat(40),
  n: fc.integer({ min: 2, max: 5 }),
  gap: fc.integer({ min: 1, max: 5_000_000 }),
})
type Ev = typeof eventArb extends fc.Arbitrary<infer T> ? T : never

function toEvents(spec: Ev[], from = 0, t0 = T0): StoredEvent[] {
  let t = t0
  return spec.map((s, k) => {
    t += s.gap
    const id = `e${from + k}`
    const items = s.kind === 'purchase' ? Array.from({ length: s.n }, (_, j) => tinyItem((s.item + j) % 30)) : [s.kind === 'oov' ? { id: `new-${s.item}`, category: ['Drama'] } : tinyItem(s.item % 30)]
    if (s.kind === 'search' || s.kind === 'emptySearch') return { id, type: 'search' as const, items: [], query: s.kind === 'search' ? `movie ${s.item}` : '', timestamp: t }
    if (s.kind === 'impression') return { id, type: 'view_item_list' as const, items, timestamp: t }
    return { id, type: s.kind === 'purchase' ? ('purchase' as const) : ('view_item' as const), items, timestamp: t }
  })
}

const cands: Item[] = [...Array.from({ length: 30 }, (_, i) => tinyItem(i)), { id: 'new-1', category: ['Drama'] }]

describe('historyTail: the page sends only what the encoder can see (issue 14)', () => {
  it('a session given the tail and the skipped count scores exactly as one given the whole history, through appends (late ones included)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 0, maxLength: 140, size: 'max' }),
        fc.array(fc.record({ ev: eventArb, late: fc.boolean() }), { maxLength: 12, size: 'max' }),
        fc.integer({ min: MAX_LEN, max: 3 * MAX_LEN }),
        async (spec, more, keep) => {
          const events = toEvents(spec)
          const tail = historyTail(events, keep)
          // What is kept holds `keep` tokens (or everything), and the count left out is exact.
          const tokens = (es: StoredEvent[]) => es.reduce((a, e) => a + tokenCount(e), 0)
          expect(tail.skipped + tokens(tail.events)).toBe(tokens(events))
          if (tail.skipped > 0) expect(tokens(tail.events)).toBeGreaterThanOrEqual(keep)
          const whole = new EncoderSession(model)
          const part = new EncoderSession(model)
          try {
            whole.setHistory(events)
            part.setHistory(tail.events, tail.skipped)
            let now = (events[events.length - 1]?.timestamp ?? T0) + 60_000
            expect(part.length).toBe(whole.length)
            expect(await part.score(cands, now)).toEqual(await whole.score(cands, now))
            let k = events.length
            for (const m of more) {
              // A late event (another tab's write) lands anywhere in the past, also before the tail.
              const [e] = toEvents([m.ev], k++, m.late ? T0 : now)
              whole.append(e!)
              part.append(e!)
              if (!m.late) now = e!.timestamp + 60_000
              expect(await part.score(cands, now)).toEqual(await whole.score(cands, now))
              expect(part.stats).toEqual(whole.stats)
            }
          } finally {
            whole.dispose()
            part.dispose()
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('keeps the newest events: the cut falls where the tokens from the end first reach `keep`', () => {
    const events = toEvents(Array.from({ length: 50 }, (_, i) => ({ kind: i % 10 === 0 ? 'purchase' : 'view', item: i, n: 3, gap: 1000 })))
    const t = historyTail(events, 24)
    expect(t.events).toEqual(events.slice(events.length - t.events.length))
    const kept = t.events.reduce((a, e) => a + tokenCount(e), 0)
    expect(kept).toBeGreaterThanOrEqual(24)
    expect(kept - tokenCount(t.events[0]!)).toBeLessThan(24) // one event fewer would be too few
  })

  it('sends everything while the context length is unknown, or when the events are not in time order', () => {
    const events = toEvents(Array.from({ length: 60 }, (_, i) => ({ kind: 'view', item: i, n: 2, gap: 1000 })))
    expect(historyTail(events, 0)).toEqual({ events, skipped: 0 })
    expect(historyTail(events, Number.NaN)).toEqual({ events, skipped: 0 })
    const shuffled = [events[5]!, ...events.slice(0, 5), ...events.slice(6)]
    expect(historyTail(shuffled, 24)).toEqual({ events: shuffled, skipped: 0 })
    expect(historyTail(events, 24).events.length).toBe(24)
  })
})

describe('forModel: what of an event crosses into the worker', () => {
  const withNeighbours = (es: StoredEvent[]) =>
    es.map((e, k) => ({ ...e, items: e.items.map((it, j) => (j % 2 === 0 ? { ...it, neighbours: [[`n${k}`, 0.5] as [string, number], [`m${j}`, 0.25] as [string, number]] } : it)) }))

  it("drops the items' neighbours, keeps every other field, leaves the page's events untouched, and scores exactly the same", async () => {
    const events = withNeighbours(toEvents(Array.from({ length: 40 }, (_, i) => ({ kind: i % 7 === 0 ? 'purchase' : i % 11 === 0 ? 'search' : 'view', item: i, n: 3, gap: 60_000 }))))
    const before = structuredClone(events)
    const msg = historyMessage(events, MAX_LEN)
    expect(events).toEqual(before) // nothing stripped in place
    expect(msg.events.some((e) => e.items.some((it) => it.neighbours !== undefined))).toBe(false)
    const original = events.slice(events.length - msg.events.length)
    expect(msg.events.map((e) => ({ ...e, items: e.items.map((it) => ({ ...it })) }))).toEqual(original.map((e) => ({ ...e, items: e.items.map(({ neighbours: _, ...it }) => it) })))
    // An event without neighbours is passed as it is.
    const plain = toEvents([{ kind: 'view', item: 3, n: 2, gap: 1 }])[0]!
    expect(forModel(plain)).toBe(plain)
    const a = new EncoderSession(model)
    const b = new EncoderSession(model)
    try {
      a.setHistory(events)
      b.setHistory(msg.events, msg.skipped)
      const now = events[events.length - 1]!.timestamp + 60_000
      expect(await b.score(cands, now)).toEqual(await a.score(cands, now))
      const [late] = withNeighbours(toEvents([{ kind: 'view', item: 7, n: 2, gap: 1 }], 99, now))
      a.append(late!)
      b.append(forModel(late!))
      expect(await b.score(cands, now + 60_000)).toEqual(await a.score(cands, now + 60_000))
    } finally {
      a.dispose()
      b.dispose()
    }
  })
})

/**
 * Model-based property test: random sequences of append (raw, often invalid, input through
 * validateEvent, as the engine does), forgetItem, forgetEvent, clear and clock jumps keep the
 * store equal to a plain model (a Map plus the retention rule), and nothing invalid is ever
 * stored. 1,000 runs on the memory backend (cheap), 100 on fake IndexedDB (same logic, real
 * transactions) so that the two backends are checked against the same model.
 */
import { afterAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compareEvents } from './backend'
import { MAX_CLOCK_SKEW_MS } from '../events/time-window'
import { validateEvent } from '../events/validate'
import { EVENT_TYPES, type StoredEvent } from '../events/types'
import { fixedClock, makeStore, T0, type Kind } from './test-utils'
import type { RetentionPolicy } from './types'

const DAY = 24 * 3600 * 1000
const RETENTION: RetentionPolicy = { maxAgeMs: 30 * DAY, maxEvents: 12 }
const ITEM_IDS = ['sku-a', 'sku-b', 'sku-c', 'sku-d']

/** Mostly valid; one time in twenty, something the validator must refuse. */
const mostly = <T, U>(ok: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 19, arbitrary: ok }, { weight: 1, arbitrary: bad })

const rawItem = fc.record(
  {
    id: mostly(fc.constantFrom(...ITEM_IDS), fc.oneof(fc.constant(''), fc.integer(), fc.string({ minLength: 257, maxLength: 260 }))),
    category: mostly(fc.array(fc.constantFrom('home', 'lamps', 'desk'), { maxLength: 3 }), fc.constant(['home', ''])),
    price: mostly(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(-1, Number.NaN, Infinity)),
    title: mostly(fc.string({ minLength: 1, maxLength: 4 }), fc.constant('')),
  },
  { requiredKeys: ['id'] },
)
const rawEvent = fc
  .tuple(
    fc.record(
      {
        type: mostly(fc.constantFrom(...EVENT_TYPES), fc.constant('bogus')),
        items: fc.array(rawItem, { maxLength: 3 }),
        query: mostly(fc.string({ minLength: 1, maxLength: 5 }), fc.constant('')),
        // around "now", some beyond the age bound; a few not integers or negative
        timestamp: mostly(fc.integer({ min: T0 - 60 * DAY, max: T0 + 60 * DAY }), fc.constantFrom(T0 + 0.5, -1)),
      },
      { requiredKeys: ['type'] },
    ),
    fc.nat(19),
  )
  // an unknown field in one event of twenty
  .map(([r, n]): unknown => (n === 0 ? { ...r, extra: 1 } : r))

type Op = { op: 'append'; raws: unknown[] } | { op: 'forgetItem'; id: string } | { op: 'forgetEvent'; pick: number } | { op: 'clear' } | { op: 'tick'; ms: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('append' as const), raws: fc.array(rawEvent, { minLength: 1, maxLength: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('forgetItem' as const), id: fc.constantFrom(...ITEM_IDS, 'sku-never') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('forgetEvent' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20 * DAY }) }) },
)

/** The model: what the store must hold, written as plainly as possible. */
function retain(model: Map<string, StoredEvent>, now: number): void {
  for (const [id, e] of model) if (e.timestamp < now - RETENTION.maxAgeMs || e.timestamp > now + MAX_CLOCK_SKEW_MS) model.delete(id)
  const sorted = [...model.values()].sort(compareEvents)
  for (const e of sorted.slice(0, Math.max(0, sorted.length - RETENTION.maxEvents))) model.delete(e.id)
}

function assertValidRecord(e: StoredEvent): void {
  expect(typeof e.id === 'string' && e.id.length > 0).toBe(true)
  const { id, ...input } = e
  // Re-validating what was stored must give it back unchanged (so it was valid).
  expect(
    validateEvent(
      input,
      () => e.timestamp,
      () => id,
    ),
  ).toEqual(e)
}

const counts = { runs: 0, appended: 0, rejected: 0 }
afterAll(() => {
  console.log(`store property: ${counts.runs} runs, ${counts.appended} events stored, ${counts.rejected} invalid inputs refused`)
})

async function runSequence(kind: Kind, ops: Op[]): Promise<void> {
  counts.runs++
  const clock = fixedClock()
  let seq = 0
  const store = await makeStore(kind, { clock, retention: RETENTION, batchWindowMs: 0 })
  const model = new Map<string, StoredEvent>()
  try {
    for (const o of ops) {
      switch (o.op) {
        case 'append': {
          const valid: StoredEvent[] = []
          for (const raw of o.raws) {
            try {
              valid.push(validateEvent(raw, clock, () => `ev-${++seq}`))
            } catch {
              counts.rejected++ // refused at the boundary: must not reach the store
            }
          }
          // One call per event in the same tick: they form one batch.
          await Promise.all(valid.map((e) => store.append([e])))
          counts.appended += valid.length
          for (const e of valid) model.set(e.id, e)
          // Retention runs on a write; a call whose events were all refused writes nothing.
          if (valid.length > 0) retain(model, clock())
          break
        }
        case 'forgetItem': {
          const expected = [...model.values()].filter((e) => e.items.some((i) => i.id === o.id)).length
          expect(await store.forgetItem(o.id)).toBe(expected)
          for (const [id, e] of model) if (e.items.some((i) => i.id === o.id)) model.delete(id)
          break
        }
        case 'forgetEvent': {
          const ids = [...model.keys()]
          const id = ids.length > 0 && o.pick < ids.length ? ids[o.pick]! : `missing-${o.pick}`
          expect(await store.forgetEvent(id)).toBe(model.delete(id))
          break
        }
        case 'clear':
          await store.clear()
          model.clear()
          break
        case 'tick':
          clock.advance(o.ms)
          break
      }
      const stored = await store.recent()
      expect(stored).toEqual([...model.values()].sort(compareEvents))
      expect(await store.count()).toBe(model.size)
      expect(stored.length).toBeLessThanOrEqual(RETENTION.maxEvents)
      for (const e of stored) assertValidRecord(e)
    }
  } finally {
    store.close()
  }
}

describe('store property: consistent with a model, never an invalid record', () => {
  it('memory backend, 1,000 random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => runSequence('memory', ops)),
      { numRuns: 1000 },
    )
  })

  it('IndexedDB backend (fake-indexeddb), 100 random sequences, same model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => runSequence('indexeddb', ops)),
      { numRuns: 100 },
    )
  }, 120_000)
})

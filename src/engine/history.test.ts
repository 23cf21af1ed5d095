import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../events/types'
import { HistoryView } from './history'

const walk = (v: HistoryView) => v.all().some((e) => e.items.some((it) => Array.isArray(it.neighbours) && it.neighbours.length > 0))

describe('HistoryView.carriesNeighbours', () => {
  it('equals a walk of the held events after any sequence of adds (in and out of order, repeats), removals and resets', () => {
    const event = fc.record({
      n: fc.integer({ min: 0, max: 30 }),
      t: fc.integer({ min: 0, max: 1000 }),
      nb: fc.constantFrom<'none' | 'empty' | 'some'>('none', 'empty', 'some'),
    })
    const toEvent = ({ n, t, nb }: { n: number; t: number; nb: 'none' | 'empty' | 'some' }): StoredEvent => ({
      id: `e${n}`,
      type: 'view_item',
      timestamp: t,
      items: [{ id: `i${n}`, ...(nb === 'none' ? {} : { neighbours: nb === 'empty' ? [] : ([[`j${n}`, 0.5]] as Array<[string, number]>) }) }],
    })
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), events: fc.array(event, { maxLength: 4 }) }),
      fc.record({ kind: fc.constant('remove' as const), n: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('reset' as const), events: fc.array(event, { maxLength: 6 }) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const v = new HistoryView(undefined, undefined)
        for (const o of ops) {
          if (o.kind === 'add') v.add(o.events.map(toEvent))
          else if (o.kind === 'remove') v.remove(new Set([`e${o.n}`]))
          else v.reset(o.events.map(toEvent).filter((e, i, a) => a.findIndex((x) => x.id === e.id) === i))
          expect(v.carriesNeighbours).toBe(walk(v))
        }
      }),
      { numRuns: 300 },
    )
  })
})

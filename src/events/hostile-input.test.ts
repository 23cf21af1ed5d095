/**
 * Issue 13, defects 16 and 17: hostile-but-common input at the track() boundary.
 * - 16: old scripts add enumerable properties to Object.prototype; a `for…in` (or `key in`)
 *   over the input then sees them as the event's own fields, and tracking stops.
 * - 17: throwing getters and Proxies must give a ValidationError naming the field, in strict
 *   and non-strict mode, never a plain Error/TypeError or a `storage` code.
 */
import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type LocalRankError, ValidationError } from '../errors'
import { createEngine } from '../engine'
import type { Engine } from '../engine/types'
import { validateEvent } from './validate'

const clock = () => 1_700_000_000_000
const engines: Engine[] = []
const polluted: string[] = []
afterEach(async () => {
  for (const k of polluted.splice(0)) delete (Object.prototype as Record<string, unknown>)[k]
  for (const e of engines.splice(0)) await e.dispose()
  vi.unstubAllGlobals()
})

/** What an old script does: a plain assignment, so the property is enumerable. */
function pollute(key: string, value: unknown) {
  ;(Object.prototype as Record<string, unknown>)[key] = value
  polluted.push(key)
}

async function engine(strict: boolean) {
  vi.stubGlobal('indexedDB', new IDBFactory())
  const errors: LocalRankError[] = []
  const e = await createEngine({ clock, strict, onError: (x) => errors.push(x) })
  engines.push(e)
  return { e, errors }
}

function validationErrorOf(fn: () => unknown): ValidationError {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(thrown, 'must throw').toBeDefined()
  expect(thrown).toBeInstanceOf(ValidationError)
  expect((thrown as ValidationError).code).toBe('invalid_event')
  return thrown as ValidationError
}

describe('defect 16: an enumerable property on Object.prototype', () => {
  it('does not stop validation, and is not copied into the event', () => {
    pollute('legacyHelper', 'x')
    const e = validateEvent({ type: 'view_item', items: [{ id: 'sku-1' }] }, clock)
    expect(e.items).toEqual([{ id: 'sku-1' }])
    expect(Object.keys(e.items[0]!)).toEqual(['id'])
  })

  it('is never read as one of the event’s fields (own keys only)', () => {
    pollute('price', -1) // would fail "≥ 0" if inherited fields were read
    pollute('brand', 'Inherited')
    const e = validateEvent({ type: 'view_item', items: [{ id: 'sku-1' }] }, clock)
    expect(e.items[0]).toEqual({ id: 'sku-1' })
    pollute('type', 'view_item') // an inherited type must not make a type-less event valid
    expect(validationErrorOf(() => validateEvent({ items: [{ id: 'a' }] }, clock)).field).toBe('type')
  })

  it.each([false, true])('track() keeps working through the engine (strict=%s), with no error reported', async (strict) => {
    const { e, errors } = await engine(strict)
    pollute('legacyHelper', () => 1)
    const stored = await e.track({ type: 'add_to_cart', items: [{ id: 'sku-1', price: 9 }] })
    expect(stored?.items).toEqual([{ id: 'sku-1', price: 9 }])
    expect(errors).toEqual([])
    expect((await e.history()).map((x) => x.items[0]!.id)).toEqual(['sku-1'])
  })
})

describe('defect 17: throwing getters and Proxies give a ValidationError naming the field', () => {
  const boom = () => {
    throw new Error('boom')
  }
  const cases: Array<[string, () => unknown, string]> = [
    [
      'a throwing getter on an item field',
      () => ({
        type: 'view_item',
        items: [
          {
            id: 'a',
            get price() {
              return boom()
            },
          },
        ],
      }),
      'items[0].price',
    ],
    [
      'a throwing getter on the id of the 2nd item',
      () => ({
        type: 'view_item',
        items: [
          { id: 'a' },
          {
            get id() {
              return boom()
            },
          },
        ],
      }),
      'items[1].id',
    ],
    [
      'a throwing getter on the event type',
      () => ({
        get type() {
          return boom()
        },
        items: [{ id: 'a' }],
      }),
      'type',
    ],
    ['a Proxy event whose get trap throws', () => new Proxy({ type: 'view_item', items: [{ id: 'a' }] }, { get: boom }), 'type'],
    ['a Proxy event whose ownKeys trap throws', () => new Proxy({ type: 'view_item', items: [{ id: 'a' }] }, { ownKeys: boom }), 'event'],
    ['a Proxy items array whose length throws', () => ({ type: 'view_item', items: new Proxy([{ id: 'a' }], { get: (t, k) => (k === 'length' ? boom() : Reflect.get(t, k)) }) }), 'items'],
    ['a Proxy item whose getOwnPropertyDescriptor trap throws', () => ({ type: 'view_item', items: [new Proxy({ id: 'a' }, { getOwnPropertyDescriptor: boom })] }), 'items[0]'],
    [
      'a revoked Proxy as the event',
      () => {
        const r = Proxy.revocable({}, {})
        r.revoke()
        return r.proxy
      },
      'event',
    ],
    [
      'a revoked Proxy as an item',
      () => {
        const r = Proxy.revocable({ id: 'a' }, {})
        r.revoke()
        return { type: 'view_item', items: [r.proxy] }
      },
      'items[0]',
    ],
    [
      'a throwing getter on a category level',
      () => ({ type: 'view_item', items: [{ id: 'a', category: Object.defineProperty(['home'], 1, { get: boom, enumerable: true }) }] }),
      'items[0].category[1]',
    ],
  ]

  it.each(cases)('validateEvent: %s → %s', (_name, make, field) => {
    const err = validationErrorOf(() => validateEvent(make(), clock))
    expect(err.field).toBe(field)
    expect(err.reason).toMatch(/could not be read/)
  })

  it.each(cases)('track() in strict mode rejects with a ValidationError: %s', async (_name, make, field) => {
    const { e } = await engine(true)
    const err = await e.track(make() as never).then(
      () => null,
      (x: unknown) => x,
    )
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).field).toBe(field)
    expect(await e.history()).toEqual([])
  })

  it.each(cases)('track() in non-strict mode resolves null and reports a ValidationError (not storage): %s', async (_name, make, field) => {
    const { e, errors } = await engine(false)
    await expect(e.track(make() as never)).resolves.toBeNull()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ValidationError)
    expect(errors[0]!.code).toBe('invalid_event')
    expect((errors[0] as ValidationError).field).toBe(field)
    // The engine is not broken: the next, valid event is stored.
    await e.track({ type: 'view_item', items: [{ id: 'ok' }] })
    expect((await e.history()).map((x) => x.items[0]!.id)).toEqual(['ok'])
  })

  it('a getter is read once: the value checked is the value stored', async () => {
    let reads = 0
    const item = {
      id: 'a',
      get price() {
        reads++
        return reads === 1 ? 10 : -5
      },
    }
    const e = validateEvent({ type: 'view_item', items: [item] }, clock)
    expect(e.items[0]!.price).toBe(10)
    expect(reads).toBe(1)
  })
})

describe('properties (fast-check)', () => {
  const valid = {
    type: 'add_to_cart',
    items: [{ id: 'sku-1', category: ['home', 'lamps'], price: 3, title: 'Lamp', neighbours: [['sku-2', 0.5]] as Array<[string, number]> }],
    timestamp: clock() - 1000,
  }
  const expected = validateEvent(valid, clock, () => 'id')

  it('any enumerable Object.prototype property (schema names included) leaves a valid event’s result unchanged (300 cases)', () => {
    const key = fc.oneof(
      fc.constantFrom('type', 'items', 'query', 'timestamp', 'id', 'category', 'brand', 'price', 'title', 'vector', 'neighbours', '0', '1', 'length', 'value', 'get', 'set', 'writable'),
      fc.string({ minLength: 1, maxLength: 8 }),
    )
    fc.assert(
      fc.property(key, fc.anything(), (k, value) => {
        if (k === '__proto__' || k in Object.prototype) return // never shadow a real built-in
        pollute(k, value)
        // Validate while polluted, compare after: the assertion library itself builds property
        // descriptors from object literals, so a polluted `value` or `get` breaks expect() (seen
        // in CI with k = 'value': "Cannot both specify accessors and a value"), not the validator.
        let got: unknown
        let thrown: unknown
        try {
          got = validateEvent(valid, clock, () => 'id')
        } catch (e) {
          thrown = e
        } finally {
          delete (Object.prototype as Record<string, unknown>)[k]
          polluted.pop()
        }
        expect(thrown).toBeUndefined()
        expect(got).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })

  it('a throwing getter at any field of an event gives a ValidationError naming that field (300 cases)', () => {
    const paths = [
      'type',
      'items',
      'timestamp',
      'items.0',
      'items.0.id',
      'items.0.category',
      'items.0.category.1',
      'items.0.price',
      'items.0.title',
      'items.0.neighbours',
      'items.0.neighbours.0',
      'items.0.neighbours.0.1',
    ]
    const fieldOf = (path: string) => path.split('.').reduce((out, seg) => (/^\d+$/.test(seg) ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '')
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.string(), (path, message) => {
        const e = structuredClone(valid) as unknown as Record<string, unknown>
        const segs = path.split('.')
        let host = e as Record<string, unknown>
        for (const seg of segs.slice(0, -1)) host = host[seg] as Record<string, unknown>
        Object.defineProperty(host, segs.at(-1)!, {
          enumerable: true,
          get: () => {
            throw new Error(message)
          },
        })
        const err = validationErrorOf(() => validateEvent(e, clock))
        expect(err.field).toBe(fieldOf(path))
        expect(err.reason).toMatch(/^could not be read/)
      }),
      { numRuns: 300 },
    )
  })
})

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ValidationError } from '../errors'
import { cleanFeatures, sanitizeCandidates } from './candidates'
import type { Candidate } from './types'

const vector = 'f16:0a1b2c3d:AAECAwQFBgcICQ'
const neighbours: Array<[string, number]> = [
  ['b', 0.5],
  ['c', 0.25],
]

describe('candidates that carry item data (vector, neighbours)', () => {
  it('keeps valid data for personalisation and returns the candidate object untouched', () => {
    const c = { id: 'a', score: 3, vector, neighbours }
    const s = sanitizeCandidates([c])
    expect(s.issues).toEqual([])
    expect(s.valid[0]).toBe(c)
    expect(cleanFeatures(s.valid[0]!)).toEqual({ id: 'a', vector, neighbours })
  })

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a number vector', { vector: 7 }, 'candidates[1].vector', 'must be a string'],
    ['a vector of another shape', { vector: 'f16:zz:AAAA' }, 'candidates[1].vector', 'must look like'],
    ['a vector over 1,024 characters', { vector: `f32:0a1b2c3d:${'A'.repeat(1013)}` }, 'candidates[1].vector', 'at most 1024'],
    ['neighbours that are not a list', { neighbours: { b: 1 } }, 'candidates[1].neighbours', 'must be an array'],
    ['101 neighbours', { neighbours: Array.from({ length: 101 }, (_, j) => [`n${j}`, 1]) }, 'candidates[1].neighbours', 'at most 100'],
    [
      'a non-finite weight',
      {
        neighbours: [
          ['b', 0.5],
          ['c', Number.NaN],
        ],
      },
      'candidates[1].neighbours[1]',
      'weight must be a finite number',
    ],
    ['an empty neighbour id', { neighbours: [['', 0.5]] }, 'candidates[1].neighbours[0]', 'id must be a string'],
    ['a triple', { neighbours: [['b', 0.5, 1]] }, 'candidates[1].neighbours[0]', 'pair'],
    [
      'a throwing getter',
      {
        get neighbours() {
          throw new Error('boom')
        },
      },
      'candidates[1].neighbours',
      'could not be read (boom)',
    ],
  ])('%s: the field is ignored (field_ignored), the candidate kept with its other fields', (_name, extra, field, reason) => {
    const bad = Object.defineProperties({ id: 'x', category: ['home'] }, Object.getOwnPropertyDescriptors(extra)) as Candidate
    const s = sanitizeCandidates([{ id: 'a' }, bad, { id: 'b' }])
    expect(s.valid.map((c) => c.id)).toEqual(['a', 'x', 'b'])
    expect(s.valid[1]).toBe(bad)
    expect(s.issues).toHaveLength(1)
    expect(s.issues[0]).toMatchObject({ index: 1, field, action: 'field_ignored' })
    expect(s.issues[0]!.reason).toContain(reason)
    const clean = cleanFeatures(s.valid[1]!)
    expect(clean).toEqual({ id: 'x', category: ['home'] })
    // strict mode names the same field
    let thrown: unknown
    try {
      sanitizeCandidates([{ id: 'a' }, bad], true)
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(ValidationError)
    expect((thrown as ValidationError).field).toBe(field)
  })

  it('does not read inherited fields as item data', () => {
    const proto = { neighbours: [['b', 1]], vector }
    const c = Object.assign(Object.create(proto) as Candidate, { id: 'a' })
    expect(sanitizeCandidates([c]).issues).toEqual([])
    expect(cleanFeatures(c)).toEqual({ id: 'a' })
  })
})

describe('sanitizeCandidates: the features it returns', () => {
  it('are exactly cleanFeatures of each valid candidate, for well-formed and malformed fields alike', () => {
    // Every field drawn from valid values and from the malformed ones the check reports or drops.
    const any = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.double(),
      fc.string(),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
    )
    const candidate = fc.record(
      {
        id: fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 0, max: 4 }), fc.constant('')),
        score: fc.oneof(fc.double(), fc.constant(undefined)),
        category: any,
        tags: any,
        brand: any,
        price: fc.oneof(fc.double({ min: -10, max: 1e6 }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0), any),
        title: any,
        vector: fc.oneof(fc.constant(vector), fc.constant('f16:zz:AAAA'), any),
        neighbours: fc.oneof(fc.constant(neighbours), fc.constant([['b', Number.NaN]]), fc.constant([['b']]), any),
      },
      { requiredKeys: ['id'] },
    )
    fc.assert(
      fc.property(fc.array(fc.oneof(candidate, fc.constant(null), fc.integer()), { maxLength: 12 }), (list) => {
        const s = sanitizeCandidates<Candidate>(list)
        expect(s.features).toHaveLength(s.valid.length)
        for (let i = 0; i < s.valid.length; i++) expect(s.features[i]).toEqual(cleanFeatures(s.valid[i]!))
      }),
      { numRuns: 500 },
    )
  })
})

import { describe, expect, it } from 'vitest'
import { ValidationError } from '../errors'
import { parseTunedConfig, serializeTuned, TUNED_FORMAT, TUNED_VERSION } from './format'

const good = {
  format: TUNED_FORMAT,
  version: TUNED_VERSION,
  profile: { long: { name: 'power', scaleMs: 86_400_000, exponent: 2 }, eventWeights: { purchase: 8 }, featureWeights: { similar: 100, category: 0.3 }, gate: { bias: 1 } },
  ranker: { weights: { profile: 2 }, serverTransform: 'log' },
  meta: { dataset: 'x' },
}

function fieldOf(json: unknown): string {
  try {
    parseTunedConfig(json)
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError)
    expect((e as ValidationError).code).toBe('invalid_options')
    return (e as ValidationError).field
  }
  throw new Error('expected a ValidationError')
}

describe('tuned file (localrank-tuned v1)', () => {
  it('gives back the profile and ranker options it holds, and only those', () => {
    const o = parseTunedConfig(JSON.parse(JSON.stringify(good)))
    expect(Object.keys(o).sort()).toEqual(['profile', 'ranker'])
    expect(o.profile.long).toEqual({ name: 'power', scaleMs: 86_400_000, exponent: 2 })
    expect(o.profile.eventWeights).toEqual({ purchase: 8 })
    expect(o.ranker).toEqual({ weights: { profile: 2 }, serverTransform: 'log' })
  })

  it('serializeTuned round-trips through the parser', () => {
    const text = serializeTuned({ profile: good.profile as never, ranker: good.ranker as never })
    expect(parseTunedConfig(JSON.parse(text))).toEqual(parseTunedConfig(good))
  })

  it('names the field of every defect: wrong format or version, unknown keys, bad numbers', () => {
    expect(fieldOf(null)).toBe('tuned')
    expect(fieldOf([])).toBe('tuned')
    expect(fieldOf({ ...good, format: 'localrank-similarity' })).toBe('format')
    expect(fieldOf({ ...good, version: 2 })).toBe('version')
    expect(fieldOf({ ...good, extra: 1 })).toBe('tuned.extra')
    expect(fieldOf({ ...good, profile: { ...good.profile, eventWeight: { purchase: 1 } } })).toBe('profile.eventWeight')
    expect(fieldOf({ ...good, profile: { eventWeights: { purchse: 3 } } })).toBe('profile.eventWeights.purchse')
    expect(fieldOf({ ...good, profile: { eventWeights: { purchase: 'lots' } } })).toBe('profile.eventWeights.purchase')
    expect(fieldOf({ ...good, profile: { featureWeights: { colour: 1 } } })).toBe('profile.featureWeights.colour')
    expect(fieldOf({ ...good, profile: { long: { name: 'exponential', halfLifeMs: -5 } } })).toBe('profile.long.halfLifeMs')
    expect(fieldOf({ ...good, profile: { short: 'exponential' } })).toBe('profile.short')
    expect(fieldOf({ ...good, profile: { gate: { bias: null } } })).toBe('profile.gate.bias')
    expect(fieldOf({ ...good, ranker: { weights: { profile: -1 } } })).toBe('ranker.weights.profile')
    expect(fieldOf({ ...good, ranker: { weights: { similarity: 1 } } })).toBe('ranker.weights.similarity')
    expect(fieldOf({ ...good, ranker: { serverTransform: 'sqrt' } })).toBe('ranker.serverTransform')
    expect(fieldOf({ ...good, ranker: { demotePurchasedMs: 0 } })).toBe('ranker.demotePurchasedMs')
  })

  it('a refused file says which field and why in its message', () => {
    expect(() => parseTunedConfig({ ...good, ranker: { weights: { profile: Number.NaN } } })).toThrow(/ranker\.weights\.profile: must be a finite number/)
  })
})

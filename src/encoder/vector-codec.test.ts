import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeVector, encodeVector, fromBase64url, itemSpaceId, modelIdOf, parseVector, toBase64url, VECTOR_PATTERN } from './vector-codec'

const ID = '0123abcd'

function values(n: number, seed = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 7.1 + i * 1.3) * (i % 5 === 0 ? 2.5 : 0.3)))
}

describe('vector codec', () => {
  it("base64url round-trips every length and matches Node's encoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (b) => {
        const s = toBase64url(b)
        expect(s).toBe(Buffer.from(b).toString('base64url'))
        expect(Array.from(fromBase64url(s) as Uint8Array)).toEqual(Array.from(b))
      }),
    )
  })

  it('f32 round-trips exactly, f16 within half precision, i8 within scale/2', () => {
    const v = values(65)
    const f32 = encodeVector(v, ID, 'f32')
    expect(VECTOR_PATTERN.test(f32)).toBe(true)
    expect(Array.from(decodeVector(f32, ID, 65))).toEqual(Array.from(v))
    const f16 = decodeVector(encodeVector(v, ID, 'f16'), ID, 65)
    for (let i = 0; i < 65; i++) expect(Math.abs(f16[i]! - v[i]!)).toBeLessThanOrEqual(Math.abs(v[i]!) * 2 ** -11 + 2 ** -24)
    const max = Math.max(...Array.from(v, Math.abs))
    const i8 = decodeVector(encodeVector(v, ID, 'i8'), ID, 65)
    for (let i = 0; i < 65; i++) expect(Math.abs(i8[i]! - v[i]!)).toBeLessThanOrEqual(max / 127 / 2 + 1e-7)
    // d = 64 sizes: what a feed row carries.
    expect(encodeVector(v, ID, 'f32').length).toBe(13 + 347)
    expect(encodeVector(v, ID, 'f16').length).toBe(13 + 174)
    expect(encodeVector(v, ID, 'i8').length).toBe(12 + 92)
  })

  it('an all-zero vector survives i8 (no division by a zero scale)', () => {
    const z = new Float32Array(9)
    expect(Array.from(decodeVector(encodeVector(z, ID, 'i8'), ID, 9))).toEqual(Array.from(z))
  })

  it('rejects another model, a wrong length and bad base64 with a reason', () => {
    const s = encodeVector(values(65), ID, 'f16')
    const other = parseVector(s, 'ffffffff', 65)
    expect(other.ok).toBe(false)
    expect(!other.ok && other.reason).toMatch(/belongs to model 0123abcd, not this model \(ffffffff\)/)
    const short = parseVector(s, ID, 33)
    expect(!short.ok && short.reason).toMatch(/holds 65 values, this model needs 33/)
    const i8short = parseVector(encodeVector(values(10), ID, 'i8'), ID, 65)
    expect(!i8short.ok && i8short.reason).toMatch(/holds 10 values, this model needs 65/)
    expect(parseVector('f16:0123abcd:abc=', ID, 65).ok).toBe(false) // '=' fails the shape
    const bad = parseVector('f16:0123abcd:A', ID, 65)
    expect(!bad.ok && bad.reason).toMatch(/base64url length 1 is impossible/)
    const bits = parseVector('f32:0123abcd:AB', ID, 65)
    expect(!bits.ok && bits.reason).toMatch(/non-zero padding bits/)
    expect(parseVector('f64:0123abcd:AAAA', ID, 1).ok).toBe(false)
    expect(parseVector(42, ID, 1).ok).toBe(false)
    expect(parseVector(`f16:${ID}:${'A'.repeat(2000)}`, ID, 65)).toEqual({ ok: false, reason: 'is 2013 characters (at most 1024)' })
    expect(() => decodeVector(s, 'ffffffff', 65)).toThrow(/^vector belongs to model/)
    // A NaN smuggled in as f32 bytes is refused: it would poison every score.
    const nan = `f32:${ID}:${toBase64url(new Uint8Array(new Float32Array([1, NaN]).buffer))}`
    expect(parseVector(nan, ID, 2)).toEqual({ ok: false, reason: 'value 1 is not finite' })
  })

  it('itemSpace changes with any item-side weight or the vocabulary, not otherwise', async () => {
    const base = { d: 2, featBuckets: 3, featSlots: 1, vocab: ['a', 'b'], itemEmb: values(10), itemBias: values(5, 2), featEmb: values(6, 3), featBias: values(3, 4) }
    const id = await itemSpaceId(base)
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    expect(await itemSpaceId({ ...base, itemEmb: values(10) })).toBe(id)
    const nudged = values(6, 3)
    nudged[5] = nudged[5]! + 1e-6
    expect(await itemSpaceId({ ...base, featEmb: nudged })).not.toBe(id)
    expect(await itemSpaceId({ ...base, vocab: ['b', 'a'] })).not.toBe(id)
    expect(modelIdOf(id)).toBe(id.slice(0, 8))
    expect(() => modelIdOf('xyz')).toThrow(/64 lower-case hex/)
  })
})

import { describe, expect, it } from 'vitest'
import { artifactProblem, canonicalJson, decodeWeights, encodeWeights, fromHalf, sha256Hex, toHalf } from './weights'
import { tinyArtifact } from './testing'

describe('weights manifest', () => {
  it('float16 conversion: exact on representable values, round-to-nearest otherwise, specials kept', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14)]) expect(fromHalf(toHalf(v))).toBe(v)
    expect(fromHalf(toHalf(1 + 2 ** -11))).toBe(1) // tie → even
    expect(fromHalf(toHalf(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9)
    expect(fromHalf(toHalf(1e6))).toBe(Infinity)
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true)
    for (const v of [0.1234, -3.3, 1e-3, 7.77]) expect(Math.abs(fromHalf(toHalf(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11)
  })

  it('round-trips float32 exactly, float16 and uint8 within their step', () => {
    const data = Float32Array.from({ length: 257 }, (_, i) => Math.sin(i) * 3)
    const w = [
      { name: 'a', shape: [257], data },
      { name: 'b', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    ]
    const f32 = decodeWeights(encodeWeights(w).specs, encodeWeights(w).data)
    expect(Array.from(f32.get('a')!.data)).toEqual(Array.from(data))
    const h = encodeWeights(w, 'float16')
    expect(h.data.length).toBe((257 + 4) * 2)
    const hd = decodeWeights(h.specs, h.data).get('a')!.data
    hd.forEach((v, i) => expect(Math.abs(v - data[i]!)).toBeLessThan(3 * 2 ** -10))
    const q = encodeWeights(w, 'uint8')
    expect(q.data.length).toBe(257 + 4)
    const qd = decodeWeights(q.specs, q.data).get('a')!.data
    qd.forEach((v, i) => expect(Math.abs(v - data[i]!)).toBeLessThanOrEqual(6 / 255 / 2 + 1e-6))
  })

  it('refuses bytes that do not match the manifest', () => {
    const { specs, data } = encodeWeights([{ name: 'a', shape: [4], data: new Float32Array(4) }])
    expect(() => decodeWeights(specs, data.slice(0, 12))).toThrow(/end before "a"/)
    const longer = new Uint8Array(20)
    expect(() => decodeWeights(specs, longer)).toThrow(/trailing/)
  })

  it('hashes with SHA-256 and validates model.json structure', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    const { artifact } = await tinyArtifact()
    expect(artifactProblem(artifact)).toBeNull()
    expect(artifactProblem({ ...artifact, format: 'x' })).toMatch(/format/)
    expect(artifactProblem({ ...artifact, sha256: 'abc' })).toMatch(/sha256/)
    expect(artifactProblem({ ...artifact, vocab: artifact.vocab.slice(1) })).toMatch(/vocabSize/)
  })
})

describe('canonical JSON for the model pin', () => {
  it('sorts keys, drops undefined members, keeps array order and ECMAScript number forms', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: 2e-7, c: undefined }, 'é"'] })).toBe('{"a":[3,{"d":2e-7},"é\\""],"b":1}')
    expect(canonicalJson({ x: 1.0, y: 0.1 + 0.2, z: true, n: null })).toBe('{"n":null,"x":1,"y":0.30000000000000004,"z":true}')
  })
})

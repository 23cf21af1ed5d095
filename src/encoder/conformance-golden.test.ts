/**
 * Issue 14, "scores stay within 1e-5 of today's on the shipped model": the current encoder's
 * scores and user vectors for the golden cases (conformance-golden.ts) against the fixture that
 * the encoder of the commit it names wrote (conformance-golden-cli.ts), on tfjs CPU and WASM in
 * Node. The rest of the conformance suite (conformance.test.ts) holds the current code's paths to
 * each other; this one holds them to the code before the change.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initTf, tf } from '../offline/train/tf-node'
import { base64ToF32, computeGolden, goldenCases, type GoldenFixture } from './conformance-golden'
import * as api from './session'
import type { ModelArtifact } from './weights'

const DIR = join(import.meta.dirname, '../../public/model')
const REGEN = 'regenerate it with the old encoder: see src/encoder/conformance-golden-cli.ts'
let previous = ''
let artifact: ModelArtifact
let bytes: Uint8Array
// Fails loudly (ENOENT) when the fixture or the shipped model is missing: both are the test.
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'conformance-golden.json'), 'utf8')) as GoldenFixture

beforeAll(async () => {
  previous = await initTf('wasm')
  artifact = JSON.parse(readFileSync(join(DIR, 'model.json'), 'utf8')) as ModelArtifact
  bytes = new Uint8Array(readFileSync(join(DIR, artifact.weightsManifest[0]!.paths[0]!)))
})
afterAll(async () => {
  if (previous) await tf.setBackend(previous)
})

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return Infinity
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return Number.isNaN(m) ? Infinity : m
}

describe.each(['cpu', 'wasm'] as const)('golden scores on the shipped model, %s (Node)', (backend) => {
  it(`match the encoder of the fixture's commit within 1e-5`, async () => {
    expect(artifact.sha256, `conformance-golden.json was written for another model; ${REGEN}`).toBe(fixture.modelSha256)
    expect(await tf.setBackend(backend)).toBe(true)
    const want = fixture.backends[backend]
    expect(want, `no ${backend} entries in the fixture`).toBeDefined()
    const got = await computeGolden(api, artifact, bytes)
    const cases = goldenCases(artifact.vocab)
    expect(got.length).toBe(cases.reduce((a, c) => a + c.nows.length, 0))
    expect(got.map((g) => `${g.name}@${g.now}`)).toEqual(want!.map((w) => `${w.name}@${w.now}`))
    const worst = { scores: 0, user: 0 }
    got.forEach((g, i) => {
      const w = want![i]!
      const s = maxDiff(g.scores, base64ToF32(w.scores))
      const u = maxDiff(g.user, base64ToF32(w.user))
      worst.scores = Math.max(worst.scores, s)
      worst.user = Math.max(worst.user, u)
      expect(g.scores.length).toBe(fixture.candidates)
      expect(s, `${g.name} at ${g.now}: scores`).toBeLessThan(1e-5)
      expect(u, `${g.name} at ${g.now}: user vector`).toBeLessThan(1e-5)
    })
    // Not constants compared with constants: the history moves the scores (h50 vs h200) and
    // "now" moves them through the gap gate (1 minute vs 30 days later).
    expect(maxDiff(got[0]!.scores, got[2]!.scores)).toBeGreaterThan(0.05)
    expect(maxDiff(got[0]!.user, got[1]!.user)).toBeGreaterThan(0.01)
    console.log(`[golden ${backend}] ${got.length} entries vs ${fixture.commit}: max |Δscore| ${worst.scores.toExponential(2)}, max |Δuser| ${worst.user.toExponential(2)}`)
  }, 120_000)
})

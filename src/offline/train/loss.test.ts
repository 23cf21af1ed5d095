import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { gbce, gbceBeta } from './loss'
import { initTf } from './tf-node'

beforeAll(async () => {
  await initTf('wasm')
})

describe('gBCE (gSASRec)', () => {
  it('β is 1 at t = 0 (plain BCE), the sampling rate α at t = 1, and in between for t = 0.75', () => {
    expect(gbceBeta(256, 9681, 0)).toBeCloseTo(1, 12)
    expect(gbceBeta(256, 9681, 1)).toBeCloseTo(256 / 9680, 12)
    const b = gbceBeta(256, 9681, 0.75)
    expect(b).toBeGreaterThan(256 / 9680)
    expect(b).toBeLessThan(1)
    expect(gbceBeta(5000, 100, 0.75)).toBeCloseTo(1, 12) // every item a negative: α = 1
  })

  it('is mean_t(−β·log σ(s⁺) − Σ_k log(1 − σ(s⁻))) with masked negatives contributing nothing', () => {
    const pos = [1.5, -0.3]
    const neg = [
      [0.2, -1, -1e9],
      [2, 0.5, -0.7],
    ]
    const beta = 0.4
    const sig = (x: number) => 1 / (1 + Math.exp(-x))
    let want = 0
    pos.forEach((p, t) => {
      want += -beta * Math.log(sig(p))
      for (const n of neg[t]!) if (n > -1e8) want += -Math.log(1 - sig(n))
    })
    want /= pos.length
    const got = tf.tidy(() => gbce(tf.tensor1d(pos), tf.tensor2d(neg), beta).dataSync()[0]!)
    expect(got).toBeCloseTo(want, 5)
  })
})

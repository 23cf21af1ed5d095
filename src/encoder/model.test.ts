import { beforeAll, describe, expect, it } from 'vitest'
import { initTf, tf } from '../offline/train/tf-node'
import { firstColumnCrossEntropy } from '../offline/train/loss'
import { embedItems, forward, fuse, gatherRows, initWeights, matmul, paramShapes, type Params } from './model'
import { tinyConfig } from './testing'

beforeAll(async () => {
  await initTf('cpu')
})

const cfg = tinyConfig()
const F = cfg.featSlots

function params(seed = 3): Params {
  const p: Params = {}
  let k = 0
  for (const [name, w] of initWeights(cfg, seed)) {
    const d = w.data.slice()
    for (let i = 0; i < d.length; i++) if (d[i] === 0) d[i] = Math.sin(++k) * 0.05
    p[name] = tf.tensor(d, w.shape)
  }
  return p
}

/** A batch of B sequences of length m with deterministic pseudo-random inputs. */
function inputs(B: number, m: number, seed = 1) {
  let s = seed
  const r = () => (s = (s * 16807) % 2147483647) / 2147483647
  const rows = Int32Array.from({ length: B * m }, () => 3 + Math.floor(r() * 30))
  const feats = Int32Array.from({ length: B * m * F }, () => Math.floor(r() * cfg.featBuckets))
  const featW = Float32Array.from(feats, (f) => (f === 0 ? 0 : 0.5))
  const types = Int32Array.from({ length: B * m }, () => Math.floor(r() * 8))
  const times = Float32Array.from({ length: B * m }, (_, i) => (i % m) * 3 + r() * 2)
  return { rows, feats, featW, types, times }
}

function run(p: Params, x: ReturnType<typeof inputs>, B: number, m: number) {
  return tf.tidy(() => {
    const items = embedItems(p, cfg, { rows: tf.tensor2d(x.rows, [B, m], 'int32'), feats: tf.tensor3d(x.feats, [B, m, F], 'int32'), featW: tf.tensor3d(x.featW, [B, m, F]) })
    const out = forward(p, cfg, { e: items.e, types: tf.tensor2d(x.types, [B, m], 'int32'), times: tf.tensor2d(x.times, [B, m]) })
    return tf.concat([out.short, out.long], 2)
  })
}

describe('encoder model', () => {
  it('has the documented shapes', () => {
    const p = params()
    const x = inputs(3, 7)
    const y = run(p, x, 3, 7)
    expect(y.shape).toEqual([3, 7, 2 * cfg.d])
    const names = paramShapes(cfg).map(([n]) => n)
    expect(names).toContain('b0_decay')
    expect(paramShapes({ ...cfg, timeBias: false }).map(([n]) => n)).not.toContain('b0_decay')
  })

  it('is causal: changing token j (item, type or time) never changes positions before j', () => {
    const p = params()
    const m = 9
    const x = inputs(1, m)
    const base = run(p, x, 1, m).arraySync() as number[][][]
    for (const j of [1, 4, 8]) {
      const y = structuredClone(x)
      for (let i = j; i < m; i++) {
        y.rows[i] = 3 + ((y.rows[i]! + 11) % 30)
        y.types[i] = (y.types[i]! + 3) % 8
        y.times[i] = y.times[i]! + 500
        for (let f = 0; f < F; f++) y.feats[i * F + f] = (y.feats[i * F + f]! * 7 + 1) % cfg.featBuckets
      }
      const out = run(p, y, 1, m).arraySync() as number[][][]
      for (let i = 0; i < m; i++) {
        const diff = Math.max(...out[0]![i]!.map((v, k) => Math.abs(v - base[0]![i]![k]!)))
        if (i < j) expect(diff).toBeLessThan(1e-6)
        else if (i === j) expect(diff).toBeGreaterThan(1e-4) // the change is visible where it happens
      }
    }
  })

  it('the time bias makes the output depend on the gaps between events, and only through it', () => {
    const p = params()
    const m = 6
    const x = inputs(1, m)
    const y = structuredClone(x)
    for (let i = 0; i < m; i++) y.times[i] = x.times[i]! * 40 // same order, longer gaps
    const a = run(p, x, 1, m).arraySync() as number[][][]
    const b = run(p, y, 1, m).arraySync() as number[][][]
    expect(Math.abs(a[0]![m - 1]![0]! - b[0]![m - 1]![0]!)).toBeGreaterThan(1e-5)
    const noTime = { ...cfg, timeBias: false }
    const runNT = (z: typeof x) =>
      tf.tidy(() => {
        const items = embedItems(p, noTime, { rows: tf.tensor2d(z.rows, [1, m], 'int32'), feats: tf.tensor3d(z.feats, [1, m, F], 'int32'), featW: tf.tensor3d(z.featW, [1, m, F]) })
        return forward(p, noTime, { e: items.e, types: tf.tensor2d(z.types, [1, m], 'int32'), times: tf.tensor2d(z.times, [1, m]) }).short.arraySync() as number[][][]
      })
    const c = runNT(x)
    const d = runNT(y)
    expect(Math.abs(c[0]![m - 1]![0]! - d[0]![m - 1]![0]!)).toBeLessThan(1e-6)
  })

  it('padding on the right does not change the real positions', () => {
    const p = params()
    const x = inputs(1, 5)
    const padded = inputs(1, 8)
    for (const k of ['rows', 'types', 'times'] as const) (padded[k] as Int32Array | Float32Array).set(x[k] as never, 0)
    padded.feats.set(x.feats, 0)
    padded.featW.set(x.featW, 0)
    const a = run(p, x, 1, 5).arraySync() as number[][][]
    const b = run(p, padded, 1, 8).arraySync() as number[][][]
    for (let i = 0; i < 5; i++) for (let k = 0; k < 2 * cfg.d; k++) expect(b[0]![i]![k]!).toBeCloseTo(a[0]![i]![k]!, 5)
  })

  it('an incremental pass over a KV cache equals the full pass', () => {
    const p = params()
    const n = 7
    const m = 3
    const x = inputs(2, n + m)
    const full = run(p, x, 2, n + m).arraySync() as number[][][]
    const slice = (arr: Int32Array | Float32Array, from: number, to: number, w = 1) => {
      const out = new (arr.constructor as typeof Float32Array)(2 * (to - from) * w)
      for (let b = 0; b < 2; b++) out.set(arr.subarray((b * (n + m) + from) * w, (b * (n + m) + to) * w), b * (to - from) * w)
      return out
    }
    const part = (from: number, to: number) => {
      const len = to - from
      const items = embedItems(p, cfg, {
        rows: tf.tensor2d(slice(x.rows, from, to), [2, len], 'int32'),
        feats: tf.tensor3d(slice(x.feats, from, to, F), [2, len, F], 'int32'),
        featW: tf.tensor3d(slice(x.featW, from, to, F), [2, len, F]),
      })
      return { e: items.e, types: tf.tensor2d(slice(x.types, from, to), [2, len], 'int32'), times: tf.tensor2d(slice(x.times, from, to), [2, len]) }
    }
    const inc = tf.tidy(() => {
      const first = forward(p, cfg, part(0, n), { keepCache: true })
      const second = forward(p, cfg, part(n, n + m), { past: first.cache!, keepCache: true })
      expect(second.cache!.n).toBe(n + m)
      return tf.concat([second.short, second.long], 2).arraySync() as number[][][]
    })
    for (let b = 0; b < 2; b++) for (let i = 0; i < m; i++) for (let k = 0; k < 2 * cfg.d; k++) expect(inc[b]![i]![k]!).toBeCloseTo(full[b]![n + i]![k]!, 5)
  })
})

/** Central finite difference of f at x[i]. */
function numericGrad(f: (x: Float32Array) => number, x: Float32Array, i: number, eps = 2e-3): number {
  const a = x.slice()
  const b = x.slice()
  a[i]! += eps
  b[i]! -= eps
  return (f(a) - f(b)) / (2 * eps)
}

describe('custom gradients (they replace kernels the WASM backend lacks or gets wrong)', () => {
  it('gatherRows: scatter-add gradient, duplicates summed', () => {
    const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2])
    const idx = tf.tensor1d([2, 0, 2], 'int32')
    const w = tf.tensor2d([1, -1, 2, 3, 0.5, 4], [3, 2])
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, idx), w)))(table)
    expect(Array.from(g.dataSync())).toEqual([2, 3, 0, 0, 1.5, 3])
  })

  it('matmul: gradients equal tf.matMul’s', () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])
    const b = tf.tensor2d([0.5, -1, 2, 1, 0, 3], [3, 2])
    const w = tf.tensor2d([1, 2, 3, 4], [2, 2])
    const mine = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matmul(x, y), w)))([a, b])
    const ref = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), w)))([a, b])
    for (let k = 0; k < 2; k++) expect(Array.from(mine[k]!.dataSync())).toEqual(Array.from(ref[k]!.dataSync()))
  })

  it('firstColumnCrossEntropy: value and gradient equal softmax cross-entropy', () => {
    const z = tf.tensor2d([1, 2, 0.5, -1, 3, 0, 0.2, 0.1, -2], [3, 3])
    const labels = tf.tensor2d([1, 0, 0, 1, 0, 0, 1, 0, 0], [3, 3])
    const ref = (x: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, x) as tf.Scalar
    expect(firstColumnCrossEntropy(z).dataSync()[0]!).toBeCloseTo(ref(z).dataSync()[0]!, 5)
    const g1 = tf
      .grad((x: tf.Tensor) => firstColumnCrossEntropy(x))(z)
      .dataSync()
    const g2 = tf.grad(ref)(z).dataSync()
    g1.forEach((v, i) => expect(v).toBeCloseTo(g2[i]!, 5))
  })

  it('the whole user vector: analytic gradients match finite differences (incl. the long-term cumulative mean)', () => {
    const p = params(5)
    const B = 2
    const m = 6 // m ≠ d, and m = d below: tfjs's own Cumsum gradient is wrong for both
    const x = inputs(B, m, 9)
    const probe = tf.randomNormal([B, m, cfg.d], 0, 1, 'float32', 4)
    const loss = (pp: Params) =>
      tf.tidy(() => {
        const items = embedItems(pp, cfg, { rows: tf.tensor2d(x.rows, [B, m], 'int32'), feats: tf.tensor3d(x.feats, [B, m, F], 'int32'), featW: tf.tensor3d(x.featW, [B, m, F]) })
        const out = forward(pp, cfg, { e: items.e, types: tf.tensor2d(x.types, [B, m], 'int32'), times: tf.tensor2d(x.times, [B, m]) })
        const u = fuse(pp, cfg, out.short, out.long, tf.fill([B, m], 0.7))
        return tf.sum(tf.mul(u, probe)) as tf.Scalar
      })
    for (const name of ['item_emb', 'feat_emb', 'b0_decay', 'b1_dist', 'lnl_g', 'gate_wgap', 'b1_wk']) {
      const v = p[name]!
      const analytic = tf
        .grad((t: tf.Tensor) => loss({ ...p, [name]: t }))(v)
        .dataSync()
      const base = v.dataSync() as Float32Array
      // The largest-gradient coordinates carry the check (finite differences are noisy at float32).
      const order = Array.from(analytic.keys())
        .sort((i, j) => Math.abs(analytic[j]!) - Math.abs(analytic[i]!))
        .slice(0, 3)
      for (const i of order) {
        const num = numericGrad((arr) => loss({ ...p, [name]: tf.tensor(arr, v.shape) }).dataSync()[0]!, base, i)
        expect(Math.abs(num - analytic[i]!)).toBeLessThan(0.03 * Math.max(1, Math.abs(analytic[i]!)))
      }
    }
  })
})

/**
 * The benchmark's own module worker (bundled by lib/bundle.ts, never shipped). It holds what the
 * engine's worker does not expose: the peak matmul throughput of a backend, and the two scorer
 * baselines. It activates backends through the engine's own `chooseBackend`/`activateBackend`
 * (src/encoder/backend.ts), so "the same backend" means the same code path and WASM binaries.
 */
import * as tf from '@tensorflow/tfjs-core'
import type { BackendName } from '../../../src/engine/types'
import { activateBackend, chooseBackend, describeAdapter, probeEnvironment } from '../../../src/encoder/backend'
import { idealOps } from './ideal-ops'

type Msg = { id: number; op: string; args: Record<string, number | string> }

const now = () => performance.now()

/** Deterministic pseudo-random floats (the values do not matter for timing; their shapes do). */
function fill(n: number, seed: number): Float32Array {
  const a = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0
    a[i] = s / 4294967296 - 0.5
  }
  return a
}

const ops: Record<string, (args: Record<string, number | string>) => Promise<unknown>> = {
  ...idealOps,
  async init(args) {
    const probe = await probeEnvironment()
    const choice = chooseBackend(probe, args.backend as BackendName)
    await activateBackend(tf, choice)
    return { backend: tf.getBackend(), reason: choice.reason, adapter: probe.webgpu ? describeAdapter(probe.webgpu) : 'none' }
  },

  /**
   * Peak matmul throughput: C = A·B with A, B of size×size, read back each rep (a rep is only
   * done when its result is on the CPU; for WebGPU that includes the queue). GFLOP/s per rep =
   * 2·size³ / seconds. One unmeasured warm-up rep compiles kernels.
   */
  async matmul(args) {
    const size = Number(args.size)
    const reps = Number(args.reps)
    const a = tf.tensor2d(fill(size * size, 1), [size, size])
    const b = tf.tensor2d(fill(size * size, 2), [size, size])
    const times: number[] = []
    try {
      for (let r = -1; r < reps; r++) {
        const t0 = now()
        const c = tf.matMul(a, b)
        await c.data()
        const dt = now() - t0
        c.dispose()
        if (r >= 0) times.push(dt)
      }
    } finally {
      a.dispose()
      b.dispose()
    }
    return { times, flops: 2 * size ** 3 }
  },

  /**
   * The scoring step written as tfjs ops on the active backend: e = item_emb[rows] +
   * Σ_s w_s·feat_emb[feats_s] for n candidates, scores = e·u. Same shapes as the encoder's
   * scoring (d, F slots, 4096 feature buckets), random weights.
   */
  async tfjsScore(args) {
    const n = Number(args.n),
      d = Number(args.d),
      F = Number(args.F),
      V = Number(args.V),
      B = Number(args.buckets),
      reps = Number(args.reps)
    const item = tf.tensor2d(fill(V * d, 3), [V, d])
    const feat = tf.tensor2d(fill(B * d, 4), [B, d])
    const u = tf.tensor2d(fill(d, 5), [d, 1])
    const rows = Int32Array.from({ length: n }, (_, i) => (i * 7919) % V)
    const feats = Int32Array.from({ length: n * F }, (_, i) => (i * 104729) % B)
    const w = Float32Array.from({ length: n * F }, (_, i) => (i % F < 4 ? 1 : 0.5))
    const times: number[] = []
    try {
      for (let r = -1; r < reps; r++) {
        const t0 = now()
        const s = tf.tidy(() => {
          const fe = tf.reshape(tf.gather(feat, tf.tensor1d(feats, 'int32')), [n, F, d])
          const e = tf.add(tf.gather(item, tf.tensor1d(rows, 'int32')), tf.sum(tf.mul(fe, tf.tensor3d(w, [n, F, 1])), 1))
          return tf.matMul(e, u)
        })
        await s.data()
        s.dispose()
        const dt = now() - t0
        if (r >= 0) times.push(dt)
      }
    } finally {
      item.dispose()
      feat.dispose()
      u.dispose()
    }
    return { times }
  },

  /** The same scoring step in plain JavaScript: loops over Float32Arrays, no tfjs. */
  async naiveScore(args) {
    const n = Number(args.n),
      d = Number(args.d),
      F = Number(args.F),
      V = Number(args.V),
      B = Number(args.buckets),
      reps = Number(args.reps)
    const item = fill(V * d, 3)
    const feat = fill(B * d, 4)
    const u = fill(d, 5)
    const rows = Int32Array.from({ length: n }, (_, i) => (i * 7919) % V)
    const feats = Int32Array.from({ length: n * F }, (_, i) => (i * 104729) % B)
    const w = Float32Array.from({ length: n * F }, (_, i) => (i % F < 4 ? 1 : 0.5))
    const e = new Float32Array(d)
    const times: number[] = []
    let sink = 0
    for (let r = -1; r < reps; r++) {
      const t0 = now()
      const out = new Float32Array(n)
      for (let c = 0; c < n; c++) {
        const ro = rows[c]! * d
        for (let k = 0; k < d; k++) e[k] = item[ro + k]!
        for (let s = 0; s < F; s++) {
          const fo = feats[c * F + s]! * d
          const ws = w[c * F + s]!
          for (let k = 0; k < d; k++) e[k] = e[k]! + ws * feat[fo + k]!
        }
        let dot = 0
        for (let k = 0; k < d; k++) dot += e[k]! * u[k]!
        out[c] = dot
      }
      sink += out[n - 1]!
      const dt = now() - t0
      if (r >= 0) times.push(dt)
    }
    return { times, sink: Number.isFinite(sink) }
  },
}

self.onmessage = async (ev: MessageEvent<Msg>) => {
  const { id, op, args } = ev.data
  try {
    const fn = ops[op]
    if (!fn) throw new Error(`unknown op ${op}`)
    ;(self as unknown as Worker).postMessage({ id, ok: true, result: await fn(args) })
  } catch (err) {
    ;(self as unknown as Worker).postMessage({ id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
  }
}

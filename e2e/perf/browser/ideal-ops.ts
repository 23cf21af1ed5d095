/**
 * Bench-worker op for issue 14's profile (spread into bench-worker.ts's ops): the shipped model's
 * full encode under `tf.profile`, on the backend the bench worker activated with `init`. It runs
 * the engine's own code (loadModel + EncoderSession.flush, the same call the engine's worker
 * makes after setHistory), so the kernel count is the engine's, not a re-implementation's.
 */
import * as tf from '@tensorflow/tfjs-core'
import type { StoredEvent } from '../../../src/events/types'
import { fetchModel } from '../../../src/encoder/loader'
import { disposeModel, EncoderSession, loadModel } from '../../../src/encoder/session'

export interface EncodeProfile {
  history: number
  /** Kernels run by one full encode (every tf.profile kernel entry, one per kernel launch). */
  kernels: number
  /** Profile entries that were not kernels (customGrad wrappers), left out of the count and times. */
  wrappers: number
  /** Sum of the kernels' own times, ms (tf.profile's kernelTimeMs; excludes JS between kernels). */
  kernelMs: number
  /** BatchMatMul's part of kernelMs, 0–1. */
  matmulShare: number
  /** BatchMatMul's and _FusedMatMul's (the products with a fused bias/ReLU) part of kernelMs, 0–1. */
  productShare: number
  /** The kernel names, with counts, most time first (top 8). */
  top: Array<{ name: string; count: number; ms: number }>
}

/** One single-item view per event, a minute apart, on the model's first vocabulary items. */
function events(vocab: Map<string, number>, n: number): StoredEvent[] {
  const ids = [...vocab.keys()]
  return Array.from({ length: n }, (_, i) => ({
    id: `bench-${i}`,
    type: 'view_item' as const,
    items: [{ id: ids[i % Math.max(1, ids.length)] ?? `bench-item-${i}`, category: ['bench'], title: 'bench' }],
    timestamp: 1_600_000_000_000 + i * 60_000,
  }))
}

export const idealOps: Record<string, (args: Record<string, number | string>) => Promise<unknown>> = {
  /** args: url (model.json), histories (comma-separated event counts), reps (profiled encodes per size; the median-time one is kept). */
  async profileEncode(args) {
    // fetchModel resolves weight files against the model URL, which must be absolute.
    const url = new URL(String(args.url), self.location.href).href
    const { artifact, bytes } = await fetchModel(url, undefined, () => {}, { fetch: globalThis.fetch.bind(globalThis) })
    const model = loadModel(artifact, bytes)
    const out: EncodeProfile[] = []
    try {
      for (const h of String(args.histories).split(',').map(Number)) {
        const ev = events(model.vocab, h)
        const runs: EncodeProfile[] = []
        // One unprofiled encode first: first-call set-up (kernel registration, XNNPACK operator
        // creation) is not what a warm engine pays.
        for (let r = -1; r < Number(args.reps); r++) {
          const s = new EncoderSession(model)
          try {
            s.setHistory(ev)
            if (r < 0) {
              s.flush()
              continue
            }
            const info = await tf.profile(() => {
              s.flush()
            })
            const byName = new Map<string, { count: number; ms: number }>()
            let total = 0
            const backend = tf.getBackend()
            let wrappers = 0
            for (const k of info.kernels) {
              // A customGrad op (model.ts `matmul`, used by every linear layer) is profiled as an
              // 'unnamed scope' entry around the kernels it runs: not a kernel, and its time is
              // already in theirs. Only names with a registered kernel count.
              if (!tf.getKernel(k.name, backend)) {
                wrappers++
                continue
              }
              const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0
              total += ms
              const e = byName.get(k.name) ?? { count: 0, ms: 0 }
              e.count++
              e.ms += ms
              byName.set(k.name, e)
            }
            const mm = byName.get('BatchMatMul')?.ms ?? 0
            const fused = byName.get('_FusedMatMul')?.ms ?? 0
            runs.push({
              history: h,
              kernels: info.kernels.length - wrappers,
              wrappers,
              kernelMs: total,
              matmulShare: total > 0 ? mm / total : 0,
              productShare: total > 0 ? (mm + fused) / total : 0,
              top: [...byName]
                .map(([name, e]) => ({ name, ...e }))
                .sort((a, b) => b.ms - a.ms)
                .slice(0, 8),
            })
          } finally {
            s.dispose()
          }
        }
        runs.sort((a, b) => a.kernelMs - b.kernelMs)
        out.push(runs[Math.floor(runs.length / 2)]!)
      }
    } finally {
      disposeModel(model)
    }
    return out
  },
}

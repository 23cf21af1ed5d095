/**
 * The encoder's worker, run in this process (tests and offline tools in Node, which has no
 * module Worker): the real `WorkerHost` behind a `WorkerLike`, with every message
 * structured-cloned and delivered on a later task in both directions, as `postMessage` does,
 * so the client cannot rely on anything a real worker would not give it. Not imported by the
 * runtime.
 */
import type { WorkerLike } from './client'
import { WorkerHost } from './host'
import type { ToWorker } from './messages'

export interface InProcessOptions {
  /** What the worker's loader fetches the model with. */
  fetch: typeof fetch
  /** Sees each message the client posts (before it is cloned). */
  onPost?: (m: ToWorker) => void
  /** The environment the host sees; default: no WebGPU, no WASM (the CPU backend). */
  webgpuMissing?: string
}

export function inProcessWorker(o: InProcessOptions): WorkerLike {
  const w: WorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage(m: ToWorker) {
      o.onPost?.(m)
      const copy = structuredClone(m)
      setTimeout(() => host.handle(copy), 0)
    },
    terminate() {},
  }
  const host = new WorkerHost((m) => setTimeout(() => w.onmessage?.({ data: structuredClone(m) } as MessageEvent), 0), {
    probe: async () => ({ webgpu: null, webgpuMissing: o.webgpuMissing ?? 'in-process host', wasm: false, simd: false, threads: false }),
    loader: { fetch: o.fetch },
  })
  return w
}

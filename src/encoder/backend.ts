/**
 * Backend choice, in one place (as Transformers.js does): an explicit fallback list
 * WebGPU → WASM → CPU, an option that forces one, and a reason string for `info()`.
 *
 * - **WebGPU only on real hardware.** Headless Chromium, VMs and machines without a GPU driver
 *   expose SwiftShader (Google's CPU implementation of Vulkan) or another fallback adapter; on
 *   it the encoder ran ~25× slower than on WASM here. Software is recognised by
 *   `adapter.isFallbackAdapter`, or by the adapter info (`adapter.info`, Chrome ≥ 127; older:
 *   `requestAdapterInfo()`) naming SwiftShader, llvmpipe/lavapipe (Mesa) or Microsoft's Basic
 *   Render Driver (WARP).
 * - **WASM** with SIMD when the engine validates a SIMD module; with threads only when the page
 *   is cross-origin isolated (SharedArrayBuffer needs COOP/COEP).
 * - **CPU** (plain JS) always works.
 * - Forcing an unavailable backend is a `BackendError` that names the valid ones.
 *
 * The decision (`chooseBackend`) is a pure function of a probe, so tests drive it with mocked
 * adapters; `probeEnvironment` gathers the probe; `activateBackend` imports only the chosen
 * backend's chunk.
 */
import type { BackendName } from '../engine/types'
import { BackendError } from '../errors'

import { BACKENDS } from './backend-names'

export { BACKENDS }

export interface AdapterDescription {
  vendor?: string
  architecture?: string
  device?: string
  description?: string
  isFallbackAdapter?: boolean
}

export interface BackendProbe {
  /** null: no `navigator.gpu` or no adapter. */
  webgpu: AdapterDescription | null
  /** Why there is no WebGPU adapter, for the reason string. */
  webgpuMissing?: string
  wasm: boolean
  simd: boolean
  /** crossOriginIsolated and SharedArrayBuffer: WASM may use threads. */
  threads: boolean
}

export interface BackendChoice {
  backend: BackendName
  reason: string
  /** Backends to try next if activating this one fails (not when forced). */
  fallbacks: BackendName[]
  /** WASM only: use threads. */
  threads?: boolean
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|basic render|warp|microsoft basic/i

/** A short description of an adapter, e.g. "google / swiftshader". */
export function describeAdapter(a: AdapterDescription): string {
  return [a.vendor, a.architecture, a.device, a.description].filter((s) => s && s.trim() !== '').join(' / ') || 'unnamed adapter'
}

/** True when the adapter is a software rasteriser or the browser's fallback adapter. */
export function isSoftwareAdapter(a: AdapterDescription): boolean {
  if (a.isFallbackAdapter) return true
  const text = `${a.vendor ?? ''} ${a.architecture ?? ''} ${a.device ?? ''} ${a.description ?? ''}`
  return SOFTWARE.test(text)
}

function wasmReason(p: BackendProbe): string {
  const simd = p.simd ? 'SIMD' : 'no SIMD'
  const threads = p.threads ? 'threads' : 'no threads (page not cross-origin isolated)'
  return `WASM (${simd}, ${threads})`
}

/** Pick a backend from a probe. Throws BackendError when `forced` is unavailable. */
export function chooseBackend(p: BackendProbe, forced?: BackendName): BackendChoice {
  const available = (b: BackendName) => (b === 'webgpu' ? p.webgpu !== null : b === 'wasm' ? p.wasm : true)
  const valid = BACKENDS.filter(available)
  if (forced !== undefined) {
    if (!BACKENDS.includes(forced)) {
      throw new BackendError('invalid_options', `backend "${String(forced)}" is unknown; valid options here: ${valid.join(', ')}`, { backend: String(forced), valid })
    }
    if (!available(forced)) {
      const why = forced === 'webgpu' ? (p.webgpuMissing ?? 'no WebGPU adapter') : 'WebAssembly is not available'
      throw new BackendError('backend_unavailable', `backend "${forced}" is not available here (${why}); valid options here: ${valid.join(', ')}`, {
        backend: forced,
        valid,
      })
    }
    let reason = `forced by the backend option`
    if (forced === 'webgpu' && p.webgpu && isSoftwareAdapter(p.webgpu)) reason += ` (note: the adapter is software, ${describeAdapter(p.webgpu)}; WASM is faster here)`
    if (forced === 'wasm') reason += `: ${wasmReason(p)}`
    return { backend: forced, reason, fallbacks: [], ...(forced === 'wasm' ? { threads: p.threads } : {}) }
  }
  if (p.webgpu && !isSoftwareAdapter(p.webgpu)) {
    return { backend: 'webgpu', reason: `WebGPU on a hardware adapter (${describeAdapter(p.webgpu)})`, fallbacks: p.wasm ? ['wasm', 'cpu'] : ['cpu'] }
  }
  const noGpu = p.webgpu ? `WebGPU adapter is software (${describeAdapter(p.webgpu)}), ~25× slower than WASM` : `no WebGPU (${p.webgpuMissing ?? 'no adapter'})`
  if (p.wasm) return { backend: 'wasm', reason: `${noGpu}; using ${wasmReason(p)}`, fallbacks: ['cpu'], threads: p.threads }
  return { backend: 'cpu', reason: `${noGpu}; no WebAssembly; using the plain JavaScript CPU backend`, fallbacks: [] }
}

/**
 * A minimal module using SIMD (i8x16.splat, i8x16.popcnt), from GoogleChromeLabs'
 * wasm-feature-detect: it validates only where WebAssembly SIMD is supported.
 */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11])

interface GpuAdapterLike {
  info?: AdapterDescription
  isFallbackAdapter?: boolean
  requestAdapterInfo?: () => Promise<AdapterDescription>
}

/** Probe what this context (window or worker) offers. `gpu` may be injected by tests. */
export async function probeEnvironment(
  env: { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } | undefined; crossOriginIsolated?: boolean } = {
    gpu: (globalThis.navigator as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } | undefined)?.gpu,
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
  },
): Promise<BackendProbe> {
  let webgpu: AdapterDescription | null = null
  let webgpuMissing: string | undefined
  if (!env.gpu) webgpuMissing = 'navigator.gpu is absent'
  else {
    try {
      const adapter = await env.gpu.requestAdapter()
      if (!adapter) webgpuMissing = 'requestAdapter() returned null'
      else {
        const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {})
        webgpu = {
          vendor: info.vendor ?? '',
          architecture: info.architecture ?? '',
          device: info.device ?? '',
          description: info.description ?? '',
          isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter),
        }
      }
    } catch (err) {
      webgpuMissing = `requestAdapter() failed: ${err instanceof Error ? err.message : String(err)}`
    }
  }
  const wasm = typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function'
  let simd = false
  try {
    simd = wasm && WebAssembly.validate(SIMD_PROBE)
  } catch {
    simd = false
  }
  const threads = wasm && env.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function'
  return { webgpu, ...(webgpuMissing ? { webgpuMissing } : {}), wasm, simd, threads }
}

/**
 * Threads for threaded WASM (XNNPACK's pool; the encoder worker's own thread is one of them):
 * one core left to the page, at most 4 (the encodes are small). tfjs-wasm then caps the pool
 * at navigator.hardwareConcurrency / 2 (its backend.cc assumes two hardware threads per core),
 * so on a 2-core machine the threaded build computes on 1 thread: scores bit-identical to the
 * single-thread build, no speed-up. Left so on purpose: on the shared 2-core bench machine,
 * 2 threads measured slower than 1 (e2e/perf/threads.ts, issue 14). `activate` reports the
 * count tfjs really uses, so info() says it.
 */
export function wasmThreadCount(hardwareConcurrency: number | undefined): number {
  return Math.max(1, Math.min(4, (hardwareConcurrency ?? 2) - 1))
}

/** What activation set up: for WASM, the threads tfjs-wasm computes with (1 without threads). */
export interface Activated {
  wasmThreads?: number
}

/**
 * Import the chosen backend (its chunk only) and make it tfjs's current backend.
 * The WASM binaries are bundled assets (`?url`), never fetched from a CDN.
 */
export async function activateBackend(tf: typeof import('@tensorflow/tfjs-core'), choice: BackendChoice): Promise<Activated> {
  let wasmMod: typeof import('@tensorflow/tfjs-backend-wasm') | null = null
  if (choice.backend === 'webgpu') {
    await import('@tensorflow/tfjs-backend-webgpu')
  } else if (choice.backend === 'wasm') {
    const [mod, plain, simd, threaded] = await Promise.all([
      import('@tensorflow/tfjs-backend-wasm'),
      import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url&no-inline'),
      import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url&no-inline'),
      import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url&no-inline'),
    ])
    wasmMod = mod
    wasmMod.setWasmPaths({
      'tfjs-backend-wasm.wasm': plain.default,
      'tfjs-backend-wasm-simd.wasm': simd.default,
      'tfjs-backend-wasm-threaded-simd.wasm': threaded.default,
    })
    // Threads only under cross-origin isolation; tfjs would otherwise probe on its own.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', choice.threads === true)
    if (choice.threads) wasmMod.setThreadsCount(wasmThreadCount(globalThis.navigator?.hardwareConcurrency))
  } else {
    await import('@tensorflow/tfjs-backend-cpu')
  }
  const ok = await tf.setBackend(choice.backend)
  if (!ok) throw new BackendError('backend_unavailable', `backend "${choice.backend}" failed to initialise`, { backend: choice.backend })
  await tf.ready()
  // tfjs-wasm's own count, read back after init (what XNNPACK's pool really has).
  return wasmMod ? { wasmThreads: wasmMod.getThreadsCount() } : {}
}

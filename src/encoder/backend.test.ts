import { describe, expect, it } from 'vitest'
import { BackendError } from '../errors'
import { chooseBackend, isSoftwareAdapter, probeEnvironment, type BackendProbe } from './backend'

const base: BackendProbe = { webgpu: null, webgpuMissing: 'navigator.gpu is absent', wasm: true, simd: true, threads: false }
const swiftshader = { vendor: 'google', architecture: 'swiftshader', device: '', description: '' }
const nvidia = { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060' }

/** A navigator.gpu whose adapter exposes `info` (Chrome ≥ 127) or `requestAdapterInfo()` (older). */
function gpu(info: Record<string, unknown> | null, style: 'info' | 'request' = 'info', isFallbackAdapter?: boolean) {
  return {
    requestAdapter: async () =>
      info === null
        ? null
        : style === 'info'
          ? { info, ...(isFallbackAdapter !== undefined ? { isFallbackAdapter } : {}) }
          : { requestAdapterInfo: async () => info, ...(isFallbackAdapter !== undefined ? { isFallbackAdapter } : {}) },
  }
}

describe('backend choice', () => {
  it('SwiftShader → WASM, with the reason', async () => {
    const p = await probeEnvironment({ gpu: gpu(swiftshader), crossOriginIsolated: false })
    const c = chooseBackend(p)
    expect(c.backend).toBe('wasm')
    expect(c.reason).toMatch(/software \(google \/ swiftshader\)/)
    expect(c.reason).toMatch(/no threads/)
  })

  it('a hardware adapter → WebGPU, with WASM then CPU as fallbacks', async () => {
    const p = await probeEnvironment({ gpu: gpu(nvidia, 'request'), crossOriginIsolated: false })
    const c = chooseBackend(p)
    expect(c.backend).toBe('webgpu')
    expect(c.reason).toMatch(/hardware adapter \(nvidia/)
    expect(c.fallbacks).toEqual(['wasm', 'cpu'])
  })

  it('isFallbackAdapter, llvmpipe and WARP count as software', async () => {
    expect(chooseBackend(await probeEnvironment({ gpu: gpu(nvidia, 'info', true) })).backend).toBe('wasm')
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true)
    expect(isSoftwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe(true)
    expect(isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3' })).toBe(false)
  })

  it('no adapter → WASM; no WebAssembly → CPU; threads only when cross-origin isolated', async () => {
    const none = await probeEnvironment({ gpu: gpu(null), crossOriginIsolated: true })
    expect(none.webgpuMissing).toMatch(/returned null/)
    const c = chooseBackend(none)
    expect(c.backend).toBe('wasm')
    expect(c.threads).toBe(typeof SharedArrayBuffer === 'function')
    expect(none.simd).toBe(true) // Node 20's V8 validates the SIMD probe
    expect(chooseBackend({ ...base, wasm: false, simd: false }).backend).toBe('cpu')
    const throwing = await probeEnvironment({ gpu: { requestAdapter: async () => Promise.reject(new Error('blocked')) } })
    expect(throwing.webgpuMissing).toMatch(/blocked/)
  })

  it('a forced backend that is unavailable is a BackendError naming the valid options', () => {
    const err = (() => {
      try {
        chooseBackend(base, 'webgpu')
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(BackendError)
    expect((err as BackendError).code).toBe('backend_unavailable')
    expect((err as BackendError).message).toMatch(/"webgpu" is not available here \(navigator\.gpu is absent\); valid options here: wasm, cpu/)
    expect((err as BackendError).context.valid).toEqual(['wasm', 'cpu'])
    expect(() => chooseBackend({ ...base, wasm: false }, 'wasm')).toThrow(/valid options here: cpu/)
    expect(() => chooseBackend(base, 'tpu' as never)).toThrow(/unknown/)
  })

  it('a forced backend that is available is used even when slower, and says so', () => {
    const c = chooseBackend({ ...base, webgpu: swiftshader }, 'webgpu')
    expect(c.backend).toBe('webgpu')
    expect(c.fallbacks).toEqual([])
    expect(c.reason).toMatch(/forced.*software/)
    expect(chooseBackend(base, 'cpu').backend).toBe('cpu')
  })
})

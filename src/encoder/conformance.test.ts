/**
 * The conformance suite (conformance.ts) on tfjs's CPU and WASM backends in Node. Chromium runs
 * the same suite on WASM and WebGPU (e2e/conformance.spec.ts). Skips: conformance.ts skipsFor (none here).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { initTf, tf } from '../offline/train/tf-node'
import { expectedChecks, runConformance, skipsFor, summarise, VARIANTS } from './conformance'

let previous = ''
beforeAll(async () => {
  previous = await initTf('wasm') // registers the WASM binaries; the CPU backend is registered too
})
afterAll(async () => {
  if (previous) await tf.setBackend(previous)
})

describe.each(['cpu', 'wasm'] as const)('encoder conformance on %s (Node)', (backend) => {
  it(`tensor path == JS step == full encode for all ${VARIANTS.length} variants`, async () => {
    expect(await tf.setBackend(backend)).toBe(true)
    const { backend: ran, results, skips, magnitude } = await runConformance()
    expect(ran).toBe(backend)
    console.log(`[conformance ${backend}] ${results.length} checks, skips: ${skips.length ? skips.map((s) => `${s.check} (${s.reason})`).join('; ') : 'none'}\n  ${summarise(results).join('\n  ')}`)
    expect(magnitude).toBeGreaterThan(0.05) // not zeros compared with zeros
    expect(skips).toEqual([])
    expect(results.length).toBe(expectedChecks(backend))
    for (const r of results) expect(r.maxDiff, `${r.variant}: ${r.check}`).toBeLessThan(r.check.startsWith('tensors leaked') ? 1 : 1e-5)
  }, 120_000)
})

describe("WebGPU's skip list, on CPU (Node)", () => {
  // On WebGPU one dataSync of a GPU tensor gives zeros and destroys the device (Chromium 156,
  // SwiftShader); every later read-back then fails with "A valid external Instance reference no
  // longer exists". So with WebGPU's skips the suite must read nothing back synchronously.
  it('reads no tensor back synchronously and runs every check not skipped', async () => {
    expect(await tf.setBackend('cpu')).toBe(true)
    const readSync = vi.spyOn(tf.engine(), 'readSync')
    try {
      const { results, skips } = await runConformance({ skipsOf: 'webgpu' })
      expect(readSync).not.toHaveBeenCalled()
      expect(skips).toEqual(skipsFor('webgpu'))
      expect(results.length).toBe(expectedChecks('webgpu'))
      const base = (check: string) => check.replace(/ \((1 min|30 days) later\)$/, '')
      for (const r of results) expect(skips.map((s) => s.check)).not.toContain(base(r.check))
    } finally {
      readSync.mockRestore()
    }
  }, 120_000)
})

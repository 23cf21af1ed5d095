/**
 * The conformance suite (conformance.ts) on tfjs's CPU and WASM backends in Node. Chromium runs
 * the same suite on WASM and WebGPU (e2e/conformance.spec.ts). Skips: conformance.ts skipsFor (none here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initTf, tf } from '../offline/train/tf-node'
import { expectedChecks, runConformance, summarise, VARIANTS } from './conformance'

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

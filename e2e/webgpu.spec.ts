/**
 * 6. WebGPU. Chromium runs with --enable-unsafe-webgpu and the WebGPU backend is forced.
 *    - Op parity: the ops an encoder is built from give the same numbers on tfjs's WebGPU
 *      backend as on its CPU reference, within 1e-3 (fixtures/webgpu-parity.ts, bundled here
 *      with Vite's API into a temp folder and served through page.route).
 *    - Engine: with the bundled model present, the demo forced to `backend=webgpu` reports
 *      WebGPU and ranks on the encoder path. Score parity of the trained encoder against the
 *      WASM path (1e-3) is e2e/encoder.spec.ts's job (the encoder owns its scoring harness);
 *      this spec checks that file exists whenever the model does, so the check cannot vanish.
 *    On machines without a GPU, Chromium's WebGPU adapter is SwiftShader (software Vulkan):
 *    slow, but the same WGSL shaders, which is what parity is about.
 */
import { expect, test } from '@playwright/test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'vite'
import { chromiumArgs } from './playwright.config'
import { demoReady, hasModel, listSettled, requireBuild, ROOT } from './support'

test.use({ launchOptions: { executablePath: process.env.LOCALRANK_CHROMIUM === 'bundled' ? undefined : (process.env.LOCALRANK_CHROMIUM ?? '/usr/bin/chromium'), args: [...chromiumArgs, '--enable-unsafe-webgpu'] } })

let bundleDir = ''
test.beforeAll(async () => {
  requireBuild()
  bundleDir = mkdtempSync(join(tmpdir(), 'localrank-webgpu-'))
  await build({
    configFile: false,
    logLevel: 'warn',
    root: ROOT,
    publicDir: false,
    build: { outDir: bundleDir, emptyOutDir: true, minify: false, lib: { entry: join(ROOT, 'e2e/fixtures/webgpu-parity.ts'), formats: ['es'], fileName: () => 'webgpu-parity.js' } },
  })
})
test.afterAll(() => bundleDir && rmSync(bundleDir, { recursive: true, force: true }))

test('tfjs ops on the forced WebGPU backend match the CPU backend within 1e-3', async ({ page }) => {
  test.setTimeout(180_000)
  await page.route('**/fixtures/gen/**', (r) => r.fulfill({ body: readFileSync(join(bundleDir, new URL(r.request().url()).pathname.split('/').pop()!)), contentType: 'text/javascript' }))
  await page.goto('/fixtures/webgpu.html')
  expect(await page.evaluate(() => !!navigator.gpu), 'navigator.gpu must exist with --enable-unsafe-webgpu on localhost').toBe(true)
  await page.waitForFunction(() => typeof window.runParity === 'function')
  const r = await page.evaluate(() => window.runParity(7))
  console.log(`[webgpu] backend ${r.backend}, adapter ${r.adapter}; max |webgpu − cpu|: ${Object.entries(r.maxAbs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`)
  expect(r.backend).toBe('webgpu')
  expect(Object.keys(r.maxAbs)).toHaveLength(8)
  for (const [op, diff] of Object.entries(r.maxAbs)) expect(diff, op).toBeLessThanOrEqual(1e-3)
})

test('the engine forced to WebGPU ranks with the encoder (when the bundled model exists)', async ({ page }) => {
  test.skip(!hasModel(), 'dist/model/model.json is absent: no encoder to run yet (the op parity test above stands in)')
  expect(existsSync(join(ROOT, 'e2e/encoder.spec.ts')), 'e2e/encoder.spec.ts owns the WebGPU-vs-WASM score parity check').toBe(true)
  test.setTimeout(180_000)
  await page.goto('/?backend=webgpu#/')
  await demoReady(page)
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { localrankDemo: { engine: { info(): { backend: string | null; model: { ready: boolean; error?: string } | null } } } }).localrankDemo.engine.info()), { timeout: 150_000 })
    .toMatchObject({ backend: 'webgpu', model: { ready: true } })
  await page.reload()
  await demoReady(page)
  await listSettled(page)
  await expect(page.locator('localrank-list')).toHaveAttribute('data-lr-path', /encoder|profile/)
})

/**
 * The encoder's conformance suite (src/encoder/conformance.ts) in real Chromium, on WASM and on
 * WebGPU (forced; without a GPU the adapter is SwiftShader, the same WGSL shaders), the same
 * checks Node runs on CPU and WASM (src/encoder/conformance.test.ts): for every model variant,
 * full encode == tensor step == JS step, and the JS item path == the tensor path.
 * Skips: the suite's skipsFor list, each printed with its reason and attached to the test as a
 * 'skip' annotation (on WebGPU: the 4 checks that read tensors back synchronously, which there
 * gives zeros and destroys the device; the fixture refuses such a read with a message naming
 * skipsFor); a missing backend fails, it is not skipped.
 */
import { expect, test } from '@playwright/test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { build } from 'vite'
import { chromiumArgs } from './playwright.config'
import { ROOT } from './support'

test.use({
  launchOptions: {
    executablePath: process.env.LOCALRANK_CHROMIUM === 'bundled' ? undefined : (process.env.LOCALRANK_CHROMIUM ?? '/usr/bin/chromium'),
    args: [...chromiumArgs, '--enable-unsafe-webgpu'],
  },
})

let dir = ''
test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'localrank-conformance-'))
  await build({
    configFile: false,
    logLevel: 'warn',
    root: ROOT,
    publicDir: false,
    base: './',
    worker: { format: 'es' },
    build: { outDir: dir, emptyOutDir: true, minify: false, assetsInlineLimit: 0, lib: { entry: join(ROOT, 'e2e/fixtures/conformance.ts'), formats: ['es'], fileName: () => 'conformance.js' } },
  })
})
test.afterAll(() => dir && rmSync(dir, { recursive: true, force: true }))

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm' }

for (const [backend, tolerance] of [
  ['wasm', 1e-5],
  ['webgpu', 1e-4],
] as const) {
  test(`encoder conformance on ${backend} (Chromium): every variant, full encode == tensor step == JS step`, async ({ page }) => {
    test.setTimeout(240_000)
    await page.route('**/fixtures/gen/conformance/**', (r) => {
      const rel = new URL(r.request().url()).pathname.split('/gen/conformance/')[1]!
      r.fulfill({ body: readFileSync(join(dir, rel)), contentType: TYPES[extname(rel)] ?? 'application/octet-stream' })
    })
    await page.goto('/fixtures/conformance.html')
    await page.waitForFunction(() => typeof window.runConformanceOn === 'function', null, { timeout: 20_000 })
    const r = await page.evaluate(
      (b) =>
        window.runConformanceOn(b).catch((e: Error) => {
          throw new Error(e.message.replace(/\n/g, ' | '))
        }),
      backend,
    )
    const byCheck = new Map<string, { max: number; variant: string }>()
    for (const x of r.results) {
      const k = x.check.replace(/ \((1 min|30 days) later\)$/, '')
      if (!byCheck.has(k) || x.maxDiff > byCheck.get(k)!.max) byCheck.set(k, { max: x.maxDiff, variant: x.variant })
    }
    for (const x of r.skips) test.info().annotations.push({ type: 'skip', description: `${backend}: ${x.check}: ${x.reason}` })
    console.log(
      `[conformance ${r.backend}${r.adapter ? `, adapter ${r.adapter}` : ''}] ${r.results.length} checks, ${r.skips.length} skipped${r.skips.map((x) => `\n  skip: ${x.check} (${x.reason})`).join('')}\n  ${[...byCheck].map(([k, v]) => `${k}: max ${v.max.toExponential(2)} (${v.variant})`).join('\n  ')}`,
    )
    expect(r.backend).toBe(backend)
    expect(r.magnitude).toBeGreaterThan(0.05)
    expect(r.results.length).toBe(r.expected)
    expect(r.skips.length).toBe(backend === 'webgpu' ? 4 : 0)
    const skipped = new Set(r.skips.map((x) => x.check))
    for (const x of r.results) expect(skipped.has(x.check.replace(/ \((1 min|30 days) later\)$/, '')), `${x.check} ran though skipped`).toBe(false)
    for (const x of r.results) expect(x.maxDiff, `${x.variant}: ${x.check}`).toBeLessThan(x.check.startsWith('tensors leaked') ? 1 : tolerance)
  })
}

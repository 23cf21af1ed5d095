/**
 * Chromium through Playwright, as the e2e tests drive it: the system Chromium (or
 * LOCALRANK_CHROMIUM), the same switches as e2e/playwright.config.ts, plus
 * --enable-unsafe-webgpu so that the WebGPU rows can run. On a machine without a GPU that
 * adapter is SwiftShader (Vulkan on the CPU): those rows are labelled "software".
 * The static server is e2e/serve.ts (dist/ at /, e2e/fixtures/ at /fixtures/, http://localhost,
 * a secure context); the bundled bench helpers are answered at /perf-gen/ by a route.
 */
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { chromiumArgs } from '../../playwright.config'
import { startServer } from '../../serve'

export const CHROMIUM = process.env.LOCALRANK_CHROMIUM ?? '/usr/bin/chromium'

export interface Harness {
  browser: Browser
  base: string
  genDir: string
  newContext(): Promise<BrowserContext>
  /** A page of a fresh context on the bench fixture, with the helpers importable. */
  openBenchPage(ctx: BrowserContext, query?: string): Promise<Page>
  close(): Promise<void>
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' }

export async function startHarness(genDir: string): Promise<Harness> {
  const server = await startServer(0)
  const port = (server.address() as AddressInfo).port
  const base = `http://localhost:${port}`
  const browser = await chromium.launch({
    ...(CHROMIUM === 'bundled' ? {} : { executablePath: CHROMIUM }),
    args: [...chromiumArgs, '--enable-unsafe-webgpu'],
  })
  const newContext = async () => {
    const ctx = await browser.newContext({ baseURL: base })
    await ctx.route('**/perf-gen/**', (route) => {
      const name = new URL(route.request().url()).pathname.replace(/^\/perf-gen\//, '')
      const file = normalize(join(genDir, name))
      if (!file.startsWith(genDir)) return route.fulfill({ status: 404 })
      try {
        // COEP on every helper, as serve.ts does for an isolated page's resources: a worker that an
        // isolated page (?coi=1, the threads section) starts must itself be require-corp to load.
        return route.fulfill({ body: readFileSync(file), contentType: TYPES[extname(file)] ?? 'application/octet-stream', headers: { 'cross-origin-embedder-policy': 'require-corp' } })
      } catch {
        return route.fulfill({ status: 404 })
      }
    })
    return ctx
  }
  return {
    browser,
    base,
    genDir,
    newContext,
    async openBenchPage(ctx, query = '') {
      const page = await ctx.newPage()
      await page.goto(`/fixtures/perf-page.html${query}`)
      await page.waitForFunction(() => (window as unknown as { __perfReady?: boolean }).__perfReady === true, null, { timeout: 30_000 })
      return page
    },
    async close() {
      await browser.close()
      await new Promise<void>((ok) => server.close(() => ok()))
    },
  }
}

/**
 * The React example (examples/react, issue 15 #6), as a shop would use it with server rendering:
 * rendered to HTML in Node from the *built* package (renderToString; `localrank` resolves through
 * package.json exports to dist/lib), then hydrated in Chromium with `localrank` from /lib/. The
 * shopper has a lighting history, so the ranked order differs from the server's; the list must
 * never be visible in the server's order on the way (no flash), and hydration must not complain.
 */
import { expect, test } from '@playwright/test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { build } from 'vite'
import { requireBuild, ROOT } from './support'

const OUT = join(ROOT, 'dist', 'e2e-react')
let serverHtml = ''

test.beforeAll(async () => {
  requireBuild()
  // The client bundle: the example with React in it; `localrank` left to the page's import map,
  // so the library's worker and WASM files resolve beside /lib/localrank.mjs as in a shop.
  await build({
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      outDir: OUT,
      emptyOutDir: true,
      minify: false,
      lib: { entry: join(ROOT, 'examples', 'react', 'app.tsx'), formats: ['es'], fileName: () => 'app.js' },
      rollupOptions: { external: ['localrank'] },
    },
  })
  // Server rendering in this Node process: importing the example imports the built `localrank`.
  // (By URL: the examples are type-checked on their own, tsconfig.examples.json, against src/.)
  const { App } = (await import(pathToFileURL(join(ROOT, 'examples', 'react', 'app.tsx')).href)) as { App: (p: { engine: null }) => ReturnType<typeof createElement> }
  serverHtml = renderToString(createElement(App, { engine: null }))
  mkdirSync(OUT, { recursive: true })
  writeFileSync(
    join(OUT, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>React SSR + LocalRank</title>
<script type="importmap">{"imports":{"localrank":"/lib/localrank.mjs"}}</script>
<style>localrank-list:not(:defined){visibility:hidden;animation:lr-reveal 0s 1.5s forwards}@keyframes lr-reveal{to{visibility:visible}}</style>
<script>
  // Every state of the list the page could paint: "visibility:order", recorded on each DOM change.
  window.__seen = []
  var rec = function () {
    var ul = document.getElementById('ranked')
    if (!ul) return
    var s = getComputedStyle(ul).visibility + ':' + Array.from(ul.querySelectorAll('[data-item-id]')).map(function (e) { return e.getAttribute('data-item-id') }).join(',')
    if (__seen[__seen.length - 1] !== s) __seen.push(s)
  }
  new MutationObserver(rec).observe(document, { subtree: true, childList: true, attributes: true })
</script>
</head><body><div id="root">${serverHtml}</div><script type="module" src="/e2e-react/app.js"></script></body></html>`,
  )
})

test('server rendering: the built package imports in Node and the list renders hidden, in the server’s order', () => {
  expect(serverHtml).toContain('data-lr-state="pending"')
  expect(serverHtml).toContain('visibility:hidden')
  expect([...serverHtml.matchAll(/data-item-id="([^"]+)"/g)].map((m) => m[1])).toEqual(['pan-1', 'sock-1', 'lamp-9'])
})

test('hydrated in Chromium: shown once, already in LocalRank’s order, never in the server’s; no hydration error', async ({ page }) => {
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(e.message))
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
  await page.goto('/e2e-react/index.html')
  await expect(page.locator('#ranked')).not.toHaveAttribute('data-lr-state', 'pending', { timeout: 30_000 })
  await expect(page.locator('#ranked')).toHaveAttribute('data-lr-state', 'ranked')
  const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen)
  const visible = seen.filter((s) => s.startsWith('visible:'))
  expect(visible).toHaveLength(1)
  expect(visible[0]!.split(':')[1]!.split(',')[0]).toBe('lamp-9')
  expect(seen.some((s) => s === 'visible:pan-1,sock-1,lamp-9')).toBe(false)
  expect(problems).toEqual([])
})

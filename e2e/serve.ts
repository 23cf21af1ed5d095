/**
 * A dependency-free static server for the e2e tests and benchmarks: it serves the *built*
 * bundles (dist/) at `/` and the fixture pages (e2e/fixtures/) at `/fixtures/`, and the npm
 * library's build (dist/lib) a second time at `/vendor/localrank/`, a sub-path with no demo
 * assets beside it, as a shop would self-host it; all on
 * http://localhost (a secure context, which WebGPU and crypto.subtle need).
 * `?coi=1` on a page adds COOP/COEP so WASM threads can be tested under cross-origin isolation.
 */
import { createServer } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
}

const root = resolve(import.meta.dirname, '..')
const roots: Array<[string, string]> = [
  ['/fixtures/', join(root, 'e2e', 'fixtures')],
  ['/vendor/localrank/', join(root, 'dist', 'lib')],
  ['/', join(root, 'dist')],
]

/**
 * `/csp/<name>/…` serves `…` with the named Content-Security-Policy header on every response
 * (page, scripts, worker scripts, WASM, model), as a shop that sets CSP site-wide does: a worker
 * gets its policy from its own response, not from the page, so a meta tag could not test it.
 * `shop` is the policy the README documents; the others take one permission away.
 */
const SHOP_CSP = [
  "default-src 'self'",
  // The README's queue stub, by hash; the e2e fixtures' own inline scripts by nonce.
  "script-src 'self' 'wasm-unsafe-eval' 'sha256-6Wm6SFQdNiQzuJwv6KD4q/vcI+bV/SQunjMdLWEBVbs=' 'nonce-lr-e2e'",
  "worker-src 'self'",
  "connect-src 'self'",
  // The anti-flicker rule (the README's <style> and the loader's copy of it), by hash.
  "style-src 'self' 'sha256-K9BARJ8g/aqIcETKm7rbgRR94VHkkJLHX5DWJjtCRVs='",
  "img-src 'self' data:",
]
export const CSP_POLICIES: Record<string, string> = {
  shop: SHOP_CSP.join('; '),
  'no-wasm': SHOP_CSP.map((d) => d.replace(" 'wasm-unsafe-eval'", '')).join('; '),
  'no-worker': SHOP_CSP.map((d) => (d.startsWith('worker-src') ? "worker-src 'none'" : d)).join('; '),
  tt: [...SHOP_CSP, "require-trusted-types-for 'script'", 'trusted-types localrank'].join('; '),
}

export function startServer(port: number) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/healthz') return void res.end('ok')
    const csp = /^\/csp\/([\w-]+)(\/.*)$/.exec(url.pathname)
    if (csp) {
      const policy = CSP_POLICIES[csp[1]!]
      if (!policy) return void res.writeHead(404).end('unknown CSP policy')
      res.setHeader('content-security-policy', policy)
      url.pathname = csp[2]!
    }
    for (const [prefix, dir] of roots) {
      if (!url.pathname.startsWith(prefix)) continue
      let rel = decodeURIComponent(url.pathname.slice(prefix.length))
      if (rel === '' || rel.endsWith('/')) rel += 'index.html'
      const file = normalize(join(dir, rel))
      if (!file.startsWith(dir)) break
      try {
        const s = await stat(file)
        if (!s.isFile()) continue
        const headers: Record<string, string> = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }
        if (url.searchParams.get('coi') === '1' || req.headers['referer']?.includes('coi=1')) {
          headers['cross-origin-opener-policy'] = 'same-origin'
          headers['cross-origin-embedder-policy'] = 'require-corp'
        }
        res.writeHead(200, headers)
        return void res.end(await readFile(file))
      } catch {}
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found')
  })
  return new Promise<typeof server>((ok) => server.listen(port, () => ok(server)))
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  const i = process.argv.indexOf('--port')
  const port = i > 0 ? Number(process.argv[i + 1]) : 4317
  startServer(port).then(() => console.log(`serving dist/ and e2e/fixtures/ on http://localhost:${port}`))
}

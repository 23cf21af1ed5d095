/**
 * LocalRank demo service worker: the shop works offline after the first load.
 *
 * - install: precache the app shell. The built asset names are hashed, so instead of a
 *   build-time manifest the worker crawls: index.html → the files it references → the files
 *   those reference (JS chunks, the encoder worker, tfjs-backend-wasm's .wasm), same origin
 *   only; plus the catalogue, and the model (model.json and the weight files its
 *   weightsManifest names) and the similarity table when they exist.
 * - fetch (same-origin GET only): navigations network-first, falling back to the cached shell;
 *   everything else cache-first, filling the cache from the network. Candidate pages are
 *   cached as they are visited.
 * - message `cache-urls`: the page sends what it loaded before this worker controlled it.
 * Nothing is ever sent anywhere: the worker only fetches the shop's own static files.
 */
const CACHE = 'localrank-demo-v1'
const SCOPE = new URL(self.registration.scope)
const SHELL = ['./', 'index.html', 'manifest.webmanifest', 'icon.svg', 'catalogue/index.json', 'catalogue/movies.json', 'catalogue/candidates/all/1.json', 'catalogue/LICENSE-DATA.md']
// Vite's outputs: "/assets/name-HASH.ext" from HTML, "./name-HASH.ext" or "name-HASH.ext" between chunks.
const REF = /["'`(]((?:\/|\.\/)?(?:assets\/)?[\w.@-]+-[\w-]{8}\.(?:js|mjs|css|wasm))(?=["'`)?#])/g

async function put(cache, url) {
  try {
    const res = await fetch(url, { credentials: 'same-origin' })
    if (res.ok) await cache.put(url, res.clone())
    return res.ok ? res : null
  } catch {
    return null
  }
}

async function crawl(cache) {
  const seen = new Set()
  const queue = SHELL.map((p) => new URL(p, SCOPE).href)
  while (queue.length && seen.size < 400) {
    const url = queue.shift()
    if (seen.has(url)) continue
    seen.add(url)
    const res = await put(cache, url)
    if (!res || !/\.(html|js|mjs|css)$|\/$/.test(new URL(url).pathname)) continue
    const text = await res.text()
    for (const m of text.matchAll(REF)) {
      const ref = m[1]
      const u = new URL(ref, url)
      if (u.origin === SCOPE.origin && u.pathname.startsWith(SCOPE.pathname) && !seen.has(u.href)) queue.push(u.href)
    }
  }
  const model = await put(cache, new URL('model/model.json', SCOPE).href)
  if (model) {
    try {
      const json = await model.json()
      for (const group of json.weightsManifest ?? []) for (const p of group.paths ?? []) await put(cache, new URL(p, new URL('model/', SCOPE)).href)
    } catch {
      /* not a weights manifest: nothing more to fetch */
    }
  }
  await put(cache, new URL('model/similarity.json', SCOPE).href)
}

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then(crawl).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('message', (event) => {
  const data = event.data
  if (!data || data.type !== 'cache-urls' || !Array.isArray(data.urls)) return
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      for (const u of data.urls.slice(0, 500)) {
        const url = new URL(u, SCOPE)
        if (url.origin !== SCOPE.origin) continue
        url.hash = ''
        if (!(await cache.match(url.href))) await put(cache, url.href)
      }
    }),
  )
})

self.addEventListener('fetch', (event) => {
  const req = event.request
  const url = new URL(req.url)
  if (req.method !== 'GET' || url.origin !== SCOPE.origin) return
  if (req.mode === 'navigate') {
    event.respondWith(
      fetch(req)
        .then((res) => {
          const copy = res.clone()
          if (res.ok) void caches.open(CACHE).then((c) => c.put(req, copy))
          return res
        })
        .catch(async () => (await caches.match(req, { ignoreSearch: true })) ?? (await caches.match(new URL('./', SCOPE).href)) ?? Response.error()),
    )
    return
  }
  event.respondWith(
    caches.match(req).then(
      (hit) =>
        hit ??
        fetch(req).then((res) => {
          if (res.ok && res.type === 'basic') {
            const copy = res.clone()
            void caches.open(CACHE).then((c) => c.put(req, copy))
          }
          return res
        }),
    ),
  )
})

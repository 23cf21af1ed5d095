/**
 * Offline support: register public/sw.js (production builds only; in `vite dev` a service
 * worker would cache modules that hot reload replaces). On the first visit the page was
 * fetched before the worker existed, so once it controls the page we hand it the URLs this
 * page already loaded (resource timing), and it caches them too.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return
  const base = new URL('./', document.baseURI)
  navigator.serviceWorker
    .register(new URL('sw.js', base), { scope: base.pathname })
    .then(() => navigator.serviceWorker.ready)
    .then((reg) => {
      const urls = [location.href.split('#')[0]!, ...performance.getEntriesByType('resource').map((e) => e.name)].filter((u) => u.startsWith(location.origin))
      reg.active?.postMessage({ type: 'cache-urls', urls })
    })
    .catch((err) => console.warn('[demo] service worker:', err))
}

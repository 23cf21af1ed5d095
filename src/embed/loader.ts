/**
 * The classic-script loader, `localrank.js` (IIFE, no imports: it must stay ≈ 1–2 KB gzip).
 *
 *   <script>window.localrank=window.localrank||function(){(localrank.q=localrank.q||[]).push(arguments)}</script>
 *   <script async src="/lib/localrank.js" data-model="/model/model.json"></script>
 *
 * It does only what must happen early, then imports the rest lazily:
 * 1. installs the `window.localrank` command queue (as gtag and Algolia's `aa` do), keeping
 *    any commands the page queued with the one-line stub above;
 * 2. injects the anti-flicker CSS for `<localrank-list>` (hidden until ranked, revealed by a
 *    CSS animation after 1.5 s even if no script ever runs, so a blocked or failed script can
 *    never leave a list invisible);
 * 3. imports `localrank-embed.mjs` from beside itself (resolved against its own `src`, so a
 *    CDN path works) and boots it with the script tag's `data-*` attributes.
 * Any failure is logged with console.debug, itself guarded: a page may replace `console.debug`
 * with something that throws (a logging shim, a monitoring wrapper), and that must not turn a
 * failed import into an unhandled rejection in the page (issue 13 #14). Nothing is thrown into
 * the page.
 */
interface Stub {
  (...args: unknown[]): void
  q?: unknown[]
  loaded?: boolean
}

;(() => {
  const say = (...args: unknown[]) => {
    try {
      console.debug('[localrank]', ...args)
    } catch {
      /* a console that throws: stay silent rather than throw into the page */
    }
  }
  try {
    const w = window as unknown as { localrank?: Stub }
    const d = document
    if (w.localrank?.loaded) return
    const stub: Stub =
      w.localrank ||
      function () {
        // eslint-disable-next-line prefer-rest-params
        ;(stub.q = stub.q || []).push(arguments)
      }
    w.localrank = stub
    const script = (d.currentScript || d.querySelector('script[src*="localrank"]')) as HTMLScriptElement | null
    if (!d.getElementById('lr-css')) {
      const css = d.createElement('style')
      css.id = 'lr-css'
      css.textContent = 'localrank-list:not(:defined){visibility:hidden;animation:lr-reveal 0s 1.5s forwards}@keyframes lr-reveal{to{visibility:visible}}'
      ;(d.head || d.documentElement).appendChild(css)
    }
    if (!script) throw new Error('cannot find my own <script> tag')
    const data = { ...script.dataset }
    const src = script.src
    import(/* @vite-ignore */ new URL('localrank-embed.mjs', src).href)
      .then((m: { boot: (data: Record<string, string | undefined>, src: string) => unknown }) => m.boot(data, src))
      .catch((e: unknown) => say('could not load; the page keeps the server order', e))
  } catch (e) {
    say(e)
  }
})()

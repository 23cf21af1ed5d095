import { afterEach, describe, expect, it, vi } from 'vitest'

type Rules = { createScriptURL: (u: string) => string }
/** A stand-in for window.trustedTypes that records the policies created and wraps their output. */
function fakeTrustedTypes(opts: { refuse?: boolean } = {}) {
  const created: Array<{ name: string; rules: Rules }> = []
  return {
    created,
    createPolicy(name: string, rules: Rules) {
      if (opts.refuse) throw new TypeError(`Policy "${name}" disallowed.`)
      created.push({ name, rules })
      return { createScriptURL: (u: string) => ({ trusted: rules.createScriptURL(u) }) }
    },
  }
}
async function fresh() {
  vi.resetModules()
  return import('./trusted-types')
}
afterEach(() => {
  delete (globalThis as { trustedTypes?: unknown }).trustedTypes
})

describe('the localrank Trusted Types policy', () => {
  it('without Trusted Types, the URL is passed as a string', async () => {
    const { workerScriptURL } = await fresh()
    expect(workerScriptURL(new URL('https://shop.example/lib/assets/worker.js'))).toBe('https://shop.example/lib/assets/worker.js')
  })

  it('creates one policy named localrank and returns its TrustedScriptURL for our own worker scripts', async () => {
    const tt = fakeTrustedTypes()
    ;(globalThis as { trustedTypes?: unknown }).trustedTypes = tt
    const { workerScriptURL, TRUSTED_TYPES_POLICY } = await fresh()
    const own = new URL('./assets/worker-abc.js', import.meta.url).href
    expect(workerScriptURL(own)).toEqual({ trusted: own })
    expect(workerScriptURL(own)).toEqual({ trusted: own })
    expect(tt.created.map((p) => p.name)).toEqual([TRUSTED_TYPES_POLICY])
    expect(TRUSTED_TYPES_POLICY).toBe('localrank')
  })

  it('refuses anything but a .js file on our own origin, so it cannot be borrowed', async () => {
    const tt = fakeTrustedTypes()
    ;(globalThis as { trustedTypes?: unknown }).trustedTypes = tt
    const { workerScriptURL } = await fresh()
    expect(() => workerScriptURL('https://evil.example/x.js')).toThrow(/only allows LocalRank's own worker scripts/)
    expect(() => workerScriptURL('data:text/javascript,alert(1)')).toThrow(/only allows/)
    expect(() => workerScriptURL(new URL('./worker.mjs.txt', import.meta.url))).toThrow(/only allows/)
  })

  it('a CSP that does not allow the name: the plain URL goes through and the page’s enforcement decides', async () => {
    ;(globalThis as { trustedTypes?: unknown }).trustedTypes = fakeTrustedTypes({ refuse: true })
    const { workerScriptURL } = await fresh()
    const own = new URL('./w.js', import.meta.url).href
    expect(workerScriptURL(own)).toBe(own)
  })

  it('importing it where there is no Worker (Node, server rendering) does not throw', async () => {
    expect(typeof (globalThis as { Worker?: unknown }).Worker).toBe('undefined')
    const m = await fresh()
    expect(typeof m.TrustedWorker).toBe('function')
  })
})

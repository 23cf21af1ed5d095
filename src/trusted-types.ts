/**
 * Trusted Types for LocalRank's worker scripts.
 *
 * A page whose CSP has `require-trusted-types-for 'script'` refuses a plain string or URL as a
 * script URL: `new Worker(url)` throws a TypeError unless `url` is a `TrustedScriptURL`. Without
 * this, the encoder and similarity workers silently failed to start there and ranking fell back
 * to the profile. So LocalRank creates one named policy, **`localrank`**, and passes its two
 * worker URLs through it. A shop that also lists allowed policy names adds it:
 * `trusted-types localrank` (plus its own names).
 *
 * The policy is narrow: it only ever returns URLs on the origin LocalRank's own code was loaded
 * from, ending in `.js` (the built worker files beside it), and throws for anything else, so it
 * cannot be borrowed to load other scripts. It is never a default policy.
 * https://w3c.github.io/trusted-types/dist/spec/ · https://web.dev/articles/trusted-types
 */
export const TRUSTED_TYPES_POLICY = 'localrank'

interface TrustedTypePolicyLike {
  createScriptURL(url: string): unknown
}
interface TrustedTypesLike {
  createPolicy(name: string, rules: { createScriptURL: (url: string) => string }): TrustedTypePolicyLike
}

let policy: TrustedTypePolicyLike | null | undefined

/** `url` as the page will accept it for a worker: a TrustedScriptURL where Trusted Types exist, else the string. */
export function workerScriptURL(url: URL | string): string {
  const href = String(url)
  const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes
  if (!tt || typeof tt.createPolicy !== 'function') return href
  if (policy === undefined) {
    try {
      const own = new URL(import.meta.url).origin
      policy = tt.createPolicy(TRUSTED_TYPES_POLICY, {
        createScriptURL: (u: string) => {
          const parsed = new URL(u, import.meta.url)
          if (parsed.origin !== own || !parsed.pathname.endsWith('.js')) throw new TypeError(`Trusted Types policy "${TRUSTED_TYPES_POLICY}" only allows LocalRank's own worker scripts, not ${u}`)
          return parsed.href
        },
      })
    } catch {
      // The page's CSP does not allow the name (trusted-types without `localrank`), or it exists
      // already: the plain URL goes through, and the page's enforcement decides.
      policy = null
    }
  }
  return policy ? (policy.createScriptURL(href) as string) : href
}

/**
 * `Worker` with its script URL passed through the policy. Call sites import it *as* `Worker`, so
 * the code still reads `new Worker(new URL('./worker.ts', import.meta.url), …)`: the exact form
 * Vite recognises to bundle a worker. A function, not a class extending `Worker`, so that
 * importing this in Node (server rendering) does not touch the missing global.
 */
export const TrustedWorker = function (url: URL | string, options?: WorkerOptions): Worker {
  return new globalThis.Worker(workerScriptURL(url), options)
} as unknown as typeof Worker

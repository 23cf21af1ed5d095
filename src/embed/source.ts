import type { Engine } from '../engine/types'

/**
 * Where the custom elements get their engine. The embed runtime provides the one it boots;
 * an ESM user calls `defineLocalRankElements({ engine })`, or sets `element.engine`. Elements
 * created before an engine exists simply wait for it (their deadline still runs).
 */
let resolveEngine: ((e: Engine | Promise<Engine>) => void) | null = null
let current: Promise<Engine> = new Promise<Engine>((ok) => (resolveEngine = ok))
let provided = false

export function provideEngine(engine: Engine | Promise<Engine>): void {
  // Observed here: an engine that failed to start must not be an unhandled rejection in a page
  // that has no element waiting for it (issue 13 #15). Elements still see the rejection.
  if (provided) current = Promise.resolve(engine)
  else resolveEngine?.(engine)
  provided = true
  current.catch(() => {})
}

export function engineSource(): Promise<Engine> {
  return current
}

/**
 * `HTMLElement`, or a stand-in where there is none (Node, server rendering): importing
 * `localrank/embed` there must not throw (issue 15 #6); the element is only defined in a browser.
 */
export const ElementBase: typeof HTMLElement = (globalThis as { HTMLElement?: typeof HTMLElement }).HTMLElement ?? (class {} as unknown as typeof HTMLElement)

/** Report without throwing: the host page's console, at debug level (no noise for shoppers). */
export function debug(...args: unknown[]): void {
  try {
    console.debug('[localrank]', ...args)
  } catch {
    /* no console */
  }
}

/**
 * A mistake in the shop's own markup or options (issue 15 #7): one `console.warn` naming the
 * attribute, because a debug line is hidden by default and a dropped model then looks like a
 * silent failure. Never for the shopper's data or the engine's runtime errors (those stay debug).
 */
export function warn(message: string): void {
  try {
    console.warn('[localrank]', message)
  } catch {
    /* no console */
  }
}

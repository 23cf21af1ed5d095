/**
 * The embed layer for ESM users and the demo: what the classic loader's runtime uses, so a
 * shop that bundles LocalRank itself can get the same elements and declarative tracking.
 *
 *   import { createEngine } from 'localrank'
 *   import { defineLocalRankElements, startDomTracking } from 'localrank/embed'
 *   const engine = await createEngine({ … })
 *   defineLocalRankElements({ engine })
 *   startDomTracking({ track: engine.track })
 *
 * The GA4 intake (`await startGa4Intake({ track: engine.track })`) is fetched on demand, as the
 * classic runtime does for `data-intake="ga4"`, so the embed does not grow for shops without it.
 */
import type { Engine } from '../engine/types'
import { sanitizeCandidates } from '../rank/candidates'
import { cleanOptions } from '../rank/ranker'
import { defineControlsElement } from './controls-element'
import { defineListElement } from './list-element'
import type { HoldoutEngine, HoldoutOptions } from './holdout'
import type { Ga4IntakeOptions } from './intake-ga4'
import { fromObject } from './items'
import { provideEngine } from './source'

export { boot } from './runtime'
export { startDomTracking, type DomTrackingOptions } from './track-dom'
export type { HoldoutOptions, HoldoutEngine, Variant } from './holdout'
export { watchGoogleConsent, consentFromGtagEntry } from './consent'
export { itemFromAttributes, candidateFromAttributes, fromObject } from './items'
export { createPageApi, serverOrder, type PageApi } from './api'
export { LocalRankList, REVEAL_MS } from './list-element'
export { LocalRankControls, categoryLabel } from './controls-element'

export type { Ga4IntakeOptions }

/**
 * Learn from the page's GA4 ecommerce events (intake-ga4.ts). Resolves to a stop function once
 * attached; events pushed while its code loads are still read, from the data layer itself.
 */
export async function startGa4Intake(opts: Omit<Ga4IntakeOptions, 'mapItem'>): Promise<() => void> {
  const m = await import('./intake-ga4')
  return m.startGa4Intake({ ...opts, mapItem: fromObject })
}

/**
 * Wrap an engine with an A/B holdout (holdout.ts): a sticky `share` of devices gets the server's
 * order, and each ranked list pushes one `localrank_exposure` event with only the variant.
 */
export async function withHoldout(engine: Engine, opts: HoldoutOptions): Promise<HoldoutEngine> {
  const m = await import('./holdout')
  return m.withHoldout(engine, opts, { sanitizeCandidates, cleanOptions })
}

/** Define `<localrank-list>` and `<localrank-controls>`, backed by `engine`. */
export function defineLocalRankElements(opts: { engine: Engine | Promise<Engine> }): void {
  provideEngine(opts.engine)
  defineListElement()
  defineControlsElement()
}

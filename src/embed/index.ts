/**
 * The embed layer for ESM users and the demo: what the classic loader's runtime uses, so a
 * shop that bundles LocalRank itself can get the same elements and declarative tracking.
 *
 *   import { createEngine } from 'localrank'
 *   import { defineLocalRankElements, startDomTracking } from 'localrank/embed'
 *   const engine = await createEngine({ … })
 *   defineLocalRankElements({ engine })
 *   startDomTracking({ track: engine.track })
 */
import type { Engine } from '../engine/types'
import { defineControlsElement } from './controls-element'
import { defineListElement } from './list-element'
import { provideEngine } from './source'

export { boot } from './runtime'
export { startDomTracking, type DomTrackingOptions } from './track-dom'
export { watchGoogleConsent, consentFromGtagEntry } from './consent'
export { itemFromAttributes, candidateFromAttributes, fromObject } from './items'
export { createPageApi, serverOrder, type PageApi } from './api'
export { LocalRankList, REVEAL_MS } from './list-element'
export { LocalRankControls, categoryLabel } from './controls-element'

/** Define `<localrank-list>` and `<localrank-controls>`, backed by `engine`. */
export function defineLocalRankElements(opts: { engine: Engine | Promise<Engine> }): void {
  provideEngine(opts.engine)
  defineListElement()
  defineControlsElement()
}

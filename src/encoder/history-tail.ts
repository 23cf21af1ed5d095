import type { StoredEvent } from '../events/types'
import type { ToWorker } from './messages'
import { tokenCount } from './tokens'

/**
 * The part of a history that the encoder can see, for the page to send to its worker (issue 14).
 *
 * The model reads at most `maxLen` of the newest tokens, so a 1,000-event history crossed the
 * worker boundary ten times over what a 100-token model uses: its structured clone cost ~1.9 ms
 * on this 2-core machine, every time the page re-sent it, and no encode could start before it
 * arrived. Only the newest events holding at least `keepTokens` tokens travel now, with the
 * count of tokens left behind (`skipped`), because where the context starts depends on the total
 * (config.ts `contextStart` moves in steps of maxLen/4): the worker adds `skipped` back and
 * encodes exactly the tokens it would have encoded from the whole history.
 *
 * With `keepTokens` ≥ maxLen every token the context can hold is in the tail, even after a late
 * (older) event is appended and sorted in front of it. A history that is not in time order
 * (only ever from a caller's own array: the engine keeps its events sorted) travels whole, so
 * the worker's own sort decides, as it did before.
 */
export function historyTail(events: ReadonlyArray<StoredEvent>, keepTokens: number): { events: StoredEvent[]; skipped: number } {
  const n = events.length
  if (!(keepTokens > 0) || !Number.isFinite(keepTokens)) return { events: events.slice(), skipped: 0 }
  for (let i = 1; i < n; i++) if (events[i]!.timestamp < events[i - 1]!.timestamp) return { events: events.slice(), skipped: 0 }
  let kept = 0
  let cut = n
  while (cut > 0 && kept < keepTokens) kept += tokenCount(events[--cut]!)
  let skipped = 0
  for (let i = 0; i < cut; i++) skipped += tokenCount(events[i]!)
  return { events: events.slice(cut), skipped }
}

/** The 'history' message the page posts (client.ts; the bench posts the same one). */
export function historyMessage(events: ReadonlyArray<StoredEvent>, contextTokens: number): Extract<ToWorker, { type: 'history' }> {
  const t = historyTail(events, contextTokens)
  return { type: 'history', events: t.events.map(forModel), ...(t.skipped > 0 ? { skipped: t.skipped } : {}) }
}

/**
 * An event as the worker needs it: without its items' `neighbours`, which only the page's
 * profile reads (the model reads the type, query, time and each item's id, category, tags,
 * brand, price, title and vector: tokens.ts, features.ts). A feed-mode shop's stored items
 * carry up to 8 neighbour pairs each (events/compact.ts), and every one was structured-cloned
 * into the worker on every history re-send and every tracked event, for nothing. An event
 * without neighbours is sent as it is (no copy).
 */
export function forModel(e: StoredEvent): StoredEvent {
  const items = e.items
  let i = 0
  while (i < items.length && (items[i] as { neighbours?: unknown }).neighbours === undefined) i++
  if (i === items.length) return e
  return {
    ...e,
    items: items.map((it) => {
      if (it.neighbours === undefined) return it
      const { neighbours: _, ...rest } = it
      return rest
    }),
  }
}

import type { StoredEvent } from '../events/types'

/**
 * Impressions as a signal (issue 15 #3). A `view_item_list` event says "these items were shown
 * in a list" (the shop's `track`, the GA4 intake, or `<localrank-list>` seeing its children on
 * screen). An item shown again and again but never engaged with (no view, click, cart, wish or
 * purchase, ever) is one the shopper keeps passing over: it moves down, a little more with
 * each recent impression, and says so ("Moved down: shown to you 6 times, never opened").
 *
 * The penalty, subtracted from the item's fused score (whose parts are z-scores within the
 * list, so 1 = one standard deviation), times the weights of the signals in use over the
 * profile path's default weights (server 1 + profile 3 = 1; the encoder path at the defaults,
 * 1 + 3 + 50, is 13.5; see ranker.ts), so that its pull is the same against any weights:
 *
 *   s(c) = Σ_{impressions t of c} 2^(−(now − t)/halfLife)        (decayed count)
 *   penalty(c) = weight · log(1 + max(0, s(c) − grace))           if c was never engaged
 *
 * - `grace` impressions are free: being shown twice and scrolled past says little.
 * - log: the tenth impression adds less than the fourth (position bias, not a verdict).
 * - Decay: an item ignored last month may be wanted today; by default each impression counts
 *   half after 7 days.
 * - Any engagement with the item, before or after, cancels it: the shopper did want it once.
 *
 * Impressions never feed the profile's interests nor the encoder (they say nothing about taste
 * but "not this, now"), and they stay on the device like every event.
 */
export interface ImpressionConfig {
  /** Penalty per log-impression, in list standard deviations. 0 switches the signal off. */
  weight: number
  halfLifeMs: number
  grace: number
}

/** Defaults: measured on generated traffic with impressions (src/offline/impressions/). */
export const DEFAULT_IMPRESSION_CONFIG: ImpressionConfig = { weight: 0.25, halfLifeMs: 7 * 24 * 3600 * 1000, grace: 2 }

/** Impressions kept per item: enough for the decayed count, bounded whatever the history. */
const KEEP = 32

/** Per-item impression times and the items the shopper engaged with; incremental. */
export class ImpressionLog {
  private readonly shownAt = new Map<string, number[]>()
  private readonly engaged = new Set<string>()

  add(e: StoredEvent): void {
    if (e.type === 'view_item_list') {
      for (const it of e.items) {
        if (this.engaged.has(it.id)) continue
        let ts = this.shownAt.get(it.id)
        if (!ts) this.shownAt.set(it.id, (ts = []))
        ts.push(e.timestamp)
        if (ts.length > KEEP) ts.splice(0, ts.length - KEEP)
      }
    } else if (e.type !== 'search') {
      for (const it of e.items) {
        this.engaged.add(it.id)
        this.shownAt.delete(it.id)
      }
    }
  }

  /** Impressions kept for `id` (0 once engaged). */
  times(id: string): number {
    return this.shownAt.get(id)?.length ?? 0
  }

  /** The decayed count s(c) at `now` (impressions after `now` are not counted). */
  decayed(id: string, now: number, halfLifeMs: number): number {
    const ts = this.shownAt.get(id)
    if (!ts) return 0
    let s = 0
    for (const t of ts) if (t <= now) s += Math.pow(2, -(now - t) / halfLifeMs)
    return s
  }

  get size(): number {
    return this.shownAt.size
  }
}

/** An `ImpressionLog` of `events` (any order: engagement cancels whenever it happened). */
export function impressionLog(events: Iterable<StoredEvent>): ImpressionLog {
  const log = new ImpressionLog()
  const shows: StoredEvent[] = []
  for (const e of events) e.type === 'view_item_list' ? shows.push(e) : log.add(e)
  for (const e of shows) log.add(e)
  return log
}

/** penalty(c) (see above); 0 when the signal is off or the item was engaged with. */
export function impressionPenalty(log: ImpressionLog, id: string, now: number, cfg: ImpressionConfig): number {
  if (!(cfg.weight > 0)) return 0
  const s = log.decayed(id, now, cfg.halfLifeMs)
  return s > cfg.grace ? cfg.weight * Math.log1p(s - cfg.grace) : 0
}

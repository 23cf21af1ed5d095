import type { EncoderHandle } from '../encoder/types'
import type { StoredEvent } from '../events/types'
import { buildProfile } from '../interest'
import type { InterestProfile, ProfileOptions, SimilarityTable } from '../interest/types'
import { personalEvent, personalHistory } from '../rank/blocks'
import { ImpressionLog, impressionLog } from '../rank/impressions'
import { compareEvents } from '../store/backend'

/**
 * This tab's copy of the history and what is derived from it (the interest profile, the
 * purchase times, the encoder's history), kept in step by folding in each change instead of
 * rereading the store.
 *
 * Why (defect 27): every write in another tab used to make each open tab reload the whole
 * history and rebuild its profile; with 5,000 events stored `track()` took a median of 250 ms
 * with two tabs against 13 ms with one. Now an append (here or from another tab) in time order
 * is one incremental `profile.add`; anything else (an out-of-order event, a forget, an
 * eviction) removes or inserts in the copy and marks the derived state stale, rebuilt once, on
 * the next read that needs it (`fresh()`), not once per change.
 *
 * Blocked categories (issue 13 #2): the profile and the encoder learn only from
 * `personalHistory` (events about items in a blocked category left out), so a blocked item
 * cannot lift its brand, its price band or its neighbours; `blockedItems` lists the items the
 * history placed in a blocked category, which the ranker blocks as candidates whatever
 * category the server sends. The rule itself is src/rank/blocks.ts; this only applies it.
 */
export class HistoryView {
  private events: StoredEvent[] = []
  private readonly ids = new Set<string>()
  private profileNow: InterestProfile
  private stale = false
  /** The derived state was rebuilt since `takeRebuilt` last asked (engine.ts: yield before ranking). */
  private rebuilt = false
  private readonly purchased = new Map<string, number>()
  private encoder: EncoderHandle | null = null
  private blocked: readonly string[] = []
  private blockedItems = new Set<string>()
  /** Events the personal signals learnt from (after blocks; impressions not counted: they are no taste). */
  private personal = 0
  /** Impressions and engagement (issue 15 #3, src/rank/impressions.ts), after blocks. */
  private shown = new ImpressionLog()
  /**
   * Held events whose items carry `neighbours`, counted as events come and go: every rerank
   * asks whether the history carries item data (the signal rule, src/tuned/signals.ts), and
   * walking up to 5,000 events for it on each call was work on the hot path.
   */
  private withNeighbours = 0

  constructor(
    private readonly profileOptions: ProfileOptions | undefined,
    private similarity: SimilarityTable | undefined,
  ) {
    this.profileNow = buildProfile([], profileOptions, similarity)
  }

  get length(): number {
    return this.events.length
  }

  all(): readonly StoredEvent[] {
    return this.events
  }

  /** Whether any held event (blocked ones too) carries item-to-item neighbours. */
  get carriesNeighbours(): boolean {
    return this.withNeighbours > 0
  }

  /** Replace everything (a store opened or switched, a clear). */
  reset(events: readonly StoredEvent[]): void {
    this.events = events.slice().sort(compareEvents)
    this.ids.clear()
    this.withNeighbours = 0
    for (const e of this.events) {
      this.ids.add(e.id)
      if (hasNeighbours(e)) this.withNeighbours++
    }
    this.stale = true
    this.fresh()
  }

  /** Fold in events (this tab's, or another tab's appends). Events already held are ignored. */
  add(events: readonly StoredEvent[]): void {
    for (const e of events.slice().sort(compareEvents)) {
      if (this.ids.has(e.id)) continue
      this.ids.add(e.id)
      if (hasNeighbours(e)) this.withNeighbours++
      const last = this.events.at(-1)
      if (!last || compareEvents(last, e) <= 0) {
        this.events.push(e)
        if (!this.stale) {
          // A purchase demotes even in a blocked category: moving down is not a boost.
          this.notePurchase(e)
          const p = personalEvent(e, this.blocked, this.blockedItems)
          if (p.rebuild)
            this.stale = true // an item just found blocked: earlier events taught it
          else if (p.event) {
            this.profileNow.add(p.event)
            this.encoder?.append(p.event)
            this.shown.add(p.event)
            if (p.event.type !== 'view_item_list') this.personal++
          }
        }
      } else {
        // Older than what we hold (another tab's batch, a clock step): insert in order.
        let lo = 0
        let hi = this.events.length
        while (lo < hi) {
          const mid = (lo + hi) >>> 1
          if (compareEvents(this.events[mid]!, e) < 0) lo = mid + 1
          else hi = mid
        }
        this.events.splice(lo, 0, e)
        this.stale = true
      }
    }
  }

  /** Drop the events with these ids, or those matching `pred`; returns how many were dropped. */
  remove(which: ReadonlySet<string> | ((e: StoredEvent) => boolean)): number {
    const drop = typeof which === 'function' ? which : (e: StoredEvent) => which.has(e.id)
    const before = this.events.length
    this.events = this.events.filter((e) => {
      if (!drop(e)) return true
      this.ids.delete(e.id)
      if (hasNeighbours(e)) this.withNeighbours--
      return false
    })
    const n = before - this.events.length
    if (n > 0) this.stale = true
    return n
  }

  /** A similarity table arrived (loaded in the background): derive the profile with it. */
  setSimilarity(table: SimilarityTable): void {
    this.similarity = table
    this.stale = true
  }

  /** The encoder started (or stopped): give it the history (what it may learn from). */
  setEncoder(encoder: EncoderHandle | null): void {
    this.encoder = encoder
    encoder?.setHistory(personalHistory(this.events, this.blocked).events)
  }

  /** The shopper's blocked categories; a change is applied on the next `fresh()`. */
  setBlocked(blocked: readonly string[]): void {
    if (blocked.length === this.blocked.length && blocked.every((b, i) => b === this.blocked[i])) return
    this.blocked = blocked.slice()
    this.stale = true
  }

  /**
   * Rebuild what is stale; cheap when nothing is. `historySize` counts the events the personal
   * signals learnt from (0: nothing personal to say, even with events stored, when all are blocked).
   */
  fresh(): { profile: InterestProfile; purchases: ReadonlyMap<string, number>; blockedItems: ReadonlySet<string>; historySize: number; impressions: ImpressionLog } {
    if (this.stale) {
      this.stale = false
      this.rebuilt = true
      const { events, blockedItems } = personalHistory(this.events, this.blocked)
      this.blockedItems = blockedItems
      this.personal = events.reduce((n, e) => (e.type === 'view_item_list' ? n : n + 1), 0)
      this.shown = impressionLog(events)
      this.profileNow = buildProfile(events, this.profileOptions, this.similarity)
      this.purchased.clear()
      for (const e of this.events) this.notePurchase(e)
      this.encoder?.setHistory(events)
    }
    return { profile: this.profileNow, purchases: this.purchased, blockedItems: this.blockedItems, historySize: this.personal, impressions: this.shown }
  }

  /** Whether the derived state was rebuilt since the last call (and forget that it was). */
  takeRebuilt(): boolean {
    const r = this.rebuilt
    this.rebuilt = false
    return r
  }

  private notePurchase(e: StoredEvent): void {
    if (e.type !== 'purchase') return
    for (const it of e.items) this.purchased.set(it.id, Math.max(this.purchased.get(it.id) ?? 0, e.timestamp))
  }
}

function hasNeighbours(e: StoredEvent): boolean {
  return e.items.some((it) => Array.isArray(it.neighbours) && it.neighbours.length > 0)
}

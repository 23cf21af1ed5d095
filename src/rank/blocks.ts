import type { Item, StoredEvent } from '../events/types'
import { categoryKeys } from '../interest/features'

/**
 * What a blocked category means (the shopper's "never boost this" in `<localrank-controls>`):
 * the shopper's history says nothing about the items in it, neither up nor down.
 *
 * 1. **Candidates in it get no personal signal** (profile, similarity, encoder): they keep the
 *    server's position relative to each other, and a list made only of them comes back in the
 *    server's order (`rankCandidates`).
 * 2. **Events about items in it feed no signal** (`personalHistory`): their item, brand,
 *    price and similarity terms are not in the profile, and the encoder does not see them,
 *    so a blocked film cannot lift its brand, its price band or its neighbours either.
 *
 * An item is in a blocked category when
 * - a level of its path equals a blocked entry (`'Horror'` blocks `['Movies', 'Horror']`), or
 * - one of its `tags` equals a blocked entry (`'Horror'` blocks an item tagged Horror: the
 *   shopper blocks what the controls showed, whichever field it came from), or
 * - one of its prefix keys is blocked (`'home>lamps'` blocks `['home', 'lamps', 'desk']`), or
 * - its path is the tail of a blocked key: a shop that sends only the subcategory
 *   (`['lamps']`) for an item the shopper blocked as `home>lamps` — ambiguous (it might be
 *   `garden>lamps`), so the block wins: the shopper asked for less, never for more; or
 * - the history holds an event in which that item (by id) was in a blocked category: the
 *   server may send a candidate with no category at all, and it must not rise to the top as
 *   "You looked at this before".
 */
export interface BlockMatcher {
  readonly size: number
  /** True when `item` is in a blocked category (see above). `ids` are items the history placed in one. */
  blocks(item: Pick<Item, 'id' | 'category' | 'tags'>, ids?: ReadonlySet<string>): boolean
}

/** Split a category key into its raw segments (keys escape `>` and `\`, see categoryKeys). */
function segments(key: string): string[] {
  return key.split(/(?<!\\)>/).map((s) => s.replace(/\\(.)/g, '$1'))
}

export function blockMatcher(blocked: Iterable<string> | null | undefined): BlockMatcher {
  const set = new Set<string>()
  for (const b of blocked ?? []) if (typeof b === 'string' && b !== '') set.add(b)
  const paths = Array.from(set, segments)
  const tailOf = (path: ReadonlyArray<string>) => paths.some((p) => p.length >= path.length && path.every((seg, i) => p[p.length - path.length + i] === seg))
  return {
    size: set.size,
    blocks(item, ids) {
      if (ids && typeof item.id === 'string' && ids.has(item.id)) return true
      if (set.size === 0) return false
      if (Array.isArray(item.tags) && item.tags.some((t) => set.has(t))) return true
      const path = item.category
      if (!Array.isArray(path) || path.length === 0) return false
      if (path.some((level) => set.has(level))) return true
      const keys = categoryKeys(path)
      if (keys.some((k) => set.has(k))) return true
      // Compare the valid prefix only (categoryKeys stops at the first empty segment).
      return keys.length > 0 && tailOf(path.slice(0, keys.length))
    },
  }
}

export interface PersonalHistory {
  /** The events the personal signals may learn from: items in blocked categories removed. */
  events: StoredEvent[]
  /** Ids of items the history placed in a blocked category (each is blocked as a candidate too). */
  blockedItems: Set<string>
}

/**
 * The history the profile and the encoder see under the shopper's blocks. Two passes: an
 * item blocked in any one event (it carried the category there) is removed from every event,
 * including those that named it without a category. An event left with no item and no query
 * is dropped; a search keeps its query (the words typed are not about a blocked item).
 * Events without blocked items are returned as the same objects (no copy).
 */
export function personalHistory(events: ReadonlyArray<StoredEvent>, blocked: Iterable<string> | null | undefined): PersonalHistory {
  const m = blockMatcher(blocked)
  const blockedItems = new Set<string>()
  if (m.size === 0) return { events: events.slice(), blockedItems }
  for (const e of events) for (const it of e.items ?? []) if (m.blocks(it)) blockedItems.add(it.id)
  const out: StoredEvent[] = []
  for (const e of events) {
    const kept = withoutBlocked(e, m, blockedItems)
    if (kept) out.push(kept)
  }
  return { events: out, blockedItems }
}

/**
 * One new event under the blocks (the engine's incremental `track`): null when nothing in it
 * may feed a signal. Its blocked items are added to `blockedItems`; an item that only now
 * turns out to be blocked was already learnt from earlier events, so the caller rebuilds
 * from `personalHistory` when this returns `rebuild: true`.
 */
export function personalEvent(event: StoredEvent, blocked: Iterable<string> | null | undefined, blockedItems: Set<string>): { event: StoredEvent | null; rebuild: boolean } {
  const m = blockMatcher(blocked)
  if (m.size === 0 && blockedItems.size === 0) return { event, rebuild: false }
  let rebuild = false
  for (const it of event.items ?? []) {
    if (m.blocks(it) && !blockedItems.has(it.id)) {
      blockedItems.add(it.id)
      rebuild = true
    }
  }
  return { event: withoutBlocked(event, m, blockedItems), rebuild }
}

function withoutBlocked(e: StoredEvent, m: BlockMatcher, ids: ReadonlySet<string>): StoredEvent | null {
  const items = e.items ?? []
  if (!items.some((it) => m.blocks(it, ids))) return e
  const kept = items.filter((it) => !m.blocks(it, ids))
  if (kept.length === 0 && typeof e.query !== 'string') return null
  return { ...e, items: kept }
}

import type { EventType } from '../../events/types'
import { DEFAULT_NEGATIVES, candidatesFor, PROTOCOLS, samplePopularityFast, splitIndex, type Phase, type ProtocolName, type SplitIndex } from './candidates'
import { randInt, rngFor, shuffle, type Rng } from './prng'
import type { HeldOut, Split, UserSplit } from './split'

/**
 * Shop protocols (issue 11), next to the SASRec leave-one-out protocols of candidates.ts.
 * A shop's data differs from MovieLens ratings: short sessions, items viewed again, several
 * event types, and candidate lists that are a category page rather than random items.
 *
 * **Which events are targets.** Every shop protocol takes its targets from the same two
 * held-out events as leave-one-out (each user's validation and test interaction, split.ts), and
 * keeps only those that fit the protocol. So the training interactions, the similarity table
 * and the popularity counts are the same for every protocol, and no target (nor anything after
 * it) is in what the artifacts were built from. The history of a target is every event before
 * it, as the browser would hold it.
 *
 * - `session`: the next interaction in the session, repeats allowed. A target counts when the
 *   interaction just before it lies in the same session (gap ≤ `SESSION_GAP_MS`, GA4's
 *   30-minute session timeout). Negatives: `negatives` items drawn with probability ∝
 *   interaction count (a server's list is popular items), excluding only the target — items
 *   the shopper already saw may be negatives, as they are on a real page.
 * - `session-new`: the same targets, keeping only those the shopper never interacted with
 *   before; negatives exclude every earlier item of the history too (a "new item" list).
 * - `cart`: the next `add_to_cart` or `purchase`, predicted from what came before: a target
 *   counts when its event is one of those types. Negatives as `session`.
 * - `category`: every leave-one-out target; negatives drawn uniformly from the target's own
 *   category among the items the user never interacted with — the deepest level of its path
 *   with at least `negatives` such items, else the next level up; a target whose top level
 *   has too few is filled from the whole universe (and a target without a category gets
 *   uniform negatives). `level` says which was used.
 *
 * Cases are returned as `ShopCase`: the held-out event (index into `UserSplit.events`), the
 * shuffled candidate ids, and what the protocol excluded, so tests can check every rule.
 */
export type ShopProtocolName = 'session' | 'session-new' | 'cart' | 'category'
export const SHOP_PROTOCOLS: readonly ShopProtocolName[] = ['session', 'session-new', 'cart', 'category']

/** Every protocol the evaluator runs: leave-one-out (uniform, popularity, full) and the shop ones. */
export type EvalProtocol = ProtocolName | ShopProtocolName
export const ALL_PROTOCOLS: readonly EvalProtocol[] = [...PROTOCOLS, ...SHOP_PROTOCOLS]

export function isProtocol(p: string): p is EvalProtocol {
  return (ALL_PROTOCOLS as readonly string[]).includes(p)
}

/** GA4's default session timeout: a gap longer than this starts a new session. */
export const SESSION_GAP_MS = 30 * 60 * 1000

export const CART_TYPES: ReadonlySet<EventType> = new Set<EventType>(['add_to_cart', 'purchase'])

export interface ShopCase {
  protocol: EvalProtocol
  phase: Phase
  /** The held-out event: history = `user.events.slice(0, held.index)`. */
  held: HeldOut
  target: string
  /** Candidate ids, the target once among them, shuffled (seeded). */
  ids: string[]
  /** Whether the target occurs in the history before it (a repeat). */
  repeat: boolean
  /** category protocol: the category key (levels joined by " > ") the negatives came from, 'all' when filled from the universe, 'none' without a category. */
  level?: string
}

export interface ShopOptions {
  negatives?: number
  sessionGapMs?: number
}

/** The index of the interaction (event with items) before `index`, or −1. */
function previousInteraction(u: UserSplit, index: number): number {
  for (let k = index - 1; k >= 0; k--) if (u.events[k]!.items.length > 0) return k
  return -1
}

/** Items of the events before `index`. */
export function historyItems(u: UserSplit, index: number): Set<string> {
  const s = new Set<string>()
  for (let k = 0; k < index; k++) for (const it of u.events[k]!.items) s.add(it.id)
  return s
}

/** Whether the held-out event continues a session: the interaction before it is at most `gap` earlier. */
export function inSession(u: UserSplit, held: HeldOut, gap = SESSION_GAP_MS): boolean {
  const p = previousInteraction(u, held.index)
  return p >= 0 && held.event.timestamp - u.events[p]!.timestamp <= gap
}

/**
 * The held-out event a shop protocol uses for (user, phase), or null when the user has none:
 * the leave-one-out event of that phase, if it fits the protocol (see the module comment).
 */
export function shopHeldOut(u: UserSplit, phase: Phase, protocol: EvalProtocol, gap = SESSION_GAP_MS): HeldOut | null {
  const held = phase === 'val' ? u.val : u.test
  if (!held) return null
  switch (protocol) {
    case 'session':
      return inSession(u, held, gap) ? held : null
    case 'session-new':
      return inSession(u, held, gap) && !historyItems(u, held.index).has(held.itemId) ? held : null
    case 'cart':
      return CART_TYPES.has(held.event.type) ? held : null
    default:
      return held
  }
}

// ---------------------------------------------------------------------------------------
// Samplers that scale to 100,000+ items (one user's draw costs O(n log N), not O(N)).

/** `n` items drawn uniformly without replacement from `pool`, never from `exclude` (all of them when fewer remain). */
export function sampleFromPool(pool: ReadonlyArray<string>, exclude: ReadonlySet<string>, n: number, rng: Rng): string[] {
  const out: string[] = []
  const taken = new Set<string>()
  let attempts = 0
  const maxAttempts = pool.length > 4 * n ? 20 * (n + 1) : 0
  while (out.length < n && attempts < maxAttempts) {
    attempts++
    const id = pool[randInt(rng, pool.length)]!
    if (exclude.has(id) || taken.has(id)) continue
    taken.add(id)
    out.push(id)
  }
  if (out.length < n) {
    const rest = shuffle(
      pool.filter((id) => !exclude.has(id) && !taken.has(id)),
      rng,
    )
    for (const id of rest) {
      if (out.length >= n) break
      out.push(id)
    }
  }
  return out
}

/** How many items of `pool` (a category's items) are not in `exclude`. */
function available(pool: ReadonlyArray<string>, key: string, exclude: ReadonlySet<string>, ix: SplitIndex): number {
  let inside = 0
  for (const id of exclude) if (ix.keysOf.get(id)?.includes(key)) inside++
  return pool.length - inside
}

/**
 * Category-page negatives for `target`: see the module comment. Returns the negatives and the
 * level they came from.
 */
export function categoryNegatives(split: Split, target: string, exclude: ReadonlySet<string>, n: number, rng: Rng): { ids: string[]; level: string } {
  const ix = splitIndex(split)
  const keys = ix.keysOf.get(target)
  if (!keys) return { ids: sampleFromPool(split.universe, exclude, n, rng), level: 'none' }
  for (let d = keys.length - 1; d >= 0; d--) {
    const key = keys[d]!
    const pool = ix.byCategory.get(key)!
    if (available(pool, key, exclude, ix) >= n) return { ids: sampleFromPool(pool, exclude, n, rng), level: key }
  }
  // Even the top level is too small: all of it, filled from the universe.
  const top = keys[0]!
  const ids = sampleFromPool(ix.byCategory.get(top)!, exclude, n, rng)
  const more = sampleFromPool(split.universe, new Set([...exclude, ...ids]), n - ids.length, rng)
  return { ids: [...ids, ...more], level: 'all' }
}

/**
 * The case of one (user, phase, protocol), or null when the user has no target for it.
 * Leave-one-out protocols give what `candidatesFor` gives (same negatives); the shop ones are
 * described in the module comment. Seeded per (seed, protocol, phase, user), so a user's case
 * does not depend on which other users or protocols are evaluated.
 */
export function caseFor(split: Split, u: UserSplit, phase: Phase, protocol: EvalProtocol, seed: number, opts: ShopOptions = {}): ShopCase | null {
  const negatives = opts.negatives ?? DEFAULT_NEGATIVES
  const held = shopHeldOut(u, phase, protocol, opts.sessionGapMs)
  if (!held) return null
  const before = historyItems(u, held.index)
  const repeat = before.has(held.itemId)
  if (protocol === 'uniform' || protocol === 'popularity' || protocol === 'full') {
    const c = candidatesFor(split, u, phase, protocol, seed, negatives)!
    return { protocol, phase, held, target: c.target, ids: c.ids, repeat }
  }
  const rng = rngFor(seed, protocol, phase, u.user)
  let neg: string[]
  let level: string | undefined
  if (protocol === 'category') {
    const r = categoryNegatives(split, held.itemId, u.interacted, negatives, rng)
    neg = r.ids
    level = r.level
  } else if (protocol === 'session-new') {
    neg = samplePopularityFast(split, new Set([...before, held.itemId]), negatives, rng)
  } else {
    neg = samplePopularityFast(split, new Set([held.itemId]), negatives, rng)
  }
  const ids = shuffle([held.itemId, ...neg], rng)
  const out: ShopCase = { protocol, phase, held, target: held.itemId, ids, repeat }
  if (level !== undefined) out.level = level
  return out
}

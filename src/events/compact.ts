import type { Item, StoredEvent } from './types'

/**
 * Neighbours kept per stored item. The ranker reads a history item's neighbours only for a
 * candidate that carries none of its own (the reverse direction of item-to-item similarity,
 * src/interest/profile.ts), and a candidate that carries its own list needs none of them. On
 * the shipped MovieLens table the top 8 of a row's 25 hold 40% of its similarity mass (mean
 * and median over 4,949 rows). With 8 pairs, a one-item event with an f16 vector (d = 64) is
 * 369–467 bytes of structured clone in the store's v3 packed form (src/store/packed.ts), under
 * the 512-byte target (issue 10: `catalogue/event-bytes`); as JSON text it is 497–606 bytes.
 */
export const STORED_NEIGHBOURS = 8

/**
 * Longest title kept with a stored event. The title serves the explanations ("Similar to
 * <title>") and the encoder's hashed title tokens, of which an item uses about six
 * (src/encoder/features.ts); 120 characters keep ~15–20 words.
 */
export const STORED_TITLE_CHARS = 120

/** Significant digits kept of a neighbour weight: the shipped tables carry 3. */
const WEIGHT_DIGITS = 4

/**
 * Bound the bytes of one event before it is stored. What the later stages read of a stored
 * event is kept exactly: type, timestamp, query, and each item's id, category, brand and
 * price (profile features and purchase demotion) and `vector` (the encoder's embedding of a
 * history item). Bounded:
 * - `neighbours`: the item itself and repeated ids are dropped (they would count twice in
 *   Σ_h v(h)·sim(h, c)), then the strongest `keepNeighbours` pairs are kept, strongest first
 *   (a stable sort: ties keep the feed's order), weights rounded to 4 significant digits;
 * - `title`: at most `STORED_TITLE_CHARS` characters, cut at a word boundary when one is in
 *   the second half.
 * Items that need none of this are kept as the same objects. Pure: `event` is not changed.
 *
 * Per item the stored JSON is then at most ≈ id 256 + category 8·128 + brand 128 + title 120 +
 * vector 1,024 + neighbours 8·(256 + 14) bytes of text; a typical shop item (10-char ids, a
 * 3-level category, an f16 vector at d = 64, 8 neighbours) is ~450 bytes (compact.test.ts).
 */
export function compactForStorage(event: StoredEvent, keepNeighbours = STORED_NEIGHBOURS): StoredEvent {
  let changed = false
  const items = event.items.map((it) => {
    const c = compactItem(it, keepNeighbours)
    if (c !== it) changed = true
    return c
  })
  return changed ? { ...event, items } : event
}

function compactItem(it: Item, k: number): Item {
  const long = typeof it.title === 'string' && it.title.length > STORED_TITLE_CHARS
  const nb = it.neighbours
  if (!long && nb === undefined) return it
  const out: Item = { ...it }
  if (long) out.title = cutTitle(it.title as string)
  if (nb !== undefined) out.neighbours = strongest(it.id, nb, k)
  return out
}

function cutTitle(title: string): string {
  const head = title.slice(0, STORED_TITLE_CHARS)
  const space = head.lastIndexOf(' ')
  return (space >= STORED_TITLE_CHARS / 2 ? head.slice(0, space) : head).trimEnd()
}

function strongest(self: string, pairs: ReadonlyArray<readonly [string, number]>, k: number): Array<[string, number]> {
  const seen = new Set<string>([self])
  const kept: Array<[string, number]> = []
  for (const [id, w] of pairs) {
    if (seen.has(id)) continue
    seen.add(id)
    kept.push([id, w])
  }
  // Feeds send rows strongest first; sort anyway (stable) so a hand-made row keeps its best.
  kept.sort((a, b) => b[1] - a[1])
  if (kept.length > k) kept.length = Math.max(0, k)
  for (const p of kept) p[1] = Number(p[1].toPrecision(WEIGHT_DIGITS))
  return kept
}

/** UTF-8 bytes of an event's JSON: the figure `compactForStorage` bounds (IndexedDB's own overhead comes on top). */
export function storedBytes(event: StoredEvent): number {
  return new TextEncoder().encode(JSON.stringify(event)).length
}

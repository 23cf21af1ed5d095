import type { Item } from '../events/types'
import { fnv1a } from '../hash'
import { priceBand } from '../interest/features'

export { fnv1a }

/**
 * Content features of an item, hashed into a fixed table so that an item the model has never
 * seen still gets an embedding from what the shop says about it (the "hashing trick",
 * Weinberger et al. 2009, "Feature Hashing for Large Scale Multitask Learning").
 *
 * Each item becomes up to `slots` (field, value) pairs, each hashed to a row of the feature
 * table. Fields: every category level (`c:`), the full category path (`cp:`), the brand
 * (`b:`), a price band (`p:`) and the title tokens (`t:`). A search query hashes its words into
 * the same `t:` space, so "lamp" in a query meets "lamp" in a title.
 *
 * Weights: each field present contributes the *mean* of its rows (weight 1/n_field per row), so
 * a long title does not outweigh the category; fields then add up. Row 0 is padding (weight 0).
 *
 * This file is shared by the offline trainer and the browser: a different hash or tokeniser on
 * either side would silently scramble the content embedding, so it is the single definition.
 */

/** Default number of feature slots per item (enough for 3 category levels, brand, price and ~6 title words). */
export const DEFAULT_SLOTS = 12

/** Row of `field:value` in a table of `buckets` rows; row 0 is reserved for padding. */
export function featureRow(key: string, buckets: number): number {
  return 1 + (fnv1a(key) % (buckets - 1))
}

const STOP = new Set(['the', 'a', 'an', 'and', 'of', 'in', 'on', 'for', 'to', 'with', 'la', 'le', 'de', 'el'])

/**
 * The encoder's title and query tokens: lower-cased runs of letters and digits (`\p{L}\p{N}`),
 * without stop words, one-letter tokens and repeats.
 *
 * Why not the library's `tokenize` (interest/features.ts, NFKC, marks kept inside words, CJK
 * bigrams): these tokens are hashed into the feature table the shipped model was trained on, so
 * their rules are part of the model. Switching would re-hash the features of 3 of the 9,742
 * MovieLens titles (`8½` → `81`, `Alien³` → `alien3`, `1½` → `11`) and of any query or title
 * with decomposed accents or CJK text, moving those items' scores; the rules change with the
 * next retraining, not under a trained model.
 */
export function modelTokens(text: string): string[] {
  const out: string[] = []
  for (const w of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (w.length < 2 || STOP.has(w)) continue
    if (!out.includes(w)) out.push(w)
  }
  return out
}

/**
 * Edges of the encoder's price bands for the library's `priceBand` (interest/features.ts):
 * 1, 3, 7, 15 … 2⁶⁴−1, so that band = ⌊log2(1 + price)⌋ (0–1, 1–3, 3–7, 7–15 … currency
 * units). Log bands because shoppers compare prices by ratio, not by difference.
 */
export const LOG2_PRICE_EDGES: ReadonlyArray<number> = Array.from({ length: 64 }, (_, k) => 2 ** (k + 1) - 1)

/**
 * The (field, key) pairs of an item, most informative first (the slot budget truncates the tail).
 *
 * **Tags** (issue 15 #7) hash into the category-level space (`c:`): a tag and a category level
 * both say "this item is about X", and that is the space the shipped model learnt MovieLens
 * genres in (its items carried the genres as a category path). An item with tags and no
 * category therefore gets exactly the keys its tags gave as that path (each `c:` level, then
 * the `cp:` path key, in the tags' order), so the demo's films, now tagged instead of
 * mis-filed, keep the hashed rows and scores the shipped model was trained on
 * (conformance.test.ts checks it). With a category, the tags add `c:` keys after it; a tag
 * equal to a level is not counted twice.
 */
export function itemFeatureKeys(item: Pick<Item, 'category' | 'tags' | 'brand' | 'price' | 'title'>): Array<[field: string, key: string]> {
  const keys: Array<[string, string]> = []
  const tags = item.tags ?? []
  const cat = item.category && item.category.length > 0 ? item.category : tags
  for (const c of cat) keys.push(['c', `c:${c.toLowerCase()}`])
  if (cat.length > 1) keys.push(['cp', `cp:${cat.map((c) => c.toLowerCase()).join('/')}`])
  if (cat !== tags) {
    for (const t of tags) {
      const k = `c:${t.toLowerCase()}`
      if (!keys.some((x) => x[1] === k)) keys.push(['c', k])
    }
  }
  if (item.brand) keys.push(['b', `b:${item.brand.toLowerCase()}`])
  if (typeof item.price === 'number' && Number.isFinite(item.price)) keys.push(['p', `p:${priceBand(item.price, LOG2_PRICE_EDGES)}`])
  if (item.title) for (const t of modelTokens(item.title)) keys.push(['t', `t:${t}`])
  return keys
}

/** Query words as title-token features, so a search meets the titles that contain its words. */
export function queryFeatureKeys(query: string): Array<[string, string]> {
  return modelTokens(query).map((t) => ['t', `t:${t}`] as [string, string])
}

/**
 * Write the hashed rows and weights of `keys` into `rows`/`weights` at `offset` (length `slots`).
 * Weight of a row = 1 / (number of kept rows of its field).
 */
export function writeFeatures(keys: ReadonlyArray<readonly [string, string]>, buckets: number, slots: number, rows: Int32Array, weights: Float32Array, offset: number): void {
  const kept = keys.slice(0, slots)
  const perField = new Map<string, number>()
  for (const [f] of kept) perField.set(f, (perField.get(f) ?? 0) + 1)
  for (let s = 0; s < slots; s++) {
    const k = kept[s]
    if (k) {
      rows[offset + s] = featureRow(k[1], buckets)
      weights[offset + s] = 1 / (perField.get(k[0]) ?? 1)
    } else {
      rows[offset + s] = 0
      weights[offset + s] = 0
    }
  }
}

/**
 * GA4-style ecommerce events (https://developers.google.com/analytics/devguides/collection/ga4/reference/events).
 * The names are GA4's so a shop can forward the same calls it already makes to gtag/dataLayer.
 */
export const EVENT_TYPES = [
  'view_item',
  'select_item',
  'add_to_cart',
  'remove_from_cart',
  'add_to_wishlist',
  'begin_checkout',
  'purchase',
  'search',
  // Items shown in a list (issue 15 #3): not interest, only "shown and passed over" when no
  // engagement follows (src/rank/impressions.ts). The profile and the encoder skip it.
  'view_item_list',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/** An item as the shop describes it. Only `id` is required. */
export interface Item {
  /** The shop's own item id (SKU). 1–256 characters. */
  id: string
  /** Category path from broad to narrow, e.g. `['home', 'lighting', 'lamps']`. Up to 8 levels. */
  category?: string[]
  /**
   * Labels with no order and no hierarchy, e.g. a film's genres `['Crime', 'Horror']` or a
   * product's `['vegan', 'linen']`: each one counts alone and equally (a category path would
   * make the first one the parent of the rest, so Psycho would count as "Crime" and
   * "Crime › Horror" would be a category). Up to `MAX_TAGS` (16) of 1–64 characters; a repeat is
   * dropped. Profiled as `tag` interests, matched exactly (case-sensitive, like brands).
   */
  tags?: string[]
  brand?: string
  /** Unit price, finite and ≥ 0, in the shop's currency. */
  price?: number
  title?: string
  /**
   * The item's embedding as the trained model computes it, from the item feed (README, "Item
   * data"): `"<enc>:<modelId>:<payload>"`, enc ∈ f32 | f16 | i8,
   * modelId the first 8 hex characters of the model's `itemSpace` id, payload base64url (no
   * padding) of the d values then the item bias, little-endian (`i8`: a float32 scale, then
   * d + 1 int8). At most 1,024 characters. Only the shape is checked at the boundary; the
   * encoder decodes it and ignores a vector of another model (it embeds from content instead).
   */
  vector?: string
  /**
   * The item's top-k similar items with their weights, strongest first, from the offline
   * co-occurrence: the same numbers as the item's row of the similarity table. At most 100
   * pairs; ids 1–256 characters; weights finite. Stored events keep the strongest
   * `STORED_NEIGHBOURS` (8) of them (compact.ts).
   */
  neighbours?: Array<[string, number]>
}

/** What a page passes to `track()`. `timestamp` defaults to the engine's clock. */
export interface TrackInput {
  type: EventType
  /** Required (1–100) for every type except `search`. */
  items?: Item[]
  /** Required for `search`: the query text, 1–512 characters. */
  query?: string
  /** Milliseconds since the epoch. */
  timestamp?: number
}

/**
 * An event as it is stored: validated, stamped and uniquely identified. Before it reaches the
 * store, `compactForStorage` bounds it: each item keeps its `vector` and at most
 * `STORED_NEIGHBOURS` neighbours (weights to 4 significant digits), and a title of at most
 * `STORED_TITLE_CHARS` characters.
 */
export interface StoredEvent {
  /** Unique id, so that concurrent tabs can never store one event twice. */
  id: string
  type: EventType
  items: Item[]
  query?: string
  timestamp: number
}

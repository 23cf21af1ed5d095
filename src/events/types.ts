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
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/** An item as the shop describes it. Only `id` is required. */
export interface Item {
  /** The shop's own item id (SKU). 1–256 characters. */
  id: string
  /** Category path from broad to narrow, e.g. `['home', 'lighting', 'lamps']`. Up to 8 levels. */
  category?: string[]
  brand?: string
  /** Unit price, finite and ≥ 0, in the shop's currency. */
  price?: number
  title?: string
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

/** An event as it is stored: validated, stamped and uniquely identified. */
export interface StoredEvent {
  /** Unique id, so that concurrent tabs can never store one event twice. */
  id: string
  type: EventType
  items: Item[]
  query?: string
  timestamp: number
}

import type { EventType, Item, StoredEvent } from '../../events/types'

/**
 * Metadata the offline tools keep beside an `Item`. The browser's `Item` is a strict
 * schema (src/events/validate.ts rejects unknown fields), so everything the shop's
 * catalogue does not carry goes here instead of onto the item.
 */
export interface ItemMeta {
  /** Unordered genre/category labels, used by the diversity metric. */
  labels: string[]
  /** Release year or similar, when the source has one. */
  year?: number
  /** Lower-cased title tokens. */
  tokens: string[]
}

/** One user's events in file order (the protocol sorts them; loaders never reorder). */
export interface UserHistory {
  id: string
  events: StoredEvent[]
}

/** Rows a loader could not use. They are counted and reported, never dropped silently. */
export interface MalformedReport {
  file: string
  /** Data rows read (header excluded). */
  rows: number
  malformed: number
  /** The first few offending rows, 1-based line numbers, with the reason. */
  examples: Array<{ line: number; reason: string }>
}

export interface Dataset {
  name: string
  /** Files read, for the report. */
  files: string[]
  items: Map<string, Item>
  meta: Map<string, ItemMeta>
  /** Users in order of first appearance. */
  users: UserHistory[]
  /** One entry per file read, even when nothing was malformed. */
  reports: MalformedReport[]
  /** Item ids that occur in events but not in the item file (they keep a bare `{ id }`). */
  unknownItems: number
  /** How ratings became event types (see `RatingMapping`). */
  eventMapping: string
}

/**
 * How an explicit rating becomes an implicit event.
 * - `implicit` (default, protocol-faithful): every rating is a `view_item`, as in the
 *   SASRec protocol that treats every rating as one implicit interaction.
 * - `graded`: ratings ≥ `threshold` (default 4) become `add_to_wishlist`, the rest
 *   `view_item`. It gives the event weights something to tune on, but it is a
 *   departure from the published protocol, so it is opt-in and named in the report.
 */
export type RatingMapping = { kind: 'implicit' } | { kind: 'graded'; threshold: number; strong: EventType }

export const IMPLICIT: RatingMapping = { kind: 'implicit' }

export function describeMapping(m: RatingMapping): string {
  return m.kind === 'implicit' ? 'implicit: every rating → view_item' : `graded: rating ≥ ${m.threshold} → ${m.strong}, else view_item`
}

export function eventTypeFor(m: RatingMapping, rating: number): EventType {
  return m.kind === 'graded' && rating >= m.threshold ? m.strong : 'view_item'
}

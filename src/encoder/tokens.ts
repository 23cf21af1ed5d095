import { EVENT_TYPES, type EventType, type Item, type StoredEvent } from '../events/types'
import { itemFeatureKeys, queryFeatureKeys, writeFeatures } from './features'
import { ROW_OOV, ROW_SEARCH, type EncoderConfig } from './config'

/**
 * Events → model tokens, shared by the trainer and the browser so both see the same input.
 * One token per (event, item): a purchase of three items is three tokens with the same time
 * and type. A `search` is one token whose row is ROW_SEARCH and whose content is the query's
 * words, hashed into the title-token space.
 */
export interface Tokens {
  length: number
  /** Item-table row per token. */
  rows: Int32Array
  /** Feature rows, [length, featSlots]. */
  feats: Int32Array
  featW: Float32Array
  /** Index into EVENT_TYPES. */
  types: Int32Array
  /** Event time, ms since the epoch (float64: Unix ms do not fit float32). */
  timesMs: Float64Array
  /** Item id per token (null for a search). */
  ids: Array<string | null>
  /**
   * The item's carried `vector` per token (null when it has none, and for a search): at
   * inference the encoder embeds such a token from it (items.ts `tokenEmbedding`); the trainer
   * ignores it and gathers rows.
   */
  vectors: Array<string | null>
}

const TYPE_INDEX = new Map<EventType, number>(EVENT_TYPES.map((t, i) => [t, i]))

export function typeIndex(t: EventType): number {
  return TYPE_INDEX.get(t) ?? 0
}

/** Token count of one event (items, or 1 for a search with words; 0 for an impression). */
export function tokenCount(e: StoredEvent): number {
  if (e.type === 'search') return e.query ? 1 : 0
  // Impressions are not behaviour the model was trained on (and not taste): no token.
  if (e.type === 'view_item_list') return 0
  return e.items.length
}

/** Feature rows and weights of one item, for `n` items at once when called in a loop. */
export function itemFeatures(item: Pick<Item, 'category' | 'tags' | 'brand' | 'price' | 'title'>, cfg: EncoderConfig, feats: Int32Array, featW: Float32Array, offset: number): void {
  writeFeatures(itemFeatureKeys(item), cfg.featBuckets, cfg.featSlots, feats, featW, offset * cfg.featSlots)
}

/**
 * Tokens of `events` (oldest first), keeping only the newest `maxTokens`.
 * `vocab` maps item ids to table rows; unknown ids get ROW_OOV and live on their content.
 */
export function eventsToTokens(events: ReadonlyArray<StoredEvent>, vocab: ReadonlyMap<string, number>, cfg: EncoderConfig, maxTokens = Infinity): Tokens {
  let total = 0
  for (const e of events) total += tokenCount(e)
  const n = Math.min(total, maxTokens)
  let skip = total - n
  const F = cfg.featSlots
  const t: Tokens = {
    length: n,
    rows: new Int32Array(n),
    feats: new Int32Array(n * F),
    featW: new Float32Array(n * F),
    types: new Int32Array(n),
    timesMs: new Float64Array(n),
    ids: new Array<string | null>(n).fill(null),
    vectors: new Array<string | null>(n).fill(null),
  }
  let k = 0
  for (const e of events) {
    const c = tokenCount(e)
    if (skip >= c) {
      skip -= c
      continue
    }
    const type = typeIndex(e.type)
    if (e.type === 'search') {
      skip = 0
      t.rows[k] = ROW_SEARCH
      writeFeatures(queryFeatureKeys(e.query ?? ''), cfg.featBuckets, F, t.feats, t.featW, k * F)
      t.types[k] = type
      t.timesMs[k] = e.timestamp
      k++
      continue
    }
    for (let i = skip; i < e.items.length; i++) {
      const item = e.items[i]!
      t.rows[k] = vocab.get(item.id) ?? ROW_OOV
      itemFeatures(item, cfg, t.feats, t.featW, k)
      t.types[k] = type
      t.timesMs[k] = e.timestamp
      t.ids[k] = item.id
      if (typeof item.vector === 'string') t.vectors[k] = item.vector
      k++
    }
    skip = 0
  }
  return t
}

/** Rows and features of candidate items, [n] and [n, featSlots]. */
export function candidateInputs(items: ReadonlyArray<Item>, vocab: ReadonlyMap<string, number>, cfg: EncoderConfig): { rows: Int32Array; feats: Int32Array; featW: Float32Array } {
  const n = items.length
  const rows = new Int32Array(n)
  const feats = new Int32Array(n * cfg.featSlots)
  const featW = new Float32Array(n * cfg.featSlots)
  items.forEach((it, i) => {
    rows[i] = vocab.get(it.id) ?? ROW_OOV
    itemFeatures(it, cfg, feats, featW, i)
  })
  return { rows, feats, featW }
}

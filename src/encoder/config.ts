/**
 * The encoder's configuration and reserved item rows, free of TensorFlow.js so that the page-side
 * client, the weights decoder and the token builder can use them without loading tfjs.
 * Each field's meaning is documented where the model uses it (model.ts).
 */

/** Item rows: 0 = padding, 1 = out-of-vocabulary item, 2 = search query, 3… = vocabulary. */
export const ROW_PAD = 0
export const ROW_OOV = 1
export const ROW_SEARCH = 2
export const FIRST_ITEM_ROW = 3

export interface EncoderConfig {
  /** Width of every embedding and hidden state. */
  d: number
  heads: number
  blocks: number
  /** Hidden width of the feed-forward layer. */
  ffn: number
  /** Rows of the item table, including the 3 reserved rows. */
  vocabSize: number
  /** Rows of the hashed content-feature table. */
  featBuckets: number
  /** Feature slots per item. */
  featSlots: number
  /** Event types (EVENT_TYPES). */
  numTypes: number
  /** Context length at inference: at most `maxLen` of the newest tokens (see `contextStart`). */
  maxLen: number
  /** Learned per-head decay −λ_h·log(1+Δt) on attention logits. */
  timeBias: boolean
  /** The time since the last event enters the long/short gate. */
  gapGate: boolean
  /** Unit of Δt in seconds (60: minutes). */
  timeUnitSec: number
}

export const DEFAULT_CONFIG: Omit<EncoderConfig, 'vocabSize'> = {
  d: 64,
  heads: 2,
  blocks: 2,
  ffn: 128,
  featBuckets: 4096,
  featSlots: 12,
  numTypes: 8,
  maxLen: 200,
  timeBias: true,
  gapGate: true,
  timeUnitSec: 60,
}

/**
 * First token of the inference context for a history of `n` tokens:
 *   start = ⌈max(0, n − maxLen) / step⌉ · step,  step = max(1, ⌊maxLen / 4⌋)
 * The context slides in steps of a quarter window instead of one token, so that appending an
 * event reuses the KV cache (exact) for ~step events in a row, and only a step boundary costs a
 * full re-encode. Because `start` depends only on `n`, a full encode and a chain of incremental
 * appends over the same history see the same context and give the same scores. The context
 * holds between maxLen − step + 1 and maxLen tokens once the history is longer than maxLen.
 */
export function contextStart(n: number, maxLen: number): number {
  const step = Math.max(1, Math.floor(maxLen / 4))
  return Math.ceil(Math.max(0, n - maxLen) / step) * step
}

import type { Item, StoredEvent } from '../../events/types'
import { FIRST_ITEM_ROW, ROW_OOV, type EncoderConfig } from '../../encoder/config'
import { itemFeatures, typeIndex } from '../../encoder/tokens'
import type { Dataset } from '../data/types'
import type { Split } from '../protocol/split'

/**
 * The training view of a split, as flat typed arrays.
 * - Catalogue: every item of the split's universe (so candidates can be embedded), each with its
 *   table row (ROW_OOV when it never occurs in training) and hashed content features.
 * - Vocabulary: items seen in *training* events only (before each user's validation event), most
 *   frequent first. Items that occur only as validation/test targets stay out-of-vocabulary and
 *   are scored from their content, as an unseen item would be in the browser; giving them an id
 *   row that training only ever pushes down (as negatives) would punish exactly those items.
 * - Sequences: each user's training tokens (catalogue index, type, time in ms), oldest first.
 */
export interface TrainData {
  cfg: EncoderConfig
  /** Item ids of rows FIRST_ITEM_ROW… */
  vocab: string[]
  catalogue: string[]
  catalogueIndex: Map<string, number>
  catalogueItems: Item[]
  /** Per catalogue item: table row, feature rows/weights ([n, featSlots]). */
  row: Int32Array
  feats: Int32Array
  featW: Float32Array
  /** Catalogue indices of vocabulary items (row − FIRST_ITEM_ROW → catalogue index). */
  vocabCatalogue: Int32Array
  /** Share of training tokens per catalogue item (sums to 1): the in-batch sampling distribution. */
  freq: Float64Array
  users: UserSeq[]
}

export interface UserSeq {
  user: string
  /** Catalogue index per token. */
  items: Int32Array
  types: Int32Array
  timesMs: Float64Array
  /** Tokens [0, trainLen) are training data. */
  trainLen: number
  /** Index of the validation / test token (when the user is evaluated). */
  valAt?: number
  testAt?: number
}

function itemOf(ds: Dataset, e: StoredEvent, id: string): Item {
  return ds.items.get(id) ?? e.items.find((i) => i.id === id) ?? { id }
}

export function buildTrainData(ds: Dataset, split: Split, base: Omit<EncoderConfig, 'vocabSize'>): TrainData {
  const catalogue = split.universe.slice()
  const catalogueIndex = new Map<string, number>()
  catalogue.forEach((id, i) => catalogueIndex.set(id, i))

  // Vocabulary: training interactions only, by descending count (ties: first seen).
  const counts = new Map<string, number>()
  for (const u of split.users) {
    for (let k = 0; k < u.trainEnd; k++) for (const it of u.events[k]!.items) counts.set(it.id, (counts.get(it.id) ?? 0) + 1)
  }
  const vocab = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)!)
  const cfg: EncoderConfig = { ...base, vocabSize: vocab.length + FIRST_ITEM_ROW }
  const vocabRow = new Map<string, number>()
  vocab.forEach((id, i) => vocabRow.set(id, i + FIRST_ITEM_ROW))

  const n = catalogue.length
  const F = cfg.featSlots
  const row = new Int32Array(n)
  const feats = new Int32Array(n * F)
  const featW = new Float32Array(n * F)
  const catalogueItems: Item[] = new Array(n)
  const firstSeen = new Map<string, Item>()
  for (const u of split.users) for (const e of u.events) for (const it of e.items) if (!firstSeen.has(it.id)) firstSeen.set(it.id, itemOf(ds, e, it.id))
  catalogue.forEach((id, i) => {
    const item = ds.items.get(id) ?? firstSeen.get(id) ?? { id }
    catalogueItems[i] = item
    row[i] = vocabRow.get(id) ?? ROW_OOV
    itemFeatures(item, cfg, feats, featW, i)
  })
  const vocabCatalogue = Int32Array.from(vocab, (id) => catalogueIndex.get(id)!)

  const users: UserSeq[] = split.users.map((u) => {
    const items: number[] = []
    const types: number[] = []
    const times: number[] = []
    let trainLen = 0
    let valAt: number | undefined
    let testAt: number | undefined
    u.events.forEach((e, k) => {
      if (k === u.trainEnd) trainLen = items.length
      if (u.val && k === u.val.index) valAt = items.length
      if (u.test && k === u.test.index) testAt = items.length
      for (const it of e.items) {
        items.push(catalogueIndex.get(it.id)!)
        types.push(typeIndex(e.type))
        times.push(e.timestamp)
      }
    })
    if (u.trainEnd >= u.events.length) trainLen = items.length
    const seq: UserSeq = { user: u.user, items: Int32Array.from(items), types: Int32Array.from(types), timesMs: Float64Array.from(times), trainLen }
    if (valAt !== undefined) seq.valAt = valAt
    if (testAt !== undefined) seq.testAt = testAt
    return seq
  })
  const freq = new Float64Array(n)
  let total = 0
  for (const u of users)
    for (let k = 0; k < u.trainLen; k++) {
      freq[u.items[k]!]!++
      total++
    }
  for (let i = 0; i < n; i++) freq[i] = freq[i]! / Math.max(1, total)
  return { cfg, vocab, catalogue, catalogueIndex, catalogueItems, row, feats, featW, vocabCatalogue, freq, users }
}

/**
 * The item feed (issue 10, ITEMDATA wire format): one row per product for the shop's server to
 * join into its candidate lists and product pages.
 *
 *   items.jsonl  {"id":"…","vector":"f16:<modelId>:<base64url>","neighbours":[["id2",0.61],…]}
 *   items.csv    id,vector,neighbours   (neighbours = the JSON array text, RFC 4180 quoting)
 *
 * `vector` is [e(item), bias(item)] exactly as the browser computes them in whole-table mode
 * (src/encoder/items.ts `ItemTable`, the same code, over the whole item table): the item's
 * vocabulary row (out-of-vocabulary row for a product the model never saw) plus its content
 * features from the catalogue. `neighbours` is the item's row of the offline similarity table
 * (src/interest/similarity.ts `neighbors`), strongest first, cut to `k`.
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import type { Item } from '../../events/types'
import { FIRST_ITEM_ROW } from '../../encoder/config'
import { ItemTable } from '../../encoder/items'
import { encodeVector, type VectorEncoding } from '../../encoder/vector-codec'
import type { SimilarityTable } from '../../interest/types'
import type { SourceModel } from './userside'

/** The wire limit on carried neighbours (ITEMDATA: ≤ 100 pairs). */
export const MAX_NEIGHBOURS = 100

export interface FeedRow {
  id: string
  vector: string
  neighbours?: Array<[string, number]>
}

/** The whole-table item embeddings of a source model, in plain JS (no tfjs). */
export function sourceItemTable(src: SourceModel): ItemTable {
  const w = (n: string) => {
    const x = src.weights.get(n)
    if (!x) throw new Error(`model has no weight ${n}`)
    return x.data
  }
  const vocab = new Map<string, number>()
  src.artifact.vocab.forEach((id, i) => vocab.set(id, i + FIRST_ITEM_ROW))
  // Capacity 1: every catalogue item is embedded once, caching would only churn.
  return new ItemTable(src.artifact.config, { itemEmb: w('item_emb'), itemBias: w('item_bias'), featEmb: w('feat_emb'), featBias: w('feat_bias') }, vocab, 1)
}

export interface FeedOptions {
  modelId: string
  encoding?: VectorEncoding
  similarity?: SimilarityTable
  /** Neighbours per row (default and maximum MAX_NEIGHBOURS). */
  k?: number
}

/** Feed rows of `items` (catalogue order), lazily: a million-product feed is never all in memory. */
export function* feedRows(table: ItemTable, items: Iterable<Item>, o: FeedOptions): Generator<FeedRow> {
  const enc = o.encoding ?? 'f16'
  const k = Math.min(MAX_NEIGHBOURS, o.k ?? MAX_NEIGHBOURS)
  for (const item of items) {
    // The catalogue's own fields only: a vector in the input would be read back, not recomputed.
    const plain: Item = { id: item.id }
    if (item.category) plain.category = item.category
    if (item.brand !== undefined) plain.brand = item.brand
    if (item.price !== undefined) plain.price = item.price
    if (item.title !== undefined) plain.title = item.title
    const row: FeedRow = { id: item.id, vector: encodeVector(table.embedding(plain), o.modelId, enc) }
    const nb = o.similarity?.neighbors(item.id)
    if (nb && nb.length > 0 && k > 0) row.neighbours = nb.slice(0, k).map(([id, w]) => [id, w])
    yield row
  }
}

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export interface FeedStats {
  rows: number
  withNeighbours: number
  jsonlBytes: number
  csvBytes: number
  /** Mean characters of `vector` per row. */
  vectorChars: number
}

/** Write items.jsonl and items.csv (streamed in ~1 MB chunks). */
export function writeFeed(jsonlPath: string, csvPath: string, rows: Iterable<FeedRow>): FeedStats {
  const fj = openSync(jsonlPath, 'w')
  const fc = openSync(csvPath, 'w')
  const st: FeedStats = { rows: 0, withNeighbours: 0, jsonlBytes: 0, csvBytes: 0, vectorChars: 0 }
  let bj: string[] = []
  let bc: string[] = ['id,vector,neighbours\r\n']
  let pending = 0
  const flush = () => {
    const j = bj.join('')
    const c = bc.join('')
    st.jsonlBytes += writeSync(fj, j)
    st.csvBytes += writeSync(fc, c)
    bj = []
    bc = []
    pending = 0
  }
  try {
    for (const r of rows) {
      const line = `${JSON.stringify(r)}\n`
      const nb = r.neighbours ? JSON.stringify(r.neighbours) : ''
      const csv = `${csvField(r.id)},${csvField(r.vector)},${csvField(nb)}\r\n`
      bj.push(line)
      bc.push(csv)
      pending += line.length + csv.length
      st.rows++
      st.vectorChars += r.vector.length
      if (r.neighbours) st.withNeighbours++
      if (pending > 1 << 20) flush()
    }
    flush()
  } finally {
    closeSync(fj)
    closeSync(fc)
  }
  if (st.rows > 0) st.vectorChars /= st.rows
  return st
}

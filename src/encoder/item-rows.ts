import type { Item } from '../events/types'

/**
 * Candidates the page has sent to the encoder worker, numbered (issue 14): each gets a row of
 * the worker's item matrix (items.ts `putRow`), and a rerank sends an Int32Array of rows plus
 * only the items the worker does not hold yet, instead of the whole list as JSON. For 2,000
 * candidates that was ~1–2 ms of JSON.stringify on the page and as much JSON.parse in the
 * worker, then a string key and a Map lookup per candidate there; now it is one Map lookup by
 * id and a few comparisons here, and one row read per candidate there.
 *
 * An item keeps its row while every field the model reads is unchanged (compared by value, so a
 * shop that builds new objects for every list still hits, and one that edits an item in place
 * still resends it). A changed item gets a new row, never an overwritten one: an earlier list
 * still waiting in the worker may name the old row. Rows are handed out until `capacity`, then
 * numbering starts again from 0 with everything forgotten (the worker overwrites rows in
 * message order, so lists sent before still read what they were sent with).
 *
 * What is sent of an item: the fields the model reads, when well-formed (`category`/`tags`
 * arrays of strings, `brand`/`title`/`vector` strings, `price` a finite number). A malformed
 * one is left out, which is what sanitizeCandidates documents ("ignored for personalisation";
 * the worker used to throw on some, failing the whole list, and to read others as garbage).
 */
export class ItemRows {
  private readonly byId = new Map<string, Sent>()
  private next = 0

  /** @param capacity rows handed out before numbering restarts (the worker's matrix is ≈ 260 B a row at d = 64). */
  constructor(readonly capacity = DEFAULT_PAGE_ROWS) {}

  get size(): number {
    return this.byId.size
  }

  /** Forget every row (after the worker failed a request: what it holds is no longer known). */
  clear(): void {
    this.byId.clear()
    this.next = 0
  }

  /**
   * Rows of `candidates` (one per candidate, in order), and the `[row, item]` pairs to send
   * with them. Each field is read once.
   */
  resolve(candidates: ReadonlyArray<Item>): { rows: Int32Array; added: Array<[number, Item]> } {
    const n = candidates.length
    if (this.next + n > Math.max(this.capacity, n)) this.clear()
    const rows = new Int32Array(n)
    const added: Array<[number, Item]> = []
    const byId = this.byId
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!
      const id = c.id
      const category = c.category
      const tags = c.tags
      const brand = c.brand
      const price = c.price
      const title = c.title
      const vector = c.vector
      const e = byId.get(id)
      if (e !== undefined && e.brand === brand && e.price === price && e.title === title && e.vector === vector && sameList(e.category, category) && sameList(e.tags, tags)) {
        rows[i] = e.row
        continue
      }
      const row = this.next++
      rows[i] = row
      const sent: Sent = {
        row,
        category: stringList(category),
        tags: stringList(tags),
        brand: typeof brand === 'string' ? brand : undefined,
        price: typeof price === 'number' && Number.isFinite(price) ? price : undefined,
        title: typeof title === 'string' ? title : undefined,
        vector: typeof vector === 'string' ? vector : undefined,
      }
      const o: Item = { id }
      if (sent.category) o.category = sent.category
      if (sent.tags) o.tags = sent.tags
      if (sent.brand !== undefined) o.brand = sent.brand
      if (sent.price !== undefined) o.price = sent.price
      if (sent.title !== undefined) o.title = sent.title
      if (sent.vector !== undefined) o.vector = sent.vector
      added.push([row, o])
      byId.set(id, sent)
    }
    return { rows, added }
  }
}

/** Rows handed out before numbering restarts: the worker's former item cache size (items.ts DEFAULT_ITEM_CACHE). */
export const DEFAULT_PAGE_ROWS = 20_000

/** What was sent of an item, and at which row. */
interface Sent {
  row: number
  category: string[] | undefined
  tags: string[] | undefined
  brand: string | undefined
  price: number | undefined
  title: string | undefined
  vector: string | undefined
}

/** A copy of an array of strings; undefined for anything else (left out of what is sent). */
function stringList(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return undefined
  return v.slice()
}

/** Whether `v` is the list that was sent (a malformed or absent list was sent as nothing: never the same, so it is re-checked). */
function sameList(sent: string[] | undefined, v: unknown): boolean {
  if (sent === undefined) return v === undefined
  if (!Array.isArray(v) || v.length !== sent.length) return false
  for (let i = 0; i < sent.length; i++) if (v[i] !== sent[i]) return false
  return true
}

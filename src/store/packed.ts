import { fromBase64url, toBase64url } from '../encoder/vector-codec'
import { EVENT_TYPES, type EventType, type Item, type StoredEvent } from '../events/types'

/**
 * The stored form of an item since schema v3 (issue 10, `catalogue/event-bytes`): a tuple
 * instead of an object, the `vector` as bytes instead of base64url text, and the neighbours as
 * two parallel arrays (ids, and the weights as a typed array) instead of `[id, weight]` pairs.
 *
 * Why: IndexedDB stores a value as its structured clone (Chromium: V8's ValueSerializer),
 * which writes every property name of every object, a string per base64url character and a
 * 9-byte double per number. For a one-item shop event with an f16 vector (d = 64) and 8
 * neighbours that was 690 bytes (record with its `itemIds`); this form is under 512
 * (packed.test.ts prints the figures). What the stages read back is exactly what was stored
 * before: `unpackItem(packItem(x))` equals `x` field for field, string for string, weight for
 * weight (packing falls back to the plain form for a field it cannot restore exactly).
 *
 * A list of strings (category, neighbour ids) is one string joined by U+0000 when none of its
 * strings is empty or holds U+0000 (a string costs 2 bytes of framing in a structured clone, a
 * separator 1), else the array. The record's `type` is stored as its index in EVENT_TYPES.
 *
 * Slots, by index; a slot is null when the item has no such field, and trailing nulls are cut:
 * 0 id, 1 category, 2 brand, 3 price, 4 title, 5 vector, 6 neighbour ids, 7 neighbour weights,
 * 8 tags (added after v3 shipped: an older record simply has no slot 8, so no migration).
 */
export type PackedItem = [
  id: string,
  category?: string | string[] | null,
  brand?: string | null,
  price?: number | null,
  title?: string | null,
  /** {@link packVector}'s bytes, or the string as sent when it would not come back identical. */
  vector?: Uint8Array | string | null,
  neighbourIds?: string | string[] | null,
  /**
   * Float32Array: weights of at most 4 significant digits (what compactForStorage keeps), read
   * back as `Number(w.toPrecision(4))`; Float64Array: any other weights, read back as they are.
   */
  neighbourWeights?: Float32Array | Float64Array | null,
  tags?: string[] | null,
]

const SEP = '\u0000'

/** `list` joined by U+0000 when that splits back exactly, else the list itself. */
function joinList(list: string[]): string | string[] {
  return list.length > 0 && list.every((x) => x.length > 0 && !x.includes(SEP)) ? list.join(SEP) : list
}

/** The list {@link joinList} stored; null for a slot it cannot have written. */
function splitList(x: unknown): string[] | null {
  if (typeof x === 'string') return x.split(SEP)
  return Array.isArray(x) && x.every((v) => typeof v === 'string') ? (x as string[]) : null
}

/** The fields a tuple has a slot for; an item with any other field is stored as an object. */
const SLOTS = new Set(['id', 'category', 'brand', 'price', 'title', 'vector', 'neighbours', 'tags'])

/** Weight digits a Float32Array slot restores (compact.ts keeps 4). */
const WEIGHT_DIGITS = 4

const ENCODINGS = ['f32', 'f16', 'i8'] as const
const VECTOR_SHAPE = /^(f32|f16|i8):([0-9a-f]{8}):([A-Za-z0-9_-]+)$/

/**
 * `"<enc>:<8 hex>:<base64url>"` as bytes: one byte for the encoding (1 f32, 2 f16, 3 i8), four
 * for the model id, then the payload. Null when the string would not come back identical (not
 * that shape, or base64url with non-zero padding bits, which decodes but re-encodes differently).
 */
export function packVector(s: string): Uint8Array | null {
  const m = VECTOR_SHAPE.exec(s)
  if (!m) return null
  const payload = fromBase64url(m[3]!)
  if (typeof payload === 'string') return null
  const out = new Uint8Array(5 + payload.length)
  out[0] = ENCODINGS.indexOf(m[1] as (typeof ENCODINGS)[number]) + 1
  for (let i = 0; i < 4; i++) out[1 + i] = parseInt(m[2]!.slice(2 * i, 2 * i + 2), 16)
  out.set(payload, 5)
  return unpackVector(out) === s ? out : null
}

/** The string {@link packVector} packed, or undefined for bytes it cannot have written. */
export function unpackVector(b: Uint8Array): string | undefined {
  const enc = ENCODINGS[b[0]! - 1]
  if (b.length < 5 || enc === undefined) return undefined
  let hex = ''
  for (let i = 1; i < 5; i++) hex += b[i]!.toString(16).padStart(2, '0')
  return `${enc}:${hex}:${toBase64url(b.subarray(5))}`
}

function packWeights(ws: number[]): Float32Array | Float64Array {
  const f = Float32Array.from(ws)
  for (let i = 0; i < ws.length; i++) if (!Object.is(Number(f[i]!.toPrecision(WEIGHT_DIGITS)), ws[i])) return Float64Array.from(ws)
  return f
}

function unpackWeights(w: Float32Array | Float64Array): number[] {
  return w instanceof Float32Array ? Array.from(w, (x) => Number(x.toPrecision(WEIGHT_DIGITS))) : Array.from(w)
}

/** The stored form of one item: a {@link PackedItem}, or the item itself when it has a field the tuple has no slot for. */
export function packItem(it: Item): PackedItem | Item {
  for (const k of Object.keys(it)) if (!SLOTS.has(k)) return it
  const t: PackedItem = [it.id, it.category ? joinList(it.category) : null, it.brand ?? null, it.price ?? null, it.title ?? null, null, null, null, it.tags ?? null]
  if (it.vector !== undefined) t[5] = packVector(it.vector) ?? it.vector
  if (it.neighbours !== undefined) {
    t[6] = joinList(it.neighbours.map((p) => p[0]))
    t[7] = packWeights(it.neighbours.map((p) => p[1]))
  }
  while (t.length > 1 && t[t.length - 1] === null) t.pop()
  return t
}

/**
 * The item a stored slot holds. A tuple that {@link packItem} cannot have written (wrong slot
 * types: another program's record) comes back as it is, and the store's `wellFormed` check then
 * skips and reports the event instead of handing the ranker a broken item.
 */
export function unpackItem(x: unknown): unknown {
  if (!Array.isArray(x)) return x
  const [id, category, brand, price, title, vector, ids, ws, tags] = x as unknown[]
  if (typeof id !== 'string') return x
  const it: Item = { id }
  if (category != null) {
    const c = splitList(category)
    if (!c) return x
    it.category = c
  }
  if (tags != null) {
    if (!Array.isArray(tags)) return x
    it.tags = tags as string[]
  }
  if (brand != null) {
    if (typeof brand !== 'string') return x
    it.brand = brand
  }
  if (price != null) {
    if (typeof price !== 'number') return x
    it.price = price
  }
  if (title != null) {
    if (typeof title !== 'string') return x
    it.title = title
  }
  if (vector != null) {
    const s = vector instanceof Uint8Array ? unpackVector(vector) : vector
    if (typeof s !== 'string') return x
    it.vector = s
  }
  if (ids != null || ws != null) {
    const n = splitList(ids)
    if (!n || !(ws instanceof Float32Array || ws instanceof Float64Array) || n.length !== ws.length) return x
    const w = unpackWeights(ws)
    it.neighbours = n.map((id, j): [string, number] => [id, w[j]!])
  }
  return it
}

/** An event's items in their stored form (v3). */
export function packItems(items: readonly Item[]): Array<PackedItem | Item> {
  return items.map(packItem)
}

/** The stored `type` of a v3 record: the event type's index in EVENT_TYPES (2 bytes of structured clone instead of 7–17). */
export function packType(t: EventType): number {
  return EVENT_TYPES.indexOf(t)
}

/**
 * A read record with its items back in the `Item` form and its `type` back as a name (anything
 * else about it as stored; a type code out of range stays a number, for `wellFormed` to refuse).
 */
export function unpackRecord(record: unknown): unknown {
  if (!record || typeof record !== 'object') return record
  const r = record as { items?: unknown; type?: unknown }
  const packedItems = Array.isArray(r.items) && r.items.some(Array.isArray)
  const code = typeof r.type === 'number' && EVENT_TYPES[r.type] !== undefined
  if (!packedItems && !code) return record
  const out = { ...(record as StoredEvent) }
  if (packedItems) out.items = (r.items as unknown[]).map(unpackItem) as Item[]
  if (code) out.type = EVENT_TYPES[r.type as number]!
  return out
}

import { ValidationError } from '../errors'
import type { Clock } from '../clock'
import { MAX_NEIGHBOURS, neighbourPairProblem, vectorProblem } from './item-data'
import { timestampProblem } from './time-window'
import { EVENT_TYPES, type EventType, type Item, type StoredEvent } from './types'

/*
 * The boundary check of events, written out by hand over the input's OWN properties.
 *
 * Why not a schema library (valibot was used here before): its object schema walks both the
 * schema and the input with `for…in` / `key in`, which see enumerable properties that old
 * scripts add to Object.prototype. One `Object.prototype.legacyHelper = …` on the host page
 * made every event fail with a TypeError inside the library, reported as a storage error
 * (issue 13, defect 16). Inherited values such as `Object.prototype.price` were also read as
 * the item's own. Here:
 * - keys come from `Object.keys` (own, enumerable, string keys: what JSON.stringify sends);
 *   array elements are read only where they are own;
 * - every read of the input (keys, getters, Proxy traps, `Array.isArray` on a revoked Proxy)
 *   is guarded, so a throwing getter or Proxy becomes a ValidationError naming the field
 *   with "could not be read (…)" (defect 17), never a TypeError;
 * - each value is read once, so what is checked is what is stored (a getter cannot answer
 *   one value to the check and another to the store);
 * - lengths are checked before elements are read, so a hostile 10⁹-element array costs nothing.
 */

const hasOwn = Object.prototype.hasOwnProperty

function invalid(field: string, reason: string): ValidationError {
  return new ValidationError('invalid_event', field, reason)
}

/** The message of anything thrown, without trusting it (a thrown Proxy can throw again). */
function messageOf(err: unknown): string {
  try {
    const m = err instanceof Error ? err.message : String(err)
    return m.length > 120 ? `${m.slice(0, 117)}…` : m
  } catch {
    return 'unknown error'
  }
}

function unreadable(field: string, err: unknown): ValidationError {
  return invalid(field, `could not be read (${messageOf(err)})`)
}

function isArray(value: unknown, field: string): boolean {
  try {
    return Array.isArray(value) // throws on a revoked Proxy
  } catch (err) {
    throw unreadable(field, err)
  }
}

/**
 * The own enumerable fields of a plain-object input, each read once, in a null-prototype
 * record. A key outside `allowed` is an error ("unknown field"), reported after the known
 * fields have been checked by the caller (`unknown` is returned for that).
 */
function ownFields(value: unknown, field: string, allowed: readonly string[]): { get(key: string): unknown; unknown: string | undefined } {
  if (typeof value !== 'object' || value === null || isArray(value, field)) throw invalid(field, 'must be an object')
  let keys: string[]
  try {
    keys = Object.keys(value)
  } catch (err) {
    throw unreadable(field, err)
  }
  const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  let unknown: string | undefined
  for (const key of keys) {
    if (!allowed.includes(key)) {
      unknown ??= key
      continue
    }
    try {
      values[key] = (value as Record<string, unknown>)[key]
    } catch (err) {
      throw unreadable(field === 'event' ? key : `${field}.${key}`, err)
    }
  }
  return { get: (key) => values[key], unknown }
}

/** The elements of an array input (own elements only; holes read as undefined), after a length check. */
function ownElements(value: unknown, field: string, max: number, tooMany: string, notArray: string): unknown[] {
  if (!isArray(value, field)) throw invalid(field, notArray)
  let n: unknown
  try {
    n = (value as unknown[]).length
  } catch (err) {
    throw unreadable(field, err)
  }
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw invalid(field, notArray)
  if (n > max) throw invalid(field, tooMany)
  const out = new Array<unknown>(n)
  for (let i = 0; i < n; i++) {
    try {
      out[i] = hasOwn.call(value, i) ? (value as unknown[])[i] : undefined
    } catch (err) {
      throw unreadable(`${field}[${i}]`, err)
    }
  }
  return out
}

/** A string of 1–`max` characters. */
function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string')
  if (value.length === 0) throw invalid(field, 'must not be empty')
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`)
  return value
}

function finiteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'must be a finite number')
  return value
}

const ITEM_KEYS = ['id', 'category', 'tags', 'brand', 'price', 'title', 'vector', 'neighbours'] as const

/** At most this many `tags` per item, each of at most `MAX_TAG_CHARS` characters (types.ts `Item.tags`). */
export const MAX_TAGS = 16
export const MAX_TAG_CHARS = 64
const EVENT_KEYS = ['type', 'items', 'query', 'timestamp'] as const

/** Validate one item; throws `ValidationError` naming e.g. `items[2].price`. */
export function validateItem(input: unknown, field = 'item'): Item {
  const f = ownFields(input, field, ITEM_KEYS)
  const id = f.get('id')
  if (id === undefined) throw invalid(`${field}.id`, 'is required')
  const item: Item = { id: text(id, `${field}.id`, 256) }
  const category = f.get('category')
  if (category !== undefined) {
    const at = `${field}.category`
    const levels = ownElements(category, at, 8, 'must have at most 8 levels', 'must be an array of strings')
    item.category = levels.map((level, i) => text(level, `${at}[${i}]`, 128))
  }
  const tags = f.get('tags')
  if (tags !== undefined) {
    const at = `${field}.tags`
    const list = ownElements(tags, at, MAX_TAGS, `must have at most ${MAX_TAGS} tags`, 'must be an array of strings')
    // A set in meaning: a repeat would count twice in the profile, so it is dropped, not refused.
    item.tags = [...new Set(list.map((t, i) => text(t, `${at}[${i}]`, MAX_TAG_CHARS)))]
  }
  const brand = f.get('brand')
  if (brand !== undefined) item.brand = text(brand, `${field}.brand`, 128)
  const price = f.get('price')
  if (price !== undefined) {
    item.price = finiteNumber(price, `${field}.price`)
    if (item.price < 0) throw invalid(`${field}.price`, 'must be ≥ 0')
  }
  const title = f.get('title')
  if (title !== undefined) item.title = text(title, `${field}.title`, 512)
  const vector = f.get('vector')
  if (vector !== undefined) {
    const reason = vectorProblem(vector)
    if (reason !== undefined) throw invalid(`${field}.vector`, reason)
    item.vector = vector as string
  }
  const neighbours = f.get('neighbours')
  if (neighbours !== undefined) {
    const at = `${field}.neighbours`
    const pairs = ownElements(neighbours, at, MAX_NEIGHBOURS, `must have at most ${MAX_NEIGHBOURS} pairs`, 'must be an array of [id, weight] pairs')
    item.neighbours = pairs.map((pair, j) => {
      const p = isArray(pair, `${at}[${j}]`) ? ownElements(pair, `${at}[${j}]`, 2, 'must be an [id, weight] pair', 'must be an [id, weight] pair') : pair
      const reason = neighbourPairProblem(p)
      if (reason !== undefined) throw invalid(`${at}[${j}]`, reason)
      return [(p as [string, number])[0], (p as [string, number])[1]]
    })
  }
  if (f.unknown !== undefined) throw invalid(`${field}.${f.unknown}`, 'unknown field')
  return item
}

/**
 * Check an event at the boundary and stamp it. Nothing reaches the store unless it passes.
 * Only the input's own enumerable properties are read, each once (see the note above).
 * @throws ValidationError with `field` (e.g. `items[0].id`) and `reason`.
 */
export function validateEvent(input: unknown, clock: Clock, makeId: () => string = eventId): StoredEvent {
  const f = ownFields(input, 'event', EVENT_KEYS)
  const type = f.get('type')
  if (type === undefined) throw invalid('type', 'is required')
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) throw invalid('type', `must be one of ${EVENT_TYPES.join(', ')}`)
  const rawItems = f.get('items')
  let items: Item[] | undefined
  if (rawItems !== undefined) {
    items = ownElements(rawItems, 'items', 100, 'must have at most 100 items', 'must be an array').map((it, i) => validateItem(it, `items[${i}]`))
  }
  const rawQuery = f.get('query')
  const query = rawQuery === undefined ? undefined : text(rawQuery, 'query', 512)
  const rawTs = f.get('timestamp')
  let timestamp: number | undefined
  if (rawTs !== undefined) {
    timestamp = finiteNumber(rawTs, 'timestamp')
    if (!Number.isInteger(timestamp)) throw invalid('timestamp', 'must be an integer')
    // A bounded window (time-window.ts, issue 13 #10): far-future dates broke the controls' toISOString and escaped age retention.
    const outside = timestampProblem(timestamp, clock())
    if (outside) throw invalid('timestamp', outside)
  }
  if (f.unknown !== undefined) throw invalid(f.unknown, 'unknown field')
  if (type === 'search') {
    if (query === undefined) throw invalid('query', 'is required for a search event')
  } else if (!items || items.length === 0) {
    throw invalid('items', `must hold at least one item for ${type}`)
  }
  const out: StoredEvent = { id: makeId(), type: type as EventType, items: items ?? [], timestamp: timestamp ?? clock() }
  if (query !== undefined) out.query = query
  if (!Number.isFinite(out.timestamp)) throw invalid('timestamp', 'the clock returned a non-finite time')
  return out
}

// Stores order events by (timestamp, id). Two events tracked in the same millisecond (a view
// and the add_to_cart it triggers, or a burst during a consent switch) would otherwise come
// back in the random order of their UUIDs, so the id starts with a fixed-width sequence
// number that grows for every event this page makes. The UUID after it keeps ids unique
// across tabs and reloads; ties between tabs stay in an arbitrary but stable order.
let sequence = 0
const SEQ_WIDTH = 10 // base 36: 3.6e15 events before the width would grow

/**
 * A unique event id that sorts after every id made earlier by this page: the sequence, then
 * 128 random bits as 22 base64url characters (a UUID's 36 characters hold 122 bits). The id is
 * the store's key and sits in both its indexes, so every character is kept about six times on
 * disk (issue 10, `catalogue/event-bytes`); 33 characters instead of 47.
 */
export function eventId(): string {
  sequence += 1
  return `${sequence.toString(36).padStart(SEQ_WIDTH, '0')}-${randomBits128()}`
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** 128 random bits as 22 base64url characters (the last character carries 2 bits). */
function randomBits128(): string {
  const b = new Uint8Array(16)
  globalThis.crypto.getRandomValues(b)
  let out = ''
  for (let i = 0; i < 15; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!
    out += B64URL[n >>> 18]! + B64URL[(n >>> 12) & 63]! + B64URL[(n >>> 6) & 63]! + B64URL[n & 63]!
  }
  return out + B64URL[b[15]! >>> 2]! + B64URL[b[15]! & 3]!
}

export function randomId(): string {
  const c = globalThis.crypto
  if (c && typeof c.randomUUID === 'function') return c.randomUUID()
  // Older Safari: randomUUID needs a secure context; getRandomValues does not.
  const b = new Uint8Array(16)
  c.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

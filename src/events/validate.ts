import * as v from 'valibot'
import { ValidationError } from '../errors'
import type { Clock } from '../clock'
import { EVENT_TYPES, type Item, type StoredEvent, type TrackInput } from './types'

// valibot rather than hand-written checks: it is tree-shaken to the few validators used
// here, and its issue paths give us the exact field name for the error message.
const text = (max: number) => v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(max, `must be at most ${max} characters`))

const ItemSchema = v.strictObject(
  {
    id: text(256),
    category: v.optional(v.pipe(v.array(text(128), 'must be an array of strings'), v.maxLength(8, 'must have at most 8 levels'))),
    brand: v.optional(text(128)),
    price: v.optional(
      v.pipe(v.number('must be a finite number'), v.finite('must be a finite number'), v.minValue(0, 'must be ≥ 0')),
    ),
    title: v.optional(text(512)),
  },
  'unknown field',
)

const EventSchema = v.strictObject(
  {
    type: v.picklist(EVENT_TYPES, `must be one of ${EVENT_TYPES.join(', ')}`),
    items: v.optional(v.pipe(v.array(ItemSchema, 'must be an array'), v.maxLength(100, 'must have at most 100 items'))),
    query: v.optional(text(512)),
    timestamp: v.optional(
      v.pipe(v.number('must be a finite number'), v.finite('must be a finite number'), v.integer('must be an integer'), v.minValue(0, 'must be ≥ 0')),
    ),
  },
  'unknown field',
)

/** strictObject reports both a missing key and an unknown key with its own message; tell them apart. */
function reasonOf(issue: v.BaseIssue<unknown>): string {
  if (issue.type === 'strict_object' && issue.received === 'undefined') return 'is required'
  return issue.message
}

function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = ''
  for (const seg of issue.path ?? []) {
    const key = (seg as { key: unknown }).key
    out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key)
  }
  return out || 'event'
}

/** Validate one item; throws `ValidationError` naming e.g. `items[2].price`. */
export function validateItem(input: unknown, field = 'item'): Item {
  const r = v.safeParse(ItemSchema, input)
  if (!r.success) {
    const issue = r.issues[0]
    const sub = pathOf(issue)
    throw new ValidationError('invalid_event', sub === 'event' ? field : `${field}.${sub}`, reasonOf(issue))
  }
  return r.output
}

/**
 * Check an event at the boundary and stamp it. Nothing reaches the store unless it passes.
 * @throws ValidationError with `field` (e.g. `items[0].id`) and `reason`.
 */
export function validateEvent(input: unknown, clock: Clock, makeId: () => string = eventId): StoredEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError('invalid_event', 'event', 'must be an object')
  }
  const r = v.safeParse(EventSchema, input)
  if (!r.success) {
    const issue = r.issues[0]
    throw new ValidationError('invalid_event', pathOf(issue), reasonOf(issue))
  }
  const e = r.output as TrackInput
  if (e.type === 'search') {
    if (e.query === undefined) throw new ValidationError('invalid_event', 'query', 'is required for a search event')
  } else if (!e.items || e.items.length === 0) {
    throw new ValidationError('invalid_event', 'items', `must hold at least one item for ${e.type}`)
  }
  const out: StoredEvent = { id: makeId(), type: e.type, items: e.items ?? [], timestamp: e.timestamp ?? clock() }
  if (e.query !== undefined) out.query = e.query
  if (!Number.isFinite(out.timestamp)) throw new ValidationError('invalid_event', 'timestamp', 'the clock returned a non-finite time')
  return out
}

// Stores order events by (timestamp, id). Two events tracked in the same millisecond (a view
// and the add_to_cart it triggers, or a burst during a consent switch) would otherwise come
// back in the random order of their UUIDs, so the id starts with a fixed-width sequence
// number that grows for every event this page makes. The UUID after it keeps ids unique
// across tabs and reloads; ties between tabs stay in an arbitrary but stable order.
let sequence = 0
const SEQ_WIDTH = 10 // base 36: 3.6e15 events before the width would grow

/** A unique event id that sorts after every id made earlier by this page. */
export function eventId(): string {
  sequence += 1
  return `${sequence.toString(36).padStart(SEQ_WIDTH, '0')}-${randomId()}`
}

export function randomId(): string {
  const c = globalThis.crypto
  if (c && typeof c.randomUUID === 'function') return c.randomUUID()
  // Older Safari: randomUUID needs a secure context; getRandomValues does not.
  const b = new Uint8Array(16)
  c.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

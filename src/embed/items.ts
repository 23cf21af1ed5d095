import { neighboursProblem, vectorProblem } from '../events/item-data'
import type { Item } from '../events/types'
import type { Candidate } from '../rank/types'

/**
 * Reading items from markup (declarative tracking and `<localrank-list>` children).
 *
 * `data-lr-item` takes either
 * - JSON: a LocalRank item `{"id":"sku-1","category":["home","lamps"],"price":39}`, or a GA4
 *   ecommerce item `{"item_id":"sku-1","item_name":"Lamp","item_category":"home",
 *   "item_category2":"lamps","item_brand":"Acme","price":39}` — the object a shop already
 *   pushes to `dataLayer`, so it can be pasted as is; or
 * - a plain id, with the other fields in their own attributes:
 *   `data-lr-category="Home > Lighting > Lamps"` (levels split on `>`), `data-lr-brand`,
 *   `data-lr-price`, `data-lr-title`, `data-lr-vector`, `data-lr-neighbours` (JSON).
 * Both forms take the item feed's `vector` and `neighbours` (issue 10: the shop's server joins
 * its feed row into the markup; in a GA4 item they are two extra item parameters of those
 * names, `neighbours` as an array or its JSON text).
 * Separate attributes override the JSON's fields. Unknown JSON fields are dropped here rather
 * than rejected by the engine's strict schema: markup often carries extra GA4 fields. So is a
 * `vector` or `neighbours` that breaks the rules of src/events/item-data.ts: the item is still
 * tracked, without it.
 * Returns null when there is no usable id.
 */
export function itemFromAttributes(get: (name: string) => string | null, idAttr = 'data-lr-item'): Item | null {
  const raw = get(idAttr)?.trim() ?? ''
  let item: Item | null = null
  if (raw.startsWith('{')) {
    try {
      item = fromObject(JSON.parse(raw) as Record<string, unknown>)
    } catch {
      return null
    }
  } else if (raw !== '') item = { id: raw }
  if (!item) return null
  const category = get('data-lr-category')
  if (category) {
    const levels = category
      .split('>')
      .map((s) => s.trim())
      .filter(Boolean)
    if (levels.length) item.category = levels
  }
  const tags = get('data-lr-tags')
  if (tags && splitTags(tags).length) item.tags = splitTags(tags)
  const brand = get('data-lr-brand')?.trim()
  if (brand) item.brand = brand
  const price = get('data-lr-price')
  if (price != null && price.trim() !== '' && Number.isFinite(Number(price))) item.price = Number(price)
  const title = get('data-lr-title')?.trim()
  if (title) item.title = title
  const vector = get('data-lr-vector')?.trim()
  if (vector) addItemData(item, vector, undefined)
  const neighbours = get('data-lr-neighbours')?.trim()
  if (neighbours) addItemData(item, undefined, neighbours)
  return item
}

/** Set `vector` / `neighbours` on `item` when they are valid (neighbours may be JSON text); drop them otherwise. */
function addItemData(item: Item, vector: unknown, neighbours: unknown): void {
  if (vector !== undefined && vectorProblem(vector) === undefined) item.vector = vector as string
  if (typeof neighbours === 'string') {
    try {
      neighbours = JSON.parse(neighbours)
    } catch {
      return
    }
  }
  if (neighbours !== undefined && neighboursProblem(neighbours) === undefined) {
    item.neighbours = (neighbours as Array<[string, number]>).map(([id, w]) => [id, w])
  }
}

const GA4_CATEGORIES = ['item_category', 'item_category2', 'item_category3', 'item_category4', 'item_category5'] as const

const splitTags = (s: string): string[] => [
  ...new Set(
    s
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  ),
]

/** A LocalRank item or a GA4 ecommerce item → a LocalRank item with only the known fields. */
export function fromObject(o: Record<string, unknown> | null | undefined): Item | null {
  if (!o || typeof o !== 'object') return null
  const idRaw = o['id'] ?? o['item_id']
  if ((typeof idRaw !== 'string' && typeof idRaw !== 'number') || String(idRaw) === '') return null
  const item: Item = { id: String(idRaw) }
  let category: unknown = o['category']
  if (category === undefined) {
    const levels = GA4_CATEGORIES.map((k) => o[k]).filter((v): v is string => typeof v === 'string' && v !== '')
    if (levels.length) category = levels
  }
  if (typeof category === 'string')
    category = category
      .split('>')
      .map((s) => s.trim())
      .filter(Boolean)
  if (Array.isArray(category) && category.every((c) => typeof c === 'string') && category.length) item.category = category as string[]
  // Tags: an array, or one string of comma-separated labels (data-lr-tags="Crime, Horror").
  const tags = typeof o['tags'] === 'string' ? splitTags(o['tags']) : o['tags']
  if (Array.isArray(tags) && tags.length && tags.every((t) => typeof t === 'string' && t !== '')) item.tags = [...new Set(tags as string[])]
  const brand = o['brand'] ?? o['item_brand']
  if (typeof brand === 'string' && brand !== '') item.brand = brand
  const price = typeof o['price'] === 'string' ? Number(o['price']) : o['price']
  if (typeof price === 'number' && Number.isFinite(price)) item.price = price
  const title = o['title'] ?? o['item_name']
  if (typeof title === 'string' && title !== '') item.title = title
  addItemData(item, o['vector'], o['neighbours'])
  return item
}

/** A `<localrank-list>` child → a candidate: `data-item-id`, enriched by `data-lr-item` and `data-score`. */
export function candidateFromAttributes(get: (name: string) => string | null): Candidate | null {
  const id = get('data-item-id')?.trim()
  if (!id) return null
  const own = ['data-lr-category', 'data-lr-vector', 'data-lr-neighbours'].some((n) => get(n))
  const extra = itemFromAttributes(get) ?? (own ? itemFromAttributes((n) => (n === 'data-lr-item' ? id : get(n))) : null)
  const c: Candidate = { ...(extra ?? {}), id }
  const score = get('data-score')
  if (score != null && score.trim() !== '' && Number.isFinite(Number(score))) c.score = Number(score)
  return c
}

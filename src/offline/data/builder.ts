import type { EventType, Item, StoredEvent } from '../../events/types'
import type { Dataset, ItemMeta, MalformedReport, UserHistory } from './types'

/**
 * Accumulates items and per-user events in file order. Shared by every loader so that
 * they all produce the same `Dataset` shape and the same event ids.
 */
export class DatasetBuilder {
  readonly items = new Map<string, Item>()
  readonly meta = new Map<string, ItemMeta>()
  private readonly users = new Map<string, UserHistory>()
  private unknown = new Set<string>()
  private seq = 0

  addItem(item: Item, meta: ItemMeta): boolean {
    if (this.items.has(item.id)) return false
    this.items.set(item.id, item)
    this.meta.set(item.id, meta)
    return true
  }

  /** The catalogue's item, or a bare `{ id }` (counted as unknown) when the item file lacks it. */
  item(id: string): Item {
    let it = this.items.get(id)
    if (!it) {
      it = { id }
      this.items.set(id, it)
      this.meta.set(id, { labels: [], tokens: [] })
      this.unknown.add(id)
    }
    return it
  }

  /** Add one event. `timestampMs` is milliseconds since the epoch, as StoredEvent expects. */
  addEvent(user: string, type: EventType, itemIds: string[], timestampMs: number, query?: string): StoredEvent {
    let u = this.users.get(user)
    if (!u) {
      u = { id: user, events: [] }
      this.users.set(user, u)
    }
    // Unique and stable across runs: the load order is the file order.
    const ev: StoredEvent = { id: `e${this.seq++}`, type, items: itemIds.map((id) => this.item(id)), timestamp: timestampMs }
    if (query !== undefined) ev.query = query
    u.events.push(ev)
    return ev
  }

  build(name: string, files: string[], reports: MalformedReport[], eventMapping: string): Dataset {
    return {
      name,
      files,
      items: this.items,
      meta: this.meta,
      users: [...this.users.values()],
      reports,
      unknownItems: this.unknown.size,
      eventMapping,
    }
  }
}

/** Tokens of titles and free text: the library's tokenizer (one definition, interest/features.ts). */
export { tokenize } from '../../interest/features'

import type { StoredEvent } from '../events/types'
import { compareEvents, mentions, type Backend, type StoreTx } from './backend'
import type { StoreMeta } from './types'

interface State {
  /** Sorted by {@link compareEvents}, oldest first: the stand-in for the `by_time` index. */
  order: StoredEvent[]
  byId: Map<string, StoredEvent>
  meta: StoreMeta
}

// structuredClone on the way in and out gives the same isolation as IndexedDB (which
// stores structured clones): a caller mutating an event it passed or got back changes nothing.
const clone = <T>(v: T): T => structuredClone(v)

/** First index whose event is not before `e` (binary search in the sorted order). */
function lowerBound(order: StoredEvent[], e: StoredEvent): number {
  let lo = 0
  let hi = order.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareEvents(order[mid]!, e) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

function firstAtOrAfter(order: StoredEvent[], cutoff: number): number {
  let lo = 0
  let hi = order.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (order[mid]!.timestamp < cutoff) lo = mid + 1
    else hi = mid
  }
  return lo
}

class MemoryTx implements StoreTx {
  constructor(private readonly s: State) {}

  async put(events: readonly StoredEvent[]): Promise<void> {
    for (const raw of events) {
      const e = clone(raw)
      const old = this.s.byId.get(e.id)
      if (old) this.s.order.splice(lowerBound(this.s.order, old), 1)
      this.s.order.splice(lowerBound(this.s.order, e), 0, e)
      this.s.byId.set(e.id, e)
    }
  }

  async deleteOlderThan(cutoff: number): Promise<string[]> {
    return this.dropFirst(firstAtOrAfter(this.s.order, cutoff))
  }

  async deleteNewerThan(cutoff: number): Promise<string[]> {
    // First index whose timestamp is > cutoff, i.e. first at or after cutoff + 1 for integers;
    // timestamps are integers (validate.ts), but compare exactly anyway.
    let i = firstAtOrAfter(this.s.order, cutoff)
    while (i < this.s.order.length && this.s.order[i]!.timestamp <= cutoff) i++
    const gone = this.s.order.splice(i)
    for (const e of gone) this.s.byId.delete(e.id)
    return gone.map((e) => e.id)
  }

  async deleteOldest(n: number): Promise<string[]> {
    return this.dropFirst(Math.max(0, Math.min(n, this.s.order.length)))
  }

  private dropFirst(n: number): string[] {
    const gone = this.s.order.splice(0, n)
    for (const e of gone) this.s.byId.delete(e.id)
    return gone.map((e) => e.id)
  }

  async count(): Promise<number> {
    return this.s.order.length
  }

  async get(ids: readonly string[]): Promise<StoredEvent[]> {
    const out: StoredEvent[] = []
    for (const id of ids) {
      const e = this.s.byId.get(id)
      if (e) out.push(clone(e))
    }
    return out
  }

  async deleteByItem(itemId: string): Promise<number> {
    return this.deleteWhere((e) => mentions(e, itemId))
  }

  async all(): Promise<StoredEvent[]> {
    return this.s.order.map(clone)
  }

  async newest(limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = []
    for (let i = this.s.order.length - 1; i >= 0 && out.length < limit; i--) out.push(clone(this.s.order[i]!))
    return out
  }

  async delete(id: string): Promise<boolean> {
    const e = this.s.byId.get(id)
    if (!e) return false
    this.s.order.splice(lowerBound(this.s.order, e), 1)
    this.s.byId.delete(id)
    return true
  }

  private async deleteWhere(pred: (event: StoredEvent) => boolean): Promise<number> {
    const keep: StoredEvent[] = []
    let n = 0
    for (const e of this.s.order) {
      if (pred(e)) {
        this.s.byId.delete(e.id)
        n++
      } else keep.push(e)
    }
    this.s.order = keep
    return n
  }

  async clearEvents(): Promise<void> {
    this.s.order = []
    this.s.byId.clear()
  }

  async getMeta(): Promise<StoreMeta> {
    return clone(this.s.meta)
  }

  async setMeta(patch: Partial<StoreMeta>): Promise<void> {
    const next: Record<string, unknown> = { ...this.s.meta }
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete next[k]
      else next[k] = clone(v)
    }
    this.s.meta = next as StoreMeta
  }

  async clearMeta(): Promise<void> {
    this.s.meta = {}
  }
}

/**
 * The in-memory fallback (private modes, blocked storage, `storage: 'memory'`). History lives
 * as long as the page. A readwrite run works on a copy of the state and swaps it in only when
 * `fn` succeeds, which gives the same all-or-nothing batches as an IndexedDB transaction.
 * Events are immutable once stored, so the copy is shallow: O(n) pointers per write batch.
 */
export class MemoryBackend implements Backend {
  readonly kind = 'memory' as const
  private state: State = { order: [], byId: new Map(), meta: {} }

  async run<T>(mode: 'readonly' | 'readwrite', fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (mode === 'readonly') return fn(new MemoryTx(this.state))
    const draft: State = { order: this.state.order.slice(), byId: new Map(this.state.byId), meta: this.state.meta }
    const result = await fn(new MemoryTx(draft))
    this.state = draft
    return result
  }

  close(): void {
    this.state = { order: [], byId: new Map(), meta: {} }
  }
}

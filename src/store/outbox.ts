import { validateEvent } from '../events/validate'
import type { StoredEvent } from '../events/types'

/**
 * A write-ahead copy, in this tab's sessionStorage, of appends not yet committed to IndexedDB.
 *
 * Why: on a multi-page shop a product link or a search form navigates away in the same task as
 * the click. The store gathers appends for a few milliseconds and an IndexedDB transaction
 * commits asynchronously, so the page could be gone before the select_item or search it had
 * just tracked was written: 3 of 12 navigating clicks were lost in Chromium
 * (e2e/multipage.spec.ts). sessionStorage writes are synchronous and survive a same-tab
 * navigation, so the next page's store replays what the last one had in flight.
 *
 * - Idempotent: events are keyed by id, so an event both committed before the unload and
 *   replayed from here is stored once.
 * - Private: it stays on the device, in this tab's session storage for this origin; it holds
 *   only events whose write is in flight (normally none), and clearing the history clears it.
 * - Untrusted on the way back: every replayed entry is validated like a new event, keeping its
 *   id and timestamp; anything malformed is dropped.
 */
export interface Outbox {
  /** Record events about to be written (an event already recorded is not added twice). */
  add(events: readonly StoredEvent[]): void
  /** Forget events once their write committed (or was refused for good). */
  remove(ids: readonly string[]): void
  /** Everything recorded and not yet removed, validated. */
  pending(): StoredEvent[]
  clear(): void
}

/** Prefix of the outbox entries of database `dbName`: one key per event, `<prefix><event id>`. */
export function outboxPrefix(dbName: string): string {
  return `localrank:outbox:${dbName}:`
}

/** sessionStorage, or null where reading it throws (sandboxed iframes, blocked site data). */
function sessionStore(): Storage | null {
  try {
    return (globalThis as { sessionStorage?: Storage }).sessionStorage ?? null
  } catch {
    return null
  }
}

/** A replayed entry, validated like a new event but keeping its id and timestamp; null if bad. */
function revive(id: string, raw: string | null): StoredEvent | null {
  if (!raw || id === '' || id.length > 200) return null
  try {
    const { type, items, query, timestamp } = JSON.parse(raw) as StoredEvent
    return validateEvent(
      { type, items, query, timestamp },
      () => Number.NaN,
      () => id,
    )
  } catch {
    return null
  }
}

/**
 * The outbox of database `dbName` in `storage` (default: sessionStorage), or null where there is
 * no such storage (Node, blocked site data): the store then works as before, without it.
 * One key per event, so recording or forgetting one costs the same however many are in flight
 * (a burst of a thousand `track()` calls stays linear).
 */
export function sessionOutbox(dbName: string, storage: Storage | null = sessionStore()): Outbox | null {
  if (!storage) return null
  const prefix = outboxPrefix(dbName)
  // Every storage call is guarded: the outbox is a best effort on top of the store (quota,
  // blocked storage), never a reason for an append to fail.
  const keys = (): string[] => {
    const out: string[] = []
    try {
      for (let i = 0; i < storage.length; i++) {
        const k = storage.key(i)
        if (k?.startsWith(prefix)) out.push(k)
      }
    } catch {
      /* unreadable: nothing to replay */
    }
    return out
  }
  return {
    add(events) {
      for (const e of events) {
        try {
          storage.setItem(prefix + e.id, JSON.stringify({ type: e.type, items: e.items, query: e.query, timestamp: e.timestamp }))
        } catch {
          return
        }
      }
    },
    remove(ids) {
      for (const id of ids) {
        try {
          storage.removeItem(prefix + id)
        } catch {
          return
        }
      }
    },
    pending() {
      const out: StoredEvent[] = []
      for (const k of keys()) {
        let raw: string | null = null
        try {
          raw = storage.getItem(k)
        } catch {
          /* unreadable entry */
        }
        const e = revive(k.slice(prefix.length), raw)
        if (e) out.push(e)
        else {
          try {
            storage.removeItem(k) // malformed or tampered: dropped for good
          } catch {
            /* ignore */
          }
        }
      }
      return out.sort((a, b) => a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    },
    clear() {
      for (const k of keys()) {
        try {
          storage.removeItem(k)
        } catch {
          /* ignore */
        }
      }
    },
  }
}

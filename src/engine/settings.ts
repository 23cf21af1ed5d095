import type { Settings } from './state'
import type { Consent } from './types'

/**
 * How the shopper's settings reach the other tabs of the origin and the next page.
 *
 * - **Consent is persisted here**, in `localStorage` under `localrank:consent:<dbName>`, not in
 *   the history database: a withdrawal deletes that database, and the refusal must outlive it
 *   (recording a refusal is what a consent banner's own cookie does). `pending` is not a
 *   choice and is never persisted. Pause and blocked categories are the shopper's data and
 *   live with the history, in the store's meta (the coordinator saves them there).
 * - **Every local change is broadcast** on the BroadcastChannel `localrank:settings:<dbName>`
 *   (a consent choice, or the pause and blocks after a change of them), so every open tab applies the same state at once (defect 1: a tab that
 *   kept `granted` after another withdrew recreated the database on its next `track()`).
 *   Where BroadcastChannel is missing (Safari before 15.4), the `storage` event of the consent
 *   key carries consent (the event fires in the other tabs only, per the HTML standard).
 * - Each snapshot carries its time; a tab ignores one older than the last it applied, so two
 *   quick choices in two tabs end the same everywhere: the latest wins.
 */
export interface SettingsMessage {
  tag: typeof TAG
  /** A consent choice (`{ consent }`), or a settings change (`{ paused, blocked }`). */
  settings: Partial<Settings>
  at: number
}

const TAG = 'localrank-settings'

/** localStorage, or null where reading it throws (sandboxed iframes, blocked site data) or it is absent (Node). */
function localStore(): Storage | null {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage ?? null
  } catch {
    return null
  }
}

const consentKey = (dbName: string) => `localrank:consent:${dbName}`

function parsePersisted(raw: string | null): Consent | undefined {
  if (!raw) return undefined
  try {
    const v = (JSON.parse(raw) as { consent?: unknown }).consent
    return v === 'granted' || v === 'denied' ? v : undefined
  } catch {
    return undefined
  }
}

function parseMessage(data: unknown): SettingsMessage | null {
  if (typeof data !== 'object' || data === null || (data as { tag?: unknown }).tag !== TAG) return null
  const { settings, at } = data as { settings?: Partial<Settings>; at?: unknown }
  if (typeof at !== 'number' || !settings || typeof settings !== 'object') return null
  const { consent, paused, blocked } = settings
  const out: Partial<Settings> = {}
  if (consent !== undefined) {
    if (consent !== 'granted' && consent !== 'denied' && consent !== 'pending') return null
    out.consent = consent
  }
  if (paused !== undefined) {
    if (typeof paused !== 'boolean') return null
    out.paused = paused
  }
  if (blocked !== undefined) {
    if (!Array.isArray(blocked) || !blocked.every((b) => typeof b === 'string')) return null
    out.blocked = [...blocked]
  }
  return { tag: TAG, settings: out, at }
}

export class SettingsSync {
  private readonly channel: BroadcastChannel | null = null
  private readonly storage: Storage | null
  private lastAt = 0
  private readonly onStorage: ((ev: StorageEvent) => void) | null = null

  constructor(
    private readonly dbName: string,
    private readonly onRemote: (settings: Partial<Settings>) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.storage = localStore()
    if (typeof BroadcastChannel === 'function') {
      try {
        const ch = new BroadcastChannel(`localrank:settings:${dbName}`)
        ch.onmessage = (ev: MessageEvent) => {
          const m = parseMessage(ev.data)
          if (!m || m.at < this.lastAt) return
          this.lastAt = m.at
          this.deliver(m.settings)
        }
        ;(ch as unknown as { unref?: () => void }).unref?.() // Node: do not keep the process alive
        this.channel = ch
      } catch {
        this.channel = null // opaque origins may refuse a channel
      }
    }
    const w = globalThis as { addEventListener?: (t: string, l: (ev: StorageEvent) => void) => void }
    if (!this.channel && this.storage && typeof w.addEventListener === 'function') {
      this.onStorage = (ev: StorageEvent) => {
        if (ev.key !== consentKey(this.dbName)) return
        const consent = parsePersisted(ev.newValue) ?? (ev.newValue === null ? 'pending' : undefined)
        if (consent) this.deliver({ consent })
      }
      w.addEventListener('storage', this.onStorage)
    }
  }

  private deliver(s: Partial<Settings>): void {
    try {
      this.onRemote(s)
    } catch {
      /* the coordinator reports its own failures */
    }
  }

  /** The consent this origin's shopper last chose (in any tab, on any earlier page), if any. */
  persistedConsent(): Consent | undefined {
    try {
      return parsePersisted(this.storage?.getItem(consentKey(this.dbName)) ?? null)
    } catch {
      return undefined
    }
  }

  /** Broadcast a change (and persist it when it is a consent choice). Never throws. */
  publish(settings: Partial<Settings>): void {
    const at = Math.max(this.now(), this.lastAt + 1)
    this.lastAt = at
    try {
      if (settings.consent === 'pending') this.storage?.removeItem(consentKey(this.dbName))
      else if (settings.consent) this.storage?.setItem(consentKey(this.dbName), JSON.stringify({ consent: settings.consent, at }))
    } catch {
      /* storage full or blocked: the broadcast still reaches the open tabs */
    }
    try {
      this.channel?.postMessage({ tag: TAG, settings: { ...settings, ...(settings.blocked ? { blocked: [...settings.blocked] } : {}) }, at } satisfies SettingsMessage)
    } catch {
      /* a closed channel */
    }
  }

  close(): void {
    this.channel?.close()
    if (this.onStorage) (globalThis as { removeEventListener?: (t: string, l: (ev: StorageEvent) => void) => void }).removeEventListener?.('storage', this.onStorage)
  }
}

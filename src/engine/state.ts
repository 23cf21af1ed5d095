import type { Consent } from './types'

/**
 * The engine's state machine: consent, pause, blocked categories and the storage they allow.
 * Pure (no I/O): `transition(state, event)` returns the next state and the effects the
 * coordinator (engine.ts) must run, in order, one transition's effects after the previous
 * one's. Every change of these facts goes through here, whether the shopper made it in this
 * tab, in another tab (`from: 'remote'`, `sync`), or it was read back from the store
 * (`loaded`), so there is exactly one place that decides what each choice implies.
 *
 * State: `{ consent, gpc, paused, blocked, storage }`. Consent decides the storage:
 *
 *   granted ── storage 'persistent' (IndexedDB, or memory if the page asked for it)
 *   pending ── storage 'memory'     (this page only; nothing written to the origin)
 *   denied  ── storage 'none'       (nothing at all; pause and blocks are wiped with the history)
 *
 * Start: `initialState(consent, gpc)`, where engine.ts `startingConsent` picks the consent (a
 * persisted `denied` wins over the page's option); GPC on starts `denied`. The engine then
 * opens the storage the state allows (nothing for `none`) and starts the artifacts.
 *
 * Events → next state, then effects in order (⇢ publish: only when `from` is 'local'):
 *
 *   consent(c, from)   pending → granted  ⇢ publish consent, open persistent CARRYING the
 *                                          events and settings kept while pending (defect 3:
 *                                          only events were), encoder on
 *                      denied  → granted  ⇢ publish consent, open persistent (its stored
 *                                          settings load after, as `loaded`), encoder on
 *                      granted → pending  ⇢ publish consent, open memory carrying the
 *                                          settings, encoder on
 *                      denied  → pending  ⇢ publish consent, open memory, encoder on
 *                      *       → denied   paused = false, blocked = []; ⇢ publish consent
 *                                          FIRST (the other tabs stop writing before this one
 *                                          deletes), encoder off, destroy (wipe and close; the
 *                                          database is deleted only when this tab decided)
 *                      same consent, or GPC on and c ≠ denied: no change, no effect
 *   pause(p)           paused = p; save settings, publish settings      (no-op while denied
 *   block(c)           blocked + c; save settings, publish settings      or when nothing
 *   unblock(c)         blocked − c; save settings, publish settings      changes)
 *   sync(snapshot)     another tab's choice: its consent as consent(c, 'remote') above (so
 *                      never deleting, never re-publishing), then, unless now denied, its pause
 *                      and blocks replace ours, unsaved (the deciding tab saved them)
 *   loaded(settings)   read from a store just opened: merged with those in hand (pause OR,
 *                      blocks union: a block made while pending is not undone by an older
 *                      store); save settings when the store lacks any of them; no-op while denied
 *   clear(settings)    clear history; with `settings: true` also paused = false, blocked = [],
 *                      save settings, publish settings (defect 4: clearing the history kept
 *                      nothing of the shopper's settings)
 *
 * Effects: `open` (switch the store, copying all / settings / nothing), `destroy`,
 * `clear-history`, `save-settings` (the store's meta), `publish` (settings.ts: consent is
 * persisted in localStorage and broadcast, settings broadcast only: a pause is not a consent
 * choice and never carries this tab's consent to a tab whose page said otherwise), `encoder`.
 * Because every change made in THIS tab is published and changes from elsewhere are not
 * re-published, every tab obeys the latest choice at once (defect 1) without echoes.
 */
export type StorageTarget = 'persistent' | 'memory' | 'none'
export type Origin = 'local' | 'remote'

export interface Settings {
  consent: Consent
  paused: boolean
  blocked: readonly string[]
}

export interface EngineState extends Settings {
  /** Global Privacy Control is on: consent is denied and stays denied. */
  gpc: boolean
  /** What the consent allows. */
  storage: StorageTarget
}

export type EngineEvent =
  | { type: 'consent'; consent: Consent; from: Origin }
  | { type: 'pause'; paused: boolean }
  | { type: 'block'; category: string }
  | { type: 'unblock'; category: string }
  | { type: 'sync'; settings: Partial<Settings> }
  | { type: 'loaded'; paused?: boolean; blocked?: readonly string[] }
  | { type: 'clear'; settings: boolean }

export type Effect =
  /** Open `target` (closing what is open), copying into it this tab's events and settings, its settings only, or nothing. */
  | { kind: 'open'; target: 'persistent' | 'memory'; carry: 'all' | 'settings' | 'none' }
  /** Withdrawal: wipe and close; `deleteDb` when this tab made the choice. */
  | { kind: 'destroy'; deleteDb: boolean }
  /** Delete the history (not the settings) from the open store. */
  | { kind: 'clear-history' }
  /** Write `paused` and `blocked` to the open store's meta. */
  | { kind: 'save-settings' }
  /**
   * Broadcast to the other tabs (and, for consent, persist): `consent` after a consent choice,
   * `settings` (pause and blocks) after a settings change. A pause is not a consent choice, so
   * it never carries this tab's consent to tabs whose page decided otherwise.
   */
  | { kind: 'publish'; what: 'consent' | 'settings' }
  | { kind: 'encoder'; on: boolean }

export function storageFor(consent: Consent): StorageTarget {
  return consent === 'granted' ? 'persistent' : consent === 'pending' ? 'memory' : 'none'
}

export function initialState(consent: Consent, gpc: boolean): EngineState {
  const c: Consent = gpc ? 'denied' : consent
  return { consent: c, gpc, paused: false, blocked: [], storage: storageFor(c) }
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i])

function consentTo(s: EngineState, next: Consent, from: Origin): { state: EngineState; effects: Effect[] } {
  if (s.gpc && next !== 'denied') return { state: s, effects: [] } // GPC outranks a banner click
  if (next === s.consent) return { state: s, effects: [] }
  const publish: Effect[] = from === 'local' ? [{ kind: 'publish', what: 'consent' }] : []
  if (next === 'denied') {
    return {
      state: { ...s, consent: 'denied', storage: 'none', paused: false, blocked: [] },
      // Publish first: the other tabs stop writing before this one deletes the database.
      effects: [...publish, { kind: 'encoder', on: false }, { kind: 'destroy', deleteDb: from === 'local' }],
    }
  }
  const state: EngineState = { ...s, consent: next, storage: storageFor(next) }
  // pending → granted carries what pending kept; granted → pending carries the settings (the
  // pending store is empty otherwise); from denied there is nothing to carry.
  const carry = s.consent === 'pending' ? 'all' : s.consent === 'granted' ? 'settings' : 'none'
  return { state, effects: [...publish, { kind: 'open', target: next === 'granted' ? 'persistent' : 'memory', carry }, { kind: 'encoder', on: true }] }
}

export function transition(s: EngineState, e: EngineEvent): { state: EngineState; effects: Effect[] } {
  switch (e.type) {
    case 'consent':
      return consentTo(s, e.consent, e.from)
    case 'pause': {
      if (s.consent === 'denied' || s.paused === e.paused) return { state: s, effects: [] }
      return { state: { ...s, paused: e.paused }, effects: [{ kind: 'save-settings' }, { kind: 'publish', what: 'settings' }] }
    }
    case 'block':
    case 'unblock': {
      if (s.consent === 'denied') return { state: s, effects: [] }
      const blocked = e.type === 'block' ? (s.blocked.includes(e.category) ? s.blocked : [...s.blocked, e.category]) : s.blocked.filter((c) => c !== e.category)
      if (sameList(blocked, s.blocked)) return { state: s, effects: [] }
      return { state: { ...s, blocked }, effects: [{ kind: 'save-settings' }, { kind: 'publish', what: 'settings' }] }
    }
    case 'sync': {
      let out = e.settings.consent !== undefined ? consentTo(s, e.settings.consent, 'remote') : { state: s, effects: [] as Effect[] }
      if (out.state.consent !== 'denied') {
        const paused = e.settings.paused ?? out.state.paused
        const blocked = e.settings.blocked ?? out.state.blocked
        out = { state: { ...out.state, paused, blocked }, effects: out.effects }
      }
      return out
    }
    case 'loaded': {
      if (s.consent === 'denied') return { state: s, effects: [] }
      const blocked = [...new Set([...s.blocked, ...(e.blocked ?? [])])]
      const paused = s.paused || !!e.paused
      const changed = paused !== s.paused || !sameList(blocked, s.blocked)
      // What was in hand but not on disk (a pending tab's choices) is written back.
      const behind = paused !== !!e.paused || !sameList(blocked, e.blocked ?? [])
      return { state: changed ? { ...s, paused, blocked } : s, effects: behind ? [{ kind: 'save-settings' }] : [] }
    }
    case 'clear': {
      if (!e.settings) return { state: s, effects: [{ kind: 'clear-history' }] }
      const state = { ...s, paused: false, blocked: [] }
      return { state, effects: [{ kind: 'clear-history' }, { kind: 'save-settings' }, { kind: 'publish', what: 'settings' }] }
    }
  }
}

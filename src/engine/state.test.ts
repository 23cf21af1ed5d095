import { describe, expect, it } from 'vitest'
import { initialState, transition, type EngineState } from './state'

const granted = initialState('granted', false)
const kinds = (s: EngineState, e: Parameters<typeof transition>[1]) => transition(s, e).effects.map((f) => f.kind)

describe('engine state machine (pure)', () => {
  it('pending → granted carries events and settings, publishes before opening, and keeps pause and blocks', () => {
    let s = initialState('pending', false)
    s = transition(s, { type: 'block', category: 'Horror' }).state
    s = transition(s, { type: 'pause', paused: true }).state
    const out = transition(s, { type: 'consent', consent: 'granted', from: 'local' })
    expect(out.state).toMatchObject({ consent: 'granted', storage: 'persistent', paused: true, blocked: ['Horror'] })
    expect(out.effects).toEqual([
      { kind: 'publish', what: 'consent' },
      { kind: 'open', target: 'persistent', carry: 'all' },
      { kind: 'encoder', on: true },
    ])
  })

  it('a local withdrawal publishes first, then destroys and deletes; a remote one never deletes nor re-publishes', () => {
    expect(transition(granted, { type: 'consent', consent: 'denied', from: 'local' }).effects).toEqual([
      { kind: 'publish', what: 'consent' },
      { kind: 'encoder', on: false },
      { kind: 'destroy', deleteDb: true },
    ])
    const remote = transition(granted, { type: 'sync', settings: { consent: 'denied', paused: true, blocked: ['x'] } })
    expect(remote.effects).toEqual([
      { kind: 'encoder', on: false },
      { kind: 'destroy', deleteDb: false },
    ])
    expect(remote.state).toMatchObject({ consent: 'denied', storage: 'none', paused: false, blocked: [] })
  })

  it('GPC: starts denied and refuses every grant', () => {
    const s = initialState('granted', true)
    expect(s).toMatchObject({ consent: 'denied', storage: 'none' })
    expect(transition(s, { type: 'consent', consent: 'granted', from: 'local' })).toEqual({ state: s, effects: [] })
    expect(transition(s, { type: 'sync', settings: { consent: 'granted' } }).state.consent).toBe('denied')
  })

  it('clear keeps the settings unless asked; with settings it resets, saves and publishes', () => {
    const paused = transition(granted, { type: 'pause', paused: true }).state
    expect(transition(paused, { type: 'clear', settings: false })).toEqual({ state: paused, effects: [{ kind: 'clear-history' }] })
    const all = transition(paused, { type: 'clear', settings: true })
    expect(all.state.paused).toBe(false)
    expect(all.effects.map((f) => f.kind)).toEqual(['clear-history', 'save-settings', 'publish'])
  })

  it('settings loaded from a store merge with those in hand, and what the store lacks is written back', () => {
    const s = transition(granted, { type: 'block', category: 'a' }).state
    const out = transition(s, { type: 'loaded', paused: false, blocked: ['b'] })
    expect(out.state.blocked).toEqual(['a', 'b'])
    expect(out.effects).toEqual([{ kind: 'save-settings' }])
    expect(transition(out.state, { type: 'loaded', paused: false, blocked: ['a', 'b'] }).effects).toEqual([])
  })

  it('no-ops produce no effects; nothing changes while denied', () => {
    expect(kinds(granted, { type: 'pause', paused: false })).toEqual([])
    expect(kinds(granted, { type: 'unblock', category: 'x' })).toEqual([])
    expect(kinds(granted, { type: 'consent', consent: 'granted', from: 'local' })).toEqual([])
    const denied = initialState('denied', false)
    expect(kinds(denied, { type: 'pause', paused: true })).toEqual([])
    expect(kinds(denied, { type: 'block', category: 'x' })).toEqual([])
  })
})

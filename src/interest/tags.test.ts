/**
 * Issue 15 #7: items carry multi-valued `tags` (a film's genres), validated at the boundary,
 * stored compactly, profiled as `tag` interests (each tag alone, none the parent of another),
 * explained, blocked like categories, and read from markup.
 */
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../errors'
import type { StoredEvent } from '../events/types'
import { MAX_TAGS, validateEvent } from '../events/validate'
import { itemFromAttributes } from '../embed/items'
import { blockMatcher } from '../rank/blocks'
import { sanitizeCandidates } from '../rank/candidates'
import { rankCandidates } from '../rank/ranker'
import { packItem, unpackItem } from '../store/packed'
import { buildProfile } from './profile'

const NOW = Date.UTC(2026, 11, 1)
const clock = () => NOW

function refused(input: unknown): ValidationError {
  try {
    validateEvent(input, clock)
  } catch (e) {
    if (e instanceof ValidationError) return e
    throw e
  }
  throw new Error('accepted')
}

describe('tags at the boundary', () => {
  it('keeps a list of strings, dropping repeats; refuses a bad one naming it', () => {
    const e = validateEvent({ type: 'view_item', items: [{ id: 'psycho', tags: ['Crime', 'Horror', 'Crime'] }] }, clock)
    expect(e.items[0]!.tags).toEqual(['Crime', 'Horror'])
    expect(refused({ type: 'view_item', items: [{ id: 'a', tags: 'Horror' }] }).field).toBe('items[0].tags')
    expect(refused({ type: 'view_item', items: [{ id: 'a', tags: ['ok', 3] }] }).field).toBe('items[0].tags[1]')
    expect(refused({ type: 'view_item', items: [{ id: 'a', tags: ['ok', ''] }] }).field).toBe('items[0].tags[1]')
    expect(refused({ type: 'view_item', items: [{ id: 'a', tags: ['x'.repeat(65)] }] }).field).toBe('items[0].tags[0]')
    expect(refused({ type: 'view_item', items: [{ id: 'a', tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`) }] }).message).toMatch(/at most 16 tags/)
  })

  it('a candidate with malformed tags is still ranked, the tags ignored and reported', () => {
    const s = sanitizeCandidates([
      { id: 'a', tags: [1, 2] as unknown as string[] },
      { id: 'b', tags: ['Horror'] },
    ])
    expect(s.valid.map((c) => c.id)).toEqual(['a', 'b'])
    expect(s.issues).toEqual([{ index: 0, field: 'candidates[0].tags', reason: 'must be an array of strings', action: 'field_ignored' }])
  })

  it('stored packed: tags come back exactly, and a record without the slot reads as before', () => {
    const it1 = { id: 'psycho', category: ['Films'], tags: ['Crime', 'Horror'], price: 5.99, title: 'Psycho' }
    const packed = packItem(it1)
    expect(Array.isArray(packed)).toBe(true)
    expect(unpackItem(packed)).toEqual(it1)
    expect(unpackItem(['a', ['x']])).toEqual({ id: 'a', category: ['x'] })
  })

  it('markup: data-lr-tags="Crime, Horror" and tags in data-lr-item JSON', () => {
    const attrs = (m: Record<string, string>) => (n: string) => m[n] ?? null
    expect(itemFromAttributes(attrs({ 'data-lr-item': 'psycho', 'data-lr-tags': 'Crime, Horror, Crime' }))).toEqual({ id: 'psycho', tags: ['Crime', 'Horror'] })
    expect(itemFromAttributes(attrs({ 'data-lr-item': '{"id":"psycho","tags":["Crime","Horror"]}' }))).toEqual({ id: 'psycho', tags: ['Crime', 'Horror'] })
  })
})

const ev = (i: number, id: string, tags: string[], type: StoredEvent['type'] = 'view_item'): StoredEvent => ({
  id: `e${i}`,
  type,
  items: [{ id, tags, title: `Film ${id}` }],
  timestamp: NOW - 3600_000 + i * 60_000,
})

describe('tags in the profile and the ranker', () => {
  it('each tag is its own interest: Psycho counts for Horror as much as for Crime, and no path key appears', () => {
    const p = buildProfile([ev(0, 'psycho', ['Crime', 'Horror', 'Mystery', 'Thriller'])])
    const top = p.top(NOW, 20)
    expect(top.filter((i) => i.kind === 'category')).toEqual([])
    const tags = top.filter((i) => i.kind === 'tag')
    expect(tags.map((i) => i.key).sort()).toEqual(['Crime', 'Horror', 'Mystery', 'Thriller'])
    expect(p.weight('tag', 'Horror', NOW)).toBeCloseTo(p.weight('tag', 'Crime', NOW), 12)
    expect(p.weight('tag', 'Horror', NOW)).toBeGreaterThan(0)
  })

  it('a horror fan lifts a film tagged Horror whatever its first genre, and says why', () => {
    const history = [ev(0, 'h1', ['Horror']), ev(1, 'h2', ['Horror', 'Thriller']), ev(2, 'h3', ['Drama', 'Horror'], 'add_to_cart')]
    const list = [
      { id: 'c1', tags: ['Comedy'], score: 3 },
      { id: 'c2', tags: ['Romance'], score: 2 },
      { id: 'thing', tags: ['Action', 'Horror', 'Sci-Fi'], score: 1 },
    ]
    const r = rankCandidates(list, { now: NOW, profile: buildProfile(history), historySize: history.length }, { explain: true })
    expect(r.items[0]!.id).toBe('thing')
    expect(r.items[0]!.explanation.map((e) => e.text)).toContain('3 items tagged Horror you added to your cart or viewed')
  })

  it('blocking "Horror" blocks items tagged Horror', () => {
    const m = blockMatcher(['Horror'])
    expect(m.blocks({ id: 'x', tags: ['Action', 'Horror'] })).toBe(true)
    expect(m.blocks({ id: 'y', tags: ['Action'] })).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import { createProfile } from '../interest'
import { CONTENT_COVERAGE_LIMIT, CONTENT_RULE_MIN_CANDIDATES, profileSpeaks } from './signals'

const t = Date.UTC(2026, 5, 1)
const genres = ['Comedy', 'Drama', 'Horror', 'Action']
const list = (n: number, cat: (i: number) => string[]) => Array.from({ length: n }, (_, i) => ({ id: `m${i}`, category: cat(i) }))

function profileOf(...events: Array<{ id: string; category: string[]; neighbours?: Array<[string, number]> }>) {
  const p = createProfile()
  events.forEach((it, k) => p.add({ id: `e${k}`, type: 'view_item', timestamp: t - 1000 * (k + 1), items: [it] } as never))
  return p
}

describe('signal-dependent default: does the profile reorder this list?', () => {
  it('content matching a few candidates speaks; content matching most of the list does not', () => {
    const p = profileOf({ id: 'h1', category: ['Horror'] })
    expect(
      profileSpeaks(
        p,
        list(40, (i) => [genres[i % 4]!]),
        t,
        false,
      ),
    ).toBe(true) // 25% Horror
    // Every candidate carries a Horror genre among others (MovieLens-like): 100% covered.
    expect(
      profileSpeaks(
        p,
        list(40, (i) => ['Horror', genres[i % 4]!]),
        t,
        false,
      ),
    ).toBe(false)
    expect(CONTENT_COVERAGE_LIMIT).toBeGreaterThan(0.25)
    expect(CONTENT_COVERAGE_LIMIT).toBeLessThan(1)
  })

  it('behavioural evidence always speaks: a candidate from the history, carried neighbours, or a loaded table', () => {
    const p = profileOf({ id: 'h1', category: ['Horror'] })
    const covered = list(40, () => ['Horror'])
    expect(profileSpeaks(p, covered, t, false)).toBe(false)
    expect(profileSpeaks(p, [...covered, { id: 'h1', category: ['Horror'] }], t, false)).toBe(true)
    expect(profileSpeaks(p, [...covered, { id: 'x', category: ['Horror'], neighbours: [['h1', 0.5]] }], t, false)).toBe(true)
    expect(profileSpeaks(p, covered, t, true)).toBe(true)
  })

  it('malformed entries are skipped, never thrown on; short lists always speak', () => {
    const p = profileOf({ id: 'h1', category: ['Horror'] })
    expect(profileSpeaks(p, [null, 3, 'x', { id: 7 }, ...list(30, () => ['Drama'])], t, false)).toBe(true)
    expect(profileSpeaks(p, [null, 3, 'x', { id: 7 }, ...list(30, () => ['Horror'])], t, false)).toBe(false)
    expect(profileSpeaks(p, [], t, false)).toBe(true)
    // Two of three match: a cross-sell strip, not a statistic (e2e/embed.spec.ts's garden list).
    expect(
      profileSpeaks(
        p,
        list(3, (i) => [i === 1 ? 'Drama' : 'Horror']),
        t,
        false,
      ),
    ).toBe(true)
    expect(
      profileSpeaks(
        p,
        list(CONTENT_RULE_MIN_CANDIDATES, () => ['Horror']),
        t,
        false,
      ),
    ).toBe(false)
  })
})

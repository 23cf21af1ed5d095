/**
 * Issue 15 #3: impressions (`view_item_list`) as a signal. An item shown again and again and
 * never engaged with moves down, with decay, explained; the shop can switch it off; the
 * profile and the encoder do not learn from impressions.
 */
import { describe, expect, it } from 'vitest'
import { createEngine } from '../engine/engine'
import { tokenCount } from '../encoder/tokens'
import type { StoredEvent } from '../events/types'
import { buildProfile } from '../interest/profile'
import { DEFAULT_IMPRESSION_CONFIG, ImpressionLog, impressionLog, impressionPenalty } from './impressions'
import { rankCandidates } from './ranker'

const DAY = 24 * 3600 * 1000
const NOW = Date.UTC(2026, 11, 1)
let n = 0
const ev = (type: StoredEvent['type'], ids: string[], t: number): StoredEvent => ({ id: `e${n++}`, type, items: ids.map((id) => ({ id, category: ['shoes'] })), timestamp: t })
const shows = (id: string, k: number, t = NOW - 3600_000) => Array.from({ length: k }, (_, i) => ev('view_item_list', [id, 'other'], t + i * 60_000))

describe('ImpressionLog', () => {
  it('counts impressions with decay, and any engagement, before or after, cancels them', () => {
    const log = impressionLog([...shows('a', 5), ...shows('b', 5), ev('view_item', ['b'], NOW - 7200_000), ...shows('c', 5), ev('add_to_cart', ['c'], NOW)])
    expect(log.decayed('a', NOW, 7 * DAY)).toBeCloseTo(5, 1)
    expect(log.decayed('b', NOW, 7 * DAY)).toBe(0)
    expect(log.decayed('c', NOW, 7 * DAY)).toBe(0)
    // One half-life later each counts half.
    expect(log.decayed('a', NOW + 7 * DAY, 7 * DAY)).toBeCloseTo(2.5, 1)
    expect(log.times('a')).toBe(5)
  })

  it('keeps a bounded number of impressions per item', () => {
    const log = new ImpressionLog()
    for (const e of shows('a', 500)) log.add(e)
    expect(log.times('a')).toBe(32)
  })

  it('penalty: none within the grace, grows like a log, 0 when switched off', () => {
    const log = impressionLog([...shows('two', 2), ...shows('five', 5), ...shows('twenty', 20)])
    const p = (id: string, w = DEFAULT_IMPRESSION_CONFIG.weight) => impressionPenalty(log, id, NOW, { ...DEFAULT_IMPRESSION_CONFIG, weight: w })
    expect(p('two')).toBe(0)
    expect(p('five')).toBeGreaterThan(0)
    expect(p('twenty')).toBeGreaterThan(p('five'))
    expect(p('twenty') / p('five')).toBeLessThan(20 / 5)
    expect(p('twenty', 0)).toBe(0)
  })
})

describe('impressions in the ranker', () => {
  const history = [ev('view_item', ['s1'], NOW - 2 * DAY), ev('view_item', ['s2'], NOW - DAY), ...shows('ignored', 10)]
  // Two shoes (the shopper's interest) among hats: a personal signal, so the profile path runs.
  const list = ['ignored', 'x1', 'x2', 'x3', 'x4'].map((id, i) => ({ id, category: [i < 2 ? 'shoes' : 'hats'], score: 10 - i }))
  // Weight 1 here tests the mechanism; the default (0.25) is what the offline run chose.
  const ctx = (extra: object = {}) => ({ now: NOW, profile: buildProfile(history), historySize: 2, impressions: { log: impressionLog(history), config: { weight: 1 } }, ...extra })

  it('an item shown 10 times and never opened moves down, and says why', () => {
    const r = rankCandidates(list, ctx(), { explain: true })
    const at = r.items.findIndex((i) => i.id === 'ignored')
    expect(at).toBeGreaterThan(0)
    expect(r.items[at]!.explanation).toContainEqual({ text: 'Moved down: shown to you 10 times, never opened', source: 'demotion' })
    // Positive control: without impressions it keeps the top (same profile for all five).
    expect(rankCandidates(list, ctx({ impressions: null })).items[0]!.id).toBe('ignored')
  })

  it('switched off (weight 0): the order without impressions', () => {
    const off = rankCandidates(list, ctx({ impressions: { log: impressionLog(history), config: { weight: 0 } } }))
    expect(off.items.map((i) => i.id)).toEqual(rankCandidates(list, ctx({ impressions: null })).items.map((i) => i.id))
  })

  // Issue 11: the encoder's default weight went from 3 to 50. The penalty scales with the
  // weights in use, so its pull against the fused scores is the same at any weights.
  const order = (r: { items: ReadonlyArray<{ id: string }> }) => r.items.map((i) => i.id)
  const encoderScores = Float64Array.from([1, 0.97, 0.5, 0.2, 0.1])
  it('scaling every fusion weight leaves the order with impressions alone (profile and encoder paths)', () => {
    for (const extra of [{}, { encoderScores }]) {
      const base = order(rankCandidates(list, ctx({ ...extra, config: { weights: { server: 1, profile: 3, encoder: 50 } } })))
      for (const k of [0.1, 7]) expect(order(rankCandidates(list, ctx({ ...extra, config: { weights: { server: k, profile: 3 * k, encoder: 50 * k } } })))).toEqual(base)
    }
  })

  it('on the encoder path at the default weights, the default penalty still moves an ignored item down', () => {
    const dflt = (extra: object) => ctx({ encoderScores, impressions: { log: impressionLog(history), config: {} }, ...extra })
    const r = rankCandidates(list, dflt({}), { explain: true })
    expect(r.path).toBe('encoder')
    // Positive control: the encoder alone puts it first, just ahead of x1.
    expect(order(rankCandidates(list, dflt({ impressions: null })))[0]).toBe('ignored')
    expect(order(r)[0]).toBe('x1')
    expect(r.items[1]!.explanation.map((e) => e.text)).toContain('Moved down: shown to you 10 times, never opened')
  })

  it('the profile and the encoder do not learn from impressions', () => {
    const onlyShows = shows('ignored', 10)
    expect(buildProfile(onlyShows).size).toBe(0)
    expect(onlyShows.map(tokenCount)).toEqual(onlyShows.map(() => 0))
  })
})

describe('impressions through the engine', () => {
  async function engineWith(options: object) {
    let t = NOW - 3 * 3600_000
    const engine = await createEngine({ storage: 'memory', clock: () => t, dbName: `imp-${n++}`, ...options })
    await engine.track({ type: 'view_item', items: [{ id: 's1', category: ['shoes'] }] })
    for (let i = 0; i < 8; i++) {
      t += 60_000
      await engine.track({ type: 'view_item_list', items: [{ id: 'ignored' }, { id: 'x1' }] })
    }
    t += 60_000
    await engine.track({ type: 'select_item', items: [{ id: 'x1', category: ['shoes'] }] })
    return engine
  }
  const list = ['ignored', 'x1', 'x2', 'x3'].map((id, i) => ({ id, category: ['shoes'], score: 10 - i }))

  it('track({ type: "view_item_list" }) demotes the ignored item, not the one selected later; impressions: false keeps it', async () => {
    const on = await engineWith({ impressions: { weight: 1 } })
    const r = await on.rerank(list, { explain: true })
    expect(r.path).toBe('profile')
    const ignored = r.items.find((i) => i.id === 'ignored')!
    expect(r.items.indexOf(ignored)).toBeGreaterThan(0)
    expect(ignored.explanation.map((e) => e.text)).toContain('Moved down: shown to you 8 times, never opened')
    expect(r.items.find((i) => i.id === 'x1')!.explanation.some((e) => e.source === 'demotion')).toBe(false)
    const off = await engineWith({ impressions: false })
    const r2 = await off.rerank(list, { explain: true })
    expect(r2.items.flatMap((i) => i.explanation).some((e) => e.text.startsWith('Moved down: shown'))).toBe(false)
    await on.dispose()
    await off.dispose()
  })

  it('a history of impressions alone is no history: the server order', async () => {
    const engine = await createEngine({ storage: 'memory', clock: () => NOW, dbName: `imp-${n++}` })
    for (let i = 0; i < 5; i++) await engine.track({ type: 'view_item_list', items: [{ id: 'ignored' }] })
    const r = await engine.rerank(list)
    expect(r.path).toBe('server')
    expect(r.reason).toBe('no history yet')
    await engine.dispose()
  })

  it('a bad impressions option is reported by name and dropped', async () => {
    const errors: string[] = []
    const engine = await createEngine({ storage: 'memory', impressions: { weight: -1 }, onError: (e) => errors.push(e.message) })
    expect(errors.some((m) => m.startsWith('impressions:'))).toBe(true)
    await engine.dispose()
  })
})

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Item, StoredEvent } from '../../events/types'
import { DEFAULT_CONFIG } from '../../encoder/config'
import type { Dataset } from '../data/types'
import { leaveOneOut } from '../protocol'
import { candidatesFor } from '../protocol/candidates'
import { hitAt, rankInfo } from '../metrics/rank'
import { epochWindows, makeBatch } from './batches'
import { buildTrainData } from './data'
import { initTf } from './tf-node'
import { train, type TrainOptions } from './trainer'
import { mulberry32 } from '../../rng'

/**
 * A fixture shop: 40 items in 4 genres, 60 shoppers who walk the catalogue in steps of +1
 * (with a little noise), so the next item is predictable from the last one.
 */
function fixture(): Dataset {
  const rand = mulberry32(3)
  const genres = ['Comedy', 'Drama', 'Horror', 'Sci-Fi']
  const items = new Map<string, Item>()
  for (let i = 0; i < 40; i++) items.set(`i${i}`, { id: `i${i}`, category: [genres[i % 4]!], title: `Item ${i}` })
  const users = Array.from({ length: 60 }, (_, u) => {
    let cur = Math.floor(rand() * 40)
    const events: StoredEvent[] = Array.from({ length: 14 + (u % 9) }, (_, k) => {
      cur = rand() < 0.85 ? (cur + 1) % 40 : Math.floor(rand() * 40)
      return { id: `u${u}e${k}`, type: 'view_item', items: [items.get(`i${cur}`)!], timestamp: 1_600_000_000_000 + u * 1e9 + k * 120_000 }
    })
    return { id: `u${u}`, events }
  })
  return { name: 'fixture', files: [], items, meta: new Map(), users, reports: [], unknownItems: 0, eventMapping: 'implicit' }
}

/**
 * HR@10 of chance and of popularity order on the validation lists the trainer scores
 * (protocol/candidates.ts, uniform negatives, same seed), with the evaluator's expected ties.
 */
function baselines(split: ReturnType<typeof leaveOneOut>, seed: number) {
  let chance = 0
  let popularity = 0
  let users = 0
  for (const u of split.users) {
    const c = candidatesFor(split, u, 'val', 'uniform', seed)
    if (!c) continue
    users++
    const target = c.ids.indexOf(c.target)
    chance += Math.min(1, 10 / c.ids.length)
    popularity += hitAt(
      rankInfo(
        c.ids.map((id) => split.trainPopularity.get(id) ?? 0),
        target,
      ),
      10,
    )
  }
  chance /= users
  popularity /= users
  return { users, chance, popularity, best: Math.max(chance, popularity) }
}

const base = { ...DEFAULT_CONFIG, d: 16, ffn: 32, featBuckets: 256, featSlots: 6, maxLen: 20 }

function options(over: Partial<TrainOptions> = {}): TrainOptions {
  return {
    epochs: 4,
    batch: 16,
    len: 12,
    negatives: 16,
    lr: 0.01,
    dropout: 0.1,
    idDropout: 0.1,
    seed: 5,
    evalEvery: 2,
    patience: 10,
    maxMinutes: 5,
    protocolSeed: 42,
    valUsers: 0,
    checkpoint: '',
    resume: false,
    log: () => {},
    progress: false,
    ...over,
  }
}

beforeAll(async () => {
  await initTf('wasm')
})

describe('trainer', () => {
  it('windows tile every training token once per epoch and batches mask accidental hits', () => {
    const ds = fixture()
    const split = leaveOneOut(ds)
    const data = buildTrainData(ds, split, base)
    const wins = epochWindows(data, 12, mulberry32(1))
    const targets = new Map<number, number>()
    for (const w of wins) for (let i = w.start + 1; i < w.end; i++) targets.set(w.user * 1000 + i, (targets.get(w.user * 1000 + i) ?? 0) + 1)
    const expected = data.users.reduce((a, u) => a + Math.max(0, u.trainLen - 1), 0)
    expect(targets.size).toBe(expected) // every token after the first is a target…
    expect(Math.max(...targets.values())).toBe(1) // …exactly once
    const b = makeBatch(data, data.cfg, wins.slice(0, 8), 12, { negatives: 30, idDropout: 0 }, mulberry32(2))
    let hits = 0
    for (let t = 0; t < b.pos.length; t++)
      for (let k = 0; k < b.neg.length; k++)
        if (b.negMask[t * b.neg.length + k] !== 0) {
          hits++
          expect(b.uRows[b.neg[k]!]).toBe(b.uRows[b.target[t]!])
        }
    expect(hits).toBeGreaterThan(0) // 30 of 40 items as negatives: collisions are certain
    // Mixed negatives: every target item is in the pool (masked for its own row), with log Q ≤ 0.
    const m = makeBatch(data, data.cfg, wins.slice(0, 8), 12, { negatives: 4, idDropout: 0, inBatch: true }, mulberry32(2))
    const K = m.neg.length
    expect(K).toBeGreaterThan(4)
    for (let t = 0; t < m.pos.length; t++) {
      let own = 0
      for (let k = 0; k < K; k++) if (m.negMask[t * K + k] !== 0) own++
      expect(own).toBe(1)
    }
    expect(m.negLogQ).toHaveLength(K)
    expect(m.posLogQ).toHaveLength(m.pos.length)
    for (const q of [...m.negLogQ, ...m.posLogQ]) expect(q).toBeLessThanOrEqual(0)
  })

  it('a tiny run learns (loss falls, validation beats chance) and resumes exactly from its checkpoint', async () => {
    const ds = fixture()
    const split = leaveOneOut(ds)
    const data = buildTrainData(ds, split, base)
    const t0 = Date.now()
    const full = await train(data, split, options())
    expect(Date.now() - t0).toBeLessThan(60_000)
    const losses = full.history.map((h) => h.loss)
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.8)
    // Beat the baselines on the trainer's own validation lists, by a margin from the data: chance
    // (10 of a list of ~21 unseen items, ~0.5) and popularity (the server's order), plus three
    // standard errors of a proportion over these users. A model that learned nothing but the
    // popular items cannot clear it; the +1 walk is 85% predictable from the last item.
    const bl = baselines(split, 42)
    const margin = 3 * Math.sqrt((bl.best * (1 - bl.best)) / bl.users)
    console.log(`[train.test] val HR@10 ${full.bestVal!.hr10.toFixed(3)} vs chance ${bl.chance.toFixed(3)}, popularity ${bl.popularity.toFixed(3)} (+ margin ${margin.toFixed(3)}, ${bl.users} users)`)
    expect(full.bestVal!.users).toBe(bl.users)
    expect(full.bestVal!.hr10, `chance ${bl.chance.toFixed(3)}, popularity ${bl.popularity.toFixed(3)}, margin ${margin.toFixed(3)}`).toBeGreaterThan(bl.best + margin)
    const dir = mkdtempSync(join(tmpdir(), 'lr-train-'))
    await train(data, split, options({ epochs: 2, checkpoint: dir }))
    const resumed = await train(data, split, options({ checkpoint: dir, resume: true }))
    // Same windows, negatives and dropout masks; equal up to float rounding (tfjs's Adam
    // recomputes β^t as a power on restore instead of the running product).
    resumed.history.forEach((h, i) => expect(h.loss).toBeCloseTo(losses[i]!, 5))
    expect(resumed.history).toHaveLength(4)
    expect(resumed.bestVal!.ndcg10).toBeCloseTo(full.bestVal!.ndcg10, 3)
  }, 120_000)
})

describe('export', () => {
  it('keeps other sections of LICENSE-DATA.md and refreshes its own in place', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs')
    const { writeLicenseSection } = await import('./export')
    const dir = mkdtempSync(join(tmpdir(), 'lr-lic-'))
    const other = '# Data licence\n\n<!-- similarity -->\nThe user may not state or imply any endorsement …\n<!-- end similarity -->\n'
    writeFileSync(join(dir, 'LICENSE-DATA.md'), other)
    writeLicenseSection(dir, { dataset: 'ml', users: 3, parameters: 10, sha256: 'a'.repeat(64) })
    writeLicenseSection(dir, { dataset: 'ml', users: 3, parameters: 10, sha256: 'b'.repeat(64) })
    const text = readFileSync(join(dir, 'LICENSE-DATA.md'), 'utf8')
    expect(text.startsWith(other.trimEnd())).toBe(true)
    expect(text.match(/encoder model: written/g)).toHaveLength(1)
    expect(text).toContain('b'.repeat(64))
    expect(text).not.toContain('a'.repeat(64))
    expect(text).toMatch(/Harper and Joseph A\. Konstan/)
  })
})

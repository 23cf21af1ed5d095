import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildProfile, parseSimilarityTable } from '../../interest'
import { rankCandidates } from '../../rank'
import { DatasetError, DEFAULT_MOVIELENS_DIR, loadDataset } from '../data'
import { candidatesFor } from '../protocol/candidates'
import { main } from './cli'
import { createContext } from './context'
import { profileModel } from './models'
import { serverList } from './run'

const DATASET = resolve(DEFAULT_MOVIELENS_DIR)

/** Fail (never skip) with a message that says what to do. */
function requireDataset(): void {
  if (!existsSync(join(DATASET, 'ratings.csv')) || !existsSync(join(DATASET, 'movies.csv'))) {
    throw new Error(`MovieLens ml-latest-small is missing: expected ratings.csv and movies.csv in ${DATASET} (the repository reads datasets from ../shared/datasets/, see its README)`)
  }
}

describe('offline evaluation on ml-latest-small', () => {
  it('runs the whole pipeline for a few users and writes every figure', async () => {
    requireDataset()
    const out = join(mkdtempSync(join(tmpdir(), 'lr-eval-')), 'r.json')
    const r = await main(['--model', 'baselines,profiles', '--limit-users', '25', '--protocol', 'uniform,popularity', '--phase', 'both', '--bootstrap', '200', '--json', out])
    expect(r.code).toBe(0)
    const j = JSON.parse(readFileSync(out, 'utf8')) as {
      dataset: { users: number; evalUsers: number; malformed: number }
      results: Array<{ model: string; protocol: string; phase: string; users: number; metrics: Record<string, { mean: number; lo: number; hi: number }> }>
    }
    expect(j.dataset.users).toBe(610)
    expect(j.dataset.malformed).toBe(0)
    expect(j.dataset.evalUsers).toBe(25)
    const models = new Set(j.results.map((x) => x.model))
    for (const m of ['popularity', 'random', 'recency', 'cooc-last', 'cooc-all', 'profile', 'profile-exponential', 'profile-linear', 'profile-window', 'profile-power', 'profile-none'])
      expect(models).toContain(m)
    expect(models.size).toBe(12)
    expect(j.results).toHaveLength(models.size * 2 * 2)
    for (const row of j.results) {
      expect(row.users).toBe(25)
      for (const [name, v] of Object.entries(row.metrics)) {
        expect(v.mean, `${row.model} ${name}`).toBeGreaterThanOrEqual(0)
        expect(v.mean, `${row.model} ${name}`).toBeLessThanOrEqual(1)
        if (!name.startsWith('Coverage')) expect(v.lo <= v.mean + 1e-12 && v.mean <= v.hi + 1e-12, `${row.model} ${name} CI`).toBe(true)
      }
      // HR is monotone in K.
      expect(row.metrics['HR@5']!.mean).toBeLessThanOrEqual(row.metrics['HR@10']!.mean)
      expect(row.metrics['HR@10']!.mean).toBeLessThanOrEqual(row.metrics['HR@20']!.mean)
    }
  }, 120_000)

  it('scores with the browser path: the same numbers as buildProfile + rankCandidates by hand', async () => {
    requireDataset()
    const ds = loadDataset(DATASET)
    const ctx = createContext(ds, { seed: 1 })
    const u = ctx.split.users.find((x) => x.test)!
    const model = profileModel({ name: 'p', description: '' })
    const session = model.create(ctx).session(u)
    for (let i = 0; i < u.test!.index; i++) session.add(u.events[i]!)
    const c = candidatesFor(ctx.split, u, 'test', 'uniform', 1)!
    const list = serverList(c.ids, (id) => ({ ...ds.items.get(id)!, score: ctx.popularity(id) }))
    const now = u.test!.event.timestamp
    const viaModel = await session.score(list, now)
    const byHand = rankCandidates(list, { now, profile: buildProfile(u.events.slice(0, u.test!.index), undefined, ctx.similarity()) }, { explain: false })
    const expected = new Float64Array(list.length)
    for (const it of byHand.items) expected[it.serverRank] = it.score
    expect(byHand.path).toBe('profile')
    expect(Array.from(viaModel)).toEqual(Array.from(expected))
  }, 60_000)

  it('writes the similarity artifact under the size budget, with the licence beside it, keeping other sections', async () => {
    requireDataset()
    const d = mkdtempSync(join(tmpdir(), 'lr-sim-'))
    writeFileSync(join(d, 'LICENSE-DATA.md'), '# Data licence\n\n## model.json\n\nThe trained model section.\n')
    const out = join(d, 'similarity.json')
    for (let run = 0; run < 2; run++) await main(['--model', 'popularity', '--protocol', 'uniform', '--limit-users', '1', '--bootstrap', '10', '--write-similarity', out])
    const text = readFileSync(out, 'utf8')
    expect(Buffer.byteLength(text)).toBeLessThan(1_500_000)
    const table = parseSimilarityTable(text)
    expect(table.pairs).toBeGreaterThan(10_000)
    expect(table.neighbors('356').length).toBeGreaterThan(0) // Forrest Gump, the most-rated movie
    const lic = readFileSync(join(d, 'LICENSE-DATA.md'), 'utf8')
    expect(lic).toContain('The trained model section.')
    expect(lic).toContain('Harper and Joseph A. Konstan')
    expect(lic.match(/## similarity\.json/g)).toHaveLength(1) // replaced, not appended twice
  }, 120_000)

  it('reports a missing dataset with the path it expected', async () => {
    const missing = join(tmpdir(), 'lr-no-such-dataset')
    await expect(main(['--dataset', missing, '--limit-users', '1'])).rejects.toThrow(DatasetError)
    await expect(main(['--dataset', missing])).rejects.toThrow(missing)
  })
})

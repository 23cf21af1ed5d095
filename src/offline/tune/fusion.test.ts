/**
 * `npm run tune -- --encoder DIR` (fusion.ts) and the evaluator's `encoder+profile-tuned` row.
 * The model is a seeded random encoder over the synthetic shop's own items (tinyArtifact with
 * this catalogue's vocabulary): what matters here is the wiring (cached encoder scores, the
 * weights written, the evaluator scoring the same file the same way), not the model's quality.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FIRST_ITEM_ROW } from '../../encoder/config'
import { tinyArtifact, tinyConfig } from '../../encoder/testing'
import type { RankerConfig } from '../../rank/defaults'
import { parseTunedConfig, type TunedOptions } from '../../tuned/format'
import { loadDataset } from '../data'
import { writeSyntheticShop } from '../data/synthetic-cli'
import { main as evalMain } from '../eval/cli'
import { createContext } from '../eval/context'
import { profileModel } from '../eval/models/profile'
import { leaveOneOut } from '../protocol/split'
import { initTf } from '../train/tf-node'
import { main } from './cli'
import { FUSION_GRIDS, fusedModel, tuneFusion, withWeights } from './fusion'
import { parseObjective, ValidationLists } from './objective'

const dir = mkdtempSync(join(tmpdir(), 'lr-fusion-'))
writeSyntheticShop({ products: 400, users: 160, seed: 5 }, dir, true)
const events = join(dir, 'events.csv')
const items = join(dir, 'items.csv')
const load = () => loadDataset(events, { items })
const modelDir = join(dir, 'model')
const foreignDir = join(dir, 'foreign')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function writeModel(out: string, vocab: string[] | null): Promise<void> {
  const n = vocab?.length ?? 30
  const { artifact, bytes } = await tinyArtifact({ cfg: tinyConfig({ maxLen: 40 }, n), seed: 3 })
  if (vocab) artifact.vocab = vocab
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'model.json'), JSON.stringify(artifact))
  writeFileSync(join(out, 'weights.bin'), bytes)
}

beforeAll(async () => {
  await initTf('cpu')
  const split = leaveOneOut(load())
  await writeModel(modelDir, [...split.universe])
  expect(split.universe.length + FIRST_ITEM_ROW).toBeGreaterThan(100)
  await writeModel(foreignDir, null)
}, 60_000)

/** A tuned profile point that differs from the defaults (so the base options really travel). */
const base: TunedOptions = {
  profile: { long: { name: 'linear', horizonMs: 7 * 86_400_000 }, featureWeights: { item: 100, category: 0.3 } },
  ranker: { weights: { server: 1, profile: 10, encoder: 3 }, serverTransform: 'rank' },
}

describe('fusion weight search (--encoder)', () => {
  it('starts at the tuned profile alone, never ends below it, and each point scores as a fresh evaluator row with the live encoder', async () => {
    const ctx = createContext(load(), { seed: 2 })
    const lists = new ValidationLists(ctx, parseObjective('mix'), { seed: 2, limitUsers: 60 })
    const r = await tuneFusion(lists, base, modelDir, { maxPasses: 1, minGain: 0, similarity: true })
    // Encoder weight 0 is the tuned profile exactly (rerank with no encoder, the profile row).
    const alone = await lists.score(profileModel({ name: 'p', description: '', profile: base.profile, ranker: base.ranker as Partial<RankerConfig>, similarity: true }))
    expect(r.start.weights.encoder).toBe(0)
    expect(r.start.score.value).toBe(alone.value)
    expect(r.best.score.value).toBeGreaterThanOrEqual(r.start.score.value)
    // The encoder scored every list once; every other point reused its scores.
    const nLists = lists.users.reduce((s, u) => s + u.cases.length, 0)
    expect(r.encoderLists).toBe(nLists)
    // One evaluation per grid value (0, the start, is scored once).
    expect(r.evaluations).toBe(FUSION_GRIDS.encoder.length)
    expect(r.best.weights.server).toBe(1)
    expect(r.best.weights.profile).toBe(10)
    // A point with the encoder's weight on (from the trace) and the best one, through an
    // evaluator row that runs the encoder itself (no cache): the same objective, to the bit.
    const tried = r.trace.find((t) => t.dim === 'ranker.weights.encoder')!.tried
    const w5 = tried.find((t) => t.value === 5)!
    const live5 = await lists.score(fusedModel(modelDir, withWeights(base, { ...r.start.weights, encoder: 5 }), true))
    expect(live5.value).toBe(w5.objective)
    // The encoder does change the ranking (else this test could not tell a cache from nothing).
    expect(live5.value).not.toBe(alone.value)
    const liveBest = await lists.score(fusedModel(modelDir, withWeights(base, r.best.weights), true))
    expect(liveBest.value).toBe(r.best.score.value)
  }, 300_000)
})

describe('npm run tune -- --encoder, then npm run eval -- --config', () => {
  const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
    const a = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const b = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      return await f()
    } finally {
      a.mockRestore()
      b.mockRestore()
    }
  }
  const io = () => {
    const o = { out: '', err: '' }
    return { o, io: { out: (s: string) => void (o.out += s), err: (s: string) => void (o.err += s), tty: false } }
  }

  it('writes the tuned encoder weight into the file the library loads; the evaluator scores that file with the encoder as the tuner did', async () => {
    const out = join(dir, 'tuned-enc.json')
    const a = io()
    const args = ['--dataset', events, '--items', items, '--out', out, '--limit-users', '50', '--passes', '1', '--encoder', modelDir]
    expect(await main(args, a.io)).toBe(0)
    expect(a.o.err).toMatch(/fusion with the encoder/)
    const json = JSON.parse(readFileSync(out, 'utf8'))
    const opts = parseTunedConfig(json)
    expect(opts.ranker.weights).toEqual(json.meta.encoder.weights)
    expect(json.meta.encoder.sha256).toBe(JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')).sha256)
    expect(json.meta.encoder.validation.fused.objective).toBeGreaterThanOrEqual(json.meta.encoder.validation.profile.objective)
    expect(json.meta.validation.tuned.objective).toBe(json.meta.encoder.validation.profile.objective)

    // The evaluator's rows for the same file on the same validation lists: the profile alone and
    // the encoder fused with the file's weights, the figures the tuner wrote.
    const j = join(dir, 'eval-enc.json')
    await quiet(() =>
      evalMain([
        '--dataset',
        events,
        '--items',
        items,
        '--protocol',
        'popularity,category',
        '--phase',
        'val',
        '--model',
        'encoder',
        '--encoder',
        modelDir,
        '--config',
        out,
        '--limit-users',
        '50',
        '--bootstrap',
        '20',
        '--json',
        j,
      ]),
    )
    const res = (JSON.parse(readFileSync(j, 'utf8')) as { results: Array<{ model: string; protocol: string; metrics: Record<string, { mean: number }> }> }).results
    const rows = [...new Set(res.map((r) => r.model))]
    expect(rows).toEqual(['encoder', 'profile-tuned', 'encoder+profile-tuned'])
    const mean = (model: string, p: string) => res.find((r) => r.model === model && r.protocol === p)!.metrics['NDCG@10']!.mean
    for (const p of ['popularity', 'category']) {
      expect(mean('encoder+profile-tuned', p), p).toBeCloseTo(json.meta.encoder.validation.fused.protocols[p], 10)
      expect(mean('profile-tuned', p), p).toBeCloseTo(json.meta.encoder.validation.profile.protocols[p], 10)
    }
  }, 300_000)

  it('--from FILE re-tunes only the encoder weight of a file, on the lists it was tuned on', async () => {
    const first = join(dir, 'tuned-enc.json')
    const again = join(dir, 'tuned-from.json')
    const common = ['--dataset', events, '--items', items, '--limit-users', '50', '--encoder', modelDir]
    const a = io()
    expect(await main([...common, '--from', first, '--out', again], a.io)).toBe(0)
    expect(a.o.err).toMatch(/tuning ranker.weights.encoder only/)
    expect(a.o.err).not.toMatch(/pass 1\/\d featureWeights/)
    const j1 = JSON.parse(readFileSync(first, 'utf8'))
    const j2 = JSON.parse(readFileSync(again, 'utf8'))
    // Same profile, same lists, same model: the same weights and validation figures.
    expect(j2.profile).toEqual(j1.profile)
    expect(j2.ranker).toEqual(j1.ranker)
    expect(j2.meta.encoder.validation).toEqual(j1.meta.encoder.validation)
    expect(j2.meta.validation.tuned).toEqual(j1.meta.validation.tuned)
    // Other lists than the file's, or no encoder: refused.
    await expect(main(['--dataset', events, '--items', items, '--limit-users', '40', '--encoder', modelDir, '--from', first, '--out', join(dir, 'x.json')], io().io)).rejects.toThrow(
      /--from: .* 50 users.* 40 users/,
    )
    await expect(main(['--dataset', events, '--items', items, '--from', first, '--out', join(dir, 'y.json')], io().io)).rejects.toThrow(/--from needs --encoder/)
  }, 300_000)

  it('refuses an encoder trained on another catalogue, and a directory without a model', async () => {
    const out = join(dir, 'never.json')
    await expect(main(['--dataset', events, '--items', items, '--out', out, '--encoder', foreignDir], io().io)).rejects.toThrow(/--encoder: .*trained on another catalogue/)
    await expect(main(['--dataset', events, '--items', items, '--out', out, '--encoder', join(dir, 'nothing')], io().io)).rejects.toThrow(/no model\.json/)
  }, 60_000)
})

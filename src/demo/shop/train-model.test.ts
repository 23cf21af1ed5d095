/**
 * train-model.ts's evaluators against the trainer's: the candidate-only evaluator must give
 * `evaluate`'s figures (it only skips scoring products that are not candidates), and the
 * popularity baseline must rank by training frequency on the same users.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, FIRST_ITEM_ROW, ROW_OOV } from '../../encoder/config'
import { initWeights } from '../../encoder/model'
import { loadEventLog } from '../../offline/data/eventlog'
import { writeSyntheticShop } from '../../offline/data/synthetic-cli'
import { leaveOneOut, type Split } from '../../offline/protocol'
import { buildTrainData, type TrainData } from '../../offline/train/data'
import { evaluate } from '../../offline/train/evaluate'
import { initTf } from '../../offline/train/tf-node'
import { paramsFrom } from '../../offline/train/trainer'
import { capVocabulary, evaluateCandidates, popularityEval } from './train-model'

let data: TrainData
let split: Split
beforeAll(async () => {
  await initTf('wasm')
  const dir = mkdtempSync(join(tmpdir(), 'lr-shop-train-'))
  writeSyntheticShop({ products: 3_000, users: 300, seed: 3 }, dir, true)
  const ds = loadEventLog(join(dir, 'events.csv'), { items: join(dir, 'items-touched.csv'), name: 'synthetic-3000' })
  split = leaveOneOut(ds)
  data = capVocabulary(buildTrainData(ds, split, { ...DEFAULT_CONFIG }), 200)
}, 60_000)

describe('shop:train evaluators', () => {
  it('the capped vocabulary keeps the most frequent ids and samples negatives from every visited product', () => {
    expect(data.vocab).toHaveLength(200)
    expect(data.cfg.vocabSize).toBe(200 + FIRST_ITEM_ROW)
    // Every dropped product is content-only and was seen in training no more often than any kept one.
    const kept = data.vocab.map((id) => data.freq[data.catalogueIndex.get(id)!]!)
    const dropped = data.catalogue
      .map((_, i) => i)
      .filter((i) => data.row[i] === ROW_OOV)
      .map((i) => data.freq[i]!)
    expect(dropped.length).toBe(data.catalogue.length - 200)
    expect(Math.max(...dropped)).toBeLessThanOrEqual(Math.min(...kept))
    expect(data.vocabCatalogue.length).toBe(data.catalogue.length)
    expect(data.catalogue.length).toBeGreaterThan(200)
  })

  it("evaluateCandidates gives evaluate's figures on the same users (uniform and popularity negatives)", () => {
    const params = paramsFrom(initWeights(data.cfg, 7))
    for (const protocol of ['uniform', 'popularity'] as const) {
      const a = evaluate(params, data.cfg, data, split, 'test', protocol, 42, { limitUsers: 120 })
      const b = evaluateCandidates(params, data, split, 'test', protocol, 42, 120)
      expect(b.users).toBe(a.users)
      expect(b.ndcg10).toBeCloseTo(a.ndcg10, 5)
      expect(b.hr10).toBeCloseTo(a.hr10, 5)
      expect(b.mrr).toBeCloseTo(a.mrr, 5)
    }
  })

  it('the popularity baseline beats chance on uniform negatives and falls below it on popularity-sampled ones', () => {
    const u = popularityEval(data, split, 'test', 'uniform', 42, 300)
    const p = popularityEval(data, split, 'test', 'popularity', 42, 300)
    // Chance: the target anywhere among 101 → HR@10 = 10/101.
    expect(u.hr10).toBeGreaterThan(0.2)
    expect(p.ndcg10).toBeLessThan(u.ndcg10)
  })
})

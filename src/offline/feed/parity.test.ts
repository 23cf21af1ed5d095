/**
 * "The same answers" (issue 10): on ml-latest-small, with the shipped model (public/model) and its
 * similarity table, feed mode — the user-side artifact, candidates and tracked items carrying
 * `vector` and `neighbours`, events stored compacted as the engine stores them, no item table and
 * no similarity table in the browser — ranks real users' candidate lists with the same fused
 * scores as whole-table mode, through the evaluator's replay of the browser's code (EncoderSession
 * + rankCandidates + the decay profile). Needs ../shared/datasets/movielens-latest-small.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Item } from '../../events/types'
import { parseSimilarityTable } from '../../interest/similarity'
import { DEFAULT_RANKER_CONFIG } from '../../rank/defaults'
import type { Candidate } from '../../rank/types'
import { DEFAULT_MOVIELENS_DIR, loadDataset } from '../data'
import { createContext } from '../eval/context'
import { encoderModel, loadFeed, type ItemPath } from '../eval/models/encoder'
import { serverList } from '../eval/run'
import type { EvalContext, ModelSpec } from '../eval/types'
import { candidatesFor, type ProtocolName } from '../protocol/candidates'
import { leaveOneOut } from '../protocol/split'

const MODEL = 'public/model'
const USERS = 60
const PROTOCOLS: ProtocolName[] = ['uniform', 'popularity']

if (!existsSync(join(DEFAULT_MOVIELENS_DIR, 'ratings.csv'))) {
  throw new Error(`parity.test.ts needs the MovieLens latest-small dataset at ${DEFAULT_MOVIELENS_DIR} (see ../shared/datasets/README.md); it is missing`)
}

const ds = loadDataset(DEFAULT_MOVIELENS_DIR)
const split = leaveOneOut(ds)
const shipped = parseSimilarityTable(JSON.parse(readFileSync(join(MODEL, 'similarity.json'), 'utf8')))
const ctx: EvalContext = { ...createContext(ds, { seed: 42 }, split), similarity: () => shipped }
const users = split.users.filter((u) => u.test && u.val).slice(0, USERS)

/** Fused scores of every (user, protocol) test list, in list order, concatenated. */
async function scores(spec: ModelSpec): Promise<Float64Array> {
  const scorer = spec.create(ctx)
  const cache = new Map<string, Candidate>()
  const cand = (id: string): Candidate => {
    let c = cache.get(id)
    if (!c) cache.set(id, (c = { ...(ds.items.get(id) ?? ({ id } as Item)), score: ctx.popularity(id) }))
    return c
  }
  const out: number[] = []
  for (const u of users) {
    const s = scorer.session(u)
    for (let k = 0; k < u.test!.index; k++) s.add(u.events[k]!)
    for (const p of PROTOCOLS) {
      const c = candidatesFor(split, u, 'test', p, 42, 100)!
      out.push(...(await s.score(serverList(c.ids, cand), u.test!.event.timestamp)))
    }
  }
  return Float64Array.from(out)
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

const spec = (path: ItemPath, withProfile: boolean, feedEncoding?: 'f32' | 'f16' | 'i8') =>
  encoderModel({
    name: `${withProfile ? 'encoder+profile' : 'encoder'}/${path}`,
    description: 'parity',
    dir: MODEL,
    itemPath: path,
    ...(feedEncoding ? { feedEncoding } : {}),
    ...(withProfile ? { withProfile: true } : { ranker: { weights: { server: 0, profile: 0, encoder: 1 } } }),
  })

describe('feed mode gives the whole-table answers on ml-latest-small (shipped model)', () => {
  for (const withProfile of [false, true]) {
    it(`${withProfile ? 'encoder + profile (neighbours carried, no similarity table)' : 'encoder alone'}: f32 vectors within 1e-4; f16 and i8 measured`, { timeout: 600_000 }, async () => {
      const table = await scores(spec('table', withProfile))
      expect(table.length).toBe(USERS * PROTOCOLS.length * 101)
      const feed = (await loadFeed(MODEL)).model
      const before = { ...feed.items.sources }
      const f32 = await scores(spec('feed', withProfile, 'f32'))
      // Candidates (embedded once per distinct vector) and every history token came from carried
      // vectors; none from a vocabulary row or from content alone.
      expect(feed.items.sources.vector - before.vector).toBeGreaterThan(1000)
      expect(feed.items.sources.row - before.row).toBe(0)
      expect(feed.items.sources.content - before.content).toBe(0)
      expect(feed.items.sources.rejected - before.rejected).toBe(0)
      expect(feed.cfg.vocabSize).toBe(3)
      const d32 = maxAbsDiff(f32, table)
      const d16 = maxAbsDiff(await scores(spec('feed', withProfile, 'f16')), table)
      const d8 = maxAbsDiff(await scores(spec('feed', withProfile, 'i8')), table)
      const w = withProfile ? DEFAULT_RANKER_CONFIG.weights.encoder : 1
      console.log(
        `parity ${withProfile ? 'encoder+profile' : 'encoder'} (${USERS} users × ${PROTOCOLS.join('+')} × 101 candidates): max |Δ fused score| f32 ${d32.toExponential(2)}, f16 ${d16.toExponential(2)}, i8 ${d8.toExponential(2)}; per unit of encoder weight (${w}) f16 ${(d16 / w).toExponential(2)}, i8 ${(d8 / w).toExponential(2)}`,
      )
      expect(d32).toBeLessThan(1e-4)
      // Lossy encodings really went through the vectors (they differ), by a bounded amount. The
      // bound is per unit of the encoder's weight in the fused score (1 alone, the library's
      // default fused: 50 since issue 11), where the vectors' rounding lands; the profile's part
      // is the same in both modes (f32 above: 0).
      expect(d16).toBeGreaterThan(0)
      expect(d8).toBeGreaterThan(d16)
      expect(d16 / w).toBeLessThan(0.01)
    })
  }
})

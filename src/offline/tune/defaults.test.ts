import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MOVIELENS_DIR, loadDataset } from '../data'
import { createContext } from '../eval/context'
import { popularity, profileModel } from '../eval/models'
import { DEFAULT_ENCODER_DIR, encoderModel, FeedJoin, loadFeed } from '../eval/models/encoder'
import type { EvalContext, ModelSpec } from '../eval/types'
import { OBJECTIVE_PROTOCOLS, parseObjective, ValidationLists, type ObjectiveProtocol } from './objective'

/**
 * Issue 11 part 4: the shipped defaults never rank below the server's order (popularity) on
 * the datasets in ../shared/datasets, under every candidate protocol, with and without the
 * item-to-item table, and with the item data that travels with the items instead (feed mode,
 * issue 10: each item's `vector` and its `neighbours` row). Validation lists of each user (seed 42); a protocol counts where it has
 * at least 30 lists. Tolerance: 0.01 NDCG@10 (about a third of the smallest 95% CI half-width
 * measured on these datasets). The defaults include the signal-dependent rule of
 * src/tuned/signals.ts, applied by the evaluator's profile model as by the engine.
 */
const REES = join(DEFAULT_MOVIELENS_DIR, '..', 'rees46-multicat-sample')
const TOLERANCE = 0.01
const ALL = parseObjective(`mix:${OBJECTIVE_PROTOCOLS.map((p) => `${p}=1`).join(',')}`)

function need(path: string): void {
  if (!existsSync(path)) throw new Error(`dataset missing at ${path}: this test needs ../shared/datasets (see ../shared/datasets/README.md); it never passes without it`)
}

/**
 * Where the profile's item data comes from: `table` (a loaded similarity table), `none`, or
 * feed rows joined onto every tracked item and every candidate as the shop's server would join
 * them (src/offline/eval/models/encoder.ts's FeedJoin, the evaluator's own join): `feed` carries
 * `vector` + `neighbours` (the table's row, no table loaded), `feed-vectors` the vector only (a
 * shop that ships the encoder's feed and no similarity table).
 */
type ItemData = 'table' | 'none' | 'feed' | 'feed-vectors' | EncoderOn

/**
 * Vectors are there for the encoder: a page with feed rows loads a model, and its default
 * ranking is the encoder fused with the default profile and the server's score (the default
 * ranker weights). `encoder-feed:DIR` is the evaluator's `encoder+profile/feed` row with the
 * model of DIR, vectors and neighbours carried by the items. Only with neighbours: there the
 * signal rule always lets the profile speak, so the evaluator's fusion is the engine's.
 */
type EncoderOn = `encoder-feed:${string}`

function modelFor(ctx: EvalContext, d: ItemData): ModelSpec {
  if (d.startsWith('encoder-feed:')) {
    const spec = encoderModel({ name: 'encoder+profile/feed', description: 'shipped defaults with a model', dir: d.slice('encoder-feed:'.length), withProfile: true, itemPath: 'feed' })
    const why = spec.unavailable?.(ctx)
    if (why) throw new Error(`${d}: ${why}`)
    return spec
  }
  const bare = profileModel({ name: 'profile', description: 'library defaults', similarity: d === 'table' })
  return d === 'feed' || d === 'feed-vectors' ? withFeedRows(bare, d === 'feed') : bare
}

/**
 * The profile never reads a `vector` (only the encoder does), so any export's vectors exercise
 * the path: the shipped one (a MovieLens model; on REES46 its content tower embeds the items).
 * What is tested is that vectors and carried neighbours reach the profile and the signal rule
 * as the engine stores and receives them, and that the defaults still never lose there.
 */
function withFeedRows(inner: ModelSpec, neighbours: boolean): ModelSpec {
  const joinOf = async (ctx: EvalContext) => new FeedJoin(await loadFeed(DEFAULT_ENCODER_DIR), neighbours ? ctx.similarity() : undefined)
  return {
    ...inner,
    create: (ctx) => {
      const scorer = inner.create(ctx)
      const joining = joinOf(ctx)
      let join: FeedJoin | null = null
      return {
        session: (user) => {
          const s = scorer.session(user)
          const held: Parameters<typeof s.add>[0][] = []
          return {
            // The join is ready only once the model has loaded: hold the events until the first list.
            add: (e) => void held.push(e),
            async score(cands, now, hint) {
              join ??= await joining
              for (const e of held.splice(0)) s.add(join.event(e))
              return s.score(
                cands.map((c) => join!.item(c)),
                now,
                hint,
              )
            },
          }
        },
      }
    },
  }
}

interface Margin {
  protocol: ObjectiveProtocol
  defaults: number
  popularity: number
}

async function margins(load: () => ReturnType<typeof loadDataset>, data: ItemData[], limitUsers?: number): Promise<Margin[][]> {
  const ds = load()
  const ctx = createContext(ds, { seed: 42 })
  const lists = new ValidationLists(ctx, ALL, { seed: 42, ...(limitUsers ? { limitUsers } : {}) })
  const pop = await lists.score(popularity)
  const out: Margin[][] = []
  for (const d of data) {
    const prof = await lists.score(modelFor(ctx, d))
    out.push((Object.keys(prof.protocols) as ObjectiveProtocol[]).filter((p) => (prof.lists[p] ?? 0) >= 30).map((p) => ({ protocol: p, defaults: prof.protocols[p]!, popularity: pop.protocols[p]! })))
  }
  return out
}

function expectNeverBelow(rows: Margin[]): void {
  expect(rows.length).toBeGreaterThanOrEqual(4)
  const losing = rows.filter((r) => r.defaults < r.popularity - TOLERANCE).map((r) => `${r.protocol}: defaults ${r.defaults.toFixed(3)} < popularity ${r.popularity.toFixed(3)}`)
  expect(losing).toEqual([])
}

const ml = () => (need(join(DEFAULT_MOVIELENS_DIR, 'ratings.csv')), loadDataset(DEFAULT_MOVIELENS_DIR))
const rees = () => (need(join(REES, 'events.csv')), loadDataset(join(REES, 'events.csv'), { items: join(REES, 'items.csv') }))

/**
 * The feed rows against what they replace: the defaults never lose with them either, and they
 * give the same figures as the table (neighbours) or as no item data (vectors only) — so the
 * rows did reach the profile and the rule (a join that dropped them would score like `none`).
 */
async function expectFeedNeverBelow(load: () => ReturnType<typeof loadDataset>, limitUsers?: number): Promise<void> {
  const [table, feed, none, vectors] = await margins(load, ['table', 'feed', 'none', 'feed-vectors'], limitUsers)
  expectNeverBelow(feed!)
  expectNeverBelow(vectors!)
  const differs = (a: Margin[], b: Margin[]) => a.filter((r, i) => r.protocol !== b[i]?.protocol || Math.abs(r.defaults - b[i].defaults) > 1e-9).map((r) => r.protocol)
  expect(differs(feed!, table!)).toEqual([])
  expect(differs(vectors!, none!)).toEqual([])
}

describe('library defaults never rank below the server order (issue 11 part 4)', () => {
  it('REES46 sample, with the similarity table', async () => expectNeverBelow((await margins(rees, ['table'], 800))[0]!), 120_000)
  it('REES46 sample, without a similarity table', async () => expectNeverBelow((await margins(rees, ['none'], 800))[0]!), 120_000)
  it('REES46 sample, item data carried by the items (feed rows: vectors with or without neighbours, no table)', () => expectFeedNeverBelow(rees, 800), 180_000)
  it('ml-latest-small, with the similarity table', async () => expectNeverBelow((await margins(ml, ['table']))[0]!), 120_000)
  // Until the signal-dependent default (src/tuned/signals.ts) this one failed: genres alone
  // lost to popularity on uniform (0.199 vs 0.336 val) and category lists (0.159 vs 0.292).
  it('ml-latest-small, without a similarity table', async () => expectNeverBelow((await margins(ml, ['none']))[0]!), 120_000)
  // The same rule holds where items carry vectors but no neighbours: a vector is no evidence the profile reads.
  it('ml-latest-small, item data carried by the items (feed rows: vectors with or without neighbours, no table)', () => expectFeedNeverBelow(ml), 180_000)
  // 200 users: the encoder replays each history through tfjs (about 16 s here); its margin over popularity is 0.2 uniform.
  it(
    'ml-latest-small, feed rows with the shipped encoder (its defaults fused with the default profile)',
    async () => expectNeverBelow((await margins(ml, [`encoder-feed:${DEFAULT_ENCODER_DIR}`], 200))[0]!),
    180_000,
  )
})

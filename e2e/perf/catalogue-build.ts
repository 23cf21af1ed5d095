/**
 * What the bench's catalogue section (catalogue.ts) measures against, built per catalogue size in
 * a temporary folder (never in the repo): a seeded synthetic shop (src/offline/data/synthetic.ts),
 * a whole-table model with a capped vocabulary, and its split into the browser's user-side
 * artifact and the item feed by the real `npm run feed` code (src/offline/feed/cli.ts `main`).
 *
 * The model, per size, is one of:
 * - `npm run shop:train`'s export for that size, when it is on disk (`.cache/shop/<N>/full/`,
 *   the trainer's default output folder): trained on that size's generated traffic;
 * - otherwise the trainer's seeded initial weights (src/encoder/model.ts `initWeights`) at the
 *   same shapes: DEFAULT_CONFIG with the vocabulary capped to the `VOCAB_CAP` most-visited
 *   products of that size's traffic. Sizes and timings depend on the shapes only (the same
 *   tensors are downloaded, multiplied and scored whatever their values), so the figures hold
 *   for a trained model of those shapes; ranking quality is not what this section measures.
 * Neighbours come from the item-to-item co-occurrence of the generated traffic (the offline
 * similarity of src/offline/similarity, as for the shipped table), 25 per product as in the README.
 */
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { DEFAULT_CONFIG, FIRST_ITEM_ROW, type EncoderConfig } from '../../src/encoder/config'
import { initWeights } from '../../src/encoder/model'
import type { Item } from '../../src/events/types'
import { loadEventLog } from '../../src/offline/data/eventlog'
import { writeSyntheticShop } from '../../src/offline/data/synthetic-cli'
import { SyntheticShop } from '../../src/offline/data/synthetic'
import { feedCli, type FeedSummary } from '../../src/offline/feed'
import { leaveOneOut } from '../../src/offline/protocol'
import { buildSimilarityArtifact, trainingData } from '../../src/offline/similarity'
import { exportModel } from '../../src/offline/train/export'
import { ROOT } from './lib/bundle'

/** Id rows kept in the model, as `npm run shop:train` caps them by default. */
export const VOCAB_CAP = 4096
/** Neighbours per feed row (README "Sizes": 25). */
export const FEED_NEIGHBOURS = 25
export const SEED = 1

export interface BuiltCatalogue {
  products: number
  dir: string
  /** Folder served to the browser: model.json + weights.bin of the user-side artifact. */
  siteDir: string
  modelSource: string
  summary: FeedSummary
  users: number
  events: number
  visited: number
  seconds: { shop: number; model: number; feed: number }
  shop: SyntheticShop
}

/** Build one size into `dir` (created). Logs through `log`. */
export async function buildCatalogue(products: number, dir: string, log: (s: string) => void): Promise<BuiltCatalogue> {
  mkdirSync(dir, { recursive: true })
  let t = performance.now()
  const syn = writeSyntheticShop({ products, seed: SEED }, join(dir, 'data'), true)
  const shop = new SyntheticShop({ products, seed: SEED })
  const tShop = (performance.now() - t) / 1000
  log(`catalogue ${products}: shop written (${syn.users} visitors, ${syn.events} events, ${syn.touchedProducts} products visited)`)

  t = performance.now()
  const ds = loadEventLog(join(dir, 'data/events.csv'), { items: join(dir, 'data/items-touched.csv'), name: `synthetic-${products}` })
  const split = leaveOneOut(ds)
  const td = trainingData(split)
  const sim = buildSimilarityArtifact(td, { k: FEED_NEIGHBOURS })
  const simFile = join(dir, 'similarity.json')
  writeFileSync(simFile, JSON.stringify(sim.json))
  const trained = join(ROOT, '.cache/shop', String(products), 'full')
  let modelDir: string
  let modelSource: string
  if (existsSync(join(trained, 'model.json'))) {
    modelDir = trained
    modelSource = `trained by npm run shop:train (${trained.slice(ROOT.length + 1)})`
  } else {
    // The most-visited products get id rows, as the trainer's capped vocabulary does.
    const order = Array.from(td.counts.keys())
      .filter((i) => td.counts[i]! > 0)
      .sort((a, b) => td.counts[b]! - td.counts[a]! || (td.items[a]! < td.items[b]! ? -1 : 1))
    const vocab = order.slice(0, VOCAB_CAP).map((i) => td.items[i]!)
    const cfg: EncoderConfig = { ...DEFAULT_CONFIG, vocabSize: vocab.length + FIRST_ITEM_ROW }
    modelDir = join(dir, 'full')
    await exportModel(modelDir, cfg, vocab, initWeights(cfg, SEED), {
      quantization: 'float16',
      training: { note: "untrained: the trainer's seeded initial weights (bench shapes only)", dataset: `synthetic-${products}` },
    })
    modelSource = `the trainer's seeded initial weights (initWeights, seed ${SEED}) at DEFAULT_CONFIG, vocabulary capped to the ${vocab.length} most-visited products (no npm run shop:train export for this size in .cache/shop/${products}/full)`
  }
  const tModel = (performance.now() - t) / 1000
  log(`catalogue ${products}: model ready (${tModel.toFixed(1)} s)`)

  t = performance.now()
  const siteDir = join(dir, 'site')
  const summary = await feedCli([
    '--model',
    modelDir,
    '--out',
    siteDir,
    '--feed-out',
    join(dir, 'feed'),
    '--items',
    join(dir, 'data/items.csv'),
    '--similarity',
    simFile,
    '--neighbours',
    String(FEED_NEIGHBOURS),
    '--mode',
    'feed',
  ])
  if (!summary) throw new Error('npm run feed printed its help instead of running')
  const tFeed = (performance.now() - t) / 1000
  log(`catalogue ${products}: feed written (${summary.catalogue} rows, ${tFeed.toFixed(1)} s)`)
  return { products, dir, siteDir, modelSource, summary, users: syn.users, events: syn.events, visited: syn.touchedProducts, seconds: { shop: tShop, model: tModel, feed: tFeed }, shop }
}

/** Feed rows of these ids (one pass over items.jsonl; a 1,000,000-row feed is never held whole). */
export async function feedRowsOf(dir: string, ids: ReadonlySet<string>): Promise<Map<string, Pick<Item, 'vector' | 'neighbours'>>> {
  const out = new Map<string, Pick<Item, 'vector' | 'neighbours'>>()
  const rl = createInterface({ input: createReadStream(join(dir, 'feed/items.jsonl'), { encoding: 'utf8' }), crlfDelay: Infinity })
  for await (const line of rl) {
    // The id is the first field of every row: skip the JSON parse for the rows not asked for.
    const m = /^\{"id":("(?:[^"\\]|\\.)*")/.exec(line)
    if (!m || !ids.has(JSON.parse(m[1]!) as string)) continue
    const r = JSON.parse(line) as { id: string; vector: string; neighbours?: Array<[string, number]> }
    out.set(r.id, { vector: r.vector, ...(r.neighbours ? { neighbours: r.neighbours } : {}) })
    if (out.size === ids.size) break
  }
  rl.close()
  return out
}

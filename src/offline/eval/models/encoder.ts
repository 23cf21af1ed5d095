import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compactForStorage } from '../../../events/compact'
import type { Item, StoredEvent } from '../../../events/types'
import { createProfile } from '../../../interest'
import type { RankerConfig } from '../../../rank'
import { rankAll, scoresOf } from '../full'
import type { Candidate } from '../../../rank/types'
import { EncoderSession, loadModel, withoutTime, type LoadedModel } from '../../../encoder/session'
import { artifactProblem, modelSha256, sha256Hex, type ModelArtifact } from '../../../encoder/weights'
import { encodeVector, modelIdOf, type VectorEncoding } from '../../../encoder/vector-codec'
import type { ItemTable } from '../../../encoder/items'
import type { ProfileOptions, SimilarityTable } from '../../../interest/types'
import { readSource } from '../../feed/cli'
import { MAX_NEIGHBOURS, sourceItemTable } from '../../feed/feed'
import { buildArtifact, sourceItemSpace } from '../../feed/userside'
import { initTf } from '../../train/tf-node'
import type { ModelSpec } from '../types'

/** Where the shipped model lives; `LOCALRANK_ENCODER_MODEL=dir` evaluates another export. */
export const DEFAULT_ENCODER_DIR = process.env.LOCALRANK_ENCODER_MODEL ?? 'public/model'
/**
 * An export of the same encoder trained without its time signal (`npm run train -- --no-time
 * --no-gap --out DIR`), evaluated as `encoder-notime` when `LOCALRANK_ENCODER_NOTIME_MODEL=DIR`
 * is set: the ablation the time-aware design has to beat.
 */
export const NOTIME_ENCODER_DIR = process.env.LOCALRANK_ENCODER_NOTIME_MODEL

export interface EncoderModelOptions {
  name: string
  description: string
  dir?: string
  /** Ranker weights; default: the encoder alone. */
  ranker?: Partial<RankerConfig>
  /** Also feed the decay profile (with the similarity table), as the browser engine does. */
  withProfile?: boolean
  /**
   * The profile's options (a tuned file's `profile`, merged over the library defaults by the
   * profile itself, as `createEngine({ profile })` does); default: the library defaults.
   */
  profile?: ProfileOptions
  /** Give the profile the similarity table (default true; false for a file tuned without one). */
  similarity?: boolean
  /**
   * Encoder scores already computed for the same history and list (the tuner scores many fusion
   * weights over the same validation lists: the encoder's part does not change with them, so it
   * runs once). Filled on a miss; the fusion itself is always done here, by the ranker.
   */
  scoreCache?: EncoderScoreCache
  /**
   * Switch the trained model's time inputs off at inference (no decay bias on attention, no gap
   * in the gate): how much the *trained* model leans on time. Not a substitute for the ablation
   * trained without them (`encoder-notime`), which can learn to compensate.
   */
  timeOff?: boolean
  /**
   * Where item data comes from (issue 10). 'table' (default): the whole-table model and the
   * similarity table, as the demo ships. 'feed': the user-side artifact that `npm run feed`
   * writes (reserved item rows only, built here in memory from `dir`), with every candidate and
   * every tracked item carrying its feed row — `vector` (in `feedEncoding`, default f16) and
   * `neighbours` (its row of the similarity table) — and the events stored as the engine stores
   * them (`compactForStorage`). The ranker, profile and session are the same code either way.
   */
  itemPath?: ItemPath
  feedEncoding?: VectorEncoding
}

export type ItemPath = 'table' | 'feed'

/**
 * Encoder scores by (user, time, list). The key holds every candidate id in list order, so a
 * cached answer can only serve the very list it was computed for.
 */
export class EncoderScoreCache {
  private readonly map = new Map<string, Float32Array>()
  hits = 0
  misses = 0
  static key(user: string, now: number, cands: ReadonlyArray<Candidate>): string {
    return `${user}\u0000${now}\u0000${cands.map((c) => c.id).join('\u0001')}`
  }
  get(key: string): Float32Array | undefined {
    const v = this.map.get(key)
    if (v) this.hits++
    else this.misses++
    return v
  }
  set(key: string, v: Float32Array): void {
    this.map.set(key, v)
  }
  get size(): number {
    return this.map.size
  }
}

/** The user-side model of a whole-table export, and the exporter's view of its item table. */
export interface FeedSide {
  model: LoadedModel
  source: ItemTable
  modelId: string
}

const feeds = new Map<string, Promise<FeedSide>>()

/** What `npm run feed -- --mode feed` would write for `dir`, without the files. */
export function loadFeed(dir: string): Promise<FeedSide> {
  let f = feeds.get(dir)
  if (!f) {
    f = (async () => {
      await initTf('wasm')
      const src = await readSource(dir)
      const space = await sourceItemSpace(src)
      const user = await buildArtifact(src, space, 0, { mode: 'feed' })
      return { model: loadModel(user.artifact, user.bytes), source: sourceItemTable(src), modelId: modelIdOf(space) }
    })()
    feeds.set(dir, f)
  }
  return f
}

/**
 * Adds each item's feed row (vector, neighbours) as the shop's server would join it, computed
 * once per id (the evaluator's items never change content).
 */
export class FeedJoin {
  private readonly rows = new Map<string, { vector: string; neighbours?: Array<[string, number]> }>()
  constructor(
    private readonly feed: FeedSide,
    private readonly similarity: SimilarityTable | undefined,
    private readonly encoding: VectorEncoding = 'f16',
  ) {}

  item<T extends Item>(it: T): T {
    let r = this.rows.get(it.id)
    if (!r) {
      const plain: Item = { id: it.id }
      if (it.category) plain.category = it.category
      if (it.brand !== undefined) plain.brand = it.brand
      if (it.price !== undefined) plain.price = it.price
      if (it.title !== undefined) plain.title = it.title
      r = { vector: encodeVector(this.feed.source.embedding(plain), this.feed.modelId, this.encoding) }
      const nb = this.similarity?.neighbors(it.id)
      if (nb && nb.length > 0) r.neighbours = nb.slice(0, MAX_NEIGHBOURS).map(([id, w]) => [id, w])
      this.rows.set(it.id, r)
    }
    return { ...it, ...r }
  }

  /** A tracked event as the store keeps it: items with their feed rows, compacted. */
  event(e: StoredEvent): StoredEvent {
    return compactForStorage({ ...e, items: e.items.map((it) => this.item(it)) })
  }
}

const vocabs = new Map<string, Set<string>>()

/**
 * A model trained on another catalogue is not a row of this one's table (issue 11: the shipped
 * MovieLens model on a shop log would score every item from content alone and call it "the
 * encoder"): its vocabulary must hold at least half of the items with interactions here.
 */
export function coverageProblem(dir: string, universe: ReadonlyArray<string>): string | null {
  let v = vocabs.get(dir)
  if (!v) {
    const raw = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { vocab?: unknown }
    v = new Set(Array.isArray(raw.vocab) ? (raw.vocab as unknown[]).filter((x): x is string => typeof x === 'string') : [])
    vocabs.set(dir, v)
  }
  let known = 0
  for (const id of universe) if (v.has(id)) known++
  return known * 2 >= universe.length
    ? null
    : `${dir} was trained on another catalogue: its vocabulary holds ${known} of the ${universe.length} items here (train one on this dataset and set LOCALRANK_ENCODER_MODEL)`
}

const loaded = new Map<string, Promise<LoadedModel>>()

/** Load (once per directory) and verify an exported model with the browser's own code. */
async function load(dir: string): Promise<LoadedModel> {
  const known = loaded.get(dir)
  if (known) return known
  const loading = (async () => {
    const file = join(dir, 'model.json')
    if (!existsSync(file)) throw new Error(`encoder model not found at ${file} (train one with \`npm run train\`, or set LOCALRANK_ENCODER_MODEL)`)
    await initTf('wasm')
    const artifact = JSON.parse(readFileSync(file, 'utf8')) as ModelArtifact
    const problem = artifactProblem(artifact)
    if (problem) throw new Error(`${file}: ${problem}`)
    const parts = artifact.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))))
    const bytes = new Uint8Array(Buffer.concat(parts))
    const sha = await sha256Hex(bytes)
    if (sha !== artifact.sha256) throw new Error(`${dir}: weights sha256 ${sha} ≠ ${artifact.sha256}`)
    if (artifact.modelSha256 !== undefined && (await modelSha256(artifact)) !== artifact.modelSha256) throw new Error(`${file}: does not match the model SHA-256 it declares (${artifact.modelSha256})`)
    return loadModel(artifact, bytes)
  })()
  loaded.set(dir, loading)
  return loading
}

/**
 * The encoder, replayed through the browser's code: each event goes to an `EncoderSession`
 * (src/encoder/session.ts, the worker's session: lazy full encode, then incremental appends over
 * the KV cache), and each list is ranked by `rankCandidates` (src/rank), the function the
 * engine's `rerank` ends in, with the encoder's scores in its encoder slot. The deadline of
 * `rerank` is left out on purpose: an offline figure must not depend on machine load.
 */
export function encoderModel(o: EncoderModelOptions): ModelSpec {
  const dir = o.dir ?? DEFAULT_ENCODER_DIR
  const feed = o.itemPath === 'feed'
  return {
    name: o.name,
    description: o.description,
    group: 'encoder',
    unavailable: (ctx) => {
      if (!existsSync(join(dir, 'model.json'))) return `no model at ${join(dir, 'model.json')} (train one with \`npm run train\`, or set LOCALRANK_ENCODER_MODEL)`
      return ctx ? coverageProblem(dir, ctx.split.universe) : null
    },
    params: {
      dir,
      ...(o.ranker ? { ranker: o.ranker } : {}),
      ...(o.withProfile ? { profile: o.profile ?? true } : {}),
      ...(o.similarity === false ? { similarity: false } : {}),
      ...(o.timeOff ? { timeOff: true } : {}),
      ...(feed ? { itemPath: 'feed', feedEncoding: o.feedEncoding ?? 'f16' } : {}),
    },
    create: (ctx) => {
      const base = feed ? loadFeed(dir).then((f) => f.model) : load(dir)
      const modelP = o.timeOff ? base.then(withoutTime) : base
      // Feed mode: the neighbours travel with the items; the profile gets no table.
      const table = (o.withProfile && o.similarity !== false) || feed ? ctx.similarity() : undefined
      const sim = o.withProfile && !feed ? table : undefined
      const joinP = feed ? loadFeed(dir).then((f) => new FeedJoin(f, table, o.feedEncoding)) : null
      let previous: EncoderSession | null = null
      return {
        session: (user) => {
          // The runner replays one user at a time: release the previous user's tensors.
          previous?.dispose()
          previous = null
          let session: EncoderSession | null = null
          const pendingEvents: StoredEvent[] = []
          const profile = o.withProfile ? createProfile(o.profile, sim) : null
          const purchases = new Map<string, number>()
          const added: StoredEvent[] = []
          let join: FeedJoin | null = null
          const take = (e: StoredEvent) => {
            profile?.add(e)
            if (e.type === 'purchase') for (const it of e.items) purchases.set(it.id, Math.max(purchases.get(it.id) ?? 0, e.timestamp))
            if (session) session.append(e)
            else pendingEvents.push(e)
          }
          return {
            add(e: StoredEvent) {
              // Feed mode joins the rows asynchronously (the model loads first): hold events until then.
              if (joinP && !join) added.push(e)
              else take(join ? join.event(e) : e)
            },
            async score(candsIn: ReadonlyArray<Candidate>, now: number) {
              if (joinP && !join) {
                join = await joinP
                for (const e of added.splice(0)) take(join.event(e))
              }
              const cands = join ? candsIn.map((c) => join!.item(c)) : candsIn
              const key = o.scoreCache ? EncoderScoreCache.key(user.user, now, cands) : ''
              let enc = o.scoreCache?.get(key)
              if (!enc) {
                if (!session) {
                  session = new EncoderSession(await modelP)
                  session.setHistory(pendingEvents)
                  previous = session
                }
                enc = await session.score(cands, now)
                o.scoreCache?.set(key, enc)
              }
              // rankAll: the ranker without the page's 10,000-candidate guard (full ranking of a shop's catalogue).
              return scoresOf(rankAll(cands, { now, profile, purchases, encoderScores: enc, ...(o.ranker ? { config: o.ranker } : {}) }, { explain: false }), cands.length)
            },
          }
        },
      }
    },
  }
}

/**
 * The registry's encoder rows: the encoder alone, and fused with the profile as the browser does;
 * `paths` adds the same two rows through feed mode (`encoder/feed`, `encoder+profile/feed`).
 */
export function encoderModels(dir = DEFAULT_ENCODER_DIR, notimeDir = NOTIME_ENCODER_DIR, paths: ReadonlyArray<ItemPath> = ['table']): ModelSpec[] {
  const alone = { weights: { server: 0, profile: 0, encoder: 1 } }
  const feedRows = paths.includes('feed')
    ? [
        encoderModel({
          name: 'encoder/feed',
          description: 'the encoder alone, feed mode: user-side artifact (no item rows), candidates and history carry f16 vectors',
          dir,
          ranker: alone,
          itemPath: 'feed',
        }),
        encoderModel({
          name: 'encoder+profile/feed',
          description: 'encoder + profile, feed mode: f16 vectors and neighbours carried by items, no item table, no similarity table',
          dir,
          withProfile: true,
          itemPath: 'feed',
        }),
      ]
    : []
  if (!paths.includes('table')) return feedRows
  return [
    encoderModel({ name: 'encoder', description: `time-aware Transformer encoder alone (${dir})`, dir, ranker: alone }),
    encoderModel({ name: 'encoder+profile', description: 'encoder fused with the decay profile and server order (browser defaults)', dir, withProfile: true }),
    encoderModel({ name: 'encoder-timeoff', description: 'the shipped encoder with its time inputs switched off at inference (no retraining)', dir, ranker: alone, timeOff: true }),
    ...(notimeDir
      ? [encoderModel({ name: 'encoder-notime', description: `the same encoder trained without time signal (no decay bias, no gap gate; ${notimeDir})`, dir: notimeDir, ranker: alone })]
      : []),
    ...feedRows,
  ]
}

/**
 * `npm run shop:train -- --products N [--users U] [--seed S] [--vocab V] [--minutes M] [--out DIR]`:
 * train the encoder on a synthetic shop's traffic (src/offline/data/synthetic.ts), the model of
 * the 1,000,000-product demo page and of the bench's catalogue section.
 *
 * - The traffic is written as the event-log loader's files (events.csv and items-touched.csv:
 *   the trainer only needs products someone visited) into `<out>/data/`, then read back through
 *   the same loader and protocol as a shop's own logs (`loadEventLog`, `leaveOneOut`).
 * - **Capped vocabulary.** Only the V most-visited products (default 4,096) get an id row; every
 *   other product lives on its content (category path, brand, price band, title tokens), as a new
 *   product does in the browser. At 1,000,000 products an id row per product would be 128 MB.
 * - **Negatives from the whole visited catalogue**, not only the vocabulary: with a capped
 *   vocabulary, sampling negatives from it alone would never push down a content-only product,
 *   and those are most of the catalogue (the trainer samples from `vocabCatalogue`).
 * - The model is exported in the whole-table format (model.json + weights.bin, with the capped
 *   item table) into `<out>/full/`: the server side of the demo computes each product's vector
 *   from it; `npm run feed` turns it into the browser's user-side artifact.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DEFAULT_CONFIG, FIRST_ITEM_ROW, ROW_OOV, type EncoderConfig } from '../../encoder/config'
import { countParams } from '../../encoder/model'
import { loadEventLog } from '../../offline/data/eventlog'
import { writeSyntheticShop } from '../../offline/data/synthetic-cli'
import { leaveOneOut } from '../../offline/protocol'
import { buildTrainData, type TrainData } from '../../offline/train/data'
import * as tf from '@tensorflow/tfjs-core'
import { embedItems, type Params } from '../../encoder/model'
import { encodeUsers, type EvalResult } from '../../offline/train/evaluate'
import { hitAt, ndcgAt, rankInfo, reciprocalRank } from '../../offline/metrics/rank'
import { candidatesFor, type Phase, type ProtocolName } from '../../offline/protocol/candidates'
import type { Split } from '../../offline/protocol/split'
import { exportModel } from '../../offline/train/export'
import { initTf } from '../../offline/train/tf-node'
import { paramsFrom, train } from '../../offline/train/trainer'

export const SYNTHETIC_NOTICE = 'Trained on synthetic traffic from src/offline/data/synthetic.ts (a seeded generator; no real shopper data). Free to use under the project licence (MIT).'

/** Keep the `cap` most frequent vocabulary items (the vocabulary is sorted by training count); the rest become content-only. */
export function capVocabulary(data: TrainData, cap: number): TrainData {
  const vocab = data.vocab.slice(0, cap)
  const keep = new Set(vocab)
  const row = data.row.slice()
  data.catalogue.forEach((id, i) => {
    if (!keep.has(id)) row[i] = ROW_OOV
  })
  const cfg: EncoderConfig = { ...data.cfg, vocabSize: vocab.length + FIRST_ITEM_ROW }
  // Negatives are drawn from every visited product (see the file comment).
  const all = Int32Array.from(data.catalogue.keys())
  return { ...data, cfg, vocab, row, vocabCatalogue: all }
}

/**
 * The popularity baseline (the server's order in a shop without personalisation) on exactly the
 * users and candidate lists that `evaluate` scores: the same query selection (users whose
 * held-out event is not their first), the same seeded candidates, the same tie handling
 * (`rankInfo`: expected rank among equal scores). Popularity = training-token frequency.
 */
export function popularityEval(data: TrainData, split: Split, phase: Phase, protocol: ProtocolName, seed: number, limitUsers: number): EvalResult {
  let n = 0
  let hr = 0
  let nd = 0
  let mrr = 0
  for (let ui = 0; ui < data.users.length && n < limitUsers; ui++) {
    const u = data.users[ui]!
    const at = phase === 'val' ? u.valAt : u.testAt
    if (at === undefined || at === 0) continue
    n++
    const c = candidatesFor(split, split.users[ui]!, phase, protocol, seed)
    if (!c) continue
    const sc = Float64Array.from(c.ids, (id) => data.freq[data.catalogueIndex.get(id)!]!)
    const r = rankInfo(sc, c.ids.indexOf(c.target))
    hr += hitAt(r, 10)
    nd += ndcgAt(r, 10)
    mrr += reciprocalRank(r)
  }
  return { users: n, hr10: hr / n, ndcg10: nd / n, mrr: mrr / n }
}

/**
 * `evaluate` (src/offline/train/evaluate.ts) with the same users, candidates, scores
 * (u·e(item) + bias) and tie handling, but embedding only each batch's candidates instead of
 * every visited product: at 1,000,000 products the trainer's evaluate ranks 145,604 products per
 * user to read 101 of them (2,000 users: over 13 minutes here); this reads the 101.
 * train-model.test.ts checks it against `evaluate`.
 */
export function evaluateCandidates(params: Params, data: TrainData, split: Split, phase: Phase, protocol: ProtocolName, seed: number, limitUsers: number): EvalResult {
  const cfg = data.cfg
  const qs: Array<{ user: number; end: number; nowMs: number }> = []
  for (let ui = 0; ui < data.users.length && qs.length < limitUsers; ui++) {
    const u = data.users[ui]!
    const at = phase === 'val' ? u.valAt : u.testAt
    if (at === undefined || at === 0) continue
    qs.push({ user: ui, end: at, nowMs: u.timesMs[at]! })
  }
  const vecs = encodeUsers(params, cfg, data, qs, cfg.maxLen)
  const d = cfg.d
  const F = cfg.featSlots
  let hr = 0
  let nd = 0
  let mrr = 0
  const chunk = 128
  for (let s = 0; s < qs.length; s += chunk) {
    const part = qs.slice(s, s + chunk)
    const lists = part.map((q) => candidatesFor(split, split.users[q.user]!, phase, protocol, seed))
    const pos = new Map<number, number>()
    for (const c of lists)
      for (const id of c?.ids ?? []) {
        const i = data.catalogueIndex.get(id)!
        if (!pos.has(i)) pos.set(i, pos.size)
      }
    const idx = [...pos.keys()]
    const n = idx.length
    const feats = new Int32Array(n * F)
    const featW = new Float32Array(n * F)
    idx.forEach((i, k) => {
      feats.set(data.feats.subarray(i * F, (i + 1) * F), k * F)
      featW.set(data.featW.subarray(i * F, (i + 1) * F), k * F)
    })
    const [e, bias] = tf.tidy(() => {
      const it = embedItems(params, cfg, {
        rows: tf.tensor1d(
          Int32Array.from(idx, (i) => data.row[i]!),
          'int32',
        ),
        feats: tf.tensor2d(feats, [n, F], 'int32'),
        featW: tf.tensor2d(featW, [n, F]),
      })
      return [it.e.dataSync() as Float32Array, it.bias.dataSync() as Float32Array]
    })
    part.forEach((_, j) => {
      const c = lists[j]
      if (!c) return
      const sc = Float64Array.from(c.ids, (id) => {
        const k = pos.get(data.catalogueIndex.get(id)!)!
        let v = 0
        for (let t = 0; t < d; t++) v += vecs[(s + j) * d + t]! * e![k * d + t]!
        return v + bias![k]!
      })
      const r = rankInfo(sc, c.ids.indexOf(c.target))
      hr += hitAt(r, 10)
      nd += ndcgAt(r, 10)
      mrr += reciprocalRank(r)
    })
  }
  const n = qs.length
  return { users: n, hr10: hr / n, ndcg10: nd / n, mrr: mrr / n }
}

function args(argv: string[]): Map<string, string> {
  const a = new Map<string, string>()
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!
    if (!k.startsWith('--') || argv[i + 1] === undefined) throw new Error(`expected --option value pairs, got ${k}`)
    a.set(k.slice(2), argv[i + 1]!)
  }
  return a
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2))
  const num = (k: string, d: number) => (a.has(k) ? Number(a.get(k)) : d)
  const products = num('products', 1_000_000)
  const seed = num('seed', 1)
  const cap = num('vocab', 4096)
  const out = resolve(a.get('out') ?? `.cache/shop/${products}`)
  const log = (s: string) => process.stderr.write(`${s}\n`)
  log(`tfjs backend: ${await initTf('wasm')}`)
  const t0 = Date.now()
  const opts = { products, seed, ...(a.has('users') ? { users: num('users', 0) } : {}) }
  const syn = writeSyntheticShop(opts, join(out, 'data'), true)
  log(`synthetic shop: ${syn.products} products, ${syn.users} visitors, ${syn.events} events, ${syn.touchedProducts} products visited (${syn.seconds.toFixed(1)} s)`)
  const ds = loadEventLog(join(out, 'data/events.csv'), { items: join(out, 'data/items-touched.csv'), name: `synthetic-${products}` })
  const split = leaveOneOut(ds)
  const base: Omit<EncoderConfig, 'vocabSize'> = { ...DEFAULT_CONFIG }
  const full = buildTrainData(ds, split, base)
  const data = capVocabulary(full, cap)
  log(
    `data: ${split.users.length} users (${split.evalUsers} evaluated), ${data.catalogue.length} visited products, vocabulary ${data.vocab.length} of ${full.vocab.length}; ${countParams(data.cfg).toLocaleString('en')} parameters; ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  )
  // The trainer's own validation (model selection between epochs) ranks every visited product
  // per user (145,604 at 1,000,000 products): 2,000 users took over 13 minutes on the loaded
  // 2-core machine, so it gets fewer users; the figures below use evaluateCandidates.
  const valUsers = num('val-users', 300)
  const figureUsers = num('figure-users', 2000)
  const r = await train(data, split, {
    epochs: num('epochs', 50),
    batch: 32,
    len: 64,
    negatives: 256,
    inBatch: false,
    lr: 0.001,
    dropout: 0.2,
    idDropout: 0.1,
    seed: 1,
    evalEvery: 1,
    patience: 3,
    maxMinutes: num('minutes', 10),
    protocolSeed: 42,
    valUsers,
    checkpoint: '',
    resume: false,
    log,
  })
  log(`training stopped by ${r.stoppedBy} after ${r.seconds.toFixed(0)} s; best epoch ${r.bestEpoch}`)
  const params = paramsFrom(r.best)
  const dir = join(out, 'full')
  const exp = await exportModel(dir, data.cfg, data.vocab, r.best, {
    quantization: 'float16',
    license: SYNTHETIC_NOTICE,
    training: {
      dataset: `synthetic-${products} (seed ${seed}, ${syn.users} visitors, ${syn.events} events)`,
      vocabularyCap: cap,
      bestEpoch: r.bestEpoch,
      ...(r.bestVal ? { val: r.bestVal } : {}),
      trainSeconds: Math.round(r.seconds),
    },
  })
  log(`exported ${dir} (${exp.weightBytes} B weights)`)
  // Uniform-100 (the project's headline protocol) and popularity-sampled 100 negatives (closer
  // to a server's list, where every candidate is popular), for the model and for popularity.
  const fig = (ph: Phase, pr: ProtocolName) => {
    const m = evaluateCandidates(params, data, split, ph, pr, 42, figureUsers)
    const p = popularityEval(data, split, ph, pr, 42, figureUsers)
    return { model: { hr10: m.hr10, ndcg10: m.ndcg10, mrr: m.mrr }, popularity: { hr10: p.hr10, ndcg10: p.ndcg10, mrr: p.mrr }, users: m.users }
  }
  const figures = { uniform: { val: fig('val', 'uniform'), test: fig('test', 'uniform') }, popularity: { val: fig('val', 'popularity'), test: fig('test', 'popularity') } }
  const val = figures.uniform.val.model
  const test = figures.uniform.test.model
  for (const t of Object.values(params)) t.dispose()
  const report = {
    products,
    seed,
    users: syn.users,
    events: syn.events,
    visitedProducts: syn.touchedProducts,
    vocabulary: data.vocab.length,
    parameters: countParams(data.cfg),
    stoppedBy: r.stoppedBy,
    trainSeconds: r.seconds,
    bestEpoch: r.bestEpoch,
    epochs: r.history.map((h) => ({ epoch: h.epoch, loss: h.loss, seconds: h.seconds, val: h.val ? { hr10: h.val.hr10, ndcg10: h.val.ndcg10 } : undefined })),
    val: { hr10: val.hr10, ndcg10: val.ndcg10, users: figures.uniform.val.users, protocol: 'uniform, 100 negatives' },
    test: { hr10: test.hr10, ndcg10: test.ndcg10, users: figures.uniform.test.users, protocol: 'uniform, 100 negatives' },
    figures,
    export: exp,
  }
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'train-report.json'), `${JSON.stringify(report, null, 1)}\n`)
  for (const [pr, f] of Object.entries(figures))
    log(
      `${pr}-100 NDCG@10: val model ${f.val.model.ndcg10.toFixed(4)} vs popularity ${f.val.popularity.ndcg10.toFixed(4)}; test model ${f.test.model.ndcg10.toFixed(4)} vs popularity ${f.test.popularity.ndcg10.toFixed(4)} (${f.test.users} users)`,
    )
  log(`report ${join(out, 'train-report.json')}`)
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  main().catch((e: unknown) => {
    process.stderr.write(`shop:train: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  })
}

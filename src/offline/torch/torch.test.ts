import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Item, StoredEvent } from '../../events/types'
import { DEFAULT_CONFIG, type EncoderConfig } from '../../encoder/config'
import { initWeights, paramShapes } from '../../encoder/model'
import { disposeModel, EncoderSession } from '../../encoder/session'
import { itemFeatures } from '../../encoder/tokens'
import { tinyConfig, tinyItem, tinyVocab } from '../../encoder/testing'
import { encodeWeights, decodeWeights, modelSha256 } from '../../encoder/weights'
import { readModel } from '../train/export'
import { mulberry32 } from '../../rng'
import { DEFAULT_MOVIELENS_DIR, loadDataset } from '../data'
import type { Dataset } from '../data/types'
import { leaveOneOut } from '../protocol'
import { epochWindows, makeBatch } from '../train/batches'
import { buildTrainData } from '../train/data'
import { batchLoss } from '../train/loss'
import { initTf } from '../train/tf-node'
import { loadArtifactDir } from './accept'
import { writePrepared } from './prepare'
import { CONFORM, findPython, NO_TORCH, pythonEnv, TORCH_DIR } from './python'

/**
 * Conformance of the PyTorch port (localrank_torch/) with the TypeScript definitions, and the
 * 2-process torchrun smoke run. Every test spawns Python; without a Python that imports torch
 * they fail (naming the fix), they never skip.
 */
function python(): string {
  const p = findPython()
  if (!p) throw new Error(NO_TORCH)
  return p
}

function py(args: string[], timeout = 120_000): void {
  const r = spawnSync(python(), ['-m', 'localrank_torch.conform', ...args], { cwd: TORCH_DIR, env: pythonEnv(), encoding: 'utf8', timeout })
  if (r.status !== 0) throw new Error(`python conform ${args[0]} failed (${r.status}): ${r.stderr}`)
}

const tmp = () => mkdtempSync(join(tmpdir(), 'lr-torch-'))

beforeAll(async () => {
  await initTf('wasm')
  expect(existsSync(CONFORM)).toBe(true)
})

/** Items that stress the hashing: Unicode case and letters, astral characters, stop words, empty fields, odd prices. */
const HARD_ITEMS: Item[] = [
  { id: 'a', title: 'The Lord of the Rings: Fellowship (2001)', category: ['Fantasy', 'Adventure'], brand: 'New Line', price: 12.5 },
  { id: 'b', title: 'Ça va? ÉTÉ straße İstanbul ΣΟΦΙΑΣ', category: ['Bücher', 'Reise', 'Türkei'], price: 0 },
  { id: 'c', title: '𝐀𝐁 x 𝐂 日本語のタイトル 中文 ١٢٣ ⅷ', brand: '', price: 1e9 },
  { id: 'd', title: 'a an of in to la le de el ok', category: ['Home'] },
  { id: 'e', title: 'lamp lamp LAMP Lamp desk-lamp 40W/60W', category: ['home', 'lighting', 'lamps', 'desk', 'led'], brand: 'IKEA', price: 39.99 },
  { id: 'f', price: Number.NaN },
  { id: 'g', price: -5, brand: 'Ñandú' },
  { id: 'h', title: 'one two three four five six seven eight nine ten eleven twelve thirteen' },
]

describe('PyTorch port: hashing and initial weights', () => {
  it('hashes every ml-latest-small item and the hard cases to the same feature rows and weights as features.ts', () => {
    if (!existsSync(join(DEFAULT_MOVIELENS_DIR, 'movies.csv'))) throw new Error(`dataset missing: ${DEFAULT_MOVIELENS_DIR} (see ../shared/datasets/README.md)`)
    const ds = loadDataset(DEFAULT_MOVIELENS_DIR)
    const items = [...HARD_ITEMS, ...ds.items.values()]
    const cfg = { ...DEFAULT_CONFIG, vocabSize: 3 }
    const dir = tmp()
    writeFileSync(join(dir, 'items.jsonl'), items.map((i) => JSON.stringify(i)).join('\n'))
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg))
    py(['features', join(dir, 'items.jsonl'), join(dir, 'cfg.json'), join(dir, 'out.bin')])
    const bytes = readFileSync(join(dir, 'out.bin'))
    const n = items.length * cfg.featSlots
    const rows = new Int32Array(bytes.buffer, bytes.byteOffset, n)
    const w = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 4 * n, bytes.byteOffset + 8 * n))
    const feats = new Int32Array(n)
    const featW = new Float32Array(n)
    items.forEach((it, i) => itemFeatures(it, cfg, feats, featW, i))
    let diff = 0
    for (let i = 0; i < n; i++) if (rows[i] !== feats[i] || w[i] !== featW[i]) diff++
    expect(diff).toBe(0)
    expect(items.length).toBeGreaterThan(9000)
  }, 60_000)

  it('draws the same initial weights from a seed as initWeights', () => {
    for (const cfg of [tinyConfig(), tinyConfig({ timeBias: false, gapGate: false, heads: 1 })]) {
      const dir = tmp()
      writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg))
      py(['init', join(dir, 'cfg.json'), '11', join(dir, 'w.bin')])
      const b = readFileSync(join(dir, 'w.bin'))
      const got = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))
      const want = initWeights(cfg, 11)
      let o = 0
      let maxDiff = 0
      for (const [name] of paramShapes(cfg)) {
        const d = want.get(name)!.data
        for (let i = 0; i < d.length; i++) maxDiff = Math.max(maxDiff, Math.abs(d[i]! - got[o + i]!))
        o += d.length
      }
      expect(o).toBe(got.length)
      expect(maxDiff).toBeLessThanOrEqual(1e-7)
    }
  }, 60_000)
})

/** Fixed histories: views, carts, a search, a multi-item purchase, unseen items with content. */
function cases(): Array<{ events: StoredEvent[]; candidates: Item[]; nowMs: number; prefix: number }> {
  const t0 = 1_700_000_000_000
  const unseen: Item[] = [
    { id: 'new-1', category: ['Comedy'], title: 'A new comedy', price: 9.99 },
    { id: 'new-2', category: ['Horror', 'Slasher'], brand: 'Blumhouse', title: 'Night terror' },
    { id: 'new-3' },
  ]
  const ev = (k: number, type: StoredEvent['type'], items: Item[], dt: number, query?: string): StoredEvent => ({ id: `e${k}`, type, items, timestamp: t0 + dt, ...(query ? { query } : {}) })
  const a: StoredEvent[] = [
    ...Array.from({ length: 8 }, (_, k) => ev(k, k % 3 === 2 ? 'add_to_cart' : 'view_item', [tinyItem((k * 7) % 30)], k * 95_000)),
    ev(8, 'search', [], 900_000, 'drama movie'),
    ev(9, 'purchase', [tinyItem(3), tinyItem(4), unseen[0]!], 1_000_000),
    ev(10, 'view_item', [unseen[1]!], 1_200_000),
    ev(11, 'select_item', [tinyItem(11)], 4_000_000),
  ]
  const long: StoredEvent[] = Array.from({ length: 37 }, (_, k) => ev(k, k % 5 === 4 ? 'add_to_wishlist' : 'view_item', [tinyItem((k * 11 + 3) % 30)], k * 3_600_000 * (1 + (k % 4))))
  const candidates = [...tinyVocab(30).map((_, i) => tinyItem(i)), ...unseen]
  const last = (e: StoredEvent[]) => e[e.length - 1]!.timestamp
  return [
    { events: a, candidates, nowMs: last(a) + 5 * 60_000, prefix: 6 },
    { events: a, candidates, nowMs: last(a) + 30 * 86_400_000, prefix: 9 },
    { events: long, candidates, nowMs: last(long) + 60_000, prefix: 34 },
    { events: [], candidates, nowMs: t0, prefix: 0 },
  ]
}

describe('PyTorch export → TypeScript encoder', () => {
  for (const time of [true, false]) {
    it(`scores like the PyTorch model within 1e-4, full encode and incremental append (${time ? 'with' : 'without'} time inputs)`, async () => {
      const cfg: EncoderConfig = tinyConfig(time ? {} : { timeBias: false, gapGate: false })
      const dir = tmp()
      const cs = cases()
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({ cfg, seed: 5, vocab: tinyVocab(30), dir: join(dir, 'f32'), dir16: join(dir, 'f16'), dir8: join(dir, 'u8'), cases: cs }))
      py(['scores', join(dir, 'spec.json'), join(dir, 'out.json')])
      const want = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { scores: number[][]; scores16: number[][] }
      let worst = 0
      let incremental = 0
      for (const [sub, ref] of [
        ['f32', want.scores],
        ['f16', want.scores16],
      ] as const) {
        const model = await loadArtifactDir(join(dir, sub))
        try {
          cs.forEach((c, i) => {
            const full = new EncoderSession(model)
            full.setHistory(c.events)
            const sFull = full.scoreSync(c.candidates, c.nowMs)
            full.dispose()
            const inc = new EncoderSession(model)
            inc.setHistory(c.events.slice(0, c.prefix))
            inc.flush()
            for (const e of c.events.slice(c.prefix)) inc.append(e)
            const sInc = inc.scoreSync(c.candidates, c.nowMs)
            incremental += inc.stats.incrementalEncodes
            inc.dispose()
            expect(sFull).toHaveLength(ref[i]!.length)
            for (let k = 0; k < sFull.length; k++) {
              worst = Math.max(worst, Math.abs(sFull[k]! - ref[i]![k]!), Math.abs(sInc[k]! - ref[i]![k]!))
            }
          })
        } finally {
          disposeModel(model)
        }
      }
      expect(incremental).toBeGreaterThan(0) // the appends really took the incremental path
      console.info(`torch → TS scores (${time ? 'with' : 'without'} time): max |Δ| ${worst.toExponential(2)}`)
      expect(worst).toBeLessThan(1e-4)
      // The float16 bytes are the ones encodeWeights writes for the same float32 values.
      const a32 = JSON.parse(readFileSync(join(dir, 'f32', 'model.json'), 'utf8'))
      const a16 = JSON.parse(readFileSync(join(dir, 'f16', 'model.json'), 'utf8'))
      const w32 = decodeWeights(a32.weightsManifest[0].weights, new Uint8Array(readFileSync(join(dir, 'f32', 'weights.bin'))))
      const ts16 = encodeWeights([...w32.values()], 'float16').data
      expect(Buffer.compare(Buffer.from(ts16), readFileSync(join(dir, 'f16', 'weights.bin')))).toBe(0)
      expect(a16.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: encodeWeights([...w32.values()], 'float16').specs }])
      // uint8 too (affine, Math.round), and the model pin of every export is the one weights.ts computes.
      const u8 = encodeWeights([...w32.values()], 'uint8')
      expect(Buffer.compare(Buffer.from(u8.data), readFileSync(join(dir, 'u8', 'weights.bin')))).toBe(0)
      for (const sub of ['f32', 'f16', 'u8']) {
        const back = await readModel(join(dir, sub)) // checks sha256 and modelSha256
        expect(back.artifact.modelSha256).toBe(await modelSha256(back.artifact))
      }
      expect((await readModel(join(dir, 'u8'))).artifact.weightsManifest[0]!.weights).toEqual(u8.specs)
    }, 120_000)
  }
})

/** The trainer test's fixture shop: 40 items, 60 shoppers walking the catalogue. */
function fixture(): Dataset {
  const rand = mulberry32(3)
  const genres = ['Comedy', 'Drama', 'Horror', 'Sci-Fi']
  const items = new Map<string, Item>()
  for (let i = 0; i < 40; i++) items.set(`i${i}`, { id: `i${i}`, category: [genres[i % 4]!], title: `Item ${i}`, price: 3 + i })
  const users = Array.from({ length: 60 }, (_, u) => {
    let cur = Math.floor(rand() * 40)
    const events: StoredEvent[] = Array.from({ length: 14 + (u % 9) }, (_, k) => {
      cur = rand() < 0.85 ? (cur + 1) % 40 : Math.floor(rand() * 40)
      return { id: `u${u}e${k}`, type: k % 6 === 5 ? 'add_to_cart' : 'view_item', items: [items.get(`i${cur}`)!], timestamp: 1_600_000_000_000 + u * 1e9 + k * 120_000 + (k % 3) * 7_000 }
    })
    return { id: `u${u}`, events }
  })
  return { name: 'fixture', files: [], items, meta: new Map(), users, reports: [], unknownItems: 0, eventMapping: 'implicit' }
}

describe('PyTorch trainer ↔ TypeScript trainer', () => {
  for (const inBatch of [false, true]) {
    it(`draws the same first batch and gives the same loss before and after Adam steps, within 1e-4${inBatch ? ' (mixed in-batch negatives)' : ''}`, () => {
      const ds = fixture()
      const split = leaveOneOut(ds)
      const data = buildTrainData(ds, split, { ...DEFAULT_CONFIG, d: 16, ffn: 32, featBuckets: 256, featSlots: 6, maxLen: 20 })
      const dir = tmp()
      writePrepared(join(dir, 'prep'), data, split, { dataset: 'fixture', license: 'test fixture', protocolSeed: 42 })
      const o = { seed: 9, len: 12, batch: 16, negatives: 24, idDropout: 0.1, inBatch, lr: 0.01, steps: 2 }
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({ prepared: join(dir, 'prep'), ...o }))
      py(['step', join(dir, 'spec.json'), join(dir, 'out.json')])
      const got = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Record<string, number[]> & { losses: number[]; windows: number[][] }

      const rand = mulberry32((o.seed * 1_000_003 + 1) >>> 0)
      const wins = epochWindows(data, o.len, rand).slice(0, o.batch)
      expect(got.windows).toEqual(wins.map((w) => [w.user, w.start, w.end]))
      const b = makeBatch(data, data.cfg, wins, o.len, { negatives: o.negatives, idDropout: o.idDropout, inBatch }, rand)
      for (const k of ['uRows', 'tok', 'types', 'pos', 'target', 'neg', 'uFeats'] as const) expect(got[k], k).toEqual(Array.from(b[k]))
      for (const k of ['times', 'gapLog', 'negMask', 'negLogQ', 'posLogQ', 'uFeatW'] as const) expect(got[k], k).toEqual(Array.from(b[k]))

      const w0 = initWeights(data.cfg, o.seed)
      const params: Record<string, tf.Variable> = {}
      for (const [name, shape] of paramShapes(data.cfg)) params[name] = tf.variable(tf.tensor(w0.get(name)!.data, shape), true, `c${inBatch}_${name}`)
      const opt = tf.train.adam(o.lr)
      const losses: number[] = []
      for (let s = 0; s < o.steps; s++) {
        const l = opt.minimize(() => batchLoss(params, data.cfg, b, 0, 1), true, Object.values(params))!
        losses.push(l.dataSync()[0]!)
        l.dispose()
      }
      const after = tf.tidy(() => batchLoss(params, data.cfg, b, 0, 1))
      losses.push(after.dataSync()[0]!)
      after.dispose()
      for (const v of Object.values(params)) v.dispose()
      opt.dispose()
      expect(got.losses).toHaveLength(losses.length)
      console.info(`loss ts ${losses.join(', ')} | torch ${got.losses.join(', ')}`)
      losses.forEach((l, i) => expect(Math.abs(l - got.losses[i]!), `loss ${i}: ts ${l} torch ${got.losses[i]}`).toBeLessThan(1e-4))
      expect(losses[2]!).toBeLessThan(losses[0]!) // the steps did move the weights
    }, 120_000)
  }
})

describe('PyTorch trainer: full-softmax loss (--loss full)', () => {
  it('equals the TypeScript sampled softmax with every vocabulary item a negative, and Adam steps lower it', () => {
    const ds = fixture()
    const split = leaveOneOut(ds)
    const data = buildTrainData(ds, split, { ...DEFAULT_CONFIG, d: 16, ffn: 32, featBuckets: 256, featSlots: 6, maxLen: 20 })
    const dir = tmp()
    writePrepared(join(dir, 'prep'), data, split, { dataset: 'fixture', license: 'test fixture', protocolSeed: 42 })
    const o = { seed: 4, len: 12, batch: 16, idDropout: 0, lr: 0.01, steps: 3 }
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ prepared: join(dir, 'prep'), ...o }))
    py(['fullstep', join(dir, 'spec.json'), join(dir, 'out.json')])
    const got = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { losses: number[]; windows: number[][]; targetCol: number[] }
    // The same windows, and the TS trainer's sampled softmax with K ≥ V: every vocabulary item a
    // negative, the target's own column masked, i.e. the full softmax by another code path.
    const rand = mulberry32((o.seed * 1_000_003 + 1) >>> 0)
    const wins = epochWindows(data, o.len, rand).slice(0, o.batch)
    expect(got.windows).toEqual(wins.map((w) => [w.user, w.start, w.end]))
    const V = data.vocabCatalogue.length
    const b = makeBatch(data, data.cfg, wins, o.len, { negatives: V + 5, idDropout: 0, inBatch: false }, rand)
    expect(b.neg.length).toBe(V)
    const w0 = initWeights(data.cfg, o.seed)
    const params: Record<string, tf.Variable> = {}
    for (const [name, shape] of paramShapes(data.cfg)) params[name] = tf.variable(tf.tensor(w0.get(name)!.data, shape), true, `full_${name}`)
    const ts = tf.tidy(() => batchLoss(params, data.cfg, b, 0, 1).dataSync()[0]!)
    for (const v of Object.values(params)) v.dispose()
    console.info(`full softmax: ts (all negatives) ${ts} | torch --loss full ${got.losses.join(', ')}`)
    expect(Math.abs(ts - got.losses[0]!)).toBeLessThan(1e-4)
    // Every target has a column, and it is its own item's.
    expect(got.targetCol.every((c) => c >= 0 && c < V)).toBe(true)
    expect(got.losses[o.steps]!).toBeLessThan(got.losses[0]! - 0.05)
  }, 120_000)

  it('trains end to end: the epoch loss falls and validation reports full-ranking NDCG@10 that selects the epoch', () => {
    const ds = fixture()
    const split = leaveOneOut(ds)
    const data = buildTrainData(ds, split, { ...DEFAULT_CONFIG, d: 16, ffn: 32, featBuckets: 256, featSlots: 6, maxLen: 20 })
    const dir = tmp()
    writePrepared(join(dir, 'prep'), data, split, { dataset: 'fixture', license: 'test fixture', protocolSeed: 42 })
    const report = join(dir, 'report.json')
    const r = spawnSync(
      python(),
      [
        '-m',
        'localrank_torch.train',
        '--prepared',
        join(dir, 'prep'),
        '--no-export',
        '--report',
        report,
        '--loss',
        'full',
        '--select',
        'full',
        '--epochs',
        '6',
        '--eval-every',
        '2',
        '--patience',
        '10',
        '--len',
        '12',
        '--batch',
        '8',
        '--lr',
        '0.01',
        '--eval-lens',
        '20',
        '--threads',
        '1',
      ],
      { cwd: TORCH_DIR, env: pythonEnv(), encoding: 'utf8', timeout: 180_000 },
    )
    expect(r.status, r.stderr).toBe(0)
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { options: { loss: string }; history: { loss: number; val?: { fullNdcg10: number; selected: number } }[]; bestEpoch: number }
    expect(rep.options.loss).toBe('full')
    const h = rep.history
    expect(h).toHaveLength(6)
    console.info(`--loss full epoch losses: ${h.map((e) => e.loss.toFixed(4)).join(', ')}`)
    expect(h[5]!.loss).toBeLessThan(h[0]!.loss - 0.1)
    const vals = h.filter((e) => e.val)
    expect(vals).toHaveLength(3)
    for (const e of vals) expect(e.val!.selected).toBe(e.val!.fullNdcg10)
    const best = vals.reduce((a, e) => (e.val!.selected > a.val!.selected ? e : a))
    expect(rep.bestEpoch).toBe(h.indexOf(best) + 1)
  }, 240_000)
})

describe('npm run train:torch -- --smoke', () => {
  it('runs a 2-process torchrun DDP job over loopback, exports, and the TypeScript loader accepts the artifact', async () => {
    if (!existsSync(join(DEFAULT_MOVIELENS_DIR, 'ratings.csv'))) throw new Error(`dataset missing: ${DEFAULT_MOVIELENS_DIR} (see ../shared/datasets/README.md)`)
    python()
    const out = join(tmp(), 'model')
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/offline/torch/cli.ts', '--smoke', '--out', out], { encoding: 'utf8', timeout: 240_000 })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/world 2 \(gloo\)/)
    expect(r.stderr).toMatch(/TypeScript loader accepted/)
    const a = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { training: { trainer: string }; license: string }
    expect(a.training.trainer).toMatch(/2 processes/)
    expect(a.license).toMatch(/GroupLens/)
    const model = await loadArtifactDir(out) // the browser's loader: model.json checks + SHA-256
    const s = new EncoderSession(model)
    const ids = [...model.vocab.keys()].slice(0, 20)
    s.setHistory(ids.slice(0, 5).map((id, k) => ({ id: `e${k}`, type: 'view_item' as const, items: [{ id }], timestamp: 1e12 + k * 60_000 })))
    const scores = s.scoreSync(
      ids.map((id) => ({ id })),
      1e12 + 6 * 60_000,
    )
    expect(scores.every((x) => Number.isFinite(x))).toBe(true)
    expect(new Set(scores).size).toBeGreaterThan(1)
    s.dispose()
    disposeModel(model)
  }, 300_000)
})

describe('npm run train:torch (CLI)', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/offline/torch/cli.ts', ...args], { encoding: 'utf8', timeout: 60_000 })
  it('--help exits 0 listing the torchrun and dataset flags; an unknown flag or a missing --out is one line (exit 2)', () => {
    const h = cli(['--help'])
    expect(h.status).toBe(0)
    for (const f of ['--nproc', '--smoke', '--prepare-only', '--items', '--time-unit', '--ratings', '--license', '--force', '--loss', '--init-model', '--select']) expect(h.stdout).toContain(f)
    for (const [args, what] of [
      [['--out', '/tmp/x', '--nprocs', '2'], /--nprocs/],
      [[], /--out DIR is required/],
      [['--out', 'public/model'], /shipped model/],
      [['--out', '/tmp/x', '--loss', 'sampled'], /--loss must be softmax, full or gbce/],
      [['--out', '/tmp/x', '--loss', 'full', '--in-batch'], /--in-batch .* does not combine with --loss full/],
      [['--out', '/tmp/x', '--select', 'popularity'], /--select must be uniform, full or sum/],
    ] as const) {
      const r = cli([...args])
      expect(r.status, r.stderr).toBe(2)
      expect(r.stderr).toMatch(what)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
  }, 120_000)
})

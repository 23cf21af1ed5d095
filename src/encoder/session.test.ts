import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { initTf, tf } from '../offline/train/tf-node'
import { exportModel, readModel } from '../offline/train/export'
import { contextStart } from './config'
import { decodeWeights } from './weights'
import { EncoderSession, disposeModel, loadModel } from './session'
import { tinyArtifact, tinyConfig, tinyHistory, tinyItem } from './testing'

beforeAll(async () => {
  await initTf('cpu')
})

const candidates = Array.from({ length: 20 }, (_, i) => tinyItem(i))
const NOW = 1_700_000_000_000 + 3_600_000 * 24

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

describe('EncoderSession', () => {
  it('scores one float per candidate, and the history changes them', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const model = loadModel(artifact, bytes)
    const s = new EncoderSession(model)
    const empty = s.scoreSync(candidates, NOW)
    expect(empty).toHaveLength(20)
    s.setHistory(tinyHistory(10))
    const withHistory = s.scoreSync(candidates, NOW)
    expect(withHistory.every(Number.isFinite)).toBe(true)
    expect(maxDiff(empty, withHistory)).toBeGreaterThan(1e-3)
    s.dispose()
    disposeModel(model)
  })

  it('plain-JS candidate scoring (cached per item) equals the tensor path, and re-embeds an item whose content changed', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const model = loadModel(artifact, bytes)
    const s = new EncoderSession(model)
    s.setHistory(tinyHistory(12))
    // Vocabulary items, unseen items (content only), brand and price features, a bare id.
    const mixed = [
      ...candidates,
      { id: 'never-seen', category: ['Horror', 'Slasher'], brand: 'Acme', price: 12.5, title: 'Night Shift' },
      { id: 'bare' },
      { id: 'm3', category: ['Horror'], title: 'Movie 3 recut', price: 4 },
    ]
    const js = s.scoreSync(mixed, NOW)
    const ref = s.scoreWithTensors(mixed, NOW)
    expect(maxDiff(js, ref)).toBeLessThan(1e-5)
    expect(model.items.misses).toBe(mixed.length)
    // Same list again: every embedding is a cache hit, same scores.
    expect(Array.from(s.scoreSync(mixed, NOW))).toEqual(Array.from(js))
    expect(model.items.hits).toBe(mixed.length)
    // m3 listed with another category is a different key: embedded afresh, not the stale row.
    const changed = [{ ...candidates[3]!, category: ['Comedy'] }]
    const a = s.scoreSync(changed, NOW)
    expect(maxDiff(a, s.scoreWithTensors(changed, NOW))).toBeLessThan(1e-5)
    expect(Math.abs(a[0]! - js[3]!)).toBeGreaterThan(1e-4)
    s.dispose()
    disposeModel(model)
  })

  it('the candidate cache stays within its capacity', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const model = loadModel(artifact, bytes)
    const { ItemTable } = await import('./items')
    const table = new ItemTable(
      model.cfg,
      {
        itemEmb: new Float32Array(model.cfg.vocabSize * model.cfg.d),
        itemBias: new Float32Array(model.cfg.vocabSize),
        featEmb: new Float32Array(model.cfg.featBuckets * model.cfg.d),
        featBias: new Float32Array(model.cfg.featBuckets),
      },
      model.vocab,
      100,
    )
    const u = new Float32Array(model.cfg.d)
    for (let r = 0; r < 5; r++)
      table.score(
        u,
        Array.from({ length: 70 }, (_, i) => ({ id: `x${r}-${i}`, title: `t${i}` })),
      )
    expect(table.size).toBeLessThanOrEqual(100)
    expect(table.size).toBeGreaterThan(50)
    disposeModel(model)
  })

  it('append() is incremental and equals a full encode of the same history', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const model = loadModel(artifact, bytes)
    const h = tinyHistory(16)
    const inc = new EncoderSession(model)
    inc.setHistory(h.slice(0, 10))
    inc.flush()
    for (const e of h.slice(10)) inc.append(e)
    expect(inc.stats.fullEncodes).toBe(1)
    expect(inc.stats.incrementalEncodes).toBe(6)
    const full = new EncoderSession(model)
    full.setHistory(h)
    const a = inc.scoreSync(candidates, NOW)
    const b = full.scoreSync(candidates, NOW)
    expect(maxDiff(a, b)).toBeLessThan(1e-4)
    inc.dispose()
    full.dispose()
    disposeModel(model)
  })

  it('the plain-JS step (default off WebGPU) equals the tensor step and a full encode: multi-item events, searches, unseen items, with and without time', async () => {
    for (const over of [{}, { timeBias: false, gapGate: false }]) {
      const cfg = tinyConfig({ maxLen: 40, ...over })
      const { artifact, bytes } = await tinyArtifact({ cfg })
      const model = loadModel(artifact, bytes)
      const base = tinyHistory(14)
      const t = base[base.length - 1]!.timestamp
      const h = [
        ...base,
        { id: 'p', type: 'purchase' as const, items: [tinyItem(2), tinyItem(5), { id: 'unseen', category: ['Horror'], brand: 'Acme', price: 9 }], timestamp: t + 40_000 },
        { id: 's', type: 'search' as const, items: [], query: 'space horror', timestamp: t + 3 * 86_400_000 },
        ...tinyHistory(4, t + 3 * 86_400_000 + 5_000, 20_000, 2),
      ]
      const sessions = (['js', 'tensors'] as const).map((step) => {
        const s = new EncoderSession(model, { step })
        expect(s.stepMode).toBe(step)
        s.setHistory(h.slice(0, 6))
        s.flush()
        for (const e of h.slice(6)) s.append(e)
        expect(s.stats).toEqual({ fullEncodes: 1, incrementalEncodes: h.length - 6, context: 14 + 3 + 1 + 4, step })
        return s
      })
      const full = new EncoderSession(model)
      full.setHistory(h)
      const last = h[h.length - 1]!.timestamp
      for (const now of [last + 60_000, last + 30 * 86_400_000]) {
        const [js, tens] = sessions.map((s) => s.userVector(now))
        const ref = full.userVector(now)
        expect(maxDiff(js!, tens!)).toBeLessThan(1e-5)
        expect(maxDiff(js!, ref)).toBeLessThan(1e-5)
        expect(maxDiff(ref, new Float32Array(ref.length))).toBeGreaterThan(1e-2) // not trivially zero
      }
      for (const s of [...sessions, full]) s.dispose()
      disposeModel(model)
    }
  })

  it('slides its context in steps (contextStart) and still matches a full encode after crossing one', async () => {
    const cfg = tinyConfig({ maxLen: 12 })
    const { artifact, bytes } = await tinyArtifact({ cfg })
    const model = loadModel(artifact, bytes)
    expect(contextStart(12, 12)).toBe(0)
    expect(contextStart(13, 12)).toBe(3)
    expect(contextStart(15, 12)).toBe(3)
    expect(contextStart(16, 12)).toBe(6)
    const h = tinyHistory(20)
    const inc = new EncoderSession(model)
    inc.setHistory(h.slice(0, 5))
    inc.flush()
    for (const e of h.slice(5)) {
      inc.append(e)
      inc.flush() // what the worker does after each message burst
    }
    expect(inc.stats.context).toBe(20 - contextStart(20, 12))
    expect(inc.stats.fullEncodes).toBeGreaterThan(1) // re-encoded at step boundaries
    expect(inc.stats.incrementalEncodes).toBeGreaterThan(5)
    const full = new EncoderSession(model)
    full.setHistory(h)
    expect(maxDiff(inc.scoreSync(candidates, NOW), full.scoreSync(candidates, NOW))).toBeLessThan(1e-4)
    inc.dispose()
    full.dispose()
    disposeModel(model)
  })

  it('keeps the user vector until history or "now" changes; "now" moves scores through the gate', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const model = loadModel(artifact, bytes)
    const s = new EncoderSession(model)
    const h = tinyHistory(8)
    s.setHistory(h)
    const last = h[h.length - 1]!.timestamp
    const soon = s.userVector(last + 60_000)
    expect(s.stats.fullEncodes).toBe(1)
    s.userVector(last + 60_000)
    expect(s.stats.fullEncodes).toBe(1)
    const later = s.userVector(last + 90 * 24 * 3_600_000)
    expect(maxDiff(soon, later)).toBeGreaterThan(1e-4)
    s.dispose()
    disposeModel(model)
  })

  it('an item outside the vocabulary is scored from its content', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const model = loadModel(artifact, bytes)
    const s = new EncoderSession(model)
    s.setHistory(tinyHistory(8))
    const [a, b, bare] = s.scoreSync([{ id: 'new-1', category: ['Horror'], title: 'Night of the Unseen' }, { id: 'new-2', category: ['Romance'], title: 'Letters in Spring' }, { id: 'new-3' }], NOW)
    expect(Number.isFinite(a!) && Number.isFinite(b!) && Number.isFinite(bare!)).toBe(true)
    expect(Math.abs(a! - b!)).toBeGreaterThan(1e-4) // different content, different score
    s.dispose()
    disposeModel(model)
  })

  it('tensor count is identical before and after 1,000 scores (and appends)', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const model = loadModel(artifact, bytes)
    const s = new EncoderSession(model)
    const h = tinyHistory(40)
    s.setHistory(h.slice(0, 10))
    await s.score(candidates, NOW)
    const before = tf.memory().numTensors
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 0) s.append(h[10 + i / 50]!)
      await s.score(candidates, NOW + i * 1000)
    }
    s.flush()
    expect(tf.memory().numTensors).toBe(before)
    const idle = tf.memory().numTensors
    s.dispose()
    disposeModel(model)
    expect(tf.memory().numTensors).toBeLessThan(idle)
  })

  it('save → load gives identical scores (float32), and float16 stays within 1e-2', async () => {
    const cfg = tinyConfig()
    const { artifact, bytes } = await tinyArtifact({ cfg })
    const values = new Map([...decodeWeights(artifact.weightsManifest[0]!.weights, bytes)].map(([k, w]) => [k, { shape: w.shape, data: w.data }]))
    const dir = mkdtempSync(join(tmpdir(), 'lr-enc-'))
    const h = tinyHistory(12)
    const scoreWith = (a: typeof artifact, b: Uint8Array) => {
      const m = loadModel(a, b)
      const s = new EncoderSession(m)
      s.setHistory(h)
      const out = s.scoreSync(candidates, NOW)
      s.dispose()
      disposeModel(m)
      return out
    }
    const original = scoreWith(artifact, bytes)
    for (const q of ['float32', 'float16'] as const) {
      const sub = join(dir, q)
      const exp = await exportModel(sub, cfg, artifact.vocab, values, { quantization: q })
      const back = await readModel(sub)
      expect(back.artifact.sha256).toBe(exp.sha256)
      const { readFileSync } = await import('node:fs')
      const reloaded = scoreWith(back.artifact, new Uint8Array(readFileSync(join(sub, 'weights.bin'))))
      if (q === 'float32') expect(Array.from(reloaded)).toEqual(Array.from(original))
      else expect(maxDiff(reloaded, original)).toBeLessThan(1e-2)
    }
  })
})

describe('EncoderSession with item data carried by the items (issue 10)', () => {
  /** A tiny whole-table model, its user-side cut (0 or `keep` popular rows) and f32 feed vectors. */
  async function split(keep = 0, cfg = tinyConfig({ maxLen: 40 })) {
    const { buildArtifact, sourceItemSpace } = await import('../offline/feed/userside')
    const { sourceItemTable } = await import('../offline/feed/feed')
    const { encodeVector, modelIdOf } = await import('./vector-codec')
    const { artifact, bytes } = await tinyArtifact({ cfg })
    const src = { artifact, weights: decodeWeights(artifact.weightsManifest[0]!.weights, bytes) }
    const space = await sourceItemSpace(src)
    const user = await buildArtifact(src, space, keep, { mode: 'feed', quantization: 'float32' })
    const feed = sourceItemTable(src)
    const id = modelIdOf(space)
    const withVector = <T extends { id: string }>(it: T, enc: 'f32' | 'f16' = 'f32') => ({ ...it, vector: encodeVector(feed.embedding({ ...it }), id, enc) })
    return { table: loadModel(artifact, bytes), user: loadModel(user.artifact, user.bytes), userArtifact: user.artifact, withVector, id }
  }

  it('the user-side artifact holds only the reserved item rows (plus keep-top) and names its item space', async () => {
    const { userArtifact, user, table } = await split(0)
    expect(userArtifact.config.vocabSize).toBe(3)
    expect(userArtifact.vocab).toEqual([])
    expect(user.modelId).toMatch(/^[0-9a-f]{8}$/)
    expect(table.modelId).toBeNull()
    const five = await split(5)
    expect(five.userArtifact.vocab).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    for (const m of [user, table, five.user, five.table]) disposeModel(m)
  })

  it("candidates carrying vectors score as in whole-table mode; without one, a kept row or the content is used; another model's vector is ignored", async () => {
    const { table, user, withVector } = await split(4)
    const h = tinyHistory(12)
    const a = new EncoderSession(table)
    a.setHistory(h)
    const b = new EncoderSession(user)
    b.setHistory(h.map((e) => ({ ...e, items: e.items.map((it) => withVector(it)) })))
    const carried = candidates.map((c) => withVector(c))
    const ref = a.scoreSync(candidates, NOW)
    expect(maxDiff(b.scoreSync(carried, NOW), ref)).toBeLessThan(1e-5)
    expect(user.items.sources.vector).toBeGreaterThanOrEqual(carried.length)
    // m0…m3 are the kept popular rows: same score with no vector at all.
    const kept = b.scoreSync(candidates.slice(0, 4), NOW)
    expect(maxDiff(kept, ref.slice(0, 4))).toBeLessThan(1e-5)
    // m10 without a vector is out of the user-side vocabulary: content only, a different score.
    const bare = b.scoreSync([candidates[10]!], NOW)
    expect(Math.abs(bare[0]! - ref[10]!)).toBeGreaterThan(1e-4)
    // A vector from another training run: refused, the item falls back to its content.
    const foreign = { ...carried[10]!, vector: carried[10]!.vector.replace(/^f32:[0-9a-f]{8}:/, 'f32:deadbeef:') }
    const before = user.items.sources.rejected
    expect(b.scoreSync([foreign], NOW)[0]).toBeCloseTo(bare[0]!, 6)
    expect(user.items.sources.rejected).toBe(before + 1)
    expect(user.items.lastRejection).toMatch(/belongs to model deadbeef/)
    // f16 vectors: within half precision of the table path.
    const f16 = b.scoreSync(
      candidates.map((c) => withVector(c, 'f16')),
      NOW,
    )
    expect(maxDiff(f16, ref)).toBeLessThan(1e-2)
    for (const s of [a, b]) s.dispose()
    disposeModel(table)
    disposeModel(user)
  })

  it('history items carrying vectors: JS step == tensor step == full encode, and == the whole-table model within 1e-5', async () => {
    for (const over of [{}, { timeBias: false, gapGate: false }]) {
      const { table, user, withVector } = await split(0, tinyConfig({ maxLen: 40, ...over }))
      const base = tinyHistory(14)
      const t = base[base.length - 1]!.timestamp
      const plain = [
        ...base,
        { id: 'p', type: 'purchase' as const, items: [tinyItem(2), tinyItem(5), { id: 'unseen', category: ['Horror'], brand: 'Acme', price: 9 }], timestamp: t + 40_000 },
        { id: 's', type: 'search' as const, items: [], query: 'space horror', timestamp: t + 3 * 86_400_000 },
        ...tinyHistory(4, t + 3 * 86_400_000 + 5_000, 20_000, 2),
      ]
      // Every item carries its vector except one unseen item, which must live on its content in both.
      const carried = plain.map((e) => ({ ...e, items: e.items.map((it) => (it.id === 'unseen' ? it : withVector(it))) }))
      const sessions = (['js', 'tensors'] as const).map((step) => {
        const s = new EncoderSession(user, { step })
        s.setHistory(carried.slice(0, 6))
        s.flush()
        for (const e of carried.slice(6)) s.append(e)
        expect(s.stats.incrementalEncodes).toBe(carried.length - 6)
        return s
      })
      const full = new EncoderSession(user)
      full.setHistory(carried)
      const whole = new EncoderSession(table)
      whole.setHistory(plain)
      const last = plain[plain.length - 1]!.timestamp
      for (const now of [last + 60_000, last + 30 * 86_400_000]) {
        const [js, tens] = sessions.map((s) => s.userVector(now))
        const ref = full.userVector(now)
        expect(maxDiff(js!, tens!)).toBeLessThan(1e-5)
        expect(maxDiff(js!, ref)).toBeLessThan(1e-5)
        expect(maxDiff(ref, whole.userVector(now))).toBeLessThan(1e-5)
      }
      // Without the carried vectors the user-side model sees only content: a different user.
      const blind = new EncoderSession(user)
      blind.setHistory(plain)
      expect(maxDiff(blind.userVector(last + 60_000), whole.userVector(last + 60_000))).toBeGreaterThan(1e-3)
      for (const s of [...sessions, full, whole, blind]) s.dispose()
      disposeModel(table)
      disposeModel(user)
    }
  })
})

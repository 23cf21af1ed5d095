/**
 * The evaluator through the real engine (issue 13, "Evaluate through the real engine").
 *
 * The README's encoder figures come from the evaluator's `encoder+profile` row, which replays
 * events into the browser's pieces (`EncoderSession`, `createProfile`, `rankCandidates`) one by
 * one. Nothing proved that `createEngine` — validation, the store, compaction, the worker
 * protocol, the similarity loader, the fusion defaults — gives the same answers. Here the
 * same users, split, candidate lists and metric code run through
 * `createEngine({ storage: 'memory', clock })`, with the shipped model served to the real
 * encoder client and worker host (in-process: Node has no module Worker), and the similarity
 * table the evaluator builds served over the engine's own `fetch` path. Every event goes through
 * `engine.track` at its own time; each list through `engine.rerank`.
 *
 * It pins (1) per-user agreement with the evaluator's row, score for score, and (2) the figure
 * itself, within a band, so a change in either path that moves the README's numbers fails here.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { ClientOptions } from '../../encoder/client'
import type { Engine } from '../../engine/types'
import type { StoredEvent } from '../../events/types'
import type { Candidate } from '../../rank/types'
import { DEFAULT_MOVIELENS_DIR, loadDataset } from '../data'
import { initTf } from '../train/tf-node'
import { createContext, type BuiltContext } from './context'
import { encoderModel } from './models/encoder'
import { runEvaluation } from './run'
import type { ModelSpec } from './types'

const DATASET = resolve(DEFAULT_MOVIELENS_DIR)
const MODEL_DIR = resolve('public/model')
const BASE = 'https://shop.example/model/'
const SIMILARITY_URL = 'https://shop.example/eval/similarity.json'
const USERS = 40
/**
 * MovieLens ratings start in 1996, and `track()` refuses timestamps before 2000 (issue 13 #10).
 * Every time is moved forward by whole weeks: the encoder and the profile see only gaps and
 * times of day/week, so a 1040-week shift must not change a single score (and this test would
 * fail if one did).
 */
const SHIFT_MS = 1040 * 7 * 24 * 3600 * 1000

let similarityJson = ''

vi.mock('../../encoder', async () => {
  const { createEncoderClient } = await import('../../encoder/client')
  const { inProcessWorker } = await import('../../encoder/in-process')
  // The worker's loader fetches the shipped files, as the browser does, from public/model.
  const fetchFn = (async (input: RequestInfo | URL) => {
    const file = join(MODEL_DIR, String(input).slice(BASE.length))
    return existsSync(file) ? new Response(readFileSync(file)) : new Response('', { status: 404 })
  }) as typeof fetch
  return { createEncoder: (o: ClientOptions) => createEncoderClient({ ...o, createWorker: () => inProcessWorker({ fetch: fetchFn, webgpuMissing: 'Node' }) }) }
})

function requireInputs(): void {
  if (!existsSync(join(DATASET, 'ratings.csv')) || !existsSync(join(DATASET, 'movies.csv'))) {
    throw new Error(`MovieLens ml-latest-small is missing: expected ratings.csv and movies.csv in ${DATASET} (datasets live in ../shared/datasets/, see its README)`)
  }
  if (!existsSync(join(MODEL_DIR, 'model.json'))) throw new Error(`the shipped model is missing at ${MODEL_DIR}/model.json`)
}

/**
 * A model row whose every session is the real engine: events are tracked at their own time
 * (the engine's clock is moved to each event's timestamp), lists are reranked at the held-out
 * event's time. One engine serves all users; `clear()` between users is "Clear everything".
 */
function engineModel(): { spec: ModelSpec; dispose: () => Promise<void>; paths: string[] } {
  let t = 0
  let engine: Engine | null = null
  const paths: string[] = []
  const ready = (async () => {
    const { createEngine } = await import('../../engine/engine')
    engine = await createEngine({
      storage: 'memory',
      clock: () => t,
      model: BASE + 'model.json',
      similarity: SIMILARITY_URL,
      // The evaluator replays the full history (the published protocol): no age or count eviction.
      retention: { maxAgeMs: Number.POSITIVE_INFINITY, maxEvents: Number.POSITIVE_INFINITY },
      // An offline figure must not depend on machine load.
      deadlineMs: 120_000,
      strict: true,
    })
    await vi.waitFor(
      () => {
        const i = engine!.info()
        expect(i.model?.ready, i.model?.error).toBe(true)
        expect(i.similarity?.ready, i.similarity?.error).toBe(true)
      },
      { timeout: 60_000, interval: 50 },
    )
    return engine
  })()
  const spec: ModelSpec = {
    name: 'engine',
    description: 'createEngine({ storage: memory, clock }) with the shipped model',
    group: 'encoder',
    create: () => ({
      session: () => {
        const pending: StoredEvent[] = []
        let cleared: Promise<void> | null = null
        return {
          add(e) {
            pending.push(e)
          },
          async score(list: ReadonlyArray<Candidate>, now: number) {
            const eng = await ready
            cleared ??= eng.clear()
            await cleared
            for (const e of pending.splice(0)) {
              t = e.timestamp + SHIFT_MS
              const stored = await eng.track({ type: e.type, items: e.items, timestamp: t, ...(e.query !== undefined ? { query: e.query } : {}) })
              if (!stored) throw new Error(`engine did not record event ${e.id}`)
            }
            t = now + SHIFT_MS
            const r = await eng.rerank(list, { explain: false })
            paths.push(r.path)
            if (r.items.length !== list.length) throw new Error(`engine returned ${r.items.length} of ${list.length}`)
            const out = new Float64Array(list.length)
            // Rank positions as scores: the engine's order is the answer a shopper sees.
            r.items.forEach((it, pos) => (out[it.serverRank] = list.length - pos))
            return out
          },
        }
      },
    }),
  }
  return { spec, paths, dispose: async () => (await ready).dispose() }
}

/** The evaluator's own encoder+profile row, with its scores turned into the same positions. */
function asPositions(spec: ModelSpec): ModelSpec {
  return {
    ...spec,
    create: (ctx) => {
      const inner = spec.create(ctx)
      return {
        session: (u) => {
          const s = inner.session(u)
          return {
            add: (e) => s.add(e),
            async score(list, now) {
              const sc = await s.score(list, now)
              // The ranker's final order: score descending, server order breaking ties (as rankCandidates sorts).
              const order = Array.from(sc.keys()).sort((a, b) => sc[b]! - sc[a]! || a - b)
              const out = new Float64Array(list.length)
              order.forEach((i, pos) => (out[i] = list.length - pos))
              return out
            },
          }
        },
      }
    },
  }
}

describe('the evaluator through createEngine (ml-latest-small, shipped model)', () => {
  let ctx: BuiltContext
  beforeAll(async () => {
    requireInputs()
    await initTf('cpu')
    ctx = createContext(loadDataset(DATASET), { seed: 1 })
    similarityJson = JSON.stringify(ctx.artifact().json)
    vi.stubGlobal('fetch', (async (input: RequestInfo | URL) => {
      if (String(input) === SIMILARITY_URL) return new Response(similarityJson, { headers: { 'content-type': 'application/json' } })
      return new Response('', { status: 404 })
    }) as typeof fetch)
  }, 120_000)

  it(`the engine ranks every list of the first ${USERS} users as the evaluator's encoder+profile row does, and the figure stays in its band`, async () => {
    const eng = engineModel()
    try {
      const evaluator = asPositions(encoderModel({ name: 'encoder+profile', description: '', dir: MODEL_DIR, withProfile: true }))
      const r = await runEvaluation(ctx, [eng.spec, evaluator], { protocols: ['uniform'], phases: ['val', 'test'], limitUsers: USERS })
      expect(eng.paths).toHaveLength(USERS * 2)
      expect(new Set(eng.paths)).toEqual(new Set(['encoder']))
      const cell = (model: string, phase: string) => r.cells.find((c) => c.model === model && c.phase === phase)!
      for (const phase of ['val', 'test']) {
        const a = cell('engine', phase)
        const b = cell('encoder+profile', phase)
        // Same lists, same order: the target's NDCG@10 and the whole top 10 agree for every user.
        let same = 0
        for (let u = 0; u < USERS; u++) if (a.ndcg[10]![u] === b.ndcg[10]![u] && a.top[u]!.join() === b.top[u]!.join()) same++
        expect(same, `${phase}: users whose engine top 10 equals the evaluator's`).toBe(USERS)
      }
      const mean = (xs: Float64Array) => xs.reduce((s, x) => s + x, 0) / xs.length
      const test = mean(cell('engine', 'test').ndcg[10]!)
      const val = mean(cell('engine', 'val').ndcg[10]!)
      console.log(`engine path, first ${USERS} users, uniform-100 NDCG@10: test ${test.toFixed(4)}, val ${val.toFixed(4)}`)
      // Measured when this test was written (shipped model ce5a85bb…, seed 1): test 0.5361,
      // val 0.5450 for these 40 users (the README's 0.566 is all 610); with its out-of-vocabulary
      // row re-learned (model 90554c0f…, issue 11): test 0.5265, val 0.5457; with the
      // full-softmax model f3 (cc5c7842…, issue 11, 4 Dec 2026): test 0.5144, val 0.5484; with
      // the default encoder weight re-chosen on validation for f3 (3 → 50, src/rank/defaults.ts):
      // test 0.5992, val 0.5563. The
      // engine and the evaluator agree exactly above, so the band is only for a deliberate
      // change: a new model, new defaults or a new protocol must move these figures on
      // purpose, here and in the README.
      expect(test).toBeGreaterThan(0.579)
      expect(test).toBeLessThan(0.619)
      expect(val).toBeGreaterThan(0.536)
      expect(val).toBeLessThan(0.576)
    } finally {
      await eng.dispose()
    }
  }, 600_000)
})

/**
 * The threads section's own module worker (bundled by lib/bundle.ts, never shipped): the raw
 * encoder pass (full encode of a history + scoring of candidates, EncoderSession as the
 * engine's worker runs it) on WASM at a thread count the bench chooses. The engine's worker
 * cannot be told a count: on the bench's 2-core machine it asks for 1 and tfjs-wasm caps it at
 * hardwareConcurrency / 2 = 1 anyway (src/encoder/backend.ts), so "threads working" — a pool
 * of 2 or more — is only measurable here.
 */
import * as tf from '@tensorflow/tfjs-core'
import { activateBackend, probeEnvironment, wasmThreadCount } from '../../src/encoder/backend'
import { fetchModel } from '../../src/encoder/loader'
import { EncoderSession, type LoadedModel, loadModel } from '../../src/encoder/session'
import type { Item, StoredEvent } from '../../src/events/types'

type Msg = { id: number; op: string; args: Record<string, number | string> }

let model: LoadedModel | null = null
let session: EncoderSession | null = null
const NOW = 1_500_000_000_000 + 2000 * 3_600_000

/** `n` single-item views of vocabulary items, an hour apart (as e2e/isolated.spec.ts builds them). */
function history(m: LoadedModel, n: number): StoredEvent[] {
  const vocab = [...m.vocab.keys()]
  return Array.from({ length: n }, (_, k) => ({
    id: `h-${k}`,
    type: 'view_item' as const,
    items: [{ id: vocab[(k * 13) % Math.min(400, vocab.length)]!, category: ['Drama'], title: `Film ${k}` }],
    timestamp: 1_500_000_000_000 + k * 3_600_000,
  }))
}

const ops: Record<string, (args: Record<string, number | string>) => Promise<unknown>> = {
  /**
   * threads 0: the single-thread SIMD build; n > 0: the threaded build with a pool of n. The
   * pool size follows navigator.hardwareConcurrency twice (the engine's wasmThreadCount, then
   * tfjs-wasm's cap at half of it), so while the module starts this worker's navigator reports
   * 2n: wasmThreadCount(2n) ≥ n and the cap is n. The real value comes back afterwards.
   */
  async init(args) {
    const threads = Number(args.threads)
    const probe = await probeEnvironment()
    if (threads > 0 && !probe.threads) throw new Error('threads asked for, but this page is not cross-origin isolated')
    if (threads > 0 && wasmThreadCount(2 * threads) < threads) throw new Error(`the engine never asks for ${threads} threads`)
    const nav = navigator as Navigator & { hardwareConcurrency: number }
    if (threads > 0) Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true })
    let got: { wasmThreads?: number }
    try {
      got = await activateBackend(tf, { backend: 'wasm', reason: 'threads bench', fallbacks: [], threads: threads > 0 })
    } finally {
      delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency
    }
    const fetched = await fetchModel(String(args.model), undefined, () => {})
    model = loadModel(fetched.artifact, fetched.bytes)
    session = new EncoderSession(model)
    return { backend: tf.getBackend(), wasmThreads: got.wasmThreads ?? null, cores: navigator.hardwareConcurrency }
  },

  /**
   * `reps` raw passes over a history of `history` events and `candidates` candidates: each sets
   * a history that differs from the last (so the next score is a full encode) and scores. One
   * unmeasured pass first. Returns the times and the first measured pass's scores.
   */
  async pass(args) {
    if (!model || !session) throw new Error('init first')
    const n = Number(args.history)
    const c = Number(args.candidates)
    const reps = Number(args.reps)
    const hist = history(model, n)
    const vocab = [...model.vocab.keys()]
    const cands: Item[] = Array.from({ length: c }, (_, i) => ({ id: vocab[(500 + i) % vocab.length]!, category: [i % 2 ? 'Drama' : 'Comedy'] }))
    const times: number[] = []
    let scores: number[] = []
    for (let r = -1; r < reps; r++) {
      session.setHistory(r % 2 ? hist : hist.slice(1))
      const t0 = performance.now()
      const s = await session.score(cands, NOW)
      const dt = performance.now() - t0
      if (r >= 0) times.push(dt)
      if (r === 0) scores = Array.from(s)
    }
    const full = session.stats.fullEncodes
    return { times, scores, fullEncodes: full }
  },
}

self.onmessage = async (ev: MessageEvent<Msg>) => {
  const { id, op, args } = ev.data
  try {
    const fn = ops[op]
    if (!fn) throw new Error(`unknown op ${op}`)
    ;(self as unknown as Worker).postMessage({ id, ok: true, result: await fn(args) })
  } catch (err) {
    ;(self as unknown as Worker).postMessage({ id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
  }
}

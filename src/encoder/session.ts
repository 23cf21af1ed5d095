import * as tf from '@tensorflow/tfjs-core'
import type { Item, StoredEvent } from '../events/types'
import { contextStart, FIRST_ITEM_ROW, type EncoderConfig } from './config'
import { ItemTable } from './items'
import { disposeEncodeWeights, encodeSequence, fuseJs, prepareEncodeWeights, type EncodeWeights } from './attention-encode'
import { embedItems, forward, fuse, gapLog, scoreItems, type EncoderCache, type Params } from './model'
import { JsCache, layerNorm, stepToken, stepWeights, type StepWeights } from './step'
import { candidateInputs, eventsToTokens, tokenCount, type Tokens } from './tokens'
import { modelIdOf, type ItemSideFields } from './vector-codec'
import { decodeWeights, type ModelArtifact } from './weights'

export type { ItemSideFields } from './vector-codec'

/** A model ready to run: config, weights as tensors and the vocabulary. */
export interface LoadedModel {
  cfg: EncoderConfig
  params: Params
  vocab: Map<string, number>
  /** Candidate embeddings in plain JS, cached per item (items.ts); shared by the model's sessions. */
  items: ItemTable
  /** The token path's weights as plain arrays, for the incremental step (step.ts). */
  step: StepWeights
  /** Prepared weights of the full encode on backends that read back synchronously (attention-encode.ts). */
  encode: EncodeWeights
  /** The 8-hex id carried vectors must name (`itemSpace`), or null: no vectors used. */
  modelId: string | null
}

/** Build tensors from an artifact and its (already verified) weight bytes. */
export function loadModel(artifact: ModelArtifact, bytes: Uint8Array): LoadedModel {
  const decoded = decodeWeights(
    artifact.weightsManifest.flatMap((g) => g.weights),
    bytes,
  )
  const params: Params = {}
  for (const [name, w] of decoded) params[name] = tf.tensor(w.data, w.shape)
  const vocab = new Map<string, number>()
  artifact.vocab.forEach((id, i) => vocab.set(id, i + FIRST_ITEM_ROW))
  const data = (name: string): Float32Array => {
    const w = decoded.get(name)
    if (!w) throw new Error(`encoder weight missing: ${name}`)
    return w.data
  }
  const space = (artifact as ModelArtifact & ItemSideFields).itemSpace
  if (space !== undefined && (typeof space !== 'string' || !/^[0-9a-f]{64}$/.test(space))) throw new Error(`model.json itemSpace must be 64 lower-case hex digits (got ${JSON.stringify(space)})`)
  const modelId = space === undefined ? null : modelIdOf(space)
  const items = new ItemTable(artifact.config, { itemEmb: data('item_emb'), itemBias: data('item_bias'), featEmb: data('feat_emb'), featBias: data('feat_bias') }, vocab, undefined, modelId)
  return { cfg: artifact.config, params, vocab, items, step: stepWeights(artifact.config, data), encode: prepareEncodeWeights(artifact.config, data), modelId }
}

export function disposeModel(m: LoadedModel): void {
  for (const t of Object.values(m.params)) t.dispose()
  disposeEncodeWeights(m.encode)
  m.items.clear()
}

/**
 * The same trained model with its time inputs switched off at inference (the evaluator's
 * `encoder-timeoff` ablation): no decay bias on attention, no gap in the gate. Every part derived
 * from the config at load is derived again here, the JS step's decay rates included: copying
 * only `cfg` left the step adding −λ·log(1+Δt) on appends while full encodes did not (issue 13
 * #28: incremental and full encodes were up to 1.55 apart). Shares the weights' tensors.
 */
export function withoutTime(m: LoadedModel): LoadedModel {
  const cfg = { ...m.cfg, timeBias: false, gapGate: false }
  return { ...m, cfg, step: { ...m.step, blocks: m.step.blocks.map((b) => ({ ...b, lambda: null })) } }
}

/**
 * How `append` encodes the new tokens, and how a full encode runs.
 * - 'js': appends in plain JavaScript against a plain-array KV cache (step.ts). A step is a
 *   fraction of a millisecond where tfjs ops cost 8–20 ms of dispatch on WASM. Full encodes run
 *   attention-encode.ts (fused products, JS for the per-row parts), which reads k and v back
 *   as the cache's rows; the user vector is fused in JS.
 * - 'tensors': with `forward` and the cache as tensors. Kept for WebGPU, where reading the cache
 *   back after every full encode would stall on the GPU, and as the reference in tests.
 */
export type StepMode = 'js' | 'tensors'

export interface SessionOptions {
  /** Default: 'tensors' on the WebGPU backend, 'js' everywhere else. */
  step?: StepMode
}

/** Counters for tests and benchmarks: how the last update was done. */
export interface SessionStats {
  fullEncodes: number
  incrementalEncodes: number
  /** Tokens in the current context. */
  context: number
  /** How appends are encoded (StepMode). */
  step: StepMode
}

/**
 * One shopper's encoder state, inside the worker (or in Node for evaluation and tests).
 *
 * - The Transformer's output for the newest position (short- and long-term vectors s, l) and the
 *   KV cache of the context are kept until the history changes.
 * - `append` encodes only the new event's tokens against the KV cache (exact: the relative
 *   attention biases make past keys/values independent of what comes after), unless the context
 *   crosses a step boundary of `contextStart`, which re-encodes.
 * - Scoring fuses s and l with the gate for the current "now" (the only time-dependent part),
 *   caches that user vector (and its read-back) while "now" stays within the same gap value,
 *   and dots it with the candidates' embeddings in plain JS (items.ts, cached per item).
 * Every tensor made by an update or a score is released (tidy/dispose): `tf.memory().numTensors`
 * does not grow with use.
 */
export class EncoderSession {
  private events: StoredEvent[] = []
  /** Total tokens of the history: those in `events` plus the older ones left on the page. */
  private total = 0
  private start = 0
  private cache: EncoderCache | null = null
  private js: JsCache | null = null
  readonly stepMode: StepMode
  private s: tf.Tensor2D | null = null
  private l: tf.Tensor2D | null = null
  /** 'js' mode: the newest position's short- and long-term vectors as arrays (no tensors kept). */
  private sl: { s: Float32Array; l: Float32Array } | null = null
  private originMs = 0
  private lastMs = 0
  /**
   * The fused user vector for one gap value: in 'js' mode an array (u made only for the tensor
   * reference path); in 'tensors' mode a tensor and its read-back once scoring needed it.
   */
  private user: { key: number; u: tf.Tensor2D | null; js: Float32Array | null } | null = null
  private dirty = false
  readonly stats: SessionStats

  constructor(
    private readonly model: LoadedModel,
    opts: SessionOptions = {},
  ) {
    this.stepMode = opts.step ?? (tf.getBackend() === 'webgpu' ? 'tensors' : 'js')
    this.stats = { fullEncodes: 0, incrementalEncodes: 0, context: 0, step: this.stepMode }
  }

  get length(): number {
    return this.total
  }

  /**
   * Replace the history; the encode happens lazily at the next score (or `flush`). `skipped`:
   * the tokens of older events left out (history-tail.ts), counted so that the context starts
   * where it would for the whole history; `events` must then hold at least maxLen tokens.
   */
  setHistory(events: ReadonlyArray<StoredEvent>, skipped = 0): void {
    this.events = [...events].sort((a, b) => a.timestamp - b.timestamp)
    this.total = this.events.reduce((a, e) => a + tokenCount(e), Number.isSafeInteger(skipped) && skipped > 0 ? skipped : 0)
    this.dirty = true
  }

  /** Add one event (normally the newest); incremental when the state is current. */
  append(event: StoredEvent): void {
    const last = this.events[this.events.length - 1]
    this.events.push(event)
    const k = tokenCount(event)
    this.total += k
    if (k === 0) return
    if (last && event.timestamp < last.timestamp) {
      // Out of order (another tab's late write): re-sort and re-encode.
      this.events.sort((a, b) => a.timestamp - b.timestamp)
      this.dirty = true
      return
    }
    if (this.dirty || !(this.cache || this.js) || contextStart(this.total, this.model.cfg.maxLen) !== this.start) {
      this.dirty = true
      return
    }
    this.encodeIncremental(eventsToTokens([event], this.model.vocab, this.model.cfg))
  }

  /** Bring the encoder state up to date now (e.g. during idle time, or in a benchmark). */
  flush(): void {
    if (this.dirty) this.encodeFull()
  }

  /**
   * Scores of `candidates` (one per candidate, higher is better) at time `nowMs`:
   * score(c) = u(now)·e(c) + bias(c). With no history the user vector is 0 and the scores are
   * the items' biases (a learned popularity/content prior).
   */
  async score(candidates: ReadonlyArray<Item>, nowMs: number): Promise<Float32Array> {
    const u = this.userAt(nowMs)
    // Read back once per user vector (asynchronously: a GPU read-back must not block).
    if (!u.js) u.js = (await u.u!.data()) as Float32Array
    return this.model.items.score(u.js, candidates)
  }

  /**
   * u(now) as a JS array, read back once per user vector (asynchronously, as `score` does):
   * for scoring the worker's item rows (runtime.ts `scoreRows`, items.ts). Shared: do not modify.
   */
  async userArray(nowMs: number): Promise<Float32Array> {
    const u = this.userAt(nowMs)
    if (!u.js) u.js = (await u.u!.data()) as Float32Array
    return u.js
  }

  /** Synchronous variant for backends that can read back synchronously (CPU, WASM). */
  scoreSync(candidates: ReadonlyArray<Item>, nowMs: number): Float32Array {
    const u = this.userAt(nowMs)
    if (!u.js) u.js = u.u!.dataSync() as Float32Array
    return this.model.items.score(u.js, candidates)
  }

  /**
   * The same scores computed with tensor ops (`embedItems`, a matMul), the way the trainer
   * scores: the reference the plain-JS path is tested against.
   */
  scoreWithTensors(candidates: ReadonlyArray<Item>, nowMs: number): Float32Array {
    const u = this.userTensor(nowMs)
    const { cfg, params, vocab } = this.model
    const inp = candidateInputs(candidates, vocab, cfg)
    const n = candidates.length
    const t = tf.tidy(() => {
      const items = embedItems(params, cfg, {
        rows: tf.tensor1d(inp.rows, 'int32'),
        feats: tf.tensor2d(inp.feats, [n, cfg.featSlots], 'int32'),
        featW: tf.tensor2d(inp.featW, [n, cfg.featSlots]),
      })
      return tf.reshape(scoreItems(u, { e: items.e as tf.Tensor2D, bias: items.bias as tf.Tensor1D }), [n])
    })
    try {
      return t.dataSync() as Float32Array
    } finally {
      t.dispose()
    }
  }

  /** The fused user vector at `nowMs` (a copy), for tests and diagnostics. */
  userVector(nowMs: number): Float32Array {
    const u = this.userAt(nowMs)
    return (u.js ?? (u.u!.dataSync() as Float32Array)).slice()
  }

  dispose(): void {
    this.clearState()
    this.events = []
    this.total = 0
  }

  private userAt(nowMs: number): { key: number; u: tf.Tensor2D | null; js: Float32Array | null } {
    this.flush()
    const { cfg, params } = this.model
    const g = this.s || this.sl ? gapLog(cfg, (nowMs - this.lastMs) / 1000) : 0
    const key = Math.round(g * 1000)
    if (this.user && this.user.key === key) return this.user
    this.user?.u?.dispose()
    if (this.stepMode === 'js') {
      // The gate in JS: 2·d² multiply-adds, where the tensor ops were a dozen kernels.
      this.user = { key, u: null, js: this.sl ? fuseJs(cfg, this.model.encode.gate, this.sl.s, this.sl.l, g) : new Float32Array(cfg.d) }
      return this.user
    }
    const u = tf.tidy(() => (this.s && this.l ? (fuse(params, cfg, this.s, this.l, tf.tensor1d([g])) as tf.Tensor2D) : tf.zeros([1, cfg.d]))) as tf.Tensor2D
    this.user = { key, u, js: null }
    return this.user
  }

  /** The user vector as a tensor, for the tensor reference path (`scoreWithTensors`). */
  private userTensor(nowMs: number): tf.Tensor2D {
    const u = this.userAt(nowMs)
    u.u ??= tf.tensor2d(u.js!, [1, this.model.cfg.d])
    return u.u
  }

  private clearState(): void {
    if (this.cache) {
      for (const b of this.cache.blocks) {
        b.kT.dispose()
        b.v.dispose()
      }
      this.cache.times.dispose()
      this.cache.sumE.dispose()
    }
    this.cache = null
    this.js = null
    this.s?.dispose()
    this.l?.dispose()
    this.user?.u?.dispose()
    this.s = this.l = null
    this.sl = null
    this.user = null
    this.stats.context = 0
  }

  private encodeFull(): void {
    const { cfg, vocab } = this.model
    this.clearState()
    this.dirty = false
    this.start = contextStart(this.total, cfg.maxLen)
    const tok = eventsToTokens(this.events, vocab, cfg, this.total - this.start)
    if (tok.length === 0) return
    this.originMs = tok.timesMs[0]!
    if (this.stepMode === 'js') this.runJs(tok)
    else this.run(tok, null)
    this.stats.fullEncodes++
  }

  private encodeIncremental(tok: Tokens): void {
    if (this.js) this.stepJs(tok)
    else this.run(tok, this.cache)
    this.stats.incrementalEncodes++
  }

  private stepJs(tok: Tokens): void {
    const js = this.js!
    const { items, step } = this.model
    const unit = this.model.cfg.timeUnitSec * 1000
    let out: { s: Float32Array; l: Float32Array } | null = null
    for (let i = 0; i < tok.length; i++) {
      const e = items.tokenEmbedding(tok, i)
      out = stepToken(step, js, e, tok.types[i]!, (tok.timesMs[i]! - this.originMs) / unit)
    }
    if (!out) return
    this.user?.u?.dispose()
    this.user = null
    this.sl = out
    this.lastMs = tok.timesMs[tok.length - 1]!
    this.stats.context = js.n
  }

  /**
   * The tokens' item embeddings [m·d], built in plain JS (items.ts `tokenEmbedding`): a carried
   * vector where the item has one of this model, else its row + content, exactly what the JS
   * step uses. Handing `forward` this explicit matrix instead of gathering rows on the backend
   * is what lets a history item that is not in the (top-N or empty) vocabulary of a user-side
   * artifact enter the encoder with its trained embedding. The trainer keeps `embedItems`.
   * Cost: m·featSlots·d multiply-adds (≈ 150k for 200 tokens), negligible next to the encode.
   */
  private tokenMatrix(tok: Tokens): Float32Array {
    const { d } = this.model.cfg
    const E = new Float32Array(tok.length * d)
    for (let i = 0; i < tok.length; i++) E.set(this.model.items.tokenEmbedding(tok, i).subarray(0, d), i * d)
    return E
  }

  /**
   * Full encode in 'js' mode (attention-encode.ts): the token rows (item embedding + type
   * embedding) and the long-term mean in JS, the Transformer in fused tfjs kernels, its k and v
   * read back straight into the JS step's cache, the final LayerNorm of the newest row in JS.
   */
  private runJs(tok: Tokens): void {
    const { cfg, step, encode } = this.model
    const { d } = cfg
    const m = tok.length
    const unit = cfg.timeUnitSec * 1000
    const times = Float32Array.from(tok.timesMs, (t) => (t - this.originMs) / unit)
    const E = this.tokenMatrix(tok)
    const h0 = new Float32Array(m * d)
    const sumE = new Float64Array(d)
    for (let i = 0; i < m; i++) {
      const te = tok.types[i]! * d
      for (let x = 0; x < d; x++) {
        const e = E[i * d + x]!
        h0[i * d + x] = e + step.typeEmb[te + x]!
        sumE[x] = sumE[x]! + e
      }
    }
    const out = encodeSequence(cfg, encode, step, h0, times)
    this.js = JsCache.fromRows(cfg, m, out.k, out.v, times, sumE)
    const tmp = new Float64Array(d)
    const s = Float32Array.from(layerNorm(out.hLast, step.lnfG, step.lnfB, tmp))
    const l = Float32Array.from(
      layerNorm(
        Float64Array.from(sumE, (x) => x / m),
        step.lnlG,
        step.lnlB,
        tmp,
      ),
    )
    this.sl = { s, l }
    this.lastMs = tok.timesMs[m - 1]!
    this.stats.context = m
  }

  private run(tok: Tokens, past: EncoderCache | null): void {
    const { cfg, params } = this.model
    const m = tok.length
    const unit = cfg.timeUnitSec * 1000
    const times = Float32Array.from(tok.timesMs, (t) => (t - this.originMs) / unit)
    const E = this.tokenMatrix(tok)
    const res = tf.tidy(() => {
      const out = forward(params, cfg, { e: tf.tensor3d(E, [1, m, cfg.d]), types: tf.tensor2d(tok.types, [1, m], 'int32'), times: tf.tensor2d(times, [1, m]) }, { past, keepCache: true })
      const s = tf.reshape(tf.slice(out.short, [0, m - 1, 0], [1, 1, cfg.d]), [1, cfg.d])
      const l = tf.reshape(tf.slice(out.long, [0, m - 1, 0], [1, 1, cfg.d]), [1, cfg.d])
      const c = out.cache!
      return { s, l, kT: c.blocks.map((b) => b.kT), v: c.blocks.map((b) => b.v), times: c.times, sumE: c.sumE }
    })
    // Release the previous state only now: the new cache was built from it.
    const n = (past?.n ?? 0) + m
    this.clearState()
    this.cache = { blocks: res.kT.map((kT, i) => ({ kT, v: res.v[i]! })), times: res.times, sumE: res.sumE, n }
    this.s = res.s as tf.Tensor2D
    this.l = res.l as tf.Tensor2D
    this.lastMs = tok.timesMs[m - 1]!
    this.stats.context = n
  }
}

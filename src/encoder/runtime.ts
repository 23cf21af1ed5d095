/**
 * The TensorFlow.js side of the worker, loaded lazily (a separate chunk) once the model's
 * weights have been fetched and verified: backend activation, model tensors, warm-up, and the
 * shopper's session.
 */
import * as tf from '@tensorflow/tfjs-core'
import type { BackendName } from '../engine/types'
import { BackendError } from '../errors'
import type { Item, StoredEvent } from '../events/types'
import { type Activated, activateBackend, type BackendChoice } from './backend'
import { disposeModel, EncoderSession, loadModel, type LoadedModel } from './session'
import type { ModelArtifact } from './weights'

/** How long a backend may take to initialise before the next one is tried. */
export const ACTIVATE_TIMEOUT_MS = 15_000

export interface ActivateDeps {
  /** Returns what `activateBackend` does (a test double may return nothing: no thread count then). */
  activate?: (tf: typeof import('@tensorflow/tfjs-core'), choice: BackendChoice) => Promise<unknown>
  /** The worker's global scope, whose 'error' events a failing pthread raises (default globalThis). */
  scope?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
  timeoutMs?: number
}

/**
 * An uncaught error in the encoder worker that is a pthread's ErrorEvent rethrown by
 * emscripten's `worker.onerror` (`throw e`): the error value is itself an Event.
 */
function isPthreadFailure(ev: Event): boolean {
  const err = (ev as ErrorEvent).error as unknown
  return typeof Event === 'function' && err instanceof Event
}

/**
 * Activate the chosen backend, falling back along `choice.fallbacks` when its initialisation
 * fails (a forced backend has no fallbacks: its failure is the caller's error).
 * - Threaded WASM first falls back to single-thread WASM, forced or not: it is the same backend
 *   and the same results. Threads fail in ways a plain init does not: a pthread worker that
 *   cannot start raises an uncaught error in this worker (which would kill the encoder) and
 *   leaves tfjs's init pending forever. So while threads start, such errors are caught here and
 *   count as that attempt's failure, and every attempt has a timeout; errors of abandoned
 *   pthreads stay swallowed afterwards (they would otherwise reach the page as worker errors).
 */
export async function activate(choice: BackendChoice, deps: ActivateDeps = {}): Promise<{ backend: BackendName; reason: string }> {
  const attempts: BackendChoice[] = [choice]
  if (choice.backend === 'wasm' && choice.threads) attempts.push({ ...choice, threads: false })
  for (const b of choice.fallbacks) attempts.push({ ...choice, backend: b, threads: false })
  const run = deps.activate ?? activateBackend
  const scope = deps.scope ?? (globalThis as unknown as EventTarget)
  const timeoutMs = deps.timeoutMs ?? ACTIVATE_TIMEOUT_MS
  let reason = choice.reason
  let lastErr: unknown
  for (const a of attempts) {
    const label = a.backend === 'wasm' ? (a.threads ? 'WASM with threads' : 'WASM') : a.backend
    let onError: ((ev: Event) => void) | null = null
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const got = await Promise.race([
        run(tf, a),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
          if (a.threads) {
            onError = (ev: Event) => {
              if (!isPthreadFailure(ev)) return
              ev.preventDefault()
              const inner = (ev as ErrorEvent).error as ErrorEvent
              reject(new Error(`a WASM thread failed to start: ${inner.message || 'unknown error'}`))
            }
            scope.addEventListener('error', onError)
          }
        }),
      ])
      if (a !== choice) reason = reason.replace(/WASM \(([^,]+), threads\)/, 'WASM ($1, no threads)')
      // The thread count as tfjs-wasm reports it after init, so info() says whether threads compute.
      else if (a.threads) {
        const n = (got as Activated | undefined)?.wasmThreads
        if (n !== undefined) reason += `; ${n} WASM threads`
      }
      return { backend: a.backend, reason }
    } catch (err) {
      lastErr = err
      reason = `${label} failed to initialise (${err instanceof Error ? err.message : String(err)}); ${reason}`
      if (a.threads && onError) {
        // Keep swallowing the abandoned pthreads' errors (only those: the error value is an Event).
        const swallow = (ev: Event) => {
          if (isPthreadFailure(ev)) ev.preventDefault()
        }
        scope.addEventListener('error', swallow)
      }
    } finally {
      if (timer) clearTimeout(timer)
      if (onError) scope.removeEventListener('error', onError)
    }
  }
  throw new BackendError('backend_unavailable', `no backend could be initialised: ${reason}`, { backend: choice.backend }, { cause: lastErr })
}

/** A deterministic synthetic history for warm-up: compiles kernels/shaders for every shape class used. */
function warmupEvents(model: LoadedModel, n: number): StoredEvent[] {
  const ids = [...model.vocab.keys()].slice(0, n)
  return Array.from({ length: n }, (_, i) => ({
    id: `warmup-${i}`,
    type: 'view_item' as const,
    items: [{ id: ids[i % Math.max(1, ids.length)] ?? `warmup-item-${i}`, category: ['warmup'], title: 'warm up' }],
    timestamp: 1_600_000_000_000 + i * 60_000,
  }))
}

/** Appends run by the warm-up (see `warmUp`). */
const WARMUP_APPENDS = 24

export class Runtime {
  readonly model: LoadedModel
  private session: EncoderSession
  lastEncodeMs = 0
  lastEncodeKind: 'full' | 'incremental' | null = null
  lastScoreMs = 0
  /** Time spent storing items since the last score (added to `lastScoreMs`). */
  private putMs = 0
  private flushTimer: ReturnType<typeof setTimeout> | null = null

  constructor(artifact: ModelArtifact, bytes: Uint8Array) {
    this.model = loadModel(artifact, bytes)
    this.session = new EncoderSession(this.model)
  }

  /**
   * Run a full encode, an incremental append and a score on a throw-away session, so that the
   * first real rerank does not pay for shader compilation (WebGPU) or first-call set-up (WASM).
   */
  async warmUp(): Promise<void> {
    const s = new EncoderSession(this.model)
    try {
      // Several appends, not one: the plain-JS step (step.ts) runs 3–7 ms per token until V8
      // has optimised it (about a dozen calls), then ~0.6 ms. Paying that here, in the worker
      // and before 'ready', keeps it out of the shopper's first reranks.
      const appends = Math.max(1, Math.min(WARMUP_APPENDS, this.model.cfg.maxLen - 8)) // stay inside one context
      const ev = warmupEvents(this.model, 8 + appends)
      s.setHistory(ev.slice(0, 8))
      s.flush()
      for (const e of ev.slice(8)) s.append(e)
      const last = ev[ev.length - 1]!
      await s.score(
        ev.map((e) => e.items[0]!),
        last.timestamp + 1000,
      )
    } finally {
      s.dispose()
    }
  }

  /**
   * No encode is waiting: the history has been encoded (an append encodes at once when it can;
   * anything else schedules a flush), so a score now costs only the dot products.
   */
  get current(): boolean {
    return this.flushTimer === null
  }

  /** The model's context length in tokens (the page sends at least this much history). */
  get contextTokens(): number {
    return this.model.cfg.maxLen
  }

  /** `skipped`: tokens in older events the page did not send (history-tail.ts). */
  setHistory(events: ReadonlyArray<StoredEvent>, skipped = 0): void {
    this.session.setHistory(events, skipped)
    this.scheduleFlush()
  }

  append(event: StoredEvent): void {
    const before = this.session.stats.incrementalEncodes
    const t0 = performance.now()
    this.session.append(event)
    if (this.session.stats.incrementalEncodes > before) {
      this.lastEncodeMs = performance.now() - t0
      this.lastEncodeKind = 'incremental'
    } else this.scheduleFlush()
  }

  /**
   * Store candidate items at the rows the page gave them (items.ts `putRow`). Each pair on its
   * own: one that fails (a malformed item) leaves its row unusable and the others stored; the
   * first failure is returned, for the request that carried them. Its time counts as scoring.
   */
  putItems(pairs: ReadonlyArray<readonly [number, Item]>): unknown {
    const t0 = performance.now()
    let first: unknown = null
    for (const p of pairs) {
      try {
        if (!Array.isArray(p) || typeof p[0] !== 'number' || typeof p[1] !== 'object' || p[1] === null) throw new Error('score request: an items entry is not a [row, item] pair')
        this.model.items.putRow(p[0], p[1])
      } catch (err) {
        first ??= err
      }
    }
    this.putMs += performance.now() - t0
    return first
  }

  /** Scores of the items stored at `rows` (`putItems`), for the user at `now`. */
  async scoreRows(rows: Int32Array, now: number): Promise<Float32Array> {
    this.flushNow()
    const t0 = performance.now()
    const u = await this.session.userArray(now)
    const s = this.model.items.scoreRows(u, rows)
    this.lastScoreMs = performance.now() - t0 + this.putMs
    this.putMs = 0
    return s
  }

  stats() {
    return { ...this.session.stats }
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer)
    this.session.dispose()
    disposeModel(this.model)
  }

  /** Encode soon (after the current burst of messages), so a later score finds the state warm. */
  private scheduleFlush(): void {
    if (this.flushTimer) return
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null
      this.flushNow()
    }, 0)
  }

  private flushNow(): void {
    const before = this.session.stats.fullEncodes
    const t0 = performance.now()
    this.session.flush()
    if (this.session.stats.fullEncodes > before) {
      this.lastEncodeMs = performance.now() - t0
      this.lastEncodeKind = 'full'
    }
  }
}

export function memory(): { numTensors: number; numBytes: number; backend: string } {
  const m = tf.memory()
  return { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() }
}

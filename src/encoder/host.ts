import type { BackendName } from '../engine/types'
import { LocalRankError, ModelError, toLocalRankError } from '../errors'
import type { Item, StoredEvent } from '../events/types'
import { chooseBackend, probeEnvironment, type BackendProbe } from './backend'
import { fetchModel, type LoaderDeps } from './loader'
import type { FromWorker, ToWorker, WireError, WorkerStats } from './messages'

type RuntimeModule = typeof import('./runtime')
type Runtime = InstanceType<RuntimeModule['Runtime']>

export interface HostDeps {
  probe?: () => Promise<BackendProbe>
  loader?: LoaderDeps
  /** How to load the tfjs side (tests may inject it; the worker imports its chunk lazily). */
  runtime?: () => Promise<RuntimeModule>
}

export function toWire(err: unknown): WireError {
  const e = err instanceof LocalRankError ? err : toLocalRankError(err, 'model')
  return { name: e.name, code: e.code, message: e.message, context: JSON.parse(JSON.stringify(e.context ?? {})) as WireError['context'] }
}

/**
 * The worker's logic, independent of `self` so that Node tests can drive it. It mirrors the
 * history from the first message on (events that arrive while the model loads are not lost),
 * loads and verifies the model, activates the backend, warms up, then serves scores.
 * Until it is ready, a score request is answered with `null` at once.
 */
export class WorkerHost {
  private events: StoredEvent[] = []
  /** Tokens of older history the page did not send (history-tail.ts). */
  private skipped = 0
  private runtime: Runtime | null = null
  private runtimeModule: RuntimeModule | null = null
  private backend: BackendName | null = null
  private disposed = false
  /**
   * Score requests not yet started. A request is not computed when its message arrives but in a
   * task of its own after the messages already queued, so that a 'cancel' sent by the page
   * after it (its deadline passed while the worker was busy) is seen first and the request is
   * not scored: N missed deadlines cost nothing, not N encodes. A cancelled request still
   * stores its new items, in its turn: the page has numbered them, and later lists name their
   * rows (storing them at arrival instead would let a list queued earlier, which named a row
   * before the page reused it, score with the new item).
   *
   * The exception: a request that finds the queue empty and the encoder's state current (no
   * encode waiting: `Runtime.current`) is scored as its message is handled. Its cost is then
   * only the dot products (~0.2 ms for 2,000 candidates), so the wait for a cancel saves
   * nothing worth a task hop, and the hop was on every rerank's critical path (0.02–0.08 ms
   * between the request's arrival and its scoring, traced in Chromium with a 5 µs clock at 50
   * events and 2,000 candidates; 0–0.01 ms now; issue 14). A request that would start an
   * encode still waits its turn, so N missed deadlines still cost no encodes.
   */
  private queue: Array<{ id: number; rows: Int32Array; items: string | undefined; now: number; cancelled: boolean }> = []
  private draining = false
  private scoresRun = 0
  private scoresCancelled = 0

  constructor(
    private readonly post: (m: FromWorker, transfer?: Transferable[]) => void,
    private readonly deps: HostDeps = {},
  ) {}

  handle(msg: ToWorker): void {
    if (this.disposed) return
    switch (msg.type) {
      case 'init':
        void this.init(msg.model, msg.sha256, msg.backend)
        return
      case 'history':
        this.events = msg.events.slice()
        this.skipped = msg.skipped ?? 0 // checked where it is used (EncoderSession.setHistory)
        this.runtime?.setHistory(this.events, this.skipped)
        return
      case 'append':
        this.events.push(msg.event)
        this.runtime?.append(msg.event)
        return
      case 'score':
        if (!this.runtime) {
          this.post({ type: 'scores', id: msg.id, scores: null })
          return
        }
        this.queue.push({ id: msg.id, rows: msg.rows, items: msg.items, now: msg.now, cancelled: false })
        if (!this.draining && this.queue.length === 1 && this.runtime.current) {
          this.draining = true
          void this.drain()
        } else this.scheduleDrain()
        return
      case 'cancel': {
        const q = this.queue.find((x) => x.id === msg.id)
        if (q && !q.cancelled) {
          q.cancelled = true
          this.scoresCancelled++
        }
        return
      }
      case 'stats':
        this.post({ type: 'stats', id: msg.id, stats: this.stats() })
        return
      case 'dispose':
        this.disposed = true
        this.queue = []
        this.runtime?.dispose()
        this.runtime = null
        return
    }
  }

  stats(): WorkerStats {
    const mem = this.runtimeModule?.memory() ?? { numTensors: 0, numBytes: 0 }
    return {
      backend: this.backend,
      numTensors: mem.numTensors,
      numBytes: mem.numBytes,
      session: this.runtime?.stats() ?? null,
      lastEncodeMs: this.runtime?.lastEncodeMs ?? 0,
      lastEncodeKind: this.runtime?.lastEncodeKind ?? null,
      lastScoreMs: this.runtime?.lastScoreMs ?? 0,
      scoresRun: this.scoresRun,
      scoresCancelled: this.scoresCancelled,
    }
  }

  private async init(model: string, sha256: string | undefined, forced: BackendName | undefined): Promise<void> {
    try {
      const probe = await (this.deps.probe ?? probeEnvironment)()
      const choice = chooseBackend(probe, forced)
      // Weights are fetched and verified before any tfjs code is even loaded.
      const fetched = await fetchModel(model, sha256, (p) => this.post({ type: 'progress', progress: p }), this.deps.loader)
      const rt = await (this.deps.runtime ?? (() => import('./runtime')))()
      const active = await rt.activate(choice)
      if (this.disposed) return
      this.runtimeModule = rt
      const runtime = new rt.Runtime(fetched.artifact, fetched.bytes)
      await runtime.warmUp()
      if (this.disposed) {
        runtime.dispose()
        return
      }
      runtime.setHistory(this.events, this.skipped)
      this.runtime = runtime
      this.backend = active.backend
      const reason = fetched.fromCache ? `${active.reason}; weights from cache` : active.reason
      // No separate 'ready' progress message: the page emits it when it handles 'ready', after
      // its status says ready, so an onProgress listener that reranks at once gets the encoder.
      this.post({ type: 'ready', backend: active.backend, reason, contextTokens: runtime.contextTokens })
    } catch (err) {
      this.post({ type: 'error', error: toWire(err) })
    }
  }

  /**
   * Run queued requests one at a time, each in a macrotask (setTimeout 0: after every message
   * already in the worker's queue, cancels included), oldest first.
   */
  private scheduleDrain(): void {
    if (this.draining) return
    this.draining = true
    setTimeout(() => void this.drain(), 0)
  }

  private async drain(): Promise<void> {
    const next = this.queue.shift()
    if (next && !this.disposed) await this.score(next)
    this.draining = false
    if (this.queue.length > 0 && !this.disposed) this.scheduleDrain()
  }

  private async score(q: { id: number; rows: Int32Array; items: string | undefined; now: number; cancelled: boolean }): Promise<void> {
    const { id } = q
    if (!this.runtime) {
      if (!q.cancelled) this.post({ type: 'scores', id, scores: null })
      return
    }
    let putError: unknown = null
    if (q.items !== undefined) {
      try {
        const pairs = JSON.parse(q.items) as unknown
        if (!Array.isArray(pairs)) throw new ModelError('model', 'score request: items must be a JSON array of [row, item] pairs')
        putError = this.runtime.putItems(pairs as Array<[number, Item]>)
      } catch (err) {
        putError = err
      }
    }
    if (q.cancelled) return
    this.scoresRun++
    try {
      if (putError) throw putError
      if (!(q.rows instanceof Int32Array)) throw new ModelError('model', 'score request: rows must be an Int32Array')
      // A fresh array (scoreRows allocates it), so its buffer can be transferred.
      const scores = await this.runtime.scoreRows(q.rows, q.now)
      this.post({ type: 'scores', id, scores }, [scores.buffer])
    } catch (err) {
      this.post({ type: 'scores', id, scores: null, error: toWire(err) })
    }
  }
}

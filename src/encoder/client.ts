import type { Clock } from '../clock'
import { systemClock } from '../clock'
import type { LoadProgress } from '../engine/types'
import { BackendError, LocalRankError, ModelError, ValidationError } from '../errors'
import type { StoredEvent } from '../events/types'
import type { Candidate } from '../rank/types'
import { BACKENDS } from './backend-names'
import type { FromWorker, ToWorker, WireError, WorkerStats } from './messages'
import { forModel, historyMessage } from './history-tail'
import { ItemRows } from './item-rows'
import type { EncoderHandle, EncoderOptions, EncoderStatus } from './types'
import { TrustedWorker as Worker } from '../trusted-types'

/** Rebuild a typed error from its wire form. */
export function fromWire(w: WireError): LocalRankError {
  if (w.name === 'BackendError') return new BackendError(w.code, w.message, w.context)
  if (w.name === 'ModelError') return new ModelError(w.code, w.message, w.context)
  return new LocalRankError(w.code, w.message, w.context)
}

/** The minimal Worker surface the handle needs (tests pass a fake). */
export interface WorkerLike {
  postMessage(m: ToWorker, transfer?: Transferable[]): void
  onmessage: ((ev: MessageEvent<FromWorker>) => void) | null
  onerror: ((ev: ErrorEvent) => void) | null
  terminate(): void
}

export interface ClientOptions extends EncoderOptions {
  /** "Now" for scoring (the gap since the last event feeds the model's gate). Default Date.now. */
  clock?: Clock
  /** Worker factory; default: the bundled module worker. */
  createWorker?: () => WorkerLike
}

/**
 * The page-side handle: posts messages to the encoder worker and never runs model code.
 * `score` answers `null` at once while the model is loading, failed or disposed (the ranker then
 * uses the profile), and `null` when `signal` aborts first (the worker is told, and drops the
 * request unless it is already running).
 */
export function createEncoderClient(options: ClientOptions): EncoderHandle & { stats(): Promise<WorkerStats | null> } {
  if (!options || typeof options.model !== 'string' || options.model === '') {
    throw new ValidationError('invalid_options', 'model', 'must be the URL of model.json')
  }
  if (options.backend !== undefined && !BACKENDS.includes(options.backend)) {
    throw new BackendError('invalid_options', `backend "${String(options.backend)}" is unknown; valid options: ${BACKENDS.join(', ')}`, {
      backend: String(options.backend),
      valid: [...BACKENDS],
    })
  }
  if (options.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(options.sha256)) {
    throw new ValidationError('invalid_options', 'sha256', 'must be 64 hexadecimal digits')
  }
  const clock = options.clock ?? systemClock
  const base = (globalThis as { location?: { href: string } }).location?.href
  // Resolve against the page: inside the worker a relative URL would resolve against the worker's chunk.
  const modelUrl = base ? new URL(options.model, base).href : options.model
  const status: EncoderStatus = { ready: false, backend: null, reason: 'loading' }
  let readyResolve!: () => void
  let readyReject!: (e: LocalRankError) => void
  const readyPromise = new Promise<void>((res, rej) => {
    readyResolve = res
    readyReject = rej
  })
  readyPromise.catch(() => undefined) // the handle works without anyone awaiting it
  let nextId = 1
  const pending = new Map<number, (v: Float32Array | null) => void>()
  const pendingStats = new Map<number, (s: WorkerStats | null) => void>()
  let disposed = false
  // Only the fields the model reads cross the boundary (a candidate may carry the shop's own
  // data), and each item once (item-rows.ts). Feed mode (issue 10): its carried `vector` goes
  // too; neighbours are the profile's, which runs on the page, so they stay here.
  const itemRows = new ItemRows()
  // Tokens of history the worker's model can see (0 until it says, at 'ready': send it all).
  let contextTokens = 0
  const progress = (p: LoadProgress) => {
    try {
      options.onProgress?.(p)
    } catch {
      // A throwing progress callback must not break loading.
    }
  }

  const worker: WorkerLike = options.createWorker
    ? options.createWorker()
    : // `Worker` is TrustedWorker (src/trusted-types.ts): the URL goes through the `localrank`
      // Trusted Types policy, without which a page requiring Trusted Types refused the worker.
      (new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'localrank-encoder' }) as unknown as WorkerLike)

  const fail = (err: LocalRankError) => {
    status.ready = false
    status.error = err.message
    if (status.reason === 'loading') status.reason = `encoder unavailable: ${err.message}`
    progress({ status: 'error', error: err })
    readyReject(err)
    for (const [, r] of pending) r(null)
    pending.clear()
  }

  worker.onmessage = (ev: MessageEvent<FromWorker>) => {
    const m = ev.data
    switch (m.type) {
      case 'progress':
        progress(m.progress)
        return
      case 'ready':
        status.ready = true
        contextTokens = m.contextTokens
        status.backend = m.backend
        status.reason = m.reason
        delete status.error
        progress({ status: 'ready', backend: m.backend, reason: m.reason })
        readyResolve()
        return
      case 'error':
        fail(fromWire(m.error))
        return
      case 'scores': {
        // No scores: the worker may not have stored this list's items, so send them all again.
        if (m.scores === null) itemRows.clear()
        const r = pending.get(m.id)
        pending.delete(m.id)
        r?.(m.scores)
        return
      }
      case 'stats': {
        const r = pendingStats.get(m.id)
        pendingStats.delete(m.id)
        r?.(m.stats)
        return
      }
    }
  }
  worker.onerror = (ev: ErrorEvent) => {
    ev.preventDefault?.()
    fail(new ModelError('model', `encoder worker failed: ${ev.message || 'unknown error'}`, { model: modelUrl }))
  }
  const send = (m: ToWorker, transfer?: Transferable[]) => {
    if (!disposed) worker.postMessage(m, transfer)
  }
  send({ type: 'init', model: modelUrl, ...(options.sha256 ? { sha256: options.sha256.toLowerCase() } : {}), ...(options.backend ? { backend: options.backend } : {}) })

  return {
    ready: () => status.ready && !disposed,
    status: () => ({ ...status }),
    whenReady: () => readyPromise,
    setHistory(events: ReadonlyArray<StoredEvent>) {
      send(historyMessage(events, contextTokens))
    },
    append(event: StoredEvent) {
      send({ type: 'append', event: forModel(event) })
    },
    score(candidates: ReadonlyArray<Candidate>, signal: AbortSignal): Promise<Float32Array | null> {
      if (disposed || !status.ready || signal?.aborted) return Promise.resolve(null)
      const id = nextId++
      return new Promise<Float32Array | null>((resolve) => {
        let msg: Extract<ToWorker, { type: 'score' }>
        try {
          const { rows, added } = itemRows.resolve(candidates)
          msg = { type: 'score', id, rows, now: clock(), ...(added.length > 0 ? { items: JSON.stringify(added) } : {}) }
        } catch (err) {
          itemRows.clear() // rows were handed out for items that were never sent
          throw err
        }
        const onAbort = () => {
          pending.delete(id)
          // Tell the worker, which then skips the request if it has not begun it: otherwise every
          // rerank that missed its deadline still cost an encode, and a backlog built up behind them.
          send({ type: 'cancel', id })
          resolve(null)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        pending.set(id, (v) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(v)
        })
        send(msg, [msg.rows.buffer])
      })
    },
    stats(): Promise<WorkerStats | null> {
      if (disposed) return Promise.resolve(null)
      const id = nextId++
      return new Promise((resolve) => {
        pendingStats.set(id, resolve)
        send({ type: 'stats', id })
      })
    },
    dispose() {
      if (disposed) return
      send({ type: 'dispose' })
      disposed = true
      status.ready = false
      status.reason = 'disposed'
      for (const [, r] of pending) r(null)
      pending.clear()
      for (const [, r] of pendingStats) r(null)
      pendingStats.clear()
      readyReject(new LocalRankError('disposed', 'encoder disposed before it was ready'))
      worker.terminate()
    },
  }
}

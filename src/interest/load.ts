import { LocalRankError, ModelError, type LocalRankErrorCode, type LocalRankErrorContext } from '../errors'
import { TrustedWorker as Worker } from '../trusted-types'
import { fetchSimilarityJson, MemorySimilarityTable, parseSimilarityTableAsync } from './similarity'

/** What the similarity worker answers (similarity-worker.ts). */
export type SimilarityWorkerReply =
  | { ok: true; ids: string[]; offsets: Int32Array; neighbors: Int32Array; sims: Float64Array; meta?: Record<string, unknown> }
  | { ok: false; kind: 'table' | 'http' | 'other'; code?: LocalRankErrorCode; message: string; context: LocalRankErrorContext }

export interface LoadSimilarityOptions {
  /** Parse in a dedicated worker (default, where `Worker` exists); false parses on this thread in slices. */
  worker?: boolean
  /** The table's pin: SHA-256 (hex) of the file's bytes. A mismatch refuses it (ModelError `integrity`). */
  sha256?: string
}

/**
 * Fetch and check the offline similarity table at `url`.
 *
 * Why a worker: the MovieLens table is 1.4 MB of JSON. On the page, `JSON.parse` alone took
 * 15–40 ms on the 2-core build machine and the checks another ~50 ms before the JIT warmed
 * up, which the shop's page would wait for at start-up. In a worker both happen off the main
 * thread and the page receives ready typed arrays (transferred, not copied). Where a worker
 * cannot start (no Worker, a CSP that forbids it), the page parses in slices that yield.
 * @throws ModelError naming the field for a malformed table, ModelError `integrity` when the
 *   bytes do not match `options.sha256`; LocalRankError `model` on HTTP errors.
 */
export async function loadSimilarityTable(url: string, options: LoadSimilarityOptions = {}): Promise<MemorySimilarityTable> {
  // globalThis.Worker: the imported `Worker` (Trusted Types wrapper) exists even where workers do not.
  if (options.worker !== false && typeof globalThis.Worker === 'function') {
    let reply: SimilarityWorkerReply | null = null
    try {
      reply = await inWorker(new URL(url, globalThis.location?.href).href, options.sha256)
    } catch {
      reply = null // the worker itself failed to start or crashed: parse here instead
    }
    if (reply?.ok) return MemorySimilarityTable.fromArrays(reply.ids, reply.offsets, reply.neighbors, reply.sims, reply.meta)
    if (reply && !reply.ok) {
      // The table or the server is at fault, not the worker: the same error as a local parse
      // (a malformed table keeps its ModelError naming the field, a pin mismatch its `integrity`).
      const code = reply.code ?? 'model'
      throw reply.kind === 'table' ? new ModelError(code, reply.message, reply.context) : new LocalRankError(code, reply.message, reply.kind === 'http' ? reply.context : { model: url })
    }
  }
  return parseSimilarityTableAsync(await fetchSimilarityJson(url, options.sha256))
}

function inWorker(absoluteUrl: string, sha256: string | undefined): Promise<SimilarityWorkerReply> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./similarity-worker.ts', import.meta.url), { type: 'module', name: 'localrank-similarity' })
    w.onmessage = (ev: MessageEvent<SimilarityWorkerReply>) => {
      w.terminate()
      resolve(ev.data)
    }
    w.onerror = (ev) => {
      w.terminate()
      reject(new Error(ev.message || 'similarity worker failed'))
    }
    w.postMessage({ url: absoluteUrl, sha256 })
  })
}

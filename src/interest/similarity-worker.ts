/**
 * Dedicated worker that fetches, parses and checks the similarity table off the main thread
 * (load.ts), then hands the page its typed arrays by transfer. One table per worker; it closes
 * itself when done. It only ever sees the table's URL: no history, no profile.
 */
import { LocalRankError, ModelError } from '../errors'
import { fetchSimilarityJson, parseSimilarityTable } from './similarity'
import type { SimilarityWorkerReply } from './load'

interface Scope {
  onmessage: ((ev: MessageEvent<{ url: string; sha256?: string }>) => void) | null
  postMessage(m: SimilarityWorkerReply, transfer?: Transferable[]): void
  close(): void
}
const scope = self as unknown as Scope

scope.onmessage = async (ev) => {
  try {
    const t = parseSimilarityTable(await fetchSimilarityJson(ev.data.url, ev.data.sha256)).toArrays()
    const reply: SimilarityWorkerReply = { ok: true, ids: [...t.ids], offsets: t.offsets, neighbors: t.neighbors, sims: t.sims, meta: t.meta ? { ...t.meta } : undefined }
    scope.postMessage(reply, [t.offsets.buffer, t.neighbors.buffer, t.sims.buffer])
  } catch (err) {
    const kind = err instanceof ModelError ? 'table' : err instanceof LocalRankError ? 'http' : 'other'
    const context = err instanceof LocalRankError ? { ...err.context } : {}
    const code = err instanceof LocalRankError ? err.code : undefined
    scope.postMessage({ ok: false, kind, code, message: err instanceof Error ? err.message : String(err), context })
  } finally {
    scope.close()
  }
}

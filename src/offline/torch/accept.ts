import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fetchModel } from '../../encoder/loader'
import { loadModel, disposeModel, EncoderSession, type LoadedModel } from '../../encoder/session'
import { initTf } from '../train/tf-node'

/**
 * Load an exported directory the way the browser does: `fetchModel` (model.json checks and the
 * SHA-256 of the weights) over a file-reading fetch, then `loadModel` and a session that
 * encodes a short history of vocabulary items and scores them. Throws what the browser would.
 */
export async function loadArtifactDir(dir: string): Promise<LoadedModel> {
  await initTf('wasm')
  const base = 'http://local.test/model/'
  const fileFetch = (async (url: string | URL | Request) => {
    const name = String(url instanceof Request ? url.url : url).slice(base.length)
    try {
      return new Response(readFileSync(join(dir, name)))
    } catch {
      return new Response('not found', { status: 404 })
    }
  }) as typeof fetch
  const m = await fetchModel(base + 'model.json', undefined, () => {}, { fetch: fileFetch })
  return loadModel(m.artifact, m.bytes)
}

export async function acceptByLoader(dir: string): Promise<{ weights: number; scores: number }> {
  const model = await loadArtifactDir(dir)
  try {
    const ids = [...model.vocab.keys()].slice(0, 12)
    const s = new EncoderSession(model)
    s.setHistory(ids.slice(0, 8).map((id, k) => ({ id: `e${k}`, type: 'view_item' as const, items: [{ id }], timestamp: 1_600_000_000_000 + k * 60_000 })))
    const scores = s.scoreSync(
      ids.map((id) => ({ id })),
      1_600_000_000_000 + 9 * 60_000,
    )
    s.dispose()
    const finite = scores.filter((x) => Number.isFinite(x)).length
    if (finite !== scores.length) throw new Error(`${dir}: ${scores.length - finite} of ${scores.length} scores are not finite`)
    return { weights: Object.keys(model.params).length, scores: finite }
  } finally {
    disposeModel(model)
  }
}

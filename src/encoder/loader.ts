import { ModelError } from '../errors'
import type { WireProgress } from './messages'
import { artifactProblem, concatBytes, modelSha256, sha256Hex, type ModelArtifact } from './weights'

/**
 * Fetch a model: `model.json`, then its weight shards with progress, verified against SHA-256
 * before anything uses them, and cached after the first load.
 *
 * - Two checks. (1) model.json against the model's pin (`modelSha256()` in weights.ts: config,
 *   vocabulary, manifest and the weights' digest), before any shard is fetched. The expected
 *   pin is the caller's `sha256` when given (the page pins the model it trusts), else the one
 *   model.json declares in `modelSha256` (which still catches a corrupted file); with neither,
 *   this check is skipped. (2) The weight bytes against model.json's `sha256`, always, so a
 *   corrupted or swapped shard is refused even without a pin.
 * - Cache: the Cache API (available in workers, persistent across visits) keyed by the weights'
 *   digest, so a new model version is a new key and a cached copy is re-verified on every load.
 *   Where the Cache API is missing (Node, some private modes) weights are simply fetched.
 */
export interface FetchedModel {
  artifact: ModelArtifact
  bytes: Uint8Array
  fromCache: boolean
}

export interface LoaderDeps {
  fetch: typeof fetch
  caches?: CacheStorage | undefined
}

export const CACHE_NAME = 'localrank-encoder-v1'

function fileName(url: string): string {
  return url.split('?')[0]!.split('/').pop() || url
}

async function readWithProgress(res: Response, file: string, onProgress: (p: WireProgress) => void): Promise<Uint8Array> {
  const total = Number(res.headers.get('content-length') ?? 0)
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer())
    onProgress({ status: 'progress', file, loaded: b.length, total: b.length, progress: 100 })
    return b
  }
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let loaded = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parts.push(value)
    loaded += value.length
    onProgress({ status: 'progress', file, loaded, total: total || loaded, progress: total ? Math.min(100, (100 * loaded) / total) : 0 })
  }
  return concatBytes(parts)
}

export async function fetchModel(
  modelUrl: string,
  expectedSha: string | undefined,
  onProgress: (p: WireProgress) => void,
  deps: LoaderDeps = { fetch: globalThis.fetch.bind(globalThis), caches: (globalThis as { caches?: CacheStorage }).caches },
): Promise<FetchedModel> {
  const ctx = { model: modelUrl }
  const jsonFile = fileName(modelUrl)
  onProgress({ status: 'initiate', file: jsonFile })
  let res: Response
  try {
    res = await deps.fetch(modelUrl)
  } catch (err) {
    throw new ModelError('model', `could not fetch ${modelUrl}: ${err instanceof Error ? err.message : String(err)}`, ctx, { cause: err })
  }
  if (!res.ok) throw new ModelError('model', `could not fetch ${modelUrl}: HTTP ${res.status}`, { ...ctx, status: res.status })
  let artifact: ModelArtifact
  try {
    artifact = (await res.json()) as ModelArtifact
  } catch (err) {
    throw new ModelError('model', `${modelUrl} is not valid JSON`, ctx, { cause: err })
  }
  const problem = artifactProblem(artifact)
  if (problem) throw new ModelError('model', `${modelUrl}: ${problem}`, ctx)
  onProgress({ status: 'done', file: jsonFile })

  const pin = await modelSha256(artifact)
  const wanted = (expectedSha ?? artifact.modelSha256)?.toLowerCase()
  if (wanted !== undefined && wanted !== pin) {
    // A page still pinning the old weights-only digest gets told what the pin is now.
    const why =
      wanted === artifact.sha256
        ? ' (that is the digest of the weight bytes alone, which does not cover the vocabulary or config; pin the model SHA-256 the exporter prints)'
        : expectedSha === undefined
          ? ' (the pin model.json itself declares: the file is corrupted or was edited)'
          : ''
    throw new ModelError('integrity', `model ${modelUrl} has model SHA-256 ${pin}, but ${wanted} was expected${why}; refusing it`, {
      ...ctx,
      expected: wanted,
      actual: pin,
    })
  }
  const expected = artifact.sha256

  const cacheKey = new URL(`__localrank-weights/${expected}`, modelUrl).href
  let cache: Cache | undefined
  try {
    cache = deps.caches ? await deps.caches.open(CACHE_NAME) : undefined
  } catch {
    cache = undefined // e.g. opaque origins, storage blocked
  }
  if (cache) {
    const hit = await cache.match(cacheKey).catch(() => undefined)
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer())
      if ((await sha256Hex(bytes)) === expected) {
        onProgress({ status: 'done', file: 'weights (cache)' })
        return { artifact, bytes, fromCache: true }
      }
      await cache.delete(cacheKey).catch(() => false)
    }
  }

  const parts: Uint8Array[] = []
  for (const group of artifact.weightsManifest) {
    for (const p of group.paths) {
      const url = new URL(p, modelUrl).href
      const file = fileName(url)
      onProgress({ status: 'download', file })
      let r: Response
      try {
        r = await deps.fetch(url)
      } catch (err) {
        throw new ModelError('model', `could not fetch weights ${url}: ${err instanceof Error ? err.message : String(err)}`, ctx, { cause: err })
      }
      if (!r.ok) throw new ModelError('model', `could not fetch weights ${url}: HTTP ${r.status}`, { ...ctx, status: r.status })
      parts.push(await readWithProgress(r, file, onProgress))
      onProgress({ status: 'done', file })
    }
  }
  const bytes = concatBytes(parts)
  const actual = await sha256Hex(bytes)
  if (actual !== expected) {
    throw new ModelError('integrity', `weights of ${modelUrl} have sha256 ${actual}, expected ${expected}; refusing them (tampered or corrupted)`, {
      ...ctx,
      expected,
      actual,
    })
  }
  if (cache) await cache.put(cacheKey, new Response(bytes as unknown as BodyInit, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => undefined)
  return { artifact, bytes, fromCache: false }
}

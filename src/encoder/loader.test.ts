import { describe, expect, it } from 'vitest'
import { ModelError } from '../errors'
import type { WireProgress } from './messages'
import { fetchModel } from './loader'
import { modelSha256 } from './weights'
import { tinyArtifact } from './testing'

const BASE = 'https://shop.example/model/'

/** A fetch that serves files from a map, counting requests. */
function server(files: Record<string, Uint8Array | string>) {
  const hits: string[] = []
  const f = (async (input: RequestInfo | URL) => {
    const url = String(input)
    hits.push(url)
    const name = url.slice(BASE.length)
    const body = files[name]
    if (body === undefined) return new Response('not found', { status: 404 })
    return new Response(body as BodyInit, { headers: { 'content-length': String(typeof body === 'string' ? body.length : body.length) } })
  }) as typeof fetch
  return { fetch: f, hits }
}

/** The Cache API surface the loader uses, in memory. */
function memoryCaches() {
  const store = new Map<string, Uint8Array>()
  const cache = {
    match: async (k: string) => (store.has(k) ? new Response(store.get(k)! as BodyInit) : undefined),
    put: async (k: string, r: Response) => void store.set(k, new Uint8Array(await r.arrayBuffer())),
    delete: async (k: string) => store.delete(k),
  }
  return { caches: { open: async () => cache } as unknown as CacheStorage, store }
}

describe('fetchModel', () => {
  it('verifies the weights, reports progress, and caches them by hash', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const srv = server({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes })
    const { caches, store } = memoryCaches()
    const events: WireProgress[] = []
    const a = await fetchModel(BASE + 'model.json', await modelSha256(artifact), (p) => events.push(p), { fetch: srv.fetch, caches })
    expect(a.fromCache).toBe(false)
    expect(Array.from(a.bytes)).toEqual(Array.from(bytes))
    expect(events.map((e) => e.status)).toEqual(expect.arrayContaining(['initiate', 'download', 'progress', 'done']))
    const last = events.filter((e) => e.status === 'progress').pop() as Extract<WireProgress, { status: 'progress' }>
    expect(last.loaded).toBe(bytes.length)
    expect(store.size).toBe(1)
    const b = await fetchModel(BASE + 'model.json', undefined, () => {}, { fetch: srv.fetch, caches })
    expect(b.fromCache).toBe(true)
    expect(srv.hits.filter((h) => h.endsWith('weights.bin'))).toHaveLength(1)
  })

  it('refuses tampered weights with ModelError code "integrity"', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const bad = bytes.slice()
    bad[100] = bad[100]! ^ 0x01 // one bit
    const srv = server({ 'model.json': JSON.stringify(artifact), 'weights.bin': bad })
    const { caches, store } = memoryCaches()
    const err = await fetchModel(BASE + 'model.json', await modelSha256(artifact), () => {}, { fetch: srv.fetch, caches }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ModelError)
    expect((err as ModelError).code).toBe('integrity')
    expect((err as ModelError).message).toMatch(/tampered or corrupted/)
    expect(store.size).toBe(0) // nothing unverified is cached
  })

  it('refuses a model.json whose declared hash is not the pinned one, and a corrupted cache entry', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const srv = server({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes })
    const other = 'f'.repeat(64)
    const err = await fetchModel(BASE + 'model.json', other, () => {}, { fetch: srv.fetch }).catch((e: unknown) => e)
    expect((err as ModelError).code).toBe('integrity')
    expect((err as ModelError).context).toMatchObject({ expected: other, actual: await modelSha256(artifact) })
    const { caches, store } = memoryCaches()
    await fetchModel(BASE + 'model.json', undefined, () => {}, { fetch: srv.fetch, caches })
    for (const [k, v] of store)
      store.set(
        k,
        v.map((x) => x ^ 1),
      )
    const again = await fetchModel(BASE + 'model.json', undefined, () => {}, { fetch: srv.fetch, caches })
    expect(again.fromCache).toBe(false) // re-verified, re-fetched
  })

  it('names the model and the HTTP status when a file is missing or malformed', async () => {
    const { artifact } = await tinyArtifact()
    const missing = await fetchModel(BASE + 'model.json', undefined, () => {}, { fetch: server({ 'model.json': JSON.stringify(artifact) }).fetch }).catch((e: unknown) => e)
    expect((missing as ModelError).code).toBe('model')
    expect((missing as ModelError).message).toMatch(/weights\.bin: HTTP 404/)
    const notJson = await fetchModel(BASE + 'model.json', undefined, () => {}, { fetch: server({ 'model.json': '{oops' }).fetch }).catch((e: unknown) => e)
    expect((notJson as ModelError).message).toMatch(/not valid JSON/)
    const wrong = await fetchModel(BASE + 'model.json', undefined, () => {}, { fetch: server({ 'model.json': '{"format":"other"}' }).fetch }).catch((e: unknown) => e)
    expect((wrong as ModelError).message).toMatch(/format/)
  })
})

describe('the model pin (issue 13 #12)', () => {
  // The pin a shop puts in `modelSha256` / data-model-sha256 must cover everything that changes
  // the ranking: a swapped vocabulary or a changed config with the same weight bytes was accepted.
  it('refuses a model.json whose vocabulary, config or quantisation changed, even with untouched weights', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const pin = await modelSha256(artifact)
    const tampered = [
      { ...artifact, vocab: [artifact.vocab[1]!, artifact.vocab[0]!, ...artifact.vocab.slice(2)] },
      { ...artifact, config: { ...artifact.config, timeUnitSec: 1 } },
      { ...artifact, config: { ...artifact.config, gapGate: false } },
    ]
    for (const t of tampered) {
      const srv = server({ 'model.json': JSON.stringify(t), 'weights.bin': bytes })
      const err = await fetchModel(BASE + 'model.json', pin, () => {}, { fetch: srv.fetch }).catch((e: unknown) => e)
      expect(err, JSON.stringify(t.config)).toBeInstanceOf(ModelError)
      expect((err as ModelError).code).toBe('integrity')
      // Refused before any weight byte is downloaded.
      expect(srv.hits.filter((h) => h.endsWith('weights.bin'))).toHaveLength(0)
    }
    // The old weights-only digest is no pin: refused, with a message saying what to pin instead.
    const old = await fetchModel(BASE + 'model.json', artifact.sha256, () => {}, { fetch: server({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }).fetch }).catch((e: unknown) => e)
    expect((old as ModelError).code).toBe('integrity')
    expect((old as ModelError).message).toMatch(/weight bytes alone/)
    // A model.json that declares its pin is checked against it when the page gives none.
    const edited = { ...artifact, modelSha256: pin, config: { ...artifact.config, maxLen: 12 } }
    const declared = await fetchModel(BASE + 'model.json', undefined, () => {}, { fetch: server({ 'model.json': JSON.stringify(edited), 'weights.bin': bytes }).fetch }).catch((e: unknown) => e)
    expect((declared as ModelError).code).toBe('integrity')
    // Formatting, key order, licence, training record and shard paths do not change the pin.
    const { license: _l, ...rest } = { ...artifact, license: 'x' }
    const reordered = JSON.parse(JSON.stringify({ training: { note: 'y' }, ...rest, modelSha256: pin })) as typeof artifact
    expect(await modelSha256(reordered)).toBe(pin)
    expect(await modelSha256({ ...artifact, weightsManifest: artifact.weightsManifest.map((g) => ({ ...g, paths: ['cdn/w.bin'] })) })).toBe(pin)
    // The untampered model with the same pin loads.
    const ok = await fetchModel(BASE + 'model.json', pin, () => {}, { fetch: server({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }).fetch })
    expect(ok.artifact.vocab).toEqual(artifact.vocab)
  })
})

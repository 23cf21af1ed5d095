import { beforeAll, describe, expect, it } from 'vitest'
import { BackendError, ModelError, ValidationError } from '../errors'
import type { LoadProgress } from '../engine/types'
import type { StoredEvent } from '../events/types'
import { initTf } from '../offline/train/tf-node'
import type { BackendProbe } from './backend'
import { createEncoderClient, type WorkerLike } from './client'
import { WorkerHost } from './host'
import type { FromWorker, ToWorker } from './messages'
import { disposeModel, EncoderSession, loadModel } from './session'
import { tinyArtifact, tinyHistory, tinyItem } from './testing'
import { modelSha256, type ModelArtifact } from './weights'

beforeAll(async () => {
  await initTf('cpu')
})

const BASE = 'https://shop.example/model/'
const NOW = 1_700_100_000_000
const candidates = Array.from({ length: 12 }, (_, i) => ({ ...tinyItem(i), score: 12 - i }))
const cpuOnly: BackendProbe = { webgpu: null, webgpuMissing: 'navigator.gpu is absent', wasm: false, simd: false, threads: false }

/** A `fetch` that answers BASE + name from `files`, 404 for anything else. */
function filesFetch(files: Record<string, Uint8Array | string>): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const body = files[String(input).slice(BASE.length)]
    return body === undefined ? new Response('', { status: 404 }) : new Response(body as BodyInit)
  }) as typeof fetch
}

/** An in-process "worker": messages are structured-cloned and delivered asynchronously, as postMessage does. */
function fakeWorker(files: Record<string, Uint8Array | string>, probe = cpuOnly): WorkerLike & { host: WorkerHost } {
  const fetchFn = filesFetch(files)
  const w = {
    onmessage: null as ((ev: MessageEvent<FromWorker>) => void) | null,
    onerror: null,
    terminated: false,
    host: null as unknown as WorkerHost,
    postMessage(m: ToWorker) {
      const copy = structuredClone(m)
      setTimeout(() => w.host.handle(copy), 0)
    },
    terminate() {
      w.terminated = true
    },
  }
  w.host = new WorkerHost((m) => setTimeout(() => w.onmessage?.({ data: structuredClone(m) } as MessageEvent<FromWorker>), 0), {
    probe: async () => probe,
    loader: { fetch: fetchFn },
  })
  return w
}

const signal = () => new AbortController().signal

/** Scores of `candidates` at NOW from a session run directly (no worker) on `history`. */
function directScores(artifact: ModelArtifact, bytes: Uint8Array, history: StoredEvent[]): Float32Array {
  const model = loadModel(artifact, bytes)
  const direct = new EncoderSession(model)
  try {
    direct.setHistory(history)
    return direct.scoreSync(candidates, NOW)
  } finally {
    direct.dispose()
    disposeModel(model)
  }
}

describe('createEncoder (client ↔ worker host)', () => {
  it('answers null until warm, then scores with the history it was given while loading', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const progress: LoadProgress[] = []
    let readyOnProgress: boolean | null = null
    const enc = createEncoderClient({
      model: BASE + 'model.json',
      sha256: await modelSha256(artifact),
      clock: () => NOW,
      onProgress: (p) => {
        progress.push(p)
        // A listener that reranks on 'ready' must find the encoder ready already.
        if (p.status === 'ready') readyOnProgress = enc.ready()
      },
      createWorker: () => fakeWorker({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }),
    })
    const history = tinyHistory(10)
    enc.setHistory(history.slice(0, 9))
    enc.append(history[9]!)
    expect(enc.ready()).toBe(false)
    expect(enc.status()).toMatchObject({ ready: false, backend: null })
    expect(await enc.score(candidates, signal())).toBeNull() // the first rerank never waits
    await enc.whenReady()
    expect(enc.ready()).toBe(true)
    expect(enc.status()).toMatchObject({ ready: true, backend: 'cpu' })
    expect(enc.status().reason).toMatch(/CPU backend/)
    expect(progress.map((p) => p.status)).toEqual(expect.arrayContaining(['initiate', 'download', 'done', 'ready']))
    expect(readyOnProgress).toBe(true)
    const got = await enc.score(candidates, signal())
    // The same scores as a session run directly on the same history.
    const want = directScores(artifact, bytes, history)
    expect(got).toHaveLength(candidates.length)
    got!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5))
    enc.dispose()
    expect(enc.ready()).toBe(false)
    expect(await enc.score(candidates, signal())).toBeNull()
  })

  it('once ready, a re-sent history crosses the boundary as its newest maxLen tokens and still scores as the whole one (issue 14)', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const sent: ToWorker[] = []
    const enc = createEncoderClient({
      model: BASE + 'model.json',
      clock: () => NOW,
      createWorker: () => {
        const w = fakeWorker({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes })
        const post = w.postMessage.bind(w)
        w.postMessage = (m: ToWorker) => {
          sent.push(m)
          post(m)
        }
        return w
      },
    })
    const history = tinyHistory(1000, NOW - 1000 * 90_000)
    enc.setHistory(history) // before ready: the context length is not known yet, so all of it
    await enc.whenReady()
    enc.setHistory(history)
    const [first, again] = sent.filter((m) => m.type === 'history') as Array<Extract<ToWorker, { type: 'history' }>>
    expect(first!.events).toHaveLength(1000)
    expect(first!.skipped).toBeUndefined()
    const maxLen = artifact.config.maxLen
    expect(again!.events).toEqual(history.slice(1000 - maxLen)) // one token per view
    expect(again!.skipped).toBe(1000 - maxLen)
    const got = await enc.score(candidates, signal())
    const want = directScores(artifact, bytes, history)
    got!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5))
    enc.dispose()
  })

  it('refuses tampered weights: integrity error, never ready, scores stay null', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const bad = bytes.slice()
    bad[7] = bad[7]! ^ 0x80
    const progress: LoadProgress[] = []
    const enc = createEncoderClient({
      model: BASE + 'model.json',
      sha256: await modelSha256(artifact),
      onProgress: (p) => progress.push(p),
      createWorker: () => fakeWorker({ 'model.json': JSON.stringify(artifact), 'weights.bin': bad }),
    })
    const err = await enc.whenReady().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ModelError)
    expect((err as ModelError).code).toBe('integrity')
    expect(enc.ready()).toBe(false)
    expect(enc.status().error).toMatch(/sha256/)
    expect(progress.some((p) => p.status === 'error')).toBe(true)
    expect(await enc.score(candidates, signal())).toBeNull()
    enc.dispose()
  })

  it('a forced backend that is unavailable rejects with a BackendError naming the valid ones', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const enc = createEncoderClient({ model: BASE + 'model.json', backend: 'webgpu', createWorker: () => fakeWorker({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }) })
    const err = await enc.whenReady().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect((err as BackendError).message).toMatch(/valid options here: cpu/)
    enc.dispose()
  })

  it('validates its options synchronously', () => {
    expect(() => createEncoderClient({ model: '' })).toThrow(ValidationError)
    expect(() => createEncoderClient({ model: 'x', sha256: 'nothex' })).toThrow(/64 hexadecimal/)
    expect(() => createEncoderClient({ model: 'x', backend: 'tpu' as never })).toThrow(/valid options: webgpu, wasm, cpu/)
  })

  it('an aborted score resolves null; the worker keeps a stable tensor count over 1,000 reranks', async () => {
    const { artifact, bytes } = await tinyArtifact()
    let t = NOW
    const enc = createEncoderClient({ model: BASE + 'model.json', clock: () => (t += 1000), createWorker: () => fakeWorker({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }) })
    await enc.whenReady()
    enc.setHistory(tinyHistory(20))
    const ac = new AbortController()
    const p = enc.score(candidates, ac.signal)
    ac.abort()
    expect(await p).toBeNull()
    await enc.score(candidates, signal())
    const before = (await enc.stats())!.numTensors
    for (let i = 0; i < 1000; i++) expect(await enc.score(candidates, signal())).toHaveLength(candidates.length)
    const after = await enc.stats()
    expect(after!.numTensors).toBe(before)
    expect(after!.session).toMatchObject({ fullEncodes: 1 })
    enc.dispose()
  })
})

describe('score requests that miss their deadline (issue 13 #26)', () => {
  it('N aborted requests do not run N encodes in the worker; the next live request still gets the latest history', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const enc = createEncoderClient({ model: BASE + 'model.json', clock: () => NOW, createWorker: () => fakeWorker({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }) })
    await enc.whenReady()
    const base = (await enc.stats())!.session!.fullEncodes
    const N = 20
    const answers: Array<Promise<Float32Array | null>> = []
    for (let i = 0; i < N; i++) {
      enc.setHistory(tinyHistory(8 + i, undefined, undefined, i + 1)) // a new history each time: each score would re-encode
      const ac = new AbortController()
      answers.push(enc.score(candidates, ac.signal))
      ac.abort() // the rerank's deadline passed: the ranker has moved on without the encoder
    }
    expect(await Promise.all(answers)).toEqual(Array(N).fill(null))
    const last = tinyHistory(8 + N, undefined, undefined, 99)
    enc.setHistory(last)
    const got = await enc.score(candidates, signal())
    const stats = (await enc.stats())!
    // Today every request ran: N + 1 full encodes. Cancelled requests must not run at all.
    expect(stats.session!.fullEncodes - base).toBeLessThanOrEqual(2)
    expect(stats.scoresRun).toBe(1)
    expect(stats.scoresCancelled).toBe(N)
    const want = directScores(artifact, bytes, last)
    got!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5))
    enc.dispose()
  })
})

describe('when the worker scores a request (issue 14)', () => {
  it('at once when nothing waits to be encoded; after the queued messages when an encode is due', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const posted: FromWorker[] = []
    const fetch = filesFetch({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes })
    const host = new WorkerHost((m) => posted.push(m), { probe: async () => cpuOnly, loader: { fetch } })
    host.handle({ type: 'init', model: BASE + 'model.json' })
    while (!posted.some((m) => m.type === 'ready' || m.type === 'error')) await new Promise((r) => setTimeout(r, 1))
    expect(posted.find((m) => m.type === 'error')).toBeUndefined()
    const answered = (id: number) => posted.find((m): m is Extract<FromWorker, { type: 'scores' }> => m.type === 'scores' && m.id === id)
    // Whether request `id` was answered before a task queued just before its message (as a
    // 'cancel' already in the worker's queue would be) gets to run.
    const scoreAndCheck = async (id: number, items?: string): Promise<boolean> => {
      let before = false
      const probe = new Promise<void>((ok) => setTimeout(() => ok(void (before = answered(id) !== undefined)), 0))
      host.handle({ type: 'score', id, rows: Int32Array.from(candidates, (_, i) => i), now: NOW, ...(items ? { items } : {}) })
      await probe
      while (!answered(id)) await new Promise((r) => setTimeout(r, 1))
      return before
    }
    const history = tinyHistory(10)
    host.handle({ type: 'history', events: history })
    // An encode is due: the request waits its turn (a cancel queued meanwhile would be seen first).
    expect(await scoreAndCheck(1, JSON.stringify(candidates.map((c, i) => [i, c])))).toBe(false)
    const want = directScores(artifact, bytes, history)
    answered(1)!.scores!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5))
    // The state is current: scored as the message is handled, with the same scores.
    expect(await scoreAndCheck(2)).toBe(true)
    expect(Array.from(answered(2)!.scores!)).toEqual(Array.from(answered(1)!.scores!))
    const stats = host.stats()
    expect(stats.scoresRun).toBe(2)
    expect(stats.session).toMatchObject({ fullEncodes: 1 })
    host.handle({ type: 'dispose' })
  })
})

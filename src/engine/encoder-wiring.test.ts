/**
 * The engine's encoder is wired with the engine's own options (issue 13 #25): a `clock` given
 * to `createEngine` is the "now" the encoder scores at (the gap since the last event feeds the
 * model's gate), as it is for the profile and the ranker. Runs the real client and worker host
 * in-process (Node has no module Worker), with a tiny seeded model on the CPU backend.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { ToWorker } from '../encoder/messages'
import type { ClientOptions } from '../encoder/client'
import { tinyArtifact, tinyItem } from '../encoder/testing'
import { initTf } from '../offline/train/tf-node'
import { MemoryBackend } from '../store/memory-store'

const BASE = 'https://shop.example/model/'
const seen: { options: ClientOptions[]; scoreNow: number[]; posts: ToWorker[] } = { options: [], scoreNow: [], posts: [] }
let files: Record<string, Uint8Array | string> = {}

vi.mock('../encoder', async () => {
  const { createEncoderClient } = await import('../encoder/client')
  const { inProcessWorker } = await import('../encoder/in-process')
  const fetchFn = (async (input: RequestInfo | URL) => {
    const body = files[String(input).slice(BASE.length)]
    return body === undefined ? new Response('', { status: 404 }) : new Response(body as BodyInit)
  }) as typeof fetch
  const onPost = (m: ToWorker) => {
    seen.posts.push(m)
    if (m.type === 'score') seen.scoreNow.push(m.now)
  }
  return {
    createEncoder: (o: ClientOptions) => {
      seen.options.push(o)
      return createEncoderClient({ ...o, createWorker: () => inProcessWorker({ fetch: fetchFn, onPost, webgpuMissing: 'test' }) })
    },
  }
})

beforeAll(async () => {
  await initTf('cpu')
  const { artifact, bytes } = await tinyArtifact()
  files = { 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }
})

describe('engine → encoder wiring', () => {
  it("the encoder scores at the engine's injected clock, not Date.now()", async () => {
    const { createEngine } = await import('./engine')
    let t = Date.UTC(2020, 0, 1) // years from Date.now(): a wrong clock cannot pass by accident
    const clock = () => t
    const e = await createEngine({ storage: 'memory', clock, model: BASE + 'model.json', deadlineMs: 5_000 })
    try {
      await vi.waitFor(() => expect(e.info().backend).toBe('cpu'), { timeout: 10_000, interval: 20 })
      for (let i = 0; i < 5; i++) {
        await e.track({ type: 'view_item', items: [tinyItem(i)] })
        t += 60_000
      }
      t += 3_600_000
      const cands = Array.from({ length: 10 }, (_, i) => ({ ...tinyItem(i), score: 10 - i }))
      const r = await e.rerank(cands)
      expect(r.path).toBe('encoder')
      expect(seen.options.at(-1)?.clock).toBe(clock)
      expect(seen.scoreNow.at(-1)).toBe(t)
    } finally {
      await e.dispose()
    }
  }, 30_000)

  // Issue 14: the worker's incremental encode used to start only after IndexedDB committed, so
  // a rerank right after `await track()` waited for it; the event now goes to the worker first.
  it('a tracked event reaches the encoder while its write is still in flight; a write that fails is taken back out of the encoder too', async () => {
    const { createEngine } = await import('./engine')
    let t = Date.UTC(2020, 0, 1)
    const e = await createEngine({ storage: 'memory', clock: () => t, model: BASE + 'model.json', deadlineMs: 5_000 })
    const run = MemoryBackend.prototype.run
    seen.posts.length = 0
    try {
      await vi.waitFor(() => expect(e.info().model?.ready).toBe(true), { timeout: 10_000, interval: 20 })
      for (let i = 0; i < 3; i++) {
        await e.track({ type: 'view_item', items: [tinyItem(i)] })
        t += 60_000
      }
      const appended = () => seen.posts.flatMap((m) => (m.type === 'append' ? [m.event.items[0]!.id] : []))
      // Hold every write until released.
      let release!: () => void
      const gate = new Promise<void>((ok) => (release = ok))
      const held = vi.spyOn(MemoryBackend.prototype, 'run').mockImplementation(async function (this: MemoryBackend, mode, fn) {
        if (mode === 'readwrite') await gate
        return run.call(this, mode, fn) as never
      })
      let done = false
      const p = e.track({ type: 'view_item', items: [tinyItem(7)] }).then(() => (done = true))
      await vi.waitFor(() => expect(appended()).toContain(tinyItem(7).id), { timeout: 2_000, interval: 1 })
      expect(done).toBe(false) // the write has not finished: the encoder heard first
      release()
      await p
      held.mockRestore()
      t += 60_000
      // A write that fails (not a storage failure the store falls back from): the event leaves
      // the engine's copy, and the encoder is sent a history without it before the next ranking.
      const failing = vi.spyOn(MemoryBackend.prototype, 'run').mockImplementation(async function (this: MemoryBackend, mode, fn) {
        if (mode === 'readwrite') throw new Error('the disk is on fire')
        return run.call(this, mode, fn) as never
      })
      const before = seen.posts.length
      expect(await e.track({ type: 'view_item', items: [tinyItem(9)] })).toBeNull()
      failing.mockRestore()
      expect(appended()).toContain(tinyItem(9).id) // it did go out early …
      expect((await e.history()).map((x) => x.items[0]!.id)).not.toContain(tinyItem(9).id)
      const cands = Array.from({ length: 12 }, (_, i) => ({ ...tinyItem(i), score: 12 - i }))
      expect((await e.rerank(cands)).path).toBe('encoder')
      const resent = seen.posts.slice(before).filter((m) => m.type === 'history')
      expect(resent.length).toBeGreaterThan(0) // … and was taken back by a re-sent history
      const last = resent.at(-1) as Extract<ToWorker, { type: 'history' }>
      expect(last.events.map((x) => x.items[0]!.id)).toEqual([0, 1, 2, 7].map((i) => tinyItem(i).id))
    } finally {
      vi.restoreAllMocks()
      await e.dispose()
    }
  }, 30_000)

  // Issue 13 #5: with 0 events the model still scores every item (from its item biases alone:
  // popularity), which the ranker took for personalisation: the list was reordered and every
  // card said "Fits the pattern of your recent activity", on a first visit and after a clear.
  it('defect 5: with no history (first visit, and right after clear()) the answer is the server order, saying so, with no personal explanation', async () => {
    const { createEngine } = await import('./engine')
    let t = Date.UTC(2020, 0, 1)
    const e = await createEngine({ storage: 'memory', clock: () => t, model: BASE + 'model.json', deadlineMs: 5_000 })
    try {
      await vi.waitFor(() => expect(e.info().model?.ready).toBe(true), { timeout: 10_000, interval: 20 })
      const cands = Array.from({ length: 12 }, (_, i) => ({ ...tinyItem(i), score: 12 - i }))
      const expectServerOrder = async (when: string) => {
        const r = await e.rerank(cands, { explain: true })
        expect([r.path, r.reason], when).toEqual(['server', 'no history yet'])
        expect(
          r.items.map((i) => i.id),
          when,
        ).toEqual(cands.map((c) => c.id))
        expect(
          r.items.flatMap((i) => i.explanation),
          when,
        ).toEqual([])
      }
      await expectServerOrder('first visit')
      // With a history the same engine does personalise (so the check above is not vacuous) …
      for (let i = 0; i < 4; i++) {
        await e.track({ type: 'view_item', items: [tinyItem(i * 5)] })
        t += 60_000
      }
      expect((await e.rerank(cands)).path).toBe('encoder')
      // … and after "Clear everything" it is a first visit again.
      await e.clear()
      expect(e.info().events).toBe(0)
      await expectServerOrder('after clear()')
    } finally {
      await e.dispose()
    }
  }, 30_000)
})

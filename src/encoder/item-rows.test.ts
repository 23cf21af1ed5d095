import { beforeAll, describe, expect, it } from 'vitest'
import type { Item } from '../events/types'
import { initTf } from '../offline/train/tf-node'
import { createEncoderClient, type WorkerLike } from './client'
import { WorkerHost } from './host'
import { ItemRows } from './item-rows'
import type { FromWorker, ToWorker } from './messages'
import { disposeModel, EncoderSession, loadModel } from './session'
import { tinyArtifact, tinyHistory, tinyItem } from './testing'

beforeAll(async () => {
  await initTf('cpu')
})

const NOW = 1_700_100_000_000
const BASE = 'https://shop.example/model/'

describe('ItemRows (the page numbers the items it sent)', () => {
  const items = Array.from({ length: 6 }, (_, i) => tinyItem(i) as Item)

  it('a list sent before costs rows only; equal content in new objects still hits', () => {
    const r = new ItemRows()
    const first = r.resolve(items)
    expect(first.added.map(([row]) => row)).toEqual([0, 1, 2, 3, 4, 5])
    const again = r.resolve(items.map((it) => ({ ...it, category: it.category ? [...it.category] : undefined })))
    expect(again.added).toEqual([])
    expect(Array.from(again.rows)).toEqual(Array.from(first.rows))
  })

  it('a changed field (also edited in place) gets a new row, never the old one overwritten', () => {
    const r = new ItemRows()
    const list = items.map((it) => ({ ...it, category: [...(it.category ?? [])] }))
    const first = r.resolve(list)
    list[2]!.category.push('Extra') // the shop edits the object it passed before
    list[4] = { ...list[4]!, price: 99 }
    const next = r.resolve(list)
    expect(next.added.map(([, it]) => it.id)).toEqual([items[2]!.id, items[4]!.id])
    expect(next.rows[2]).not.toBe(first.rows[2])
    expect(next.rows[4]).not.toBe(first.rows[4])
    expect(next.added[0]![1].category).toEqual([...(items[2]!.category ?? []), 'Extra'])
    expect(next.rows[0]).toBe(first.rows[0])
  })

  it('sends only the fields the model reads, malformed ones left out; the shop’s own data stays on the page', () => {
    const r = new ItemRows()
    const { added } = r.resolve([
      { id: 'a', category: ['Books', 7], tags: 'x', brand: 5, price: Number.NaN, title: 'T', vector: 'abc', neighbours: [['b', 1]], secret: 'k' } as unknown as Item,
      { id: 'b', category: [], brand: 'Acme', price: -3 },
    ])
    expect(added).toEqual([
      [0, { id: 'a', title: 'T', vector: 'abc' }],
      [1, { id: 'b', category: [], brand: 'Acme', price: -3 }],
    ])
    // A malformed item is re-checked (and resent) every time, never taken for the one sent.
    expect(r.resolve([{ id: 'a', category: ['Books', 7] } as unknown as Item]).added).toHaveLength(1)
  })

  it('numbering restarts from 0 once the capacity is used, forgetting every row', () => {
    const r = new ItemRows(10)
    r.resolve(items) // rows 0–5
    const next = r.resolve(Array.from({ length: 6 }, (_, i) => ({ id: `n${i}` }))) // 6 + 6 > 10
    expect(Array.from(next.rows)).toEqual([0, 1, 2, 3, 4, 5])
    expect(r.resolve(items).added).toHaveLength(6) // forgotten: sent again
    // A list longer than the capacity still gets one row per item.
    expect(new Set(new ItemRows(3).resolve(items).rows).size).toBe(6)
  })
})

describe('ItemTable rows (the worker side)', () => {
  it('scoreRows gives exactly the scores of score(), for vocabulary, unseen and bare items', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const model = loadModel(artifact, bytes)
    const s = new EncoderSession(model)
    s.setHistory(tinyHistory(12))
    const mixed: Item[] = [
      ...Array.from({ length: 20 }, (_, i) => tinyItem(i) as Item),
      { id: 'never-seen', category: ['Horror', 'Slasher'], brand: 'Acme', price: 12.5, title: 'Night Shift' },
      { id: 'bare' },
    ]
    const want = s.scoreSync(mixed, NOW)
    // Rows out of order and with gaps, one item named twice.
    const rows = Int32Array.from(mixed.map((_, i) => 3 * (mixed.length - i)))
    mixed.forEach((it, i) => model.items.putRow(rows[i]!, it))
    const u = await s.userArray(NOW)
    const got = model.items.scoreRows(u, Int32Array.from([...rows, rows[4]!]))
    expect(Array.from(got.subarray(0, mixed.length))).toEqual(Array.from(want))
    expect(got[mixed.length]).toBe(want[4])
    expect(() => model.items.scoreRows(u, Int32Array.from([1]))).toThrow(/row 1 holds no item/)
    expect(() => model.items.putRow(-1, mixed[0]!)).toThrow(RangeError)
    s.dispose()
    disposeModel(model)
  })
})

/** An in-process worker that records what the page posted. */
function worker(files: Record<string, Uint8Array | string>, sent: ToWorker[]): WorkerLike & { host: WorkerHost } {
  const fetchFn = (async (input: RequestInfo | URL) => {
    const body = files[String(input).slice(BASE.length)]
    return body === undefined ? new Response('', { status: 404 }) : new Response(body as BodyInit)
  }) as typeof fetch
  const w = {
    onmessage: null as ((ev: MessageEvent<FromWorker>) => void) | null,
    onerror: null,
    host: null as unknown as WorkerHost,
    postMessage(m: ToWorker) {
      sent.push(m)
      const copy = structuredClone(m)
      setTimeout(() => w.host.handle(copy), 0)
    },
    terminate() {},
  }
  w.host = new WorkerHost((m) => setTimeout(() => w.onmessage?.({ data: structuredClone(m) } as MessageEvent<FromWorker>), 0), {
    probe: async () => ({ webgpu: null, webgpuMissing: 'test', wasm: false, simd: false, threads: false }),
    loader: { fetch: fetchFn },
  })
  return w
}

describe('score requests by row (client ↔ worker host)', () => {
  const signal = () => new AbortController().signal
  const candidates = Array.from({ length: 12 }, (_, i) => ({ ...tinyItem(i), score: 12 - i }))

  it('sends each item once; a cancelled list still stores its items; scores equal a session’s', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const sent: ToWorker[] = []
    const enc = createEncoderClient({ model: BASE + 'model.json', clock: () => NOW, createWorker: () => worker({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }, sent) })
    const history = tinyHistory(10)
    enc.setHistory(history)
    await enc.whenReady()
    // Cancelled before the worker reaches it: not scored, but its items are stored.
    const ac = new AbortController()
    const p = enc.score(candidates, ac.signal)
    ac.abort()
    expect(await p).toBeNull()
    const got = await enc.score(candidates, signal())
    const scores = sent.filter((m): m is Extract<ToWorker, { type: 'score' }> => m.type === 'score')
    expect(scores.map((m) => (m.items ? (JSON.parse(m.items) as unknown[]).length : 0))).toEqual([12, 0])
    const model = loadModel(artifact, bytes)
    const direct = new EncoderSession(model)
    direct.setHistory(history)
    expect(Array.from(got!)).toEqual(Array.from(direct.scoreSync(candidates, NOW)))
    direct.dispose()
    disposeModel(model)
    enc.dispose()
  })

  it('after a failed request every item is sent again', async () => {
    const { artifact, bytes } = await tinyArtifact()
    const sent: ToWorker[] = []
    const w = worker({ 'model.json': JSON.stringify(artifact), 'weights.bin': bytes }, sent)
    const enc = createEncoderClient({ model: BASE + 'model.json', clock: () => NOW, createWorker: () => w })
    enc.setHistory(tinyHistory(10))
    await enc.whenReady()
    expect(await enc.score(candidates, signal())).toHaveLength(12)
    // The worker loses its rows (as if a request storing them had failed there).
    const rt = (w.host as unknown as { runtime: { model: { items: { clear(): void } } } }).runtime
    rt.model.items.clear()
    expect(await enc.score(candidates, signal())).toBeNull() // names rows the worker does not hold: fails loudly
    expect(await enc.score(candidates, signal())).toHaveLength(12) // all sent again
    const scores = sent.filter((m): m is Extract<ToWorker, { type: 'score' }> => m.type === 'score')
    expect(scores.map((m) => (m.items ? (JSON.parse(m.items) as unknown[]).length : 0))).toEqual([12, 0, 12])
    enc.dispose()
  })
})

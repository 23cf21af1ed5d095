/**
 * Issue 13 #2 in Chromium, on the encoder path, with the built library (dist/lib) and the shipped
 * model (dist/model): after the shopper blocks a category, a list made only of that category
 * comes back in the server's order with no explanation, saying why; the ranker-level test is
 * src/rank/ranker.test.ts "defect 2: on the encoder path, …". Positive controls on the same
 * engine and history: before the block the same list is reordered by the encoder and explained
 * (so each check after it could fail), and after it a mixed list still takes the encoder path
 * (the server order comes from the block, not from the encoder going away).
 */
import { expect, test } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { requireModel, requireBuild, ROOT } from './support'

test.beforeAll(() => {
  requireBuild()
  requireModel()
})

interface Answer {
  path: string
  reason: string | null
  ids: string[]
  explained: number
}

test('on the encoder path, a list made only of a blocked category comes back in the server order, unexplained (issue 13 #2)', async ({ page }) => {
  test.setTimeout(150_000)
  const vocab = (JSON.parse(readFileSync(join(ROOT, 'dist/model/model.json'), 'utf8')) as { vocab: string[] }).vocab
  // History: 8 comedies and 8 dramas the model knows, viewed over the last 16 hours. Candidates:
  // 30 other vocabulary items, all sent as comedies, in the server's order (score descending).
  const history = vocab.slice(0, 16).map((id, k) => ({ id, category: [k % 2 ? 'Drama' : 'Comedy'], title: `Film ${id}` }))
  const comedies = vocab.slice(100, 130).map((id, i) => ({ id, category: ['Comedy'], title: `Comedy ${id}`, score: 30 - i }))
  const mixed = vocab.slice(200, 230).map((id, i) => ({ id, category: [i % 2 ? 'Drama' : 'Comedy'], title: `Film ${id}`, score: 30 - i }))
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))

  await page.goto('/fixtures/blocks.html')
  await page.waitForFunction(() => !!(window as unknown as { blocksFixture?: unknown }).blocksFixture, null, { timeout: 20_000 })
  const r = await page.evaluate(
    async ({ history, comedies, mixed }) => {
      type Ranked = { path: string; reason?: string; items: Array<{ id: string; explanation: unknown[] }> }
      type Eng = {
        track(e: unknown): Promise<unknown>
        rerank(c: unknown[], o?: unknown): Promise<Ranked>
        blockCategory(c: string): Promise<void>
        info(): { backend: string | null; model: { ready: boolean; error?: string } | null }
        dispose(): Promise<void>
      }
      const { createEngine } = (window as unknown as { blocksFixture: { createEngine(o: unknown): Promise<Eng> } }).blocksFixture
      const errs: string[] = []
      let ready: () => void
      const readyP = new Promise<void>((ok) => (ready = ok))
      // WASM: the backend the encoder uses on a machine without a hardware GPU; a long deadline
      // so that a slow machine cannot turn the answer into the deadline's server order.
      const engine = await createEngine({
        model: '/model/model.json',
        backend: 'wasm',
        storage: 'memory',
        consent: 'granted',
        deadlineMs: 60_000,
        onError: (e: Error) => errs.push(e.message),
        onProgress: (p: { status: string }) => {
          if (p.status === 'ready') ready()
        },
      })
      const now = Date.now()
      for (const [k, item] of history.entries()) await engine.track({ type: 'view_item', items: [item], timestamp: now - (history.length - k) * 3_600_000 })
      await Promise.race([readyP, new Promise((_, no) => setTimeout(() => no(new Error(`encoder not ready: ${JSON.stringify(engine.info())} ${errs.join('; ')}`)), 90_000))])
      const answer = (x: Ranked) => ({ path: x.path, reason: x.reason ?? null, ids: x.items.map((i) => i.id), explained: x.items.filter((i) => i.explanation.length > 0).length })
      const before = answer(await engine.rerank(comedies, { explain: true }))
      await engine.blockCategory('Comedy')
      const after = answer(await engine.rerank(comedies, { explain: true }))
      const mixedAfter = answer(await engine.rerank(mixed, { explain: true }))
      const info = engine.info()
      await engine.dispose()
      return { before, after, mixedAfter, info, errs }
    },
    { history, comedies, mixed },
  )
  const server = comedies.map((c) => c.id)
  const show = (a: Answer) => `${a.path} (${a.reason ?? 'no reason'}), ${a.explained} explained, order ${a.ids.map((id) => server.indexOf(id)).join(',')}`
  console.log(`[blocks] backend ${r.info.backend}\n  before the block: ${show(r.before)}\n  after: ${show(r.after)}\n  mixed list after: ${r.mixedAfter.path}, ${r.mixedAfter.explained} explained`)
  expect(r.errs).toEqual([])
  expect(errors).toEqual([])
  expect(r.info.model?.ready).toBe(true)
  expect(r.info.backend).toBe('wasm')
  // Positive control: before the block the encoder reorders the comedies and explains some.
  expect(r.before.path).toBe('encoder')
  expect(r.before.ids).not.toEqual(server)
  expect(r.before.explained).toBeGreaterThan(0)
  // After it: the server's order, unexplained, saying why.
  expect(r.after.path).toBe('server')
  expect(r.after.reason).toBe('every candidate is in a category you blocked')
  expect(r.after.ids).toEqual(server)
  expect(r.after.explained).toBe(0)
  // The encoder is still on for a list that is not all blocked.
  expect(r.mixedAfter.path).toBe('encoder')
})

/**
 * Feed mode in real Chromium (issue 10): the built encoder chunk's worker loads the user-side
 * artifact that `npm run feed` writes from the shipped model (no item rows, `itemSpace` in
 * model.json), and candidates and history items carry their feed `vector`. Their scores must be
 * the whole-table model's on the same history, on WASM (JS step) and on forced WebGPU (the
 * tensor step; SwiftShader here), and the worker must download the small artifact only.
 * beforeAll writes the artifact to dist/feed-model/ (dist is rebuilt by `npm run build`).
 */
import { expect, test, type Page } from '@playwright/test'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeVector } from '../src/encoder/vector-codec'
import { readSource, main as feedCli } from '../src/offline/feed/cli'
import { sourceItemTable } from '../src/offline/feed/feed'
import { chromiumArgs } from './playwright.config'
import { requireModel, requireBuild, ROOT } from './support'

test.use({
  launchOptions: {
    executablePath: process.env.LOCALRANK_CHROMIUM === 'bundled' ? undefined : (process.env.LOCALRANK_CHROMIUM ?? '/usr/bin/chromium'),
    args: [...chromiumArgs, '--enable-unsafe-webgpu'],
  },
})

const GENRES = ['Drama', 'Comedy', 'Thriller', 'Action', 'Romance', 'Sci-Fi']
const T0 = 1_500_000_000_000
let chunk = ''
let vocab: string[] = []
let tableSha = ''
let feedSha = ''
let modelId = ''
let userSideBytes = 0
let vectorOf: (it: { id: string; category?: string[]; title?: string }, enc: 'f32' | 'f16') => string = () => ''

test.beforeAll(async () => {
  requireBuild()
  requireModel()
  const c = readdirSync(join(ROOT, 'dist/lib/chunks')).find((f) => /^encoder-.*\.js$/.test(f))
  if (!c) throw new Error('dist/lib/chunks/encoder-*.js is missing')
  chunk = `/lib/chunks/${c}`
  const s = await feedCli(['--model', join(ROOT, 'dist/model'), '--out', join(ROOT, 'dist/feed-model'), '--feed-out', mkdtempSync(join(tmpdir(), 'lr-feed-e2e-')), '--mode', 'feed'])
  if (!s) throw new Error('feed export printed help instead of exporting')
  feedSha = s.modelSha256
  modelId = s.modelId
  userSideBytes = s.artifact.weights
  const src = await readSource(join(ROOT, 'dist/model'))
  vocab = src.artifact.vocab
  tableSha = (JSON.parse(readFileSync(join(ROOT, 'dist/model/model.json'), 'utf8')) as { modelSha256: string }).modelSha256
  const table = sourceItemTable(src)
  vectorOf = (it, enc) => encodeVector(table.embedding({ ...it }), modelId, enc)
})

function history(n: number) {
  return Array.from({ length: n }, (_, k) => {
    const id = vocab[(k * 13) % 400]!
    return { id: `h-${k}`, type: k % 9 === 8 ? 'add_to_cart' : 'view_item', items: [{ id, category: [GENRES[k % 6]!], title: `Film ${id}` }], timestamp: T0 + k * 3_600_000 + (k % 5) * 600_000 }
  })
}
function candidates() {
  return Array.from({ length: 100 }, (_, i) => ({ id: vocab[(i * 37 + 5) % vocab.length]!, category: [GENRES[i % 6]!], title: `Film ${i}`, score: 100 - i }))
}
type Ev = ReturnType<typeof history>[number]
type Cand = ReturnType<typeof candidates>[number]
const carry = <T extends { id: string; category?: string[]; title?: string }>(it: T, enc: 'f32' | 'f16') => ({ ...it, vector: vectorOf(it, enc) })
const carryEvents = (h: Ev[], enc: 'f32' | 'f16') => h.map((e) => ({ ...e, items: e.items.map((it) => carry(it, enc)) }))

async function open(page: Page): Promise<void> {
  await page.goto(`/fixtures/encoder.html?chunk=${encodeURIComponent(chunk)}`)
  await page.waitForFunction(() => !!(window as unknown as { encoderFixture?: unknown }).encoderFixture, null, { timeout: 20_000 })
}

interface Handle {
  status(): { ready: boolean; backend: string | null; reason: string }
  whenReady(): Promise<void>
  setHistory(e: unknown[]): void
  append(e: unknown): void
  score(c: unknown[], s: AbortSignal): Promise<Float32Array | null>
  stats(): Promise<{ session: { step: string; fullEncodes: number; incrementalEncodes: number } | null } | null>
  dispose(): void
}

/** Scores of each run: full encode of `hist`, then `extra` appended (KV cache), then `cands`. */
async function scoreRuns(page: Page, runs: Array<{ model: string; sha256: string; backend: string; hist: unknown[]; extra: unknown[]; cands: unknown[] }>, now: number) {
  return page.evaluate(
    async ({ runs, now }) => {
      const fx = (window as unknown as { encoderFixture: { createEncoder(o: Record<string, unknown>): Handle } }).encoderFixture
      const out = []
      for (const r of runs) {
        const h = fx.createEncoder({ model: r.model, sha256: r.sha256, backend: r.backend, clock: () => now })
        await h.whenReady()
        h.setHistory(r.hist)
        await h.score(r.cands, new AbortController().signal)
        for (const e of r.extra) h.append(e)
        const scores = Array.from((await h.score(r.cands, new AbortController().signal)) ?? [])
        out.push({ scores, status: h.status(), session: (await h.stats())?.session ?? null })
        h.dispose()
      }
      return { out }
    },
    { runs, now },
  )
}

function maxDiff(a: number[], b: number[]): number {
  expect(a).toHaveLength(b.length)
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0)
}

test('the worker scores feed-mode items (user-side artifact + carried vectors) as the whole-table model does, on WASM and forced WebGPU', async ({ page }) => {
  test.setTimeout(300_000)
  await open(page)
  const h = history(70)
  const now = T0 + 100 * 3_600_000
  const plain = { hist: h.slice(0, 64), extra: h.slice(64), cands: candidates() }
  const f32 = { hist: carryEvents(h.slice(0, 64), 'f32'), extra: carryEvents(h.slice(64), 'f32'), cands: candidates().map((c: Cand) => carry(c, 'f32')) }
  const f16 = { hist: carryEvents(h.slice(0, 64), 'f16'), extra: carryEvents(h.slice(64), 'f16'), cands: candidates().map((c: Cand) => carry(c, 'f16')) }
  const table = { model: '/model/model.json', sha256: tableSha }
  const feed = { model: '/feed-model/model.json', sha256: feedSha }
  const r = await scoreRuns(
    page,
    [
      { ...table, backend: 'wasm', ...plain },
      { ...feed, backend: 'wasm', ...f32 },
      { ...feed, backend: 'wasm', ...f16 },
      { ...feed, backend: 'wasm', ...plain }, // no vectors: content only, must differ
      { ...feed, backend: 'webgpu', ...f32 },
    ],
    now,
  )
  const [ref, wasm32, wasm16, blind, gpu32] = r.out
  for (const x of r.out) expect(x!.scores).toHaveLength(100)
  expect(wasm32!.session).toMatchObject({ step: 'js', fullEncodes: 1, incrementalEncodes: 6 })
  expect(gpu32!.status.backend).toBe('webgpu')
  expect(gpu32!.session).toMatchObject({ step: 'tensors', fullEncodes: 1, incrementalEncodes: 6 })
  const d32 = maxDiff(wasm32!.scores, ref!.scores)
  const d16 = maxDiff(wasm16!.scores, ref!.scores)
  const dGpu = maxDiff(gpu32!.scores, ref!.scores)
  const dBlind = maxDiff(blind!.scores, ref!.scores)
  console.log(`[feed] max |Δscore| vs whole table: WASM f32 ${d32.toExponential(2)}, f16 ${d16.toExponential(2)}, WebGPU f32 ${dGpu.toExponential(2)}; without vectors ${dBlind.toFixed(3)}`)
  expect(d32).toBeLessThan(1e-4)
  expect(d16).toBeLessThan(2e-2)
  expect(dGpu).toBeLessThan(1e-3) // WebGPU vs WASM arithmetic, as encoder.spec.ts
  expect(dBlind).toBeGreaterThan(0.05)
  // The user-side weights are about a third of the whole table's.
  expect(userSideBytes).toBeLessThan(readFileSync(join(ROOT, 'dist/model/weights.bin')).length / 2)
})

/**
 * The similarity table's pin in real Chromium (issue 13 #11). In a browser the table is fetched
 * and checked in a dedicated worker (src/interest/similarity-worker.ts), which Node never runs:
 * the digest is computed there, and its refusal must cross back to the page as `integrity`.
 * "Tampered" here is the shipped table against a pin for other bytes, which is what a page
 * sees when a CDN serves a changed file under a pin it already had.
 */
import { expect, test, type Page } from '@playwright/test'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, requireBuild } from './support'

test.beforeAll(requireBuild)

const tableBytes = () => readFileSync(join(ROOT, 'dist/model/similarity.json'))
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

interface Outcome {
  ready: boolean
  error?: string
  codes: string[]
  path: string
  similar: number
}

/** Create a library engine with the shipped table and `pin`; view an item with neighbours; rank its neighbours. */
async function withPin(page: Page, pin: string): Promise<Outcome> {
  const sim = JSON.parse(tableBytes().toString('utf8')) as { items: string[]; offsets: number[]; neighbors: number[] }
  const row = sim.items.findIndex((_, i) => sim.offsets[i + 1]! - sim.offsets[i]! >= 3)
  const seen = sim.items[row]!
  const near = sim.neighbors.slice(sim.offsets[row]!, sim.offsets[row + 1]!).map((j) => sim.items[j]!)
  await page.goto('/fixtures/library.html')
  await page.waitForFunction(() => !!(window as unknown as { libraryFixture?: unknown }).libraryFixture, null, { timeout: 20_000 })
  return page.evaluate(
    async ({ seen, near, pin }) => {
      type Eng = {
        track(e: unknown): Promise<unknown>
        info(): { similarity: { ready: boolean; error?: string } | null }
        rerank(c: unknown[], o?: unknown): Promise<{ path: string; items: Array<{ explanation: Array<{ source: string }> }> }>
      }
      const { createEngine } = (window as unknown as { libraryFixture: { createEngine(o: unknown): Promise<Eng> } }).libraryFixture
      const codes: string[] = []
      const engine = await createEngine({ dbName: `pin-${pin.slice(0, 8)}`, similarity: '/model/similarity.json', similaritySha256: pin, onError: (e: { code: string }) => codes.push(e.code) })
      await engine.track({ type: 'view_item', items: [{ id: seen }] })
      while (!engine.info().similarity?.ready && !engine.info().similarity?.error) await new Promise((ok) => setTimeout(ok, 20))
      const r = await engine.rerank(
        near.map((id, i) => ({ id, score: 10 - i })),
        { explain: true },
      )
      const s = engine.info().similarity!
      return { ready: s.ready, error: s.error, codes, path: r.path, similar: r.items.filter((x) => x.explanation.some((e) => e.source === 'similar')).length }
    },
    { seen, near, pin },
  )
}

test('defect 11: the table matching its pin is used; under a pin for other bytes it is refused in the worker as integrity, and ranking goes on without it', async ({ page }) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const genuine = await withPin(page, sha(tableBytes()))
  expect(genuine).toMatchObject({ ready: true, codes: [], path: 'profile' })
  expect(genuine.similar).toBeGreaterThan(0)

  // One neighbour weight changed, still well-formed: the pin a page would hold for that file.
  const tampered = tableBytes()
    .toString('utf8')
    .replace(/"sims":\[([0-9.]+)/, (_, v: string) => `"sims":[${Number(v) === 1 ? 0.5 : 1}`)
  expect(tampered).not.toBe(tableBytes().toString('utf8'))
  const refused = await withPin(page, sha(tampered))
  expect(refused.ready).toBe(false)
  expect(refused.error).toMatch(/SHA-256/)
  expect(refused.codes).toContain('integrity')
  // Nothing personal about the neighbours without the table: no "Similar to …" anywhere.
  expect(refused.similar).toBe(0)
  expect(errors).toEqual([])
})

test('defect 11: data-similarity-sha256 pins the table for the classic embed', async ({ page }) => {
  const wrong = sha('not the table')
  await page.goto(`/fixtures/embed.html?similarity=/model/similarity.json&similarity-sha256=${wrong}`)
  await page.waitForFunction(() => (window as unknown as { localrank: { loaded?: boolean } }).localrank.loaded === true)
  const info = () => page.evaluate(() => (window as unknown as { localrank: { info(): { similarity: { ready: boolean; error?: string } | null } } }).localrank.info().similarity)
  await expect.poll(async () => (await info())?.error ?? '', { timeout: 15_000 }).toMatch(new RegExp(`SHA-256 .* but ${wrong} was expected`))
  expect((await info())?.ready).toBe(false)
  expect((await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors)).join('\n')).toMatch(/similarity table .* refusing it/)
})

/**
 * `npm run build && npx tsx e2e/perf/multitab-chromium.ts [--tracks 40]`: the cost of a write
 * in one tab to the other tabs (issue 13, defect 27), in real Chromium through the built
 * library (dist/lib, on e2e/fixtures/store.html). Not a test: it prints figures, asserts nothing.
 *
 * 5,000 events are stored (the default cap, so each further write also evicts the oldest),
 * then tab A makes sequential `track()` calls, timed in the page, with no other tab and then
 * with a second tab B open on the same database. The review measured a median of 13 ms with
 * one tab and 250 ms with two: every write in A made B reload the whole history.
 */
import { chromium, type Page } from '@playwright/test'
import type { AddressInfo } from 'node:net'
import { chromiumArgs } from '../playwright.config'
import { startServer } from '../serve'
import type { Engine } from '../../src/engine/types'

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : d
}
const TRACKS = arg('tracks', 40)
const EVENTS = 5000

const server = await startServer(0)
const base = `http://localhost:${(server.address() as AddressInfo).port}`
const browser = await chromium.launch({ executablePath: process.env.LOCALRANK_CHROMIUM ?? '/usr/bin/chromium', args: chromiumArgs })

async function open(page: Page, db: string): Promise<void> {
  await page.goto(`${base}/fixtures/store.html?db=${db}`)
  await page.waitForSelector('body[data-ready="true"]')
}

async function run(tabs: 1 | 2): Promise<{ median: number; p90: number; bEvents: number | null }> {
  const context = await browser.newContext()
  const a = await context.newPage()
  const db = `bench-${tabs}`
  await open(a, db)
  await a.evaluate(async (n) => {
    const { engine } = window as unknown as { engine: Engine }
    const now = Date.now()
    for (let start = 0; start < n; start += 500) {
      const batch = []
      for (let i = start; i < Math.min(n, start + 500); i++)
        batch.push(engine.track({ type: 'view_item', items: [{ id: `sku-${i % 700}`, category: ['home', i % 2 ? 'lamps' : 'rugs'], price: 10 + (i % 90) }], timestamp: now - (n - i) * 60_000 }))
      await Promise.all(batch)
    }
  }, EVENTS)
  const b = tabs === 2 ? await context.newPage() : null
  if (b) await open(b, db)
  const times = await a.evaluate(async (k) => {
    const { engine } = window as unknown as { engine: Engine }
    const out: number[] = []
    for (let i = 0; i < k; i++) {
      const t = performance.now()
      await engine.track({ type: 'view_item', items: [{ id: `new-${i}`, category: ['home', 'lamps'], price: 20 }] })
      out.push(performance.now() - t)
    }
    return out
  }, TRACKS)
  let bEvents: number | null = null
  if (b) {
    await b.waitForTimeout(1000) // only to read B's final count for the report; nothing is asserted
    bEvents = await b.evaluate(() => (window as unknown as { engine: Engine }).engine.info().events)
  }
  await context.close()
  const s = times.slice().sort((x, y) => x - y)
  return { median: (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2, p90: s[Math.floor(0.9 * (s.length - 1))]!, bEvents }
}

const one = await run(1)
const two = await run(2)
console.log(`multitab (Chromium ${browser.version()}): ${EVENTS} events stored (the default cap), ${TRACKS} sequential track() calls in tab A`)
console.log(`  one tab : track() median ${one.median.toFixed(1)} ms, p90 ${one.p90.toFixed(1)} ms`)
console.log(`  two tabs: track() median ${two.median.toFixed(1)} ms, p90 ${two.p90.toFixed(1)} ms; tab B holds ${two.bEvents} events`)
await browser.close()
server.close()

/**
 * `npm run synth -- --products N [--users U] [--seed S] [--out DIR] [--touched-items]`:
 * write a synthetic shop (src/offline/data/synthetic.ts) as `DIR/items.csv` and `DIR/events.csv`,
 * the two files the event-log loader reads (`--dataset DIR/events.csv --items DIR/items.csv`),
 * plus `DIR/synthetic.json` (the options and counts, so a run can be reproduced).
 *
 * Both files are streamed in 1 MiB chunks: the writer never holds more than one visitor's events
 * and one chunk of text, so a 1,000,000-product catalogue costs its typed arrays (10 bytes a
 * product), not a million strings. `--touched-items` also writes `items-touched.csv`, only the
 * products that occur in the traffic (what a trainer needs; a 1,000,000-row item file is mostly
 * products nobody visited).
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { EVENTS_HEADER, ITEMS_HEADER, SyntheticShop, eventCsvLine, itemCsvLine, type SyntheticOptions } from './synthetic'

/** A buffered line writer: lines accumulate into ~1 MiB strings, written synchronously. */
class LineWriter {
  private fd: number
  private buf: string[] = []
  private size = 0
  bytes = 0
  lines = 0
  constructor(path: string) {
    this.fd = openSync(path, 'w')
  }
  line(s: string): void {
    this.buf.push(s)
    this.size += s.length + 1
    this.lines++
    if (this.size >= 1 << 20) this.flush()
  }
  flush(): void {
    if (this.buf.length === 0) return
    const text = this.buf.join('\n') + '\n'
    this.bytes += writeSync(this.fd, text)
    this.buf = []
    this.size = 0
  }
  close(): void {
    this.flush()
    closeSync(this.fd)
  }
}

export interface WriteSummary {
  dir: string
  products: number
  users: number
  events: number
  eventTypes: Record<string, number>
  touchedProducts: number
  itemsBytes: number
  eventsBytes: number
  seconds: number
}

/** Write items.csv and events.csv (and items-touched.csv when asked) for one synthetic shop. */
export function writeSyntheticShop(opts: SyntheticOptions, dir: string, touchedItems = false): WriteSummary {
  const t0 = performance.now()
  mkdirSync(dir, { recursive: true })
  const shop = new SyntheticShop(opts)
  const items = new LineWriter(join(dir, 'items.csv'))
  items.line(ITEMS_HEADER)
  for (let i = 0; i < shop.products; i++) items.line(itemCsvLine(shop.product(i)))
  items.close()
  const touched = new Uint8Array(shop.products)
  const events = new LineWriter(join(dir, 'events.csv'))
  events.line(EVENTS_HEADER)
  const types: Record<string, number> = {}
  let n = 0
  for (let u = 0; u < shop.users; u++) {
    for (const e of shop.userEvents(u)) {
      events.line(eventCsvLine(e))
      types[e.type] = (types[e.type] ?? 0) + 1
      n++
      if (e.item !== '') touched[Number(e.item.slice(1))] = 1
    }
  }
  events.close()
  let touchedCount = 0
  if (touchedItems) {
    const tw = new LineWriter(join(dir, 'items-touched.csv'))
    tw.line(ITEMS_HEADER)
    for (let i = 0; i < shop.products; i++) if (touched[i]) tw.line(itemCsvLine(shop.product(i)))
    tw.close()
  }
  for (let i = 0; i < shop.products; i++) touchedCount += touched[i]!
  const summary: WriteSummary = {
    dir,
    products: shop.products,
    users: shop.users,
    events: n,
    eventTypes: types,
    touchedProducts: touchedCount,
    itemsBytes: items.bytes,
    eventsBytes: events.bytes,
    seconds: (performance.now() - t0) / 1000,
  }
  writeFileSync(
    join(dir, 'synthetic.json'),
    `${JSON.stringify({ generator: 'src/offline/data/synthetic.ts', options: { products: shop.products, users: shop.users, seed: shop.seed, startMs: shop.startMs, days: shop.days }, ...summary, dir: undefined }, null, 1)}\n`,
  )
  return summary
}

function parse(argv: string[]): { opts: SyntheticOptions; out: string; touched: boolean } {
  const a = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!
    if (!k.startsWith('--')) throw new Error(`unexpected argument ${k}`)
    const v = argv[i + 1]
    if (v !== undefined && !v.startsWith('--')) {
      a.set(k.slice(2), v)
      i++
    } else a.set(k.slice(2), true)
  }
  const int = (k: string): number | undefined => {
    const v = a.get(k)
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${k} expects a non-negative integer, got ${String(v)}`)
    return n
  }
  for (const k of a.keys())
    if (!['products', 'users', 'seed', 'out', 'touched-items', 'days'].includes(k))
      throw new Error(`unknown option --${k} (options: --products N --users U --seed S --days D --out DIR --touched-items)`)
  const products = int('products')
  if (products === undefined) throw new Error('--products N is required (e.g. 10000, 100000, 1000000)')
  const opts: SyntheticOptions = { products }
  const users = int('users')
  const seed = int('seed')
  const days = int('days')
  if (users !== undefined) opts.users = users
  if (seed !== undefined) opts.seed = seed
  if (days !== undefined) opts.days = days
  const out = typeof a.get('out') === 'string' ? (a.get('out') as string) : `.cache/synthetic/${products}`
  return { opts, out: resolve(out), touched: a.has('touched-items') }
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  try {
    const { opts, out, touched } = parse(process.argv.slice(2))
    const s = writeSyntheticShop(opts, out, touched)
    process.stdout.write(
      `${s.dir}: ${s.products.toLocaleString('en')} products (${(s.itemsBytes / 2 ** 20).toFixed(1)} MiB), ${s.users.toLocaleString('en')} visitors, ${s.events.toLocaleString('en')} events (${(s.eventsBytes / 2 ** 20).toFixed(1)} MiB; ${Object.entries(
        s.eventTypes,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}), ${s.touchedProducts.toLocaleString('en')} products visited; ${s.seconds.toFixed(1)} s\n`,
    )
  } catch (e) {
    process.stderr.write(`synth: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  }
}

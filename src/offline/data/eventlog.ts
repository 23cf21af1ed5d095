import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { extname } from 'node:path'
import { EVENT_TYPES, type EventType, type Item } from '../../events/types'
import { DatasetBuilder, tokenize } from './builder'
import { parseCsv } from './csv'
import { DatasetError } from './errors'
import { RowReport, parseNumberStrict } from './read'
import type { Dataset, ItemMeta } from './types'

/**
 * A shop's own logs. Two files:
 *
 * **Events** (`.csv` with a header, or `.jsonl`/`.ndjson`, one JSON object a line):
 * `user,item,timestamp[,type][,text]`.
 * - `timestamp`: a number (Unix seconds or milliseconds, see `timeUnit`) or an ISO-8601 string.
 * - `type`: a GA4 event name (src/events/types.ts); default `view_item`.
 * - `text`: the query of a `search` event (whose `item` may then be empty); for other
 *   types it becomes the item's title when the item file has none.
 *
 * **Items** (optional; `.csv` with a header or `.jsonl`): `id[,title][,category][,brand][,price]`.
 * In CSV `category` is a path written `Home > Lighting > Lamps`; in JSONL an array or that string.
 */
export interface EventLogOptions {
  /** Path of the items file; without it items are bare `{ id }` plus any title from `text`. */
  items?: string
  /**
   * Unit of numeric timestamps. `auto` (default): values below 1e11 are seconds, larger
   * ones milliseconds (1e11 s is the year 5138, 1e11 ms is 1973, so real logs never clash).
   */
  timeUnit?: 'auto' | 's' | 'ms'
  name?: string
}

const TYPES = new Set<string>(EVENT_TYPES)

interface RawEvent {
  user: unknown
  item: unknown
  timestamp: unknown
  type?: unknown
  text?: unknown
}

function isJsonl(path: string): boolean {
  const e = extname(path).toLowerCase()
  return e === '.jsonl' || e === '.ndjson'
}

/** Where `rows` is in a file read in pieces: the CSV header once seen, and the lines before the piece. */
interface RowState {
  header: string[] | null
  base: number
}

/** Yields [line, object | error] for JSONL or header CSV. */
function* rows(text: string, path: string, state: RowState = { header: null, base: 0 }): Generator<{ line: number; row?: Record<string, unknown>; error?: string }> {
  if (isJsonl(path)) {
    const lines = text.split('\n')
    for (let k = 0; k < lines.length; k++) {
      const l = lines[k]!.trim()
      if (l === '') continue
      const line = state.base + k + 1
      try {
        const v: unknown = JSON.parse(l)
        if (typeof v !== 'object' || v === null || Array.isArray(v)) yield { line, error: 'not a JSON object' }
        else yield { line, row: v as Record<string, unknown> }
      } catch (e) {
        yield { line, error: `invalid JSON (${(e as Error).message})` }
      }
    }
    return
  }
  for (const rec of parseCsv(text)) {
    const line = state.base + rec.line
    const header = state.header
    if (header === null) {
      state.header = rec.fields.map((h) => h.trim().toLowerCase())
      continue
    }
    if (rec.error) {
      yield { line, error: rec.error }
      continue
    }
    if (rec.fields.length !== header.length) {
      yield { line, error: `expected ${header.length} fields, found ${rec.fields.length}` }
      continue
    }
    const row: Record<string, unknown> = {}
    header.forEach((h, k) => {
      const v = rec.fields[k]!
      if (v !== '') row[h] = v
    })
    yield { line, row }
  }
}

/**
 * `rows` over a file read in pieces of `chunkBytes`, each cut after the last line break that
 * ends a record (outside quotes for CSV; a doubled "" toggles twice, so parity is enough): a
 * catalogue of millions of products is never one string (V8 caps strings at ~512 MB) and never
 * all in memory.
 */
function* fileRows(path: string, chunkBytes = 8 << 20, what = 'item file'): Generator<{ line: number; row?: Record<string, unknown>; error?: string }> {
  if (!existsSync(path)) throw new DatasetError(path, `${what} not found: expected a file at ${path}`)
  if (!statSync(path).isFile()) throw new DatasetError(path, `${what}: ${path} is not a file`)
  const jsonl = isJsonl(path)
  const fd = openSync(path, 'r')
  try {
    const dec = new TextDecoder('utf-8')
    const buf = Buffer.allocUnsafe(chunkBytes)
    const state: RowState = { header: null, base: 0 }
    let carry = ''
    for (;;) {
      const n = readSync(fd, buf, 0, chunkBytes, null)
      const eof = n === 0
      const text = carry + (eof ? dec.decode() : dec.decode(buf.subarray(0, n), { stream: true }))
      let cut = text.length
      if (!eof) {
        cut = 0
        if (jsonl) cut = text.lastIndexOf('\n') + 1
        else {
          let quoted = false
          for (let i = 0; i < text.length; i++) {
            const c = text.charCodeAt(i)
            if (c === 34) quoted = !quoted
            else if (c === 10 && !quoted) cut = i + 1
          }
        }
      }
      const piece = text.slice(0, cut)
      carry = text.slice(cut)
      if (piece !== '') {
        yield* rows(piece, path, state)
        for (let i = piece.indexOf('\n'); i >= 0; i = piece.indexOf('\n', i + 1)) state.base++
      }
      if (eof) break
    }
  } finally {
    closeSync(fd)
  }
}

function idOf(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v !== 'string') return null
  const t = v.trim()
  return t.length >= 1 && t.length <= 256 ? t : null
}

/** Milliseconds since the epoch, or an error message. */
export function parseTimestamp(v: unknown, unit: 'auto' | 's' | 'ms' = 'auto'): number | string {
  let n: number | null = null
  if (typeof v === 'number') n = v
  else if (typeof v === 'string') {
    n = parseNumberStrict(v)
    if (n === null) {
      const d = Date.parse(v)
      if (Number.isNaN(d)) return `timestamp "${v}" is neither a number nor an ISO-8601 date`
      return d
    }
  } else return 'timestamp is missing'
  if (!Number.isFinite(n) || n < 0) return `timestamp ${String(v)} must be a non-negative number`
  const seconds = unit === 's' || (unit === 'auto' && n < 1e11)
  return Math.round(seconds ? n * 1000 : n)
}

function parseCategory(v: unknown): string[] | null | undefined {
  if (v === undefined || v === null || v === '') return undefined
  const parts = Array.isArray(v) ? v : typeof v === 'string' ? v.split('>') : null
  if (parts === null || parts.some((p) => typeof p !== 'string')) return null
  const out = (parts as string[]).map((p) => p.trim()).filter((p) => p !== '')
  if (out.length > 8 || out.some((p) => p.length > 128)) return null
  return out.length > 0 ? out : undefined
}

/** An item of the item file from one parsed row, or why the row is malformed. */
function itemFromRow(o: Record<string, unknown>): Item | string {
  const id = idOf(o.id)
  if (id === null) return 'id is missing or not 1–256 characters'
  const item: Item = { id }
  const cat = parseCategory(o.category)
  if (cat === null) return 'category must be a path of at most 8 names (≤ 128 characters each)'
  if (cat) item.category = cat
  if (typeof o.title === 'string' && o.title.trim() !== '') item.title = o.title.trim().slice(0, 512)
  if (typeof o.brand === 'string' && o.brand.trim() !== '') item.brand = o.brand.trim().slice(0, 128)
  if (o.price !== undefined) {
    const p = typeof o.price === 'number' ? o.price : parseNumberStrict(String(o.price))
    if (p === null || !Number.isFinite(p) || p < 0) return `price "${String(o.price)}" must be a finite number ≥ 0`
    item.price = p
  }
  return item
}

function loadItems(b: DatasetBuilder, path: string): RowReport {
  const rep = new RowReport(path)
  // In pieces (fileRows), like the event log: a catalogue of millions is never one string.
  for (const r of fileRows(path, undefined, 'item file')) {
    rep.row()
    if (r.error || !r.row) {
      rep.bad(r.line, r.error ?? 'empty row')
      continue
    }
    const item = itemFromRow(r.row)
    if (typeof item === 'string') {
      rep.bad(r.line, item)
      continue
    }
    const meta: ItemMeta = { labels: item.category ?? [], tokens: item.title ? tokenize(item.title) : [] }
    if (!b.addItem(item, meta)) rep.bad(r.line, `duplicate item id ${item.id}`)
  }
  return rep
}

/**
 * The items of an item file one by one, read in pieces (`fileRows`): what the item-feed exporter
 * walks for a catalogue of millions. Malformed and duplicate rows go to `report`, as `loadItems`.
 */
export function* streamItemFile(path: string, report: RowReport = new RowReport(path), chunkBytes?: number): Generator<Item> {
  const seen = new Set<string>()
  for (const r of fileRows(path, chunkBytes)) {
    report.row()
    if (r.error || !r.row) {
      report.bad(r.line, r.error ?? 'empty row')
      continue
    }
    const item = itemFromRow(r.row)
    if (typeof item === 'string') {
      report.bad(r.line, item)
      continue
    }
    if (seen.has(item.id)) {
      report.bad(r.line, `duplicate item id ${item.id}`)
      continue
    }
    seen.add(item.id)
    yield item
  }
}

/** Load a generic event log (and optional item file) into the common Dataset. */
export function loadEventLog(eventsPath: string, opts: EventLogOptions = {}): Dataset {
  const unit = opts.timeUnit ?? 'auto'
  const b = new DatasetBuilder()
  const reports = []
  const files = [eventsPath]
  if (opts.items) {
    reports.push(loadItems(b, opts.items).report)
    files.unshift(opts.items)
  }
  const rep = new RowReport(eventsPath)
  // In pieces, like the item feed's catalogue: the log is never one string (V8 caps strings at
  // ~512 MB, so a large log could not be read whole at all) and never all in memory as text.
  for (const r of fileRows(eventsPath, undefined, 'event log')) {
    rep.row()
    if (r.error || !r.row) {
      rep.bad(r.line, r.error ?? 'empty row')
      continue
    }
    const o = r.row as unknown as RawEvent
    const user = idOf(o.user)
    if (user === null) {
      rep.bad(r.line, 'user is missing')
      continue
    }
    const type = o.type === undefined ? 'view_item' : String(o.type).trim()
    if (!TYPES.has(type)) {
      rep.bad(r.line, `type "${type}" is not one of ${EVENT_TYPES.join(', ')}`)
      continue
    }
    const ts = parseTimestamp(o.timestamp, unit)
    if (typeof ts === 'string') {
      rep.bad(r.line, ts)
      continue
    }
    const text = typeof o.text === 'string' && o.text.trim() !== '' ? o.text.trim() : undefined
    if (type === 'search') {
      if (text === undefined) {
        rep.bad(r.line, 'a search event needs its query in "text"')
        continue
      }
      const item = o.item === undefined || o.item === '' ? null : idOf(o.item)
      b.addEvent(user, 'search', item ? [item] : [], ts, text.slice(0, 512))
      continue
    }
    const item = idOf(o.item)
    if (item === null) {
      rep.bad(r.line, 'item is missing or not 1–256 characters')
      continue
    }
    const ev = b.addEvent(user, type as EventType, [item], ts)
    const it = ev.items[0]!
    if (text !== undefined && it.title === undefined) {
      it.title = text.slice(0, 512)
      const m = b.meta.get(it.id)
      if (m && m.tokens.length === 0) m.tokens = tokenize(text)
    }
  }
  reports.push(rep.report)
  const ds = b.build(opts.name ?? 'event-log', files, reports, 'event types as logged')
  // Without an item file no id is "missing from" one: every item is known only by its id, by
  // choice (issue 11: it warned "N item ids occur in events but not in the item file").
  if (!opts.items) ds.unknownItems = 0
  return ds
}

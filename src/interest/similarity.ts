/**
 * Offline item-to-item similarity, shipped to the browser as a static asset like model
 * weights (computed from all shoppers' logs by src/offline/; the shopper's own history
 * never leaves the device). The profile scores a candidate c by Σ_h v(h)·sim(h, c) over
 * the history items h (see profile.ts).
 *
 * This whole-table file is the small-shop mode. For a large catalogue the same rows travel
 * with the items instead (issue 10): an item's `neighbours` field is its row here,
 * `neighbors(id)` as `[id, sim]` pairs, strongest first, and the profile uses the carried
 * rows before any table (profile.ts `similar`), so both modes give the same scores
 * (item-data-parity.test.ts).
 *
 * Serialised format, version 1 (compressed sparse rows, parallel arrays: ~40% of the size
 * of an object per pair, and one JSON.parse with no per-pair objects):
 *
 *   {
 *     "format": "localrank-similarity",
 *     "version": 1,
 *     "items":     ["sku-1", "sku-2", …],   // id dictionary, unique non-empty strings
 *     "offsets":   [0, 2, 3, …],            // items.length + 1 row pointers; row i is
 *                                           // [offsets[i], offsets[i+1]) of the arrays below
 *     "neighbors": [1, 7, 0, …],            // indices into items (never i itself, no repeats in a row)
 *     "sims":      [0.61, 0.2, 0.61, …],    // finite similarities, parallel to neighbors
 *     "meta":      { … }                    // optional provenance, not interpreted
 *   }
 *
 * Rows are stored strongest first; the parser re-sorts a row that is not.
 */
import { LocalRankError, ModelError } from '../errors'
import { sha256Hex } from '../hash'
import type { SimilarityTable } from './types'
import { yieldToPage } from '../yield'

export const SIMILARITY_FORMAT = 'localrank-similarity'
export const SIMILARITY_VERSION = 1

export interface SimilarityTableJSON {
  format: typeof SIMILARITY_FORMAT
  version: typeof SIMILARITY_VERSION
  items: string[]
  offsets: number[]
  neighbors: number[]
  sims: number[]
  meta?: Record<string, unknown>
}

type Row = ReadonlyArray<readonly [string, number]>
const EMPTY: Row = Object.freeze([])

function fail(field: string, reason: string): ModelError {
  return new ModelError('model', `similarity table: ${field}: ${reason}`, { field, model: 'similarity' })
}

/**
 * In-memory table over CSR arrays. `neighbors(id)` builds an item's tuple row on first use
 * and keeps it, so a large catalogue costs tuples only for the items actually scored.
 */
export class MemorySimilarityTable implements SimilarityTable {
  private readonly index = new Map<string, number>()
  private readonly rows: Array<Row | undefined>

  /** Arrays as in `SimilarityTableJSON`, already valid and sorted (use the factories). */
  private constructor(
    private readonly ids: readonly string[],
    private readonly offsets: Int32Array,
    private readonly nbr: Int32Array,
    private readonly sims: Float64Array,
    readonly meta: Readonly<Record<string, unknown>> | undefined,
  ) {
    ids.forEach((id, i) => this.index.set(id, i))
    this.rows = new Array<Row | undefined>(ids.length)
  }

  /** @internal Used by the factories below after validation. */
  static fromArrays(ids: readonly string[], offsets: Int32Array, nbr: Int32Array, sims: Float64Array, meta?: Record<string, unknown>): MemorySimilarityTable {
    return new MemorySimilarityTable(ids, offsets, nbr, sims, meta)
  }

  neighbors(itemId: string): Row {
    const i = this.index.get(itemId)
    if (i === undefined) return EMPTY
    let row = this.rows[i]
    if (!row) {
      const from = this.offsets[i] as number
      const to = this.offsets[i + 1] as number
      const r: Array<readonly [string, number]> = new Array(to - from)
      for (let j = from; j < to; j++) r[j - from] = Object.freeze([this.ids[this.nbr[j] as number] as string, this.sims[j] as number] as const)
      row = this.rows[i] = Object.freeze(r)
    }
    return row
  }

  /**
   * The validated arrays behind the table (read-only by contract), so a worker that parsed the
   * table can transfer them to the page instead of the page parsing it (load.ts).
   */
  toArrays(): { ids: readonly string[]; offsets: Int32Array; neighbors: Int32Array; sims: Float64Array; meta: Readonly<Record<string, unknown>> | undefined } {
    return { ids: this.ids, offsets: this.offsets, neighbors: this.nbr, sims: this.sims, meta: this.meta }
  }

  /** Dictionary index of an item, −1 when unknown. */
  indexOf(itemId: string): number {
    return this.index.get(itemId) ?? -1
  }

  /**
   * The raw rows, for hot loops: row i is [offsets[i], offsets[i+1]) of `neighbors` (item
   * indices) and `sims`. Walking these contiguous typed arrays avoids chasing one tuple
   * object per pair, which dominates when candidates arrive in random order (measured ~10×
   * on MovieLens-sized tables). Read-only by contract.
   */
  get csr(): { readonly offsets: Int32Array; readonly neighbors: Int32Array; readonly sims: Float64Array } {
    return { offsets: this.offsets, neighbors: this.nbr, sims: this.sims }
  }

  /** Number of items in the dictionary. */
  get size(): number {
    return this.ids.length
  }

  /** Number of stored (item, neighbour) pairs. */
  get pairs(): number {
    return this.nbr.length
  }

  /** Every item with at least one neighbour, and its row. */
  *entries(): IterableIterator<[string, Row]> {
    for (let i = 0; i < this.ids.length; i++) {
      if ((this.offsets[i + 1] as number) > (this.offsets[i] as number)) yield [this.ids[i] as string, this.neighbors(this.ids[i] as string)]
    }
  }

  /**
   * The serialised form (format above). `digits` rounds similarities to that many
   * significant digits (e.g. 4) to shrink the asset; omit it for exact values.
   */
  toJSON(options: { digits?: number; meta?: Record<string, unknown> } = {}): SimilarityTableJSON {
    const round = options.digits === undefined ? (x: number) => x : (x: number) => Number(x.toPrecision(options.digits))
    const out: SimilarityTableJSON = {
      format: SIMILARITY_FORMAT,
      version: SIMILARITY_VERSION,
      items: [...this.ids],
      offsets: Array.from(this.offsets),
      neighbors: Array.from(this.nbr),
      sims: Array.from(this.sims, round),
    }
    const meta = options.meta ?? this.meta
    if (meta) out.meta = { ...meta }
    return out
  }
}

export interface BuildSimilarityOptions {
  /** Also add (b, a, s) for every (a, b, s). Default true: the profile's O(k) walk is exact only on symmetric tables. */
  symmetric?: boolean
  /** Keep at most this many neighbours per item, strongest first (after symmetrising, which can make the result asymmetric again). */
  maxNeighbors?: number
  meta?: Record<string, unknown>
}

/**
 * Build a table from (item, neighbour, similarity) triples. Self pairs are dropped; a pair
 * given twice keeps its larger similarity. Rows are sorted strongest first (ties by id).
 * @throws ModelError naming the bad triple, e.g. `rows[3][2]` for a non-finite similarity.
 */
export function createSimilarityTable(rows: Iterable<readonly [string, string, number]>, options: BuildSimilarityOptions = {}): MemorySimilarityTable {
  const symmetric = options.symmetric ?? true
  const k = options.maxNeighbors ?? Infinity
  if (!(k >= 0)) throw fail('maxNeighbors', 'must be ≥ 0')
  const graph = new Map<string, Map<string, number>>()
  const ids: string[] = []
  const index = new Map<string, number>()
  const idOf = (id: string) => {
    let i = index.get(id)
    if (i === undefined) {
      index.set(id, (i = ids.length))
      ids.push(id)
    }
    return i
  }
  const put = (a: string, b: string, s: number) => {
    let row = graph.get(a)
    if (!row) graph.set(a, (row = new Map()))
    const old = row.get(b)
    if (old === undefined || s > old) row.set(b, s)
  }
  let r = 0
  for (const triple of rows) {
    if (!Array.isArray(triple)) throw fail(`rows[${r}]`, 'must be an [item, neighbour, similarity] triple')
    const [a, b, s] = triple
    if (typeof a !== 'string' || a.length === 0) throw fail(`rows[${r}][0]`, 'must be a non-empty string')
    if (typeof b !== 'string' || b.length === 0) throw fail(`rows[${r}][1]`, 'must be a non-empty string')
    if (typeof s !== 'number' || !Number.isFinite(s)) throw fail(`rows[${r}][2]`, 'must be a finite number')
    r++
    idOf(a)
    idOf(b)
    if (a === b) continue
    put(a, b, s)
    if (symmetric) put(b, a, s)
  }
  const offsets = new Int32Array(ids.length + 1)
  const nbr: number[] = []
  const sims: number[] = []
  ids.forEach((id, i) => {
    const row = graph.get(id)
    if (row) {
      const sorted = [...row].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      for (const [b, s] of sorted.length > k ? sorted.slice(0, k) : sorted) {
        nbr.push(index.get(b) as number)
        sims.push(s)
      }
    }
    offsets[i + 1] = nbr.length
  })
  return MemorySimilarityTable.fromArrays(ids, offsets, Int32Array.from(nbr), Float64Array.from(sims), options.meta)
}

/** Serialise a table (see the format above). */
export function serializeSimilarityTable(table: MemorySimilarityTable, options?: { digits?: number; meta?: Record<string, unknown> }): SimilarityTableJSON {
  return table.toJSON(options)
}

/** Elements or rows checked between two pause points of the parser (see `parseSteps`). */
const STEP = 8192

function* intArray(value: unknown, field: string): Generator<void, number[]> {
  if (!Array.isArray(value)) throw fail(field, 'must be an array of integers')
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i]
    if (typeof x !== 'number' || !Number.isInteger(x)) throw fail(`${field}[${i}]`, 'must be an integer')
    if (i % STEP === STEP - 1) yield
  }
  return value as number[]
}

/**
 * Parse and check a serialised table (an object from JSON.parse, or the JSON text).
 * @throws ModelError (code `model`, context.model `similarity`) whose `context.field`
 * names what is wrong: `format`, `version`, `items[3]`, `offsets[0]`, `neighbors[17]`, `sims`…
 */
export function parseSimilarityTable(input: unknown): MemorySimilarityTable {
  const steps = parseSteps(input)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

/**
 * The same parse, pausing for the page every few milliseconds. The engine parses the table on
 * the main thread at start-up: in one piece it was a ~50 ms task on the build machine (the
 * loops run once, before the JIT has optimised them), which the page's input would wait for.
 */
export async function parseSimilarityTableAsync(input: unknown, budgetMs = 8): Promise<MemorySimilarityTable> {
  const steps = parseSteps(input)
  let start = performance.now()
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
    if (performance.now() - start >= budgetMs) {
      await yieldToPage()
      start = performance.now()
    }
  }
}

/** The parser as a generator that yields at regular points, so callers choose when to pause. */
function* parseSteps(input: unknown): Generator<void, MemorySimilarityTable> {
  let data = input
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data)
    } catch (err) {
      throw fail('json', `is not valid JSON (${err instanceof Error ? err.message : String(err)})`)
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw fail('table', 'must be a JSON object')
  const d = data as Record<string, unknown>
  if (d.format !== SIMILARITY_FORMAT) throw fail('format', `must be "${SIMILARITY_FORMAT}" (got ${JSON.stringify(d.format)})`)
  if (d.version !== SIMILARITY_VERSION) throw fail('version', `must be ${SIMILARITY_VERSION} (got ${JSON.stringify(d.version)}); this build reads version ${SIMILARITY_VERSION} only`)

  if (!Array.isArray(d.items)) throw fail('items', 'must be an array of item ids')
  const ids = d.items as unknown[]
  const seen = new Set<string>()
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]
    if (typeof id !== 'string' || id.length === 0) throw fail(`items[${i}]`, 'must be a non-empty string')
    if (seen.has(id)) throw fail(`items[${i}]`, `duplicate item id "${id}"`)
    seen.add(id)
    if (i % STEP === STEP - 1) yield
  }

  const offsets = yield* intArray(d.offsets, 'offsets')
  const nbr = yield* intArray(d.neighbors, 'neighbors')
  if (!Array.isArray(d.sims)) throw fail('sims', 'must be an array of numbers')
  const sims = d.sims as unknown[]
  if (offsets.length !== ids.length + 1) throw fail('offsets', `must have items.length + 1 = ${ids.length + 1} entries (got ${offsets.length})`)
  if (sims.length !== nbr.length) throw fail('sims', `must have as many entries as neighbors (${nbr.length}, got ${sims.length})`)
  if (offsets[0] !== 0) throw fail('offsets[0]', 'must be 0')
  for (let i = 1; i < offsets.length; i++) {
    if ((offsets[i] as number) < (offsets[i - 1] as number)) throw fail(`offsets[${i}]`, `must be ≥ offsets[${i - 1}]`)
  }
  if (offsets[ids.length] !== nbr.length) throw fail(`offsets[${ids.length}]`, `must equal neighbors.length (${nbr.length})`)

  const n = new Int32Array(nbr.length)
  const s = new Float64Array(sims.length)
  // Duplicate check without a Set per row: seenIn[b] = 1 + the last row that listed b. The
  // table is parsed on the page during start-up, where a Set per row (5,000 of them for
  // MovieLens) was most of a ~50 ms main-thread task.
  const seenIn = new Int32Array(ids.length)
  for (let i = 0; i < ids.length; i++) {
    const from = offsets[i] as number
    const to = offsets[i + 1] as number
    let sorted = true
    for (let j = from; j < to; j++) {
      const b = nbr[j] as number
      if (b < 0 || b >= ids.length) throw fail(`neighbors[${j}]`, `must index items (0…${ids.length - 1}, got ${b})`)
      if (b === i) throw fail(`neighbors[${j}]`, `item "${ids[i] as string}" must not list itself`)
      if (seenIn[b] === i + 1) throw fail(`neighbors[${j}]`, `"${ids[b] as string}" appears twice among the neighbours of "${ids[i] as string}"`)
      seenIn[b] = i + 1
      const x = sims[j]
      if (typeof x !== 'number' || !Number.isFinite(x)) throw fail(`sims[${j}]`, 'must be a finite number')
      if (j > from && x > (s[j - 1] as number)) sorted = false
      n[j] = b
      s[j] = x
    }
    if (!sorted) {
      const order = Array.from({ length: to - from }, (_, k) => from + k).sort((a, b) => (s[b] as number) - (s[a] as number) || a - b)
      const nn = order.map((j) => n[j] as number)
      const ss = order.map((j) => s[j] as number)
      n.set(nn, from)
      s.set(ss, from)
    }
    if (i % 256 === 255) yield
  }
  const meta = d.meta !== undefined && typeof d.meta === 'object' && d.meta !== null && !Array.isArray(d.meta) ? (d.meta as Record<string, unknown>) : undefined
  if (d.meta !== undefined && !meta) throw fail('meta', 'must be an object when present')
  return MemorySimilarityTable.fromArrays(ids as string[], Int32Array.from(offsets), n, s, meta)
}

/** Alias of `parseSimilarityTable` (the engine's name for it). */
export const parseSimilarity = parseSimilarityTable

/**
 * GET a serialised table, same-origin credentials only. Shared by the worker that parses it and
 * the page's fallback (load.ts), so both refuse an HTTP error or a pin mismatch the same way.
 *
 * The pin (`sha256`, hex) is the SHA-256 of the file's bytes, exactly as served: any tool
 * computes it (`sha256sum similarity.json`), and it is checked before the bytes are parsed,
 * so a tampered table, however well-formed, never reaches the profile (issue 13 #11: one
 * promoted any item with a made-up "Similar to …" explanation). Without a pin the table is
 * used unchecked, as before.
 * @throws LocalRankError `model` naming the URL and the status; ModelError `integrity` with
 *   the expected and actual digests on a mismatch.
 */
export async function fetchSimilarityJson(url: string, sha256?: string): Promise<unknown> {
  const res = await fetch(url, { credentials: 'same-origin' })
  if (!res.ok) throw new LocalRankError('model', `similarity table ${url}: HTTP ${res.status}`, { model: url })
  if (sha256 === undefined) return res.json()
  const bytes = new Uint8Array(await res.arrayBuffer())
  const expected = sha256.toLowerCase()
  const actual = await sha256Hex(bytes)
  if (actual !== expected) {
    throw new ModelError('integrity', `similarity table ${url} has SHA-256 ${actual}, but ${expected} was expected; refusing it (tampered or corrupted)`, { model: url, expected, actual })
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown
  } catch (err) {
    throw new ModelError('model', `similarity table ${url} is not valid JSON`, { model: url }, { cause: err })
  }
}

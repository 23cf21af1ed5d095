/**
 * The "shop API" of the 1,000,000-product demo page (src/demo/shop/): the part a real shop's
 * server plays in feed mode (issue 10). It runs in Node — as Vite dev middleware under
 * `npm start` and inside e2e/serve.ts — and never in the browser.
 *
 * Nothing of the catalogue is stored: products come from the seeded generator
 * (src/offline/data/synthetic.ts, product i = f(seed, i)), and each answered product gets its
 * feed row joined in on the fly, exactly as `npm run feed` would have written it:
 * - `vector`: H1's feed code (src/offline/feed `feedRows` over `sourceItemTable`) on the
 *   committed whole-table model (src/demo/shop/model/, trained on the generator's traffic by
 *   train-model.ts), so e(item) + bias are the trained model's, in its item space;
 * - `neighbours`: the top-k of the offline co-occurrence similarity (src/offline/similarity
 *   `buildNeighbours`, the code behind the shipped similarity table), computed once at start-up
 *   from the same seeded traffic the model was trained on (regenerated, ~700,000 events).
 * The browser's model is the user-side artifact (`buildArtifact`, no item rows), built at
 * start-up from the same model and served at /shop-api/model/.
 *
 * Requests name a category, a query or the product page being opened — what any shop's server
 * sees anyway. LocalRank itself never asks this API for anything keyed by a history item.
 *
 *   GET /shop-api/meta                   catalogue facts, the tree, the model's URL and pin
 *   GET /shop-api/list?leaf=L&n=500      a category page's candidates, in the server's order
 *   GET /shop-api/search?q=…&n=500       a search page's candidates
 *   GET /shop-api/home?n=500             the best sellers
 *   GET /shop-api/product?id=p123&n=500  one product, and its category's candidates
 *   GET /shop-api/model/model.json|weights.bin   the user-side artifact
 */
import { join } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ItemTable } from '../../encoder/items'
import { modelIdOf } from '../../encoder/vector-codec'
import { SyntheticShop, type SyntheticProduct } from '../../offline/data/synthetic'
import { buildArtifact, feedRows, readSource, sourceItemSpace, sourceItemTable, type BuiltArtifact } from '../../offline/feed'
import { buildNeighbours, type NeighbourLists, type TrainingData } from '../../offline/similarity'

export const SHOP_MODEL_DIR = join(import.meta.dirname, 'model')
export const SHOP_PRODUCTS = 1_000_000
export const SHOP_SEED = 1

export interface ShopApiOptions {
  products?: number
  seed?: number
  /** Visitors of the regenerated traffic (default: the generator's, as at training). */
  users?: number
  /** Whole-table model to compute vectors with (default: $LOCALRANK_SHOP_MODEL, else src/demo/shop/model, the committed one). */
  modelDir?: string
  /** Neighbours per product row (default 20; the wire limit is 100, the store keeps 8). */
  neighbours?: number
  /** URL prefix the API answers under (default /shop-api/). */
  prefix?: string
}

export interface ShopItem {
  id: string
  title: string
  category: string[]
  brand: string
  price: number
  /** The server's own score: popularity, 1 for the best seller. */
  score: number
  vector: string
  neighbours?: Array<[string, number]>
}

export interface ApiResponse {
  status: number
  type: string
  body: string | Uint8Array
}

const json = (v: unknown, status = 200): ApiResponse => ({ status, type: 'application/json', body: JSON.stringify(v) })

/** Co-occurrence input from the generator's traffic, without writing or parsing a file. */
export function trafficTrainingData(shop: SyntheticShop): TrainingData {
  const index = new Map<string, number>()
  const items: string[] = []
  const sequences: Int32Array[] = []
  const times: Float64Array[] = []
  const count: number[] = []
  const users: number[][] = []
  for (let u = 0; u < shop.users; u++) {
    const seq: number[] = []
    const ts: number[] = []
    for (const e of shop.userEvents(u)) {
      if (e.item === '') continue
      let i = index.get(e.item)
      if (i === undefined) {
        i = items.length
        index.set(e.item, i)
        items.push(e.item)
        count.push(0)
        users.push([])
      }
      seq.push(i)
      ts.push(e.timestamp * 1000)
      count[i]!++
      const l = users[i]!
      if (l[l.length - 1] !== u) l.push(u)
    }
    sequences.push(Int32Array.from(seq))
    times.push(Float64Array.from(ts))
  }
  return { items, index, sequences, times, counts: Int32Array.from(count), itemUsers: users.map((l) => Int32Array.from(l)) }
}

export class ShopApi {
  readonly shop: SyntheticShop
  readonly artifact: BuiltArtifact
  readonly modelId: string
  readonly startupMs: number
  private readonly table: ItemTable
  private readonly lists: NeighbourLists
  private readonly listIndex: Map<string, number>
  private readonly k: number
  private readonly prefix: string
  private readonly modelJson: string

  private constructor(x: { shop: SyntheticShop; artifact: BuiltArtifact; modelId: string; table: ItemTable; lists: NeighbourLists; k: number; prefix: string; startupMs: number }) {
    this.shop = x.shop
    this.artifact = x.artifact
    this.modelId = x.modelId
    this.table = x.table
    this.lists = x.lists
    this.listIndex = new Map(x.lists.items.map((id, i) => [id, i]))
    this.k = x.k
    this.prefix = x.prefix
    this.startupMs = x.startupMs
    this.modelJson = JSON.stringify(x.artifact.artifact)
  }

  static async create(o: ShopApiOptions = {}): Promise<ShopApi> {
    const t0 = performance.now()
    const shop = new SyntheticShop({ products: o.products ?? SHOP_PRODUCTS, seed: o.seed ?? SHOP_SEED, ...(o.users !== undefined ? { users: o.users } : {}) })
    const src = await readSource(o.modelDir ?? process.env['LOCALRANK_SHOP_MODEL'] ?? SHOP_MODEL_DIR)
    const space = await sourceItemSpace(src)
    const artifact = await buildArtifact(src, space, 0, { mode: 'feed' })
    const k = Math.min(100, o.neighbours ?? 20)
    const lists = buildNeighbours(trafficTrainingData(shop), { k })
    return new ShopApi({ shop, artifact, modelId: modelIdOf(space), table: sourceItemTable(src), lists, k, prefix: o.prefix ?? '/shop-api/', startupMs: performance.now() - t0 })
  }

  /** Feed rows already computed, by product index (the same lists are asked for again and again). */
  private readonly rowCache = new Map<number, { vector: string; neighbours?: Array<[string, number]> }>()

  /** The feed row of product `p`: what `npm run feed` writes for it. */
  private feedRow(p: SyntheticProduct): { vector: string; neighbours?: Array<[string, number]> } {
    const hit = this.rowCache.get(p.index)
    if (hit) return hit
    const sim = {
      neighbors: (id: string) => {
        const a = this.listIndex.get(id)
        if (a === undefined) return []
        const ns = this.lists.nbr[a]!
        const ss = this.lists.sim[a]!
        return Array.from(ns, (j, t) => [this.lists.items[j]!, Number(ss[t]!.toPrecision(3))] as const)
      },
    }
    const [r] = [...feedRows(this.table, [p], { modelId: this.modelId, similarity: sim, k: this.k })]
    const row = r!.neighbours ? { vector: r!.vector, neighbours: r!.neighbours } : { vector: r!.vector }
    // ≈ 300 B a row: 100,000 rows ≈ 30 MB, then start again.
    if (this.rowCache.size >= 100_000) this.rowCache.clear()
    this.rowCache.set(p.index, row)
    return row
  }

  /** The products' rows as the shop's server sends them: content, score, and the joined feed row. */
  items(indices: ArrayLike<number>): ShopItem[] {
    const n = this.shop.products
    return Array.from({ length: indices.length }, (_, k) => {
      const p = this.shop.product(indices[k]!)
      const r = this.feedRow(p)
      const it: ShopItem = { id: p.id, title: p.title, category: p.category, brand: p.brand, price: p.price, score: Number((1 - p.rank / n).toFixed(6)), vector: r.vector }
      if (r.neighbours) it.neighbours = r.neighbours
      return it
    })
  }

  private top(leaves: number[], n: number): number[] {
    // Merge the leaves' rank-ordered lists by global rank.
    const out: number[] = []
    const lists = leaves.map((l) => this.shop.leafProducts(l))
    const pos = lists.map(() => 0)
    while (out.length < n) {
      let best = -1
      for (let k = 0; k < lists.length; k++) {
        const p = pos[k]!
        if (p >= lists[k]!.length) continue
        if (best < 0 || this.shop.rankOf[lists[k]![p]!]! < this.shop.rankOf[lists[best]![pos[best]!]!]!) best = k
      }
      if (best < 0) break
      out.push(lists[best]![pos[best]!++]!)
    }
    return out
  }

  meta(): unknown {
    const s = this.shop
    return {
      products: s.products,
      seed: s.seed,
      visitors: s.users,
      leaves: s.leaves.map((l) => ({ index: l.index, path: l.path, products: s.leafStart[l.index + 1]! - s.leafStart[l.index]! })),
      model: `${this.prefix}model/model.json`,
      modelSha256: this.artifact.artifact.modelSha256,
      modelId: this.modelId,
      neighboursPerItem: this.k,
      startupMs: Math.round(this.startupMs),
    }
  }

  /** Answer one API path (without the prefix check being the caller's job). */
  respond(pathname: string, q: URLSearchParams): ApiResponse {
    const p = pathname.startsWith(this.prefix) ? pathname.slice(this.prefix.length) : null
    if (p === null) return json({ error: 'not found' }, 404)
    const n = Math.max(1, Math.min(2000, Number(q.get('n') ?? 500) || 500))
    const s = this.shop
    switch (p) {
      case 'meta':
        return json(this.meta())
      case 'model/model.json':
        return { status: 200, type: 'application/json', body: this.modelJson }
      case 'model/weights.bin':
        return { status: 200, type: 'application/octet-stream', body: this.artifact.bytes }
      case 'home': {
        const idx = Array.from({ length: Math.min(n, s.products) }, (_, r) => s.productAtRank(r))
        return json({ title: 'Best sellers', items: this.items(idx) })
      }
      case 'list': {
        const l = Number(q.get('leaf'))
        if (!Number.isInteger(l) || l < 0 || l >= s.leaves.length) return json({ error: `leaf must be an integer in [0, ${s.leaves.length})` }, 400)
        return json({ title: s.leaves[l]!.path.join(' › '), leaf: l, items: this.items(s.leafProducts(l).subarray(0, n)) })
      }
      case 'search': {
        const text = (q.get('q') ?? '').slice(0, 200)
        const leaves = s.searchLeaves(text)
        const brand = text.toLowerCase()
        const idx = leaves.length > 0 ? this.top(leaves, n) : []
        const title = leaves.length > 0 ? `Results for “${text}”` : `No category matches “${text}”: best sellers`
        return json({ title, query: text, items: this.items(idx.length > 0 ? idx : Array.from({ length: Math.min(n, s.products) }, (_, r) => s.productAtRank(r))), matched: leaves.length, brand })
      }
      case 'product': {
        const i = s.indexOf(q.get('id') ?? '')
        if (i === null) return json({ error: `id must be a product of this catalogue (p0 … p${s.products - 1})` }, 404)
        const l = s.leafOf[i]!
        return json({ item: this.items([i])[0], leaf: l, title: `More in ${s.leaves[l]!.path[2]}`, items: this.items(s.leafProducts(l).subarray(0, n)) })
      }
      default:
        return json({ error: `no such endpoint ${pathname}` }, 404)
    }
  }
}

/**
 * Connect/Node middleware: answers the API paths, and `/shop/` with the page (`pagePath`, the
 * page's URL in this server: /src/demo/shop/index.html under Vite, the built copy under dist/).
 * The API is built once, on the first request (≈ 5–10 s for 1,000,000 products: the traffic's
 * co-occurrence), so servers that never show the shop page never pay for it.
 */
export function shopMiddleware(o: ShopApiOptions & { pagePath: string }) {
  let api: Promise<ShopApi> | null = null
  const prefix = o.prefix ?? '/shop-api/'
  return (req: IncomingMessage, res: ServerResponse, next?: () => void): void => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/shop' || url.pathname === '/shop/') {
      res.writeHead(302, { location: `${o.pagePath}${url.search}` })
      res.end()
      return
    }
    if (!url.pathname.startsWith(prefix)) {
      if (next) next()
      else {
        res.writeHead(404)
        res.end()
      }
      return
    }
    api ??= ShopApi.create(o)
    api.then(
      (a) => {
        const r = a.respond(url.pathname, url.searchParams)
        res.writeHead(r.status, { 'content-type': r.type, 'cache-control': 'no-cache' })
        res.end(r.body)
      },
      (e: unknown) => {
        api = null
        res.writeHead(503, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: `shop API unavailable: ${e instanceof Error ? e.message : String(e)}` }))
      },
    )
  }
}

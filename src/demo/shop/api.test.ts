/**
 * The 1,000,000-product page's server (api.ts): what it answers must be what a shop's server
 * would send after joining the offline item feed, i.e. the very rows and artifact that
 * `npm run feed` writes from the same model; lists are the server's popularity order; bad
 * parameters are errors naming the parameter. Runs on the committed model (src/demo/shop/model).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { VECTOR_PATTERN } from '../../encoder/vector-codec'
import { feedCli } from '../../offline/feed'
import { SHOP_MODEL_DIR, ShopApi, type ShopItem } from './api'

let api: ShopApi
const get = (path: string, q = '') => {
  const r = api.respond(`/shop-api/${path}`, new URLSearchParams(q))
  return { status: r.status, body: typeof r.body === 'string' ? (JSON.parse(r.body) as Record<string, unknown>) : null, bytes: r.body }
}
const items = (path: string, q = '') => get(path, q).body!['items'] as ShopItem[]

beforeAll(async () => {
  // The demo's catalogue size; fewer visitors than the demo's 50,000 keep start-up short.
  api = await ShopApi.create({ modelDir: SHOP_MODEL_DIR, users: 3_000 })
}, 120_000)

describe('shop API', () => {
  it('vectors and the artifact are exactly what npm run feed writes from the same model', async () => {
    const shown = [...items('home', 'n=40'), ...items('list', 'leaf=7&n=40')]
    const dir = mkdtempSync(join(tmpdir(), 'lr-shop-api-'))
    const catalogue = join(dir, 'items.jsonl')
    writeFileSync(catalogue, shown.map((it) => JSON.stringify({ id: it.id, title: it.title, category: it.category, brand: it.brand, price: it.price })).join('\n') + '\n')
    const s = await feedCli(['--model', SHOP_MODEL_DIR, '--out', join(dir, 'site'), '--feed-out', join(dir, 'server'), '--items', catalogue, '--mode', 'feed'])
    expect(s).toBeTruthy()
    const rows = new Map(
      readFileSync(join(dir, 'server/items.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; vector: string })
        .map((r) => [r.id, r.vector]),
    )
    for (const it of shown) expect(it.vector, it.id).toBe(rows.get(it.id))
    const meta = get('meta').body!
    expect(meta['modelSha256']).toBe(s!.modelSha256)
    expect(meta['modelId']).toBe(s!.modelId)
    expect(Buffer.from(get('model/weights.bin').bytes as Uint8Array).equals(readFileSync(join(dir, 'site/weights.bin')))).toBe(true)
    // The user side only: no item rows, whatever the catalogue.
    expect((get('model/model.json').body!['vocab'] as unknown[]).length).toBe(0)
  }, 120_000)

  it("lists are the server's popularity order, inside the asked category; every row carries its data", () => {
    const home = items('home', 'n=200')
    expect(home).toHaveLength(200)
    for (let k = 1; k < home.length; k++) expect(home[k]!.score).toBeLessThan(home[k - 1]!.score)
    expect(home[0]!.score).toBe(1) // the best seller of all 1,000,000
    const leaves = get('meta').body!['leaves'] as Array<{ index: number; path: string[]; products: number }>
    expect(leaves.reduce((n, l) => n + l.products, 0)).toBe(1_000_000)
    const leaf = leaves[42]!
    const list = items('list', `leaf=${leaf.index}&n=300`)
    expect(list.length).toBe(Math.min(300, leaf.products))
    expect(list.every((it) => it.category.join('/') === leaf.path.join('/'))).toBe(true)
    for (let k = 1; k < list.length; k++) expect(list[k]!.score).toBeLessThan(list[k - 1]!.score)
    const modelId = get('meta').body!['modelId'] as string
    for (const it of [...home, ...list]) {
      expect(it.vector).toMatch(VECTOR_PATTERN)
      expect(it.vector.split(':')[1]).toBe(modelId)
      for (const [id, w] of it.neighbours ?? []) {
        expect(id).not.toBe(it.id)
        expect(id).toMatch(/^p\d+$/)
        expect(Number.isFinite(w)).toBe(true)
      }
    }
    // The traffic's popular products have co-occurrence neighbours, strongest first.
    const withNb = home.filter((it) => it.neighbours && it.neighbours.length > 1)
    expect(withNb.length).toBeGreaterThan(100)
    for (const it of withNb) for (let k = 1; k < it.neighbours!.length; k++) expect(it.neighbours![k]![1]).toBeLessThanOrEqual(it.neighbours![k - 1]![1])
  })

  it('a search lists the matching category; a product page brings its category', () => {
    const r = get('search', 'q=table lamps&n=100').body!
    const found = r['items'] as ShopItem[]
    expect(found.length).toBe(100)
    expect(found.every((it) => it.category[2] === 'Table lamps')).toBe(true)
    const p = get('product', `id=${found[5]!.id}`).body!
    expect((p['item'] as ShopItem).id).toBe(found[5]!.id)
    expect((p['items'] as ShopItem[]).every((it) => it.category[2] === 'Table lamps')).toBe(true)
  })

  it('bad parameters are errors that name them', () => {
    const leaf = get('list', 'leaf=9999')
    expect(leaf.status).toBe(400)
    expect(String(leaf.body!['error'])).toMatch(/^leaf must be an integer/)
    const id = get('product', 'id=p1000000')
    expect(id.status).toBe(404)
    expect(String(id.body!['error'])).toMatch(/^id must be a product/)
    expect(get('nope').status).toBe(404)
  })
})

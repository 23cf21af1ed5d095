/**
 * Impressions measured offline (issue 15 #3): generated traffic that has impressions, ranked by
 * the browser's own ranker (`rankCandidates` with `buildProfile` and `impressionLog`), with and
 * without the impression demotion.
 *
 *   npx tsx src/offline/impressions/measure.ts [--users 2000] [--seed 1]
 *
 * The traffic (seeded, a pure function of seed and visitor): the products are the synthetic
 * shop's (src/offline/data/synthetic.ts, unchanged: its own traffic feeds a trained model, so
 * this generator draws nothing from its random stream). Each visitor has a favourite leaf and
 * comes back `SESSIONS` times, hours to days apart. Each visit the "server" shows the leaf's 24
 * most popular products (a little reshuffled: a fresh popularity estimate each day); the
 * visitor sees the first `ON_SCREEN` (a `view_item_list` of them), and clicks 1–3, each
 * screen position with a position bias 1/(1 + pos/4) times their taste for the product. The
 * taste is what impressions can reveal: with probability `dislike` a product is one this
 * visitor never clicks, however often it is shown (in the real world: wrong size, already
 * owned, bought elsewhere); the others have a taste drawn from U(0.2, 1).
 *
 * Task: the last visit's first click, among that visit's 24 candidates, with everything before
 * it as history (the last visit's own impression included: it happens before the click).
 * Metrics NDCG@10 and HR@5 (src/offline/metrics), over visitors.
 *
 * This is a check by construction (the demotion helps exactly because some shown items are
 * never wanted), so the run also reports `dislike = 0`, where an unclicked item is only unlucky
 * and demoting it can only cost: the default must not lose much there.
 */
import type { StoredEvent } from '../../events/types'
import { buildProfile } from '../../interest/profile'
import { DEFAULT_IMPRESSION_CONFIG, impressionLog, type ImpressionConfig } from '../../rank/impressions'
import { rankCandidates } from '../../rank/ranker'
import { mulberry32, type Rng } from '../../rng'
import { mix, SyntheticShop } from '../data/synthetic'
import { hitAt, ndcgAt } from '../metrics'

export const SESSIONS = 6
export const ON_SCREEN = 12
export const LIST = 24

export interface ImpressionRunOptions {
  users?: number
  seed?: number
  /** Share of a leaf's products a visitor never clicks. Default 0.3. */
  dislike?: number
  /** Impression settings compared (weight 0 = the ranker without impressions). */
  configs?: ReadonlyArray<Partial<ImpressionConfig>>
}

export interface ImpressionRow {
  config: ImpressionConfig
  ndcg10: number
  hr5: number
}

interface Visitor {
  history: StoredEvent[]
  candidates: Array<{ id: string; category: string[]; score: number }>
  target: string
  now: number
}

function visitor(shop: SyntheticShop, u: number, seed: number, dislike: number): Visitor | null {
  const rand: Rng = mulberry32(mix(seed ^ 0x1a4e, u))
  const leaf = Math.floor(rand() * shop.leaves.length)
  const products = shop.leafProducts(leaf)
  if (products.length < LIST) return null
  const top = Array.from(products.subarray(0, LIST + 8))
  const taste = new Map<number, number>()
  for (const p of top) taste.set(p, rand() < dislike ? 0 : 0.2 + 0.8 * rand())
  const category = shop.leaves[leaf]!.path.slice()
  const history: StoredEvent[] = []
  let t = Date.UTC(2026, 0, 5) + Math.floor(rand() * 20 * 86400e3)
  let n = 0
  for (let s = 0; s < SESSIONS; s++) {
    if (s > 0) t += 3600e3 + Math.floor(rand() * 3 * 86400e3)
    // The day's list: popularity order with a small jitter, the best LIST.
    const list = top
      .map((p, i) => ({ p, key: i + 3 * (rand() - 0.5) }))
      .sort((a, b) => a.key - b.key)
      .slice(0, LIST)
      .map((x) => x.p)
    const candidates = list.map((p, i) => ({ id: `p${p}`, category, score: LIST - i }))
    const shown = list.slice(0, ON_SCREEN)
    history.push({ id: `u${u}-${n++}`, type: 'view_item_list', items: shown.map((p) => ({ id: `p${p}` })), timestamp: t })
    const clicks = 1 + Math.floor(rand() * 3)
    const clicked: number[] = []
    for (let c = 0; c < clicks; c++) {
      const w = shown.map((p, pos) => (clicked.includes(p) ? 0 : (taste.get(p) ?? 0) / (1 + pos / 4)))
      const total = w.reduce((a, b) => a + b, 0)
      if (total <= 0) break
      let r = rand() * total
      let k = 0
      while (k < w.length - 1 && (r -= w[k]!) > 0) k++
      const p = shown[k]!
      clicked.push(p)
      if (s === SESSIONS - 1 && c === 0) return { history, candidates, target: `p${p}`, now: t + 30_000 }
      t += 20_000
      history.push({ id: `u${u}-${n++}`, type: 'select_item', items: [{ id: `p${p}`, category }], timestamp: t })
      history.push({ id: `u${u}-${n++}`, type: 'view_item', items: [{ id: `p${p}`, category }], timestamp: t + 1000 })
      t += 60_000
    }
  }
  return null
}

/** NDCG@10 and HR@5 of each impression config on the generated traffic. */
export function measureImpressions(opts: ImpressionRunOptions = {}): ImpressionRow[] {
  const users = opts.users ?? 2000
  const seed = opts.seed ?? 1
  const dislike = opts.dislike ?? 0.3
  const configs = (opts.configs ?? [{ weight: 0 }, { weight: 0.25 }, { weight: 0.5 }, { weight: 1 }, { weight: 2 }]).map((c) => ({ ...DEFAULT_IMPRESSION_CONFIG, ...c }))
  const shop = new SyntheticShop({ products: 20_000, seed })
  const sums = configs.map(() => ({ ndcg: 0, hr: 0 }))
  let n = 0
  for (let u = 0; u < users; u++) {
    const v = visitor(shop, u, seed, dislike)
    if (!v) continue
    n++
    const personal = v.history.filter((e) => e.type !== 'view_item_list').length
    const profile = buildProfile(v.history)
    const log = impressionLog(v.history)
    configs.forEach((config, j) => {
      const r = rankCandidates(v.candidates, { now: v.now, profile, historySize: personal, impressions: { log, config } }, { explain: false })
      const rank = r.items.findIndex((i) => i.id === v.target)
      // The ranked list is a strict order: no ties.
      const info = { greater: rank, ties: 0 }
      sums[j]!.ndcg += ndcgAt(info, 10)
      sums[j]!.hr += hitAt(info, 5)
    })
  }
  return configs.map((config, j) => ({ config, ndcg10: sums[j]!.ndcg / n, hr5: sums[j]!.hr / n }))
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? Number(process.argv[i + 1]) : d
  }
  for (const dislike of [0.3, 0]) {
    console.log(`dislike ${dislike}:`)
    for (const r of measureImpressions({ users: arg('--users', 2000), seed: arg('--seed', 1), dislike }))
      console.log(`  weight ${r.config.weight}: NDCG@10 ${r.ndcg10.toFixed(4)}  HR@5 ${r.hr5.toFixed(4)}`)
  }
}

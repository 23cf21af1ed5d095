/**
 * A seeded synthetic shop: a catalogue of 10,000 to 1,000,000+ products and the traffic of its
 * visitors, shaped like a real web shop's logs (issue 10, "Scale check").
 *
 * - **Catalogue.** A three-level category tree (10 departments, 40 subcategories, 160 leaves of
 *   unequal size), brands that belong to a department, log-normal prices around a per-leaf
 *   level, and titles built from the brand, an adjective, the leaf's noun, a colour and a model
 *   code (so title tokens say something about the category, as real titles do).
 * - **Popularity.** Every product has a global popularity rank (a seeded permutation of the
 *   catalogue, so rank and id are unrelated). Inside a leaf, products are picked by a Zipf law
 *   over their rank within the leaf, P(k) ∝ 1/(k + 1); leaves themselves are picked in
 *   proportion to their size. Product popularity is then a power law with a long tail, as in
 *   shop logs (Anderson's "long tail"; REES46's multi-category log has the same shape).
 * - **Sessions.** Each visitor has one or two favourite departments and a few sessions, days
 *   apart. A session has an intent (a leaf), may start with a `search`, and is a run of
 *   `select_item` → `view_item` pairs mostly inside that leaf (sometimes a sibling leaf, rarely
 *   anywhere), with `add_to_cart` and `purchase` at realistic low rates.
 *
 * **Deterministic and random-access.** Product `i` is a pure function of (seed, i): nothing of
 * the catalogue is stored but three typed arrays (leaf, rank, the per-leaf rank order: 10 bytes a
 * product), so a server can answer any product of a 1,000,000-product catalogue, or write the
 * whole catalogue as a stream, without holding a million strings. Visitor `u`'s events are a
 * pure function of (seed, u) too. No Node import here: the file writers are in synthetic-cli.ts.
 */
import type { EventType, Item } from '../../events/types'
import { gaussian, mulberry32, type Rng } from '../../rng'

// ------------------------------------------------------------------------------ taxonomy --

interface Department {
  name: string
  price: number
  subs: Array<[string, string[]]>
}

/** Departments, their base price (EUR) and subcategories with four leaves each. */
const TAXONOMY: Department[] = [
  {
    name: 'Electronics',
    price: 180,
    subs: [
      ['Phones', ['Smartphones', 'Phone cases', 'Chargers', 'Screen protectors']],
      ['Computers', ['Laptops', 'Monitors', 'Keyboards', 'Mice']],
      ['Audio', ['Headphones', 'Speakers', 'Soundbars', 'Earbuds']],
      ['TV and video', ['Televisions', 'Projectors', 'Streaming sticks', 'TV mounts']],
      ['Cameras', ['Digital cameras', 'Lenses', 'Tripods', 'Memory cards']],
    ],
  },
  {
    name: 'Home',
    price: 60,
    subs: [
      ['Lighting', ['Table lamps', 'Floor lamps', 'Ceiling lights', 'LED bulbs']],
      ['Furniture', ['Sofas', 'Armchairs', 'Bookcases', 'Coffee tables']],
      ['Bedding', ['Duvets', 'Pillows', 'Bed sheets', 'Blankets']],
      ['Decor', ['Vases', 'Picture frames', 'Candles', 'Mirrors']],
    ],
  },
  {
    name: 'Kitchen',
    price: 40,
    subs: [
      ['Cookware', ['Frying pans', 'Saucepans', 'Woks', 'Dutch ovens']],
      ['Appliances', ['Blenders', 'Coffee machines', 'Toasters', 'Kettles']],
      ['Tableware', ['Plates', 'Mugs', 'Glasses', 'Cutlery sets']],
      ['Storage', ['Food containers', 'Spice racks', 'Bread bins', 'Lunch boxes']],
    ],
  },
  {
    name: 'Fashion',
    price: 45,
    subs: [
      ['Women', ['Dresses', 'Blouses', 'Skirts', 'Jeans']],
      ['Men', ['Shirts', 'T-shirts', 'Trousers', 'Jackets']],
      ['Shoes', ['Sneakers', 'Boots', 'Sandals', 'Loafers']],
      ['Accessories', ['Watches', 'Sunglasses', 'Belts', 'Backpacks']],
    ],
  },
  {
    name: 'Sports',
    price: 55,
    subs: [
      ['Fitness', ['Yoga mats', 'Dumbbells', 'Resistance bands', 'Kettlebells']],
      ['Cycling', ['Road bikes', 'Bike helmets', 'Bike lights', 'Cycling gloves']],
      ['Outdoor', ['Tents', 'Sleeping bags', 'Hiking boots', 'Camping stoves']],
      ['Running', ['Running shoes', 'Running shorts', 'Sports watches', 'Water bottles']],
    ],
  },
  {
    name: 'Toys',
    price: 25,
    subs: [
      ['Building', ['Construction sets', 'Marble runs', 'Magnetic tiles', 'Wooden blocks']],
      ['Games', ['Board games', 'Card games', 'Puzzles', 'Dice games']],
      ['Dolls', ['Fashion dolls', 'Doll houses', 'Soft toys', 'Action figures']],
      ['Outdoor play', ['Scooters', 'Trampolines', 'Swings', 'Water guns']],
    ],
  },
  {
    name: 'Beauty',
    price: 18,
    subs: [
      ['Skincare', ['Moisturisers', 'Serums', 'Cleansers', 'Sunscreens']],
      ['Makeup', ['Lipsticks', 'Mascaras', 'Foundations', 'Eyeshadow palettes']],
      ['Hair', ['Shampoos', 'Conditioners', 'Hair dryers', 'Straighteners']],
      ['Fragrance', ['Perfumes', 'Eau de toilette', 'Body mists', 'Deodorants']],
    ],
  },
  {
    name: 'Garden',
    price: 45,
    subs: [
      ['Tools', ['Pruners', 'Spades', 'Rakes', 'Hoses']],
      ['Plants', ['Seeds', 'Flower bulbs', 'Plant pots', 'Compost']],
      ['Garden furniture', ['Garden chairs', 'Parasols', 'Loungers', 'Garden tables']],
      ['Power tools', ['Lawn mowers', 'Hedge trimmers', 'Leaf blowers', 'Pressure washers']],
    ],
  },
  {
    name: 'Books',
    price: 14,
    subs: [
      ['Fiction', ['Crime novels', 'Fantasy novels', 'Romance novels', 'Thrillers']],
      ['Non-fiction', ['Biographies', 'History books', 'Cookbooks', 'Travel guides']],
      ['Children', ['Picture books', 'Activity books', 'Early readers', 'Comics']],
    ],
  },
  {
    name: 'Pets',
    price: 20,
    subs: [
      ['Dogs', ['Dog food', 'Dog beds', 'Dog toys', 'Dog leads']],
      ['Cats', ['Cat food', 'Cat litter', 'Scratching posts', 'Cat toys']],
      ['Small pets', ['Cages', 'Hay', 'Bird seed', 'Aquariums']],
    ],
  },
]

const ADJECTIVES = [
  'Compact',
  'Classic',
  'Premium',
  'Eco',
  'Smart',
  'Pro',
  'Ultra',
  'Essential',
  'Deluxe',
  'Mini',
  'Max',
  'Lite',
  'Vintage',
  'Modern',
  'Soft',
  'Sport',
  'Travel',
  'Urban',
  'Studio',
  'Family',
  'Organic',
  'Wireless',
  'Quick',
  'Silent',
  'Nordic',
  'Bold',
  'Pure',
  'Twin',
  'Active',
  'Comfort',
]
const COLOURS = ['black', 'white', 'grey', 'blue', 'red', 'green', 'beige', 'navy', 'pink', 'oak', 'silver', 'yellow']
const SYLLABLES = [
  'no',
  'vik',
  'al',
  'tu',
  'ra',
  'ke',
  'lo',
  'sen',
  'mar',
  'bel',
  'dor',
  'fi',
  'ka',
  'zen',
  'tor',
  'lux',
  've',
  'ri',
  'sol',
  'an',
  'da',
  'mi',
  'quo',
  'ber',
  'gal',
  'pen',
  'ox',
  'ly',
  'tal',
  'ne',
]

// ------------------------------------------------------------------------------- hashing --

/** A 32-bit integer hash of two values (murmur3's finaliser over a combined word). */
export function mix(a: number, b: number): number {
  let h = Math.imul((a ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ b
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * A seeded permutation of [0, n): a 4-round Feistel network on the smallest even number of bits
 * that covers n, with cycle-walking (values ≥ n are permuted again until they land inside), the
 * standard way to get a bijection on a domain that is not a power of two (Black & Rogaway 2002).
 */
export class Permutation {
  private readonly half: number
  private readonly mask: number
  constructor(
    readonly n: number,
    private readonly seed: number,
  ) {
    let bits = 2
    while (2 ** bits < n) bits += 2
    this.half = bits / 2
    this.mask = (1 << this.half) - 1
  }
  private round(x: number): number {
    let l = x >>> this.half
    let r = x & this.mask
    for (let k = 0; k < 4; k++) {
      const t = l ^ (mix(this.seed + k, r) & this.mask)
      l = r
      r = t
    }
    return ((l << this.half) | r) >>> 0
  }
  at(i: number): number {
    let x = this.round(i)
    while (x >= this.n) x = this.round(x)
    return x
  }
}

/**
 * An index in [0, n) drawn from a Zipf law P(k) ∝ 1/(k + 1)^s, by inverting the CDF of the
 * continuous density (x + 1)^−s on [0, n): for s = 1, x = (n + 1)^u − 1; otherwise
 * x = ((n + 1)^{1−s}·u + (1 − u))^{1/(1−s)} − 1, with u uniform in [0, 1). O(1) per draw.
 */
export function zipfIndex(u: number, n: number, s = 1): number {
  if (n <= 1) return 0
  const x = s === 1 ? Math.pow(n + 1, u) - 1 : Math.pow(Math.pow(n + 1, 1 - s) * u + (1 - u), 1 / (1 - s)) - 1
  return Math.min(n - 1, Math.max(0, Math.floor(x)))
}

// ---------------------------------------------------------------------------------- types --

export interface SyntheticOptions {
  /** Catalogue size (≥ 1). */
  products: number
  /** Default 1. */
  seed?: number
  /** Visitors in the traffic. Default: products ÷ 10, between 2,000 and 50,000. */
  users?: number
  /** First possible session, ms since the epoch. Default 2026-01-01T00:00:00Z. */
  startMs?: number
  /** Days that the first sessions spread over. Default 28. */
  days?: number
}

export interface Leaf {
  index: number
  /** Department › subcategory › leaf. */
  path: [string, string, string]
  department: number
  /** Singular noun for titles ("Table lamp"). */
  noun: string
  /** Median price of the leaf. */
  price: number
  /** Share of the catalogue (and of session intents). */
  weight: number
}

export interface SyntheticProduct extends Required<Pick<Item, 'id' | 'title' | 'category' | 'brand' | 'price'>> {
  /** Position in the catalogue, 0 … products − 1 (the id is `p<index>`). */
  index: number
  /** Global popularity rank, 0 = most popular. */
  rank: number
  leaf: number
}

/** One row of the event log, as the event-log loader reads it (src/offline/data/eventlog.ts). */
export interface SyntheticEvent {
  user: string
  /** Empty for a search without a clicked result. */
  item: string
  /** Unix seconds. */
  timestamp: number
  type: EventType
  /** The query of a `search`, else empty. */
  text: string
}

/** "Lamps" → "Lamp", "Bodies" → "Body"; "Glasses" and "Mice" stay as they are. */
const singular = (w: string) => (/sses$|[^s]ss$/.test(w) ? w : w.replace(/ies$/, 'y').replace(/([^s])s$/, '$1'))

// ---------------------------------------------------------------------------------- shop --

export class SyntheticShop {
  readonly products: number
  readonly seed: number
  readonly users: number
  readonly startMs: number
  readonly days: number
  readonly leaves: Leaf[]
  /** Brand names; `brandsOf[d]` lists the brands of department d, strongest first. */
  readonly brands: string[]
  readonly brandsOf: number[][]
  /** Leaf of each product. */
  readonly leafOf: Uint16Array
  /** Global popularity rank of each product. */
  readonly rankOf: Int32Array
  /** Products grouped by leaf, each leaf's products in rank order: `byLeaf[leafStart[l] … leafStart[l+1])`. */
  readonly byLeaf: Int32Array
  readonly leafStart: Int32Array
  private readonly leafCum: Float64Array
  private readonly deptLeaves: number[][]
  private readonly perm: Permutation
  private readonly deptCum: Float64Array

  constructor(opts: SyntheticOptions) {
    const n = opts.products
    if (!Number.isInteger(n) || n < 1 || n > 50_000_000) throw new RangeError(`products must be an integer in [1, 50,000,000], got ${n}`)
    this.products = n
    this.seed = (opts.seed ?? 1) >>> 0
    this.users = opts.users ?? Math.min(50_000, Math.max(2_000, Math.round(n / 10)))
    if (!Number.isInteger(this.users) || this.users < 0) throw new RangeError(`users must be an integer ≥ 0, got ${this.users}`)
    this.startMs = opts.startMs ?? Date.UTC(2026, 0, 1)
    this.days = opts.days ?? 28

    // Leaves: sizes are log-normal (a few big leaves, many small ones), as in real category trees.
    const rand = mulberry32(mix(this.seed, 0x7a0))
    this.leaves = []
    this.deptLeaves = TAXONOMY.map(() => [])
    TAXONOMY.forEach((d, di) => {
      for (const [sub, leaves] of d.subs) {
        for (const name of leaves) {
          const words = name.split(' ')
          const noun = [...words.slice(0, -1), singular(words[words.length - 1]!)].join(' ')
          const leaf: Leaf = { index: this.leaves.length, path: [d.name, sub, name], department: di, noun, price: d.price * Math.exp(0.6 * gaussian(rand)), weight: Math.exp(0.9 * gaussian(rand)) }
          this.deptLeaves[di]!.push(leaf.index)
          this.leaves.push(leaf)
        }
      }
    })
    const total = this.leaves.reduce((a, l) => a + l.weight, 0)
    this.leafCum = new Float64Array(this.leaves.length)
    let acc = 0
    this.leaves.forEach((l, i) => {
      l.weight /= total
      acc += l.weight
      this.leafCum[i] = acc
    })
    this.deptCum = new Float64Array(TAXONOMY.length)
    acc = 0
    TAXONOMY.forEach((_, di) => {
      acc += this.deptLeaves[di]!.reduce((a, l) => a + this.leaves[l]!.weight, 0)
      this.deptCum[di] = acc
    })

    // Brands: about 2·√n, each in one department; brand names from syllables, unique.
    const nb = Math.min(5_000, Math.max(40, Math.round(2 * Math.sqrt(n))))
    this.brands = []
    this.brandsOf = TAXONOMY.map(() => [])
    const seen = new Set<string>()
    for (let b = 0; b < nb; b++) {
      const r = mulberry32(mix(this.seed ^ 0xb4a2d, b))
      let name = ''
      const syl = 2 + (r() < 0.3 ? 1 : 0)
      for (let k = 0; k < syl; k++) name += SYLLABLES[Math.floor(r() * SYLLABLES.length)]
      name = name[0]!.toUpperCase() + name.slice(1)
      if (seen.has(name)) name += ` ${b}`
      seen.add(name)
      this.brands.push(name)
      this.brandsOf[this.pickDepartment(r())]!.push(b)
    }
    this.brandsOf.forEach((l, di) => {
      if (l.length === 0) l.push(di % nb)
    })

    // One pass over the catalogue: each product's leaf (its first random draw), the popularity
    // permutation, and the per-leaf lists in rank order (a counting sort by leaf).
    this.leafOf = new Uint16Array(n)
    this.rankOf = new Int32Array(n)
    const counts = new Int32Array(this.leaves.length + 1)
    for (let i = 0; i < n; i++) {
      const l = this.leafAt(mulberry32(mix(this.seed, i))())
      this.leafOf[i] = l
      counts[l + 1]!++
    }
    this.leafStart = new Int32Array(this.leaves.length + 1)
    for (let l = 0; l < this.leaves.length; l++) this.leafStart[l + 1] = this.leafStart[l]! + counts[l + 1]!
    const fill = this.leafStart.slice(0, this.leaves.length)
    this.byLeaf = new Int32Array(n)
    const perm = new Permutation(n, mix(this.seed, 0x9e3))
    this.perm = perm
    for (let r = 0; r < n; r++) {
      const i = perm.at(r)
      this.rankOf[i] = r
      this.byLeaf[fill[this.leafOf[i]!]!++] = i
    }
  }

  private leafAt(u: number): number {
    const c = this.leafCum
    let lo = 0
    let hi = c.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (c[mid]! > u) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  private pickDepartment(u: number): number {
    for (let d = 0; d < this.deptCum.length; d++) if (u < this.deptCum[d]!) return d
    return this.deptCum.length - 1
  }

  /** Product `i` (0 ≤ i < products), computed from (seed, i) alone. */
  product(i: number): SyntheticProduct {
    if (!Number.isInteger(i) || i < 0 || i >= this.products) throw new RangeError(`product index ${i} is outside [0, ${this.products})`)
    const r = mulberry32(mix(this.seed, i))
    r() // the leaf draw (see the constructor)
    const leaf = this.leaves[this.leafOf[i]!]!
    const db = this.brandsOf[leaf.department]!
    const brand = this.brands[db[zipfIndex(r(), db.length, 0.9)]!]!
    const adj = ADJECTIVES[Math.floor(r() * ADJECTIVES.length)]!
    const colour = COLOURS[Math.floor(r() * COLOURS.length)]!
    const code = `${leaf.noun.slice(0, 2).toUpperCase()}-${100 + Math.floor(r() * 9900)}`
    const raw = leaf.price * Math.exp(0.45 * gaussian(r))
    const price = raw < 10 ? Math.max(0.49, Math.round(raw * 2) / 2 - 0.01) : Math.round(raw) - 0.01
    return {
      index: i,
      id: `p${i}`,
      title: `${brand} ${adj} ${leaf.noun} ${colour} ${code}`,
      category: [...leaf.path],
      brand,
      price: Math.round(price * 100) / 100,
      rank: this.rankOf[i]!,
      leaf: leaf.index,
    }
  }

  /** The product index at global popularity rank `r` (the inverse of `rankOf`). */
  productAtRank(r: number): number {
    return this.perm.at(r)
  }

  /** The index of a product id (`p<index>`), or null when it is not one of this catalogue's. */
  indexOf(id: string): number | null {
    if (!/^p(0|[1-9]\d{0,8})$/.test(id)) return null
    const i = Number(id.slice(1))
    return i < this.products ? i : null
  }

  /** Products of leaf `l` in popularity order (a view, do not modify). */
  leafProducts(l: number): Int32Array {
    return this.byLeaf.subarray(this.leafStart[l]!, this.leafStart[l + 1]!)
  }

  /** A product of leaf `l`, drawn by the within-leaf Zipf law; −1 when the leaf is empty. */
  private pickIn(l: number, rand: Rng): number {
    const list = this.leafProducts(l)
    return list.length === 0 ? -1 : list[zipfIndex(rand(), list.length, 1)]!
  }

  /** Search queries a shopper would type for a leaf. */
  private query(leaf: Leaf, rand: Rng): string {
    const u = rand()
    const noun = leaf.path[2].toLowerCase()
    if (u < 0.5) return noun
    if (u < 0.8) {
      const db = this.brandsOf[leaf.department]!
      return `${this.brands[db[zipfIndex(rand(), db.length, 0.9)]!]!.toLowerCase()} ${noun}`
    }
    return `${ADJECTIVES[Math.floor(rand() * ADJECTIVES.length)]!.toLowerCase()} ${noun}`
  }

  /**
   * Visitor `u`'s events, oldest first, a pure function of (seed, u).
   * 1–4 sessions (more for few visitors), the first within `days` of the start, the next ones
   * 1 hour – 7 days apart; per session: an intent leaf (in a favourite department with
   * probability 0.75), a search first with probability 0.3, then 1 + Geometric(mean 4) product
   * views (each clicked from a list — `select_item` — with probability 0.6), 90% in the intent
   * leaf, 7% in a sibling leaf, 3% anywhere; each view adds to the cart with probability 0.1,
   * and a session with a cart ends in a purchase of it with probability 0.45.
   */
  userEvents(u: number): SyntheticEvent[] {
    const rand = mulberry32(mix(this.seed ^ 0x5e55, u))
    const user = `u${u}`
    const out: SyntheticEvent[] = []
    const favs = [this.pickDepartment(rand())]
    if (rand() < 0.4) favs.push(this.pickDepartment(rand()))
    const sessions = 1 + Math.min(3, Math.floor(-Math.log(1 - rand()) * 1.2))
    let t = Math.floor(this.startMs / 1000 + rand() * this.days * 86400)
    const ev = (type: EventType, item: number, text = '') => out.push({ user, item: item < 0 ? '' : `p${item}`, timestamp: t, type, text })
    for (let s = 0; s < sessions; s++) {
      if (s > 0) t += 3600 + (Math.floor(-Math.log(1 - rand()) * 2 * 86400) % (7 * 86400))
      let leaf: number
      if (rand() < 0.75) {
        const dl = this.deptLeaves[favs[Math.floor(rand() * favs.length)]!]!
        leaf = dl[Math.floor(rand() * dl.length)]!
      } else leaf = this.leafAt(rand())
      if (rand() < 0.3) {
        ev('search', -1, this.query(this.leaves[leaf]!, rand))
        t += 3 + Math.floor(rand() * 20)
      }
      const views = 1 + Math.floor(-Math.log(1 - rand()) * 4)
      const cart: number[] = []
      for (let k = 0; k < views; k++) {
        const v = rand()
        let l = leaf
        if (v >= 0.97) l = this.leafAt(rand())
        else if (v >= 0.9) l = (leaf & ~3) | Math.floor(rand() * 4) // a sibling: leaves come in fours
        const item = this.pickIn(l, rand)
        if (item < 0) continue
        if (rand() < 0.6) {
          ev('select_item', item)
          t += 1 + Math.floor(rand() * 3)
        }
        ev('view_item', item)
        t += 15 + Math.floor(rand() * 150)
        if (rand() < 0.1) {
          ev('add_to_cart', item)
          cart.push(item)
          t += 5 + Math.floor(rand() * 30)
        }
      }
      if (cart.length > 0 && rand() < 0.45) {
        t += 60 + Math.floor(rand() * 240)
        for (const it of cart) ev('purchase', it)
      }
    }
    return out
  }

  /** Every visitor's events, visitor by visitor (each visitor's oldest first). */
  *events(): Generator<SyntheticEvent> {
    for (let u = 0; u < this.users; u++) yield* this.userEvents(u)
  }

  /** Every product in catalogue order. */
  *catalogue(): Generator<SyntheticProduct> {
    for (let i = 0; i < this.products; i++) yield this.product(i)
  }

  /** The leaves whose words all occur in `query` or whose noun does (a tiny search for the demo's server). */
  searchLeaves(query: string): number[] {
    const q = query.toLowerCase()
    const hit = this.leaves.filter((l) => q.includes(l.path[2].toLowerCase()) || q.includes(l.noun.toLowerCase()) || q.includes(l.path[1].toLowerCase()))
    return hit.map((l) => l.index)
  }
}

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** The items.csv line of a product: `id,title,category,brand,price` (category `A > B > C`). */
export function itemCsvLine(p: SyntheticProduct): string {
  return `${p.id},${csvField(p.title)},${csvField(p.category.join(' > '))},${csvField(p.brand)},${p.price}`
}

/** The events.csv line of an event: `user,item,timestamp,type,text`. */
export function eventCsvLine(e: SyntheticEvent): string {
  return `${e.user},${e.item},${e.timestamp},${e.type},${csvField(e.text)}`
}

export const ITEMS_HEADER = 'id,title,category,brand,price'
export const EVENTS_HEADER = 'user,item,timestamp,type,text'

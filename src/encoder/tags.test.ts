/**
 * Issue 15 #7: the demo's genres moved from a category path to `tags`, and the shipped model
 * (public/model, pinned, not retrained) was trained with them as the path. The encoder must see
 * exactly the features it was trained on, so every demo film scores the same as a tagged item
 * as it did as a mis-filed category path: same hashed rows, same weights, same scores, for
 * films in the vocabulary and for the same films unseen (content path), with a history tracked
 * either way.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Item, StoredEvent } from '../events/types'
import { readModel } from '../offline/train/export'
import { initTf } from '../offline/train/tf-node'
import { itemFeatureKeys, writeFeatures } from './features'
import { disposeModel, EncoderSession, loadModel, type LoadedModel } from './session'

const MODEL_DIR = resolve('public/model')
const CATALOGUE = resolve('public/catalogue/candidates')

interface Film {
  id: string
  title: string
  tags: string[]
  price: number
}

function demoFilms(): Film[] {
  if (!existsSync(CATALOGUE)) throw new Error(`the demo catalogue is missing at ${CATALOGUE} (npx tsx src/demo/build-catalogue.ts writes it)`)
  const byId = new Map<string, Film>()
  for (const genre of readdirSync(CATALOGUE)) {
    for (const page of readdirSync(join(CATALOGUE, genre))) {
      const p = JSON.parse(readFileSync(join(CATALOGUE, genre, page), 'utf8')) as { candidates: Film[] }
      for (const c of p.candidates) byId.set(c.id, c)
    }
  }
  return [...byId.values()]
}

const asTags = (f: Film, id = f.id): Item => ({ id, title: f.title, tags: f.tags, price: f.price })
const asPath = (f: Film, id = f.id): Item => ({ id, title: f.title, category: f.tags, price: f.price })

let model: LoadedModel
let films: Film[]
beforeAll(async () => {
  await initTf('cpu')
  if (!existsSync(join(MODEL_DIR, 'model.json'))) throw new Error(`the shipped model is missing at ${MODEL_DIR}/model.json`)
  const { artifact } = await readModel(MODEL_DIR)
  const bytes = new Uint8Array(Buffer.concat(artifact.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(MODEL_DIR, p)))))
  model = loadModel(artifact, bytes)
  films = demoFilms()
})
afterAll(() => model && disposeModel(model))

describe('demo genres as tags, scored by the shipped model', () => {
  it('the catalogue carries genres as tags, never as a category path', () => {
    expect(films.length).toBeGreaterThan(1900)
    expect(films.every((f) => Array.isArray(f.tags) && !('category' in f))).toBe(true)
    expect(films.some((f) => f.tags.length >= 4)).toBe(true)
  })

  it('every film hashes to the same feature rows and weights as a tagged item as it did as a path', () => {
    const { featBuckets, featSlots } = model.cfg
    const rows = [new Int32Array(featSlots), new Int32Array(featSlots)] as const
    const ws = [new Float32Array(featSlots), new Float32Array(featSlots)] as const
    let differing = 0
    for (const f of films) {
      writeFeatures(itemFeatureKeys(asTags(f)), featBuckets, featSlots, rows[0], ws[0], 0)
      writeFeatures(itemFeatureKeys(asPath(f)), featBuckets, featSlots, rows[1], ws[1], 0)
      if (rows[0].some((r, i) => r !== rows[1][i]) || ws[0].some((w, i) => w !== ws[1][i])) differing++
    }
    expect(differing).toBe(0)
  })

  it('scores are identical, in the vocabulary and unseen, with a history tracked either way', () => {
    const inVocab = films.filter((f) => model.vocab.has(f.id))
    expect(inVocab.length).toBeGreaterThan(1000)
    const history = (item: (f: Film) => Item): StoredEvent[] =>
      inVocab.slice(0, 12).map((f, i) => ({ id: `e${i}`, type: i % 3 ? 'view_item' : 'add_to_cart', items: [item(f)], timestamp: 1_700_000_000_000 + i * 600_000 }))
    const now = 1_700_000_000_000 + 13 * 600_000
    const tagged = new EncoderSession(model)
    const pathed = new EncoderSession(model)
    tagged.setHistory(history((f) => asTags(f, `new-${f.id}`)))
    pathed.setHistory(history((f) => asPath(f, `new-${f.id}`)))
    const a = tagged.scoreSync([...films.map((f) => asTags(f)), ...films.map((f) => asTags(f, `new-${f.id}`))], now)
    const b = pathed.scoreSync([...films.map((f) => asPath(f)), ...films.map((f) => asPath(f, `new-${f.id}`))], now)
    let max = 0
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
    expect(max).toBe(0)
    // Positive control: the genres do move the scores (so equal scores are not equal by accident).
    const bare = pathed.scoreSync(
      films.map((f) => ({ id: `new-${f.id}`, title: f.title, price: f.price })),
      now,
    )
    let moved = 0
    for (let i = 0; i < films.length; i++) if (Math.abs(bare[i]! - b[films.length + i]!) > 1e-4) moved++
    expect(moved).toBeGreaterThan(films.length * 0.9)
    tagged.dispose()
    pathed.dispose()
  }, 60_000)
})

describe('itemFeatureKeys with tags', () => {
  it('tags only: the keys of the same list as a path; with a category: extra c: keys after it, no repeat', () => {
    expect(itemFeatureKeys({ tags: ['Crime', 'Horror'] })).toEqual(itemFeatureKeys({ category: ['Crime', 'Horror'] }))
    expect(itemFeatureKeys({ category: ['Films', 'Horror'], tags: ['Horror', 'Cult'] })).toEqual([
      ['c', 'c:films'],
      ['c', 'c:horror'],
      ['cp', 'cp:films/horror'],
      ['c', 'c:cult'],
    ])
  })
})

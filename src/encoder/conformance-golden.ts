/**
 * Golden scores (issue 14: "scores stay within 1e-5 of today's on the shipped model"): fixed
 * histories and candidates, and what the encoder's public API answers for them on the shipped
 * model. The fixture (conformance-golden.json) is written by conformance-golden-cli.ts with the
 * encoder code of a chosen commit, so that a later encoder (fused kernels, other attention
 * layout) is held to the numbers of the code it replaced, not to itself.
 *
 * Why this file imports no encoder code: the generator runs it against an *old* checkout's
 * session module (`--src`), passed in as `EncoderApi`. Only what existed at 41d19b0 is used:
 * loadModel, EncoderSession (setHistory, flush, append, score, userVector), withoutTime,
 * disposeModel. Anything added here must exist in the commit the fixture is generated from.
 */
import type { Item, StoredEvent } from '../events/types'

/** The slice of session.ts the generator and the test call (as it was at 41d19b0); M is its LoadedModel, A its ModelArtifact. */
export interface EncoderApi<M, A> {
  loadModel(artifact: A, bytes: Uint8Array): M
  disposeModel(model: M): void
  withoutTime(model: M): M
  EncoderSession: new (model: M, opts?: { step?: 'js' | 'tensors' }) => GoldenSession
}

export interface GoldenSession {
  setHistory(events: ReadonlyArray<StoredEvent>): void
  flush(): void
  append(event: StoredEvent): void
  score(candidates: ReadonlyArray<Item>, nowMs: number): Promise<Float32Array>
  userVector(nowMs: number): Float32Array
  dispose(): void
}

/** One case: a history, how it reaches the session, the model variant, and two "now"s. */
export interface GoldenCase {
  name: string
  events: StoredEvent[]
  /** 'full': setHistory then score. 'append': setHistory of all but the last `appended`, flush, then append them one by one. */
  mode: 'full' | 'append'
  appended?: number
  step?: 'js' | 'tensors'
  /** The model with its time inputs switched off at inference (withoutTime). */
  timeOff?: boolean
  nows: number[]
}

export interface GoldenEntry {
  name: string
  now: number
  /** Float32 little-endian, base64: the scores of `goldenCandidates`, in order. */
  scores: string
  /** Float32 little-endian, base64: the fused user vector (d values). */
  user: string
}

export interface GoldenFixture {
  format: 'localrank-golden/1'
  /** The artifact's weights SHA-256 (model.json `sha256`): the fixture holds only for that model. */
  modelSha256: string
  /** The commit whose encoder code wrote the numbers, as the generator was told (`--commit`). */
  commit: string
  /** tfjs backend → entries. */
  backends: Record<string, GoldenEntry[]>
  candidates: number
}

const GENRES = ['Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Drama', 'Fantasy', 'Horror', 'Romance', 'Sci-Fi', 'Thriller', 'War']
const T0 = 1_700_000_000_000

/** Deterministic integers (the fixture must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s
  }
}

function item(vocab: ReadonlyArray<string>, k: number): Item {
  const g = GENRES[k % GENRES.length]!
  const g2 = GENRES[(k * 5 + 3) % GENRES.length]!
  return { id: vocab[(k * 37) % vocab.length]!, category: [g, g2], title: `Film ${k} ${g}` }
}

/**
 * A history of `n` events: mostly single-item views, with carts, wishlists, a 3-item purchase
 * (one item the model never saw, content only) every 40 events, a search every 23, and gaps from
 * seconds to days (a new session every 15 events) so that the time bias and the gap gate matter.
 * `multi` = false keeps one token per event (so that n events are n tokens).
 */
export function goldenHistory(vocab: ReadonlyArray<string>, n: number, seed: number, multi = true): StoredEvent[] {
  const r = lcg(seed)
  const out: StoredEvent[] = []
  let t = T0 + seed * 1000
  for (let k = 0; k < n; k++) {
    const x = r()
    t += k % 15 === 14 ? 86_400_000 * (1 + (x % 4)) : 5_000 + (x % 240_000)
    const id = `g${seed}-${k}`
    if (multi && k % 23 === 11) out.push({ id, type: 'search', items: [], query: `${GENRES[x % GENRES.length]} film ${k}`, timestamp: t })
    else if (multi && k % 40 === 39)
      out.push({ id, type: 'purchase', items: [item(vocab, x % 900), item(vocab, (x >>> 8) % 900), { id: `unseen-${k}`, category: ['Horror', 'Slasher'], brand: 'Acme', price: 9.5 }], timestamp: t })
    else {
      const type = k % 9 === 8 ? 'add_to_cart' : k % 13 === 12 ? 'add_to_wishlist' : k % 17 === 16 ? 'select_item' : 'view_item'
      out.push({ id, type, items: [item(vocab, x % 1200)], timestamp: t })
    }
  }
  return out
}

/** 120 candidates: vocabulary items with content, bare vocabulary ids, unseen items (content only), bare unknown ids. */
export function goldenCandidates(vocab: ReadonlyArray<string>): Item[] {
  const known = Array.from({ length: 90 }, (_, i) => item(vocab, i * 11 + 1))
  const bare = Array.from({ length: 10 }, (_, i) => ({ id: vocab[(i * 53 + 7) % vocab.length]! }))
  const unseen = Array.from({ length: 15 }, (_, i) => ({ id: `new-${i}`, category: [GENRES[i % GENRES.length]!, 'Indie'], brand: i % 2 ? 'Acme' : 'Zenith', price: 3 + i, title: `New film ${i}` }))
  const unknown = Array.from({ length: 5 }, (_, i) => ({ id: `sku-${i}` }))
  return [...known, ...bare, ...unseen, ...unknown]
}

/** The cases: 50 and 200 events (the bench's sizes), a sliding context, appends on both steps, time switched off. */
export function goldenCases(vocab: ReadonlyArray<string>): GoldenCase[] {
  const later = (ev: StoredEvent[]) => {
    const last = ev[ev.length - 1]!.timestamp
    return [last + 60_000, last + 30 * 86_400_000]
  }
  const h50 = goldenHistory(vocab, 50, 1)
  const h200 = goldenHistory(vocab, 200, 2, false) // 200 tokens: the whole maxLen context
  const h260 = goldenHistory(vocab, 260, 3) // > maxLen tokens: the context slides (contextStart)
  return [
    { name: 'h50 full', events: h50, mode: 'full', nows: later(h50) },
    { name: 'h200 full', events: h200, mode: 'full', nows: later(h200) },
    { name: 'h260 full', events: h260, mode: 'full', nows: later(h260) },
    { name: 'h50 append 5 (js step)', events: h50, mode: 'append', appended: 5, step: 'js', nows: later(h50) },
    { name: 'h200 append 3 (tensor step)', events: h200.slice(0, 190), mode: 'append', appended: 3, step: 'tensors', nows: later(h200.slice(0, 190)) },
    { name: 'h200 time off', events: h200, mode: 'full', timeOff: true, nows: later(h200) },
  ]
}

export function f32ToBase64(a: Float32Array): string {
  const b = new Uint8Array(a.length * 4)
  const v = new DataView(b.buffer)
  a.forEach((x, i) => v.setFloat32(i * 4, x, true))
  let s = ''
  for (const c of b) s += String.fromCharCode(c)
  return btoa(s)
}

export function base64ToF32(s: string): Float32Array {
  const bin = atob(s)
  const v = new DataView(new ArrayBuffer(bin.length))
  for (let i = 0; i < bin.length; i++) v.setUint8(i, bin.charCodeAt(i))
  return Float32Array.from({ length: bin.length / 4 }, (_, i) => v.getFloat32(i * 4, true))
}

/** Scores and user vectors of every case on the current tfjs backend, through `api`. */
export async function computeGolden<M, A extends { vocab: string[] }>(
  api: EncoderApi<M, A>,
  artifact: A,
  bytes: Uint8Array,
): Promise<Array<{ name: string; now: number; scores: Float32Array; user: Float32Array }>> {
  const loaded = api.loadModel(artifact, bytes)
  const cands = goldenCandidates(artifact.vocab)
  const out: Array<{ name: string; now: number; scores: Float32Array; user: Float32Array }> = []
  try {
    for (const c of goldenCases(artifact.vocab)) {
      const model = c.timeOff ? api.withoutTime(loaded) : loaded
      const s = new api.EncoderSession(model, c.step ? { step: c.step } : {})
      try {
        if (c.mode === 'full') s.setHistory(c.events)
        else {
          const k = c.appended ?? 1
          s.setHistory(c.events.slice(0, c.events.length - k))
          s.flush()
          for (const e of c.events.slice(c.events.length - k)) s.append(e)
        }
        for (const now of c.nows) out.push({ name: c.name, now, scores: Float32Array.from(await s.score(cands, now)), user: Float32Array.from(s.userVector(now)) })
      } finally {
        s.dispose()
      }
    }
  } finally {
    api.disposeModel(loaded)
  }
  return out
}

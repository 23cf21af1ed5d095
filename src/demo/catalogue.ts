import type { Candidate } from '../rank/types'
import type { CandidatePage, CatalogueMovie } from './build-catalogue'

/**
 * The demo's "server". Two kinds of request, and nothing else:
 * - `catalogue/movies.json` and `catalogue/index.json`: the whole (small) catalogue, once;
 * - the candidate endpoint, `catalogue/candidates/<genre>/<page>.json`: what a shop's server
 *   would answer to "list page N of genre G". The request carries the genre and the page
 *   number in its path, nothing else: no history, no profile, no query. Static JSON stands in
 *   for a server here (vite serves public/ in dev, and the built demo is static).
 * Search runs in the browser over movies.json, so a query never leaves the device either.
 */
export type { CatalogueMovie, CandidatePage }
export interface GenreInfo {
  genre: string
  slug: string
  count: number
  pages: number
}
export interface MovieCandidate extends Candidate {
  title: string
  /** The film's genres: tags, not a category path (issue 15 #7). */
  tags: string[]
  price: number
  score: number
}

const base = new URL('catalogue/', document.baseURI)
let movies: Promise<Map<string, CatalogueMovie>> | null = null
let genres: Promise<GenreInfo[]> | null = null

async function json<T>(path: string): Promise<T> {
  const res = await fetch(new URL(path, base), { credentials: 'omit' })
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`)
  return (await res.json()) as T
}

export function loadMovies(): Promise<Map<string, CatalogueMovie>> {
  movies ??= json<{ movies: CatalogueMovie[] }>('movies.json').then((d) => new Map(d.movies.map((m) => [m.id, m])))
  return movies
}

export function loadGenres(): Promise<GenreInfo[]> {
  genres ??= json<{ genres: GenreInfo[] }>('index.json').then((d) => d.genres)
  return genres
}

/** The candidate request: genre slug and page in the path, nothing else. */
export async function fetchCandidates(slug: string, page: number): Promise<CandidatePage> {
  if (!/^[a-z0-9-]+$/.test(slug) || !(page >= 1)) throw new Error(`no such list: ${slug}/${page}`)
  return json<CandidatePage>(`candidates/${slug}/${page}.json`)
}

export function toCandidate(m: CatalogueMovie, score: number): MovieCandidate {
  return { id: m.id, title: m.title, tags: m.genres, price: m.price, score }
}

/** Local search: every query token must prefix-match a title word. Best server score first. */
export async function search(query: string, limit = 100): Promise<MovieCandidate[]> {
  const all = [...(await loadMovies()).values()]
  const tokens = query
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
  if (tokens.length === 0) return []
  const max = all[0]?.ratings ?? 1
  const out: MovieCandidate[] = []
  for (const m of all) {
    const words = m.title
      .toLowerCase()
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .split(/[^\p{L}\p{N}]+/u)
    if (tokens.every((t) => words.some((w) => w.startsWith(t)))) out.push(toCandidate(m, Math.round((m.ratings / max) * 1e4) / 1e4))
    if (out.length >= limit) break
  }
  return out
}

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Item } from '../../events/types'
import { DatasetBuilder, tokenize } from './builder'
import { parseCsv, parseDelimited, type CsvRecord } from './csv'
import { RowReport, parseIntStrict, parseNumberStrict, piecewiseRecords, readText } from './read'
import { IMPLICIT, describeMapping, eventTypeFor, type Dataset, type ItemMeta, type RatingMapping } from './types'

/** Default location of MovieLens latest-small, relative to the repository root. */
export const DEFAULT_MOVIELENS_DIR = '../shared/datasets/movielens-latest-small'

/** `Item.category` allows at most 8 levels (src/events/validate.ts). */
const MAX_LEVELS = 8

/**
 * Split a MovieLens title into its name and year: "Heat (1995)" → { name: "Heat", year: 1995 }.
 * Titles without a trailing 4-digit year in parentheses keep `year` undefined.
 */
export function parseTitle(title: string): { name: string; year?: number } {
  const t = title.trim()
  const m = /^(.*?)\s*\((\d{4})\)\s*$/.exec(t)
  if (!m) return { name: t }
  return { name: m[1]!, year: Number(m[2]) }
}

/**
 * Genres → the item's category and metadata.
 *
 * MovieLens genres are an unordered set, but `Item.category` is a path from broad to
 * narrow, and the profile keys every prefix of it (`Drama`, `Drama>Romance`; see
 * src/interest/features.ts). We therefore order an item's genres broad → narrow by how
 * many catalogue items carry each genre (`genreRank`: most frequent first, ties by name),
 * so level 1 is the item's broadest genre and each deeper level refines it — the way a
 * shop's category tree works. At most 8 levels (the event schema's limit).
 * "(no genres listed)" gives no category. `ItemMeta.labels` keeps the full set for the
 * diversity metric.
 */
export function movieItem(id: string, title: string, genres: string[], genreRank?: ReadonlyMap<string, number>): { item: Item; meta: ItemMeta } {
  const labels = cleanGenres(genres)
  if (genreRank) labels.sort((a, b) => (genreRank.get(a) ?? Infinity) - (genreRank.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0))
  const { name, year } = parseTitle(title)
  const item: Item = { id }
  if (title.trim() !== '') item.title = title.trim().slice(0, 512)
  if (labels.length > 0) item.category = labels.slice(0, MAX_LEVELS).map((g) => g.slice(0, 128))
  const meta: ItemMeta = { labels, tokens: tokenize(name) }
  if (year !== undefined) meta.year = year
  return { item, meta }
}

function cleanGenres(genres: string[]): string[] {
  return genres.map((g) => g.trim()).filter((g) => g !== '' && g !== '(no genres listed)')
}

/** Genre → rank by catalogue frequency (0 = most frequent; ties by name). */
export function genreRanking(genreLists: Iterable<string[]>): Map<string, number> {
  const count = new Map<string, number>()
  for (const l of genreLists) for (const g of new Set(cleanGenres(l))) count.set(g, (count.get(g) ?? 0) + 1)
  const order = [...count].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return new Map(order.map(([g], i) => [g, i]))
}

/** Add movie rows (already checked) to the builder, genres ordered by `genreRanking`. */
function addMovies(b: DatasetBuilder, rows: Array<{ line: number; id: string; title: string; genres: string[] }>, rep: RowReport): void {
  const rank = genreRanking(rows.map((r) => r.genres))
  for (const r of rows) {
    const { item, meta } = movieItem(r.id, r.title, r.genres, rank)
    if (!b.addItem(item, meta)) rep.bad(r.line, `duplicate movie id ${r.id}`)
  }
}

export interface MovieLensOptions {
  /** How ratings become events; default `implicit` (every rating is a view_item). */
  ratings?: RatingMapping
}

interface RatingRow {
  user: string
  item: string
  rating: number
  seconds: number
}

function checkRating(rec: CsvRecord, cols: number): RatingRow | string {
  if (rec.error) return rec.error
  if (rec.fields.length !== cols) return `expected ${cols} fields, found ${rec.fields.length}`
  const [u, i, r, t] = rec.fields as [string, string, string, string]
  if (parseIntStrict(u) === null) return `user id "${u}" is not an integer`
  if (parseIntStrict(i) === null) return `item id "${i}" is not an integer`
  const rating = parseNumberStrict(r)
  if (rating === null) return `rating "${r}" is not a number`
  const seconds = parseIntStrict(t)
  if (seconds === null || seconds < 0) return `timestamp "${t}" is not a non-negative integer (Unix seconds)`
  return { user: u.trim(), item: i.trim(), rating, seconds }
}

function addRatings(b: DatasetBuilder, records: Iterable<CsvRecord>, rep: RowReport, cols: number, mapping: RatingMapping): void {
  for (const rec of records) {
    rep.row()
    const r = checkRating(rec, cols)
    if (typeof r === 'string') {
      rep.bad(rec.line, r)
      continue
    }
    // MovieLens timestamps are Unix seconds; events keep real time in milliseconds.
    b.addEvent(r.user, eventTypeFor(mapping, r.rating), [r.item], r.seconds * 1000)
  }
}

function skipHeader(records: Generator<CsvRecord>, expectFirst: string): Generator<CsvRecord> {
  const first = records.next()
  if (!first.done && first.value.fields[0]?.trim() !== expectFirst) {
    // No header: put the first record back in front.
    const head = first.value
    return (function* () {
      yield head
      yield* records
    })()
  }
  return records
}

/**
 * MovieLens "latest" CSV layout (ml-latest-small, ml-25m, ml-32m):
 * `movies.csv` = movieId,title,genres (quoted where needed, genres split by `|`) and
 * `ratings.csv` = userId,movieId,rating,timestamp (Unix seconds), both with a header.
 */
export function loadMovieLensCsv(dir: string = DEFAULT_MOVIELENS_DIR, opts: MovieLensOptions = {}): Dataset {
  const mapping = opts.ratings ?? IMPLICIT
  const moviesPath = join(dir, 'movies.csv')
  const ratingsPath = join(dir, 'ratings.csv')
  const moviesText = readText(moviesPath, 'MovieLens movies.csv')
  const b = new DatasetBuilder()
  const mrep = new RowReport(moviesPath)
  const movies: Array<{ line: number; id: string; title: string; genres: string[] }> = []
  for (const rec of skipHeader(parseCsv(moviesText), 'movieId')) {
    mrep.row()
    if (rec.error) {
      mrep.bad(rec.line, rec.error)
      continue
    }
    if (rec.fields.length !== 3) {
      mrep.bad(rec.line, `expected 3 fields, found ${rec.fields.length}`)
      continue
    }
    const [id, title, genres] = rec.fields as [string, string, string]
    if (parseIntStrict(id) === null) {
      mrep.bad(rec.line, `movieId "${id}" is not an integer`)
      continue
    }
    movies.push({ line: rec.line, id: id.trim(), title, genres: genres.split('|') })
  }
  addMovies(b, movies, mrep)
  const rrep = new RowReport(ratingsPath)
  addRatings(
    b,
    skipHeader(
      piecewiseRecords(ratingsPath, 'MovieLens ratings.csv', (t) => parseCsv(t)),
      'userId',
    ),
    rrep,
    4,
    mapping,
  )
  return b.build('movielens-csv', [moviesPath, ratingsPath], [mrep.report, rrep.report], describeMapping(mapping))
}

/**
 * Classic MovieLens-1M: `movies.dat` = MovieID::Title::Genres and
 * `ratings.dat` = UserID::MovieID::Rating::Timestamp, no header, Latin-1 encoded
 * (GroupLens published it before the UTF-8 re-releases).
 */
export function loadMovieLens1M(dir: string, opts: MovieLensOptions = {}): Dataset {
  const mapping = opts.ratings ?? IMPLICIT
  const moviesPath = join(dir, 'movies.dat')
  const ratingsPath = join(dir, 'ratings.dat')
  const moviesText = latin1(readText(moviesPath, 'MovieLens-1M movies.dat'), moviesPath)
  const b = new DatasetBuilder()
  const mrep = new RowReport(moviesPath)
  const movies: Array<{ line: number; id: string; title: string; genres: string[] }> = []
  for (const rec of parseDelimited(moviesText, '::')) {
    mrep.row()
    if (rec.fields.length !== 3) {
      mrep.bad(rec.line, `expected 3 "::"-separated fields, found ${rec.fields.length}`)
      continue
    }
    const [id, title, genres] = rec.fields as [string, string, string]
    if (parseIntStrict(id) === null) {
      mrep.bad(rec.line, `MovieID "${id}" is not an integer`)
      continue
    }
    movies.push({ line: rec.line, id: id.trim(), title, genres: genres.split('|') })
  }
  addMovies(b, movies, mrep)
  const rrep = new RowReport(ratingsPath)
  addRatings(
    b,
    piecewiseRecords(ratingsPath, 'MovieLens-1M ratings.dat', (t) => parseDelimited(t, '::')),
    rrep,
    4,
    mapping,
  )
  return b.build('movielens-1m', [moviesPath, ratingsPath], [mrep.report, rrep.report], describeMapping(mapping))
}

/** ML-100k's 19 genre flags, in `u.genre` order (used when `u.genre` is absent). */
export const ML100K_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
] as const

/**
 * Classic MovieLens-100k: `u.data` = user \t item \t rating \t timestamp and
 * `u.item` = id|title|release date|video release date|IMDb URL|19 genre flags (Latin-1).
 */
export function loadMovieLens100k(dir: string, opts: MovieLensOptions = {}): Dataset {
  const mapping = opts.ratings ?? IMPLICIT
  const itemPath = join(dir, 'u.item')
  const dataPath = join(dir, 'u.data')
  const itemText = latin1(readText(itemPath, 'MovieLens-100k u.item'), itemPath)
  const b = new DatasetBuilder()
  const irep = new RowReport(itemPath)
  const movies: Array<{ line: number; id: string; title: string; genres: string[] }> = []
  const nCols = 5 + ML100K_GENRES.length
  for (const rec of parseDelimited(itemText, '|')) {
    irep.row()
    if (rec.fields.length !== nCols) {
      irep.bad(rec.line, `expected ${nCols} "|"-separated fields, found ${rec.fields.length}`)
      continue
    }
    const f = rec.fields
    const id = f[0]!
    if (parseIntStrict(id) === null) {
      irep.bad(rec.line, `item id "${id}" is not an integer`)
      continue
    }
    const flags = f.slice(5)
    if (flags.some((x) => x !== '0' && x !== '1')) {
      irep.bad(rec.line, 'genre flags must be 0 or 1')
      continue
    }
    const genres = ML100K_GENRES.filter((_, k) => flags[k] === '1' && k > 0)
    movies.push({ line: rec.line, id: id.trim(), title: f[1]!, genres: [...genres] })
  }
  addMovies(b, movies, irep)
  const drep = new RowReport(dataPath)
  addRatings(
    b,
    piecewiseRecords(dataPath, 'MovieLens-100k u.data', (t) => parseDelimited(t, '\t')),
    drep,
    4,
    mapping,
  )
  return b.build('movielens-100k', [itemPath, dataPath], [irep.report, drep.report], describeMapping(mapping))
}

/**
 * The classic files are Latin-1. Node decoded them as UTF-8, which turns every byte
 * ≥ 0x80 into U+FFFD; re-read as Latin-1 when that happened.
 */
function latin1(utf8Text: string, path: string): string {
  if (!utf8Text.includes('\uFFFD')) return utf8Text
  return readFileSync(path).toString('latin1')
}

/**
 * Derives the demo shop's catalogue from MovieLens ml-latest-small (run once; the output
 * under public/catalogue/ is committed):
 *
 *   npx tsx src/demo/build-catalogue.ts [--top 2000] [--data ../shared/datasets/movielens-latest-small]
 *
 * - Keeps the `top` most-rated movies, so the demo stays small (≈ 0.2 MB of JSON per view).
 * - Server score = popularity: the movie's rating count divided by the largest count, in (0, 1].
 *   A real shop's server would send its own relevance; popularity is the usual stand-in and the
 *   baseline the evaluator compares against.
 * - Writes `movies.json` (the whole catalogue: detail pages and client-side search),
 *   `index.json` (genres and page counts) and the candidate "endpoint" as static pages,
 *   `candidates/<genre>/<page>.json`, 100 candidates per page, best server score first.
 * - Genres are the item's `tags` (issue 15 #7: as a category path, Psycho counted as "Crime"
 *   and "Action › Horror › Sci-Fi › Thriller" showed as a category), in the file's order (IMAX
 *   included). The encoder hashes tags of an item without a category exactly as it hashed the
 *   same list as a path (src/encoder/features.ts), which is how the offline tools still build
 *   MovieLens items (src/offline/data/movielens.ts), so the shipped model sees the features it
 *   was trained on. "IMAX" is a screen format, not a taste: it gets no genre page.
 *
 * The derived files carry the GroupLens licence terms (LICENSE-DATA.md): research use only,
 * redistribution under the same terms, acknowledgement with the citation below.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

export interface CatalogueMovie {
  id: string
  title: string
  year: number | null
  genres: string[]
  price: number
  /** Number of ratings in ml-latest-small. */
  ratings: number
  /** Mean rating, one decimal. */
  rating: number
}

export interface CandidatePage {
  genre: string
  slug: string
  page: number
  pages: number
  total: number
  candidates: Array<{ id: string; title: string; tags: string[]; price: number; score: number }>
}

export const PAGE_SIZE = 100
export const CITATION =
  'F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1–19:19. https://doi.org/10.1145/2827872'

/** RFC 4180 CSV: quoted fields, doubled quotes inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') (field += '"'), i++
        else quoted = false
      } else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field), rows.push(row), (row = []), (field = '')
    } else field += c
  }
  if (field !== '' || row.length) row.push(field), rows.push(row)
  return rows
}

/** "Matrix, The (1999)" → { title: "The Matrix", year: 1999 }. MovieLens moves articles to the end. */
export function splitTitle(raw: string): { title: string; year: number | null } {
  const m = /^(.*?)\s*\((\d{4})(?:[–-]\d{0,4})?\)\s*$/.exec(raw.trim())
  let title = m ? m[1]! : raw.trim()
  const year = m ? Number(m[2]) : null
  const art = /^(.*), (The|A|An|Les|La|Le|L'|Il|El|Das|Der|Die)$/.exec(title)
  if (art) title = art[2]!.endsWith("'") ? `${art[2]}${art[1]}` : `${art[2]} ${art[1]}`
  return { title, year }
}

/** A plausible shop price from the release year: newer films cost more. */
export function priceFor(year: number | null): number {
  if (year === null) return 6.99
  if (year >= 2015) return 14.99
  if (year >= 2005) return 11.99
  if (year >= 1995) return 8.99
  return 5.99
}

export const slug = (genre: string) => genre.toLowerCase().replace(/[^a-z0-9]+/g, '-')

export function buildCatalogue(moviesCsv: string, ratingsCsv: string, top: number) {
  const counts = new Map<string, { n: number; sum: number }>()
  for (const r of parseCsv(ratingsCsv).slice(1)) {
    if (r.length < 4) continue
    const c = counts.get(r[1]!) ?? { n: 0, sum: 0 }
    c.n++
    c.sum += Number(r[2])
    counts.set(r[1]!, c)
  }
  const movies: CatalogueMovie[] = []
  for (const r of parseCsv(moviesCsv).slice(1)) {
    if (r.length < 3) continue
    const c = counts.get(r[0]!)
    if (!c) continue
    const { title, year } = splitTitle(r[1]!)
    const genres = r[2] === '(no genres listed)' ? [] : r[2]!.split('|')
    movies.push({ id: r[0]!, title, year, genres, price: priceFor(year), ratings: c.n, rating: Math.round((c.sum / c.n) * 10) / 10 })
  }
  movies.sort((a, b) => b.ratings - a.ratings || Number(a.id) - Number(b.id))
  const kept = movies.slice(0, top)
  const max = kept[0]?.ratings ?? 1
  const lists = new Map<string, CatalogueMovie[]>([['All', kept]])
  for (const m of kept) for (const g of m.genres) if (g !== 'IMAX') lists.set(g, [...(lists.get(g) ?? []), m])
  const pages: CandidatePage[] = []
  const genres: Array<{ genre: string; slug: string; count: number; pages: number }> = []
  for (const [genre, list] of lists) {
    const n = Math.ceil(list.length / PAGE_SIZE)
    genres.push({ genre, slug: slug(genre), count: list.length, pages: n })
    for (let p = 0; p < n; p++) {
      pages.push({
        genre,
        slug: slug(genre),
        page: p + 1,
        pages: n,
        total: list.length,
        candidates: list.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE).map((m) => ({
          id: m.id,
          title: m.title,
          tags: m.genres,
          price: m.price,
          score: Math.round((m.ratings / max) * 1e4) / 1e4,
        })),
      })
    }
  }
  genres.sort((a, b) => (a.genre === 'All' ? -1 : b.genre === 'All' ? 1 : b.count - a.count))
  return { movies: kept, pages, genres }
}

const LICENSE = `# Data licence: MovieLens ml-latest-small (GroupLens)

The files in this folder (\`movies.json\`, \`index.json\`, \`candidates/**\`) are a
transformation of the MovieLens "ml-latest-small" dataset (generated 2018-09-26) by
GroupLens Research, University of Minnesota: titles, years and genres of the most-rated
movies, and each movie's rating count (used as the demo server's popularity score).
They were produced by \`src/demo/build-catalogue.ts\`. They are redistributed under the
same licence conditions as the original data set, which are:

> Neither the University of Minnesota nor any of the researchers involved can guarantee the
> correctness of the data, its suitability for any particular purpose, or the validity of
> results based on the use of the data set. The data set may be used for any research
> purposes under the following conditions:
>
> * The user may not state or imply any endorsement from the University of Minnesota or the
>   GroupLens Research Group.
> * The user must acknowledge the use of the data set in publications resulting from the use
>   of the data set (see below for citation information).
> * The user may redistribute the data set, including transformations, so long as it is
>   distributed under these same license conditions.
> * The user may not use this information for any commercial or revenue-bearing purposes
>   without first obtaining permission from a faculty member of the GroupLens Research
>   Project at the University of Minnesota.
> * The executable software scripts are provided "as is" without warranty of any kind,
>   either expressed or implied, including, but not limited to, the implied warranties of
>   merchantability and fitness for a particular purpose. The entire risk as to the quality
>   and performance of them is with you. Should the program prove defective, you assume the
>   cost of all necessary servicing, repair or correction.
>
> In no event shall the University of Minnesota, its affiliates or employees be liable to you
> for any damages arising out of the use or inability to use these programs (including but not
> limited to loss of data or data being rendered inaccurate).

The prices are invented by the demo (from the release year); this is a demonstration shop,
not a commercial one. No endorsement by GroupLens or the University of Minnesota is implied.

## Citation

${CITATION}

Source: <https://grouplens.org/datasets/movielens/>
`

async function main() {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt
  }
  const root = resolve(import.meta.dirname, '..', '..')
  const data = resolve(root, arg('--data', '../shared/datasets/movielens-latest-small'))
  const top = Number(arg('--top', '2000'))
  for (const f of ['movies.csv', 'ratings.csv']) {
    if (!existsSync(join(data, f))) {
      throw new Error(
        `build-catalogue: ${join(data, f)} is missing. Put MovieLens ml-latest-small in ../shared/datasets/movielens-latest-small/ (see ../shared/datasets/README.md) or pass --data DIR.`,
      )
    }
  }
  const { movies, pages, genres } = buildCatalogue(await readFile(join(data, 'movies.csv'), 'utf8'), await readFile(join(data, 'ratings.csv'), 'utf8'), top)
  const out = join(root, 'public', 'catalogue')
  await rm(join(out, 'candidates'), { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  await writeFile(join(out, 'movies.json'), JSON.stringify({ source: 'MovieLens ml-latest-small; see LICENSE-DATA.md', movies }))
  await writeFile(join(out, 'index.json'), JSON.stringify({ source: 'MovieLens ml-latest-small; see LICENSE-DATA.md', pageSize: PAGE_SIZE, genres }, null, 1))
  for (const p of pages) {
    await mkdir(join(out, 'candidates', p.slug), { recursive: true })
    await writeFile(join(out, 'candidates', p.slug, `${p.page}.json`), JSON.stringify(p))
  }
  await writeFile(join(out, 'LICENSE-DATA.md'), LICENSE)
  console.log(`wrote ${movies.length} movies, ${genres.length} genre lists, ${pages.length} candidate pages to ${out}`)
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
}

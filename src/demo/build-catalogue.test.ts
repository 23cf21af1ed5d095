import { describe, expect, it } from 'vitest'
import { buildCatalogue, parseCsv, priceFor, slug, splitTitle, PAGE_SIZE } from './build-catalogue'

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, commas inside quotes and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n1,\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['1', ''],
    ])
  })
})

describe('splitTitle', () => {
  it('moves a trailing article to the front and takes the year', () => {
    expect(splitTitle('Matrix, The (1999)')).toEqual({ title: 'The Matrix', year: 1999 })
    expect(splitTitle('Toy Story (1995)')).toEqual({ title: 'Toy Story', year: 1995 })
    expect(splitTitle('Misérables, Les (1995)')).toEqual({ title: 'Les Misérables', year: 1995 })
  })
  it('keeps a title without a year', () => {
    expect(splitTitle('Babylon 5')).toEqual({ title: 'Babylon 5', year: null })
  })
})

describe('buildCatalogue', () => {
  const movies = 'movieId,title,genres\n1,"Alpha, The (2001)",Horror|IMAX\n2,Beta (1990),Comedy\n3,Gamma (2016),Horror|Comedy\n4,Unrated (2000),Drama\n'
  const ratings = 'userId,movieId,rating,timestamp\n1,1,4,1\n2,1,2,2\n3,1,3,3\n1,3,5,4\n2,3,4,5\n1,2,1,6\n'
  it('keeps the most-rated movies with popularity as the server score, best first', () => {
    const { movies: kept, pages, genres } = buildCatalogue(movies, ratings, 2)
    expect(kept.map((m) => m.id)).toEqual(['1', '3'])
    expect(kept[0]).toMatchObject({ title: 'The Alpha', year: 2001, genres: ['Horror', 'IMAX'], ratings: 3, rating: 3, price: priceFor(2001) })
    const all = pages.find((p) => p.slug === 'all')!
    expect(all.candidates.map((c) => [c.id, c.score])).toEqual([
      ['1', 1],
      ['3', 0.6667],
    ])
    // IMAX is a format: no genre page, but it stays on the item's category path.
    expect(genres.map((g) => g.genre)).toEqual(['All', 'Horror', 'Comedy'])
    expect(all.candidates[0]!.tags).toEqual(['Horror', 'IMAX'])
    expect(pages.find((p) => p.slug === 'comedy')!.candidates.map((c) => c.id)).toEqual(['3'])
  })
  it('pages the lists by PAGE_SIZE', () => {
    const rows = ['movieId,title,genres']
    const rs = ['userId,movieId,rating,timestamp']
    for (let i = 1; i <= PAGE_SIZE + 5; i++) rows.push(`${i},M${i} (2000),Drama`), rs.push(`1,${i},3,${i}`)
    const { pages } = buildCatalogue(rows.join('\n'), rs.join('\n'), 1000)
    const drama = pages.filter((p) => p.slug === 'drama')
    expect(drama.map((p) => p.candidates.length)).toEqual([PAGE_SIZE, 5])
    expect(drama.every((p) => p.pages === 2 && p.total === PAGE_SIZE + 5)).toBe(true)
  })
  it('slugs genre names for URLs', () => {
    expect(slug('Sci-Fi')).toBe('sci-fi')
    expect(slug('Film-Noir')).toBe('film-noir')
  })
})

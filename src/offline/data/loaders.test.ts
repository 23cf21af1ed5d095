import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { validateItem } from '../../events/validate'
import { DatasetError, formatReports, loadDataset, loadEventLog, loadMovieLens100k, loadMovieLens1M, loadMovieLensCsv, parseTimestamp, parseTitle } from '.'
import { parseCsv } from './csv'
import { piecewiseRecords } from './read'

function dir(files: Record<string, string | Buffer>): string {
  const d = mkdtempSync(join(tmpdir(), 'lr-data-'))
  for (const [name, body] of Object.entries(files)) writeFileSync(join(d, name), body)
  return d
}

describe('MovieLens latest CSV', () => {
  const d = dir({
    'movies.csv':
      'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n11,"American President, The (1995)",Comedy|Drama|Romance\nx,Bad id (2000),Drama\n12,No genres,(no genres listed)\n',
    'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,11,4.5,964981247\n2,1,3.0,abc\n2,12,5.0,964982224\n2,1,1.0\n',
  })
  const ds = loadMovieLensCsv(d)

  it('loads items with genre paths, titles and years, and events in ms', () => {
    expect(ds.items.get('11')!.title).toBe('American President, The (1995)')
    expect(ds.meta.get('11')).toMatchObject({ year: 1995, tokens: ['american', 'president', 'the'] })
    // Comedy is on 2 of the 4 movies (the most frequent genre), so it is the broadest level.
    expect(ds.items.get('11')!.category![0]).toBe('Comedy')
    expect(ds.items.get('12')!.category).toBeUndefined()
    // Every item passes the browser's strict item schema.
    for (const it of ds.items.values()) expect(() => validateItem(it)).not.toThrow()
    const u1 = ds.users.find((u) => u.id === '1')!
    expect(u1.events.map((e) => [e.type, e.items[0]!.id, e.timestamp])).toEqual([
      ['view_item', '1', 964982703000],
      ['view_item', '11', 964981247000],
    ])
  })

  it('counts malformed rows with their line numbers', () => {
    const [movies, ratings] = ds.reports
    expect(movies!.malformed).toBe(1)
    expect(movies!.examples[0]).toMatchObject({ line: 4 })
    expect(ratings!.rows).toBe(5)
    expect(ratings!.malformed).toBe(2)
    expect(ratings!.examples.map((e) => e.line)).toEqual([4, 6])
    expect(formatReports(ds.reports).join('\n')).toMatch(/2 of 5 rows malformed.*line 4: timestamp "abc"/)
  })

  it('maps ratings to event types only when asked', () => {
    const graded = loadMovieLensCsv(d, { ratings: { kind: 'graded', threshold: 4, strong: 'add_to_wishlist' } })
    const types = graded.users.flatMap((u) => u.events.map((e) => e.type))
    expect(types).toEqual(['add_to_wishlist', 'add_to_wishlist', 'add_to_wishlist'])
  })

  it('names the expected path when a file is missing', () => {
    const empty = dir({})
    expect(() => loadMovieLensCsv(empty)).toThrow(DatasetError)
    expect(() => loadMovieLensCsv(empty)).toThrow(join(empty, 'movies.csv'))
    expect(() => loadDataset(join(empty, 'nope'))).toThrow(join(empty, 'nope'))
  })
})

describe('MovieLens-1M .dat', () => {
  it('loads :: files (Latin-1 titles) and reports a malformed row', () => {
    const d = dir({
      'movies.dat': Buffer.from('1::Toy Story (1995)::Animation|Comedy\n2::Cit\xe9 (1995)::Drama\n3::broken\n', 'latin1'),
      'ratings.dat': '1::1::5::978300760\n1::2::3::978302109\n1::2\n',
    })
    const ds = loadMovieLens1M(d)
    expect(ds.items.get('2')!.title).toBe('Cité (1995)')
    expect(ds.users[0]!.events).toHaveLength(2)
    expect(ds.reports.map((r) => [r.malformed, r.examples[0]?.line])).toEqual([
      [1, 3],
      [1, 3],
    ])
    expect(loadDataset(d).name).toBe('movielens-1m')
  })
})

describe('MovieLens-100k', () => {
  it('loads tab and | files with genre flags and reports a malformed row', () => {
    const flags = (on: number[]) => Array.from({ length: 19 }, (_, i) => (on.includes(i) ? '1' : '0')).join('|')
    const d = dir({
      'u.item': `1|Toy Story (1995)|01-Jan-1995||http://x|${flags([3, 4, 5])}\n2|GoldenEye (1995)|01-Jan-1995||http://y|${flags([1, 2, 16])}\n3|short|x\n`,
      'u.data': '196\t1\t3\t881250949\n196\t2\t3\t881250950\n186\tx\t3\t891717742\n',
    })
    const ds = loadMovieLens100k(d)
    expect(new Set(ds.meta.get('1')!.labels)).toEqual(new Set(['Animation', "Children's", 'Comedy']))
    expect(ds.users[0]!.events.map((e) => e.items[0]!.id)).toEqual(['1', '2'])
    expect(ds.reports[0]!.examples[0]!.line).toBe(3)
    expect(ds.reports[1]!.examples[0]).toMatchObject({ line: 3, reason: expect.stringMatching(/item id "x"/) })
  })
})

describe('generic event log', () => {
  it('reads CSV events with types, search text and an item file, reporting bad rows', () => {
    const d = dir({
      'items.csv': 'id,title,category,brand,price\nsku-1,Desk lamp,Home > Lighting > Lamps,Acme,39.5\nsku-2,Sofa,Home > Living,,-3\n',
      'events.csv':
        'user,item,timestamp,type,text\nu1,sku-1,1700000000,view_item,\nu1,,1700000001,search,red lamp\nu1,sku-1,1700000002000,purchase,\nu2,sku-9,2024-01-02T03:04:05Z,add_to_cart,Mystery item\nu2,sku-1,1700000003,teleport,\n',
    })
    const ds = loadEventLog(join(d, 'events.csv'), { items: join(d, 'items.csv') })
    expect(ds.items.get('sku-1')).toEqual({ id: 'sku-1', title: 'Desk lamp', category: ['Home', 'Lighting', 'Lamps'], brand: 'Acme', price: 39.5 })
    const u1 = ds.users.find((u) => u.id === 'u1')!
    expect(u1.events.map((e) => [e.type, e.timestamp, e.query])).toEqual([
      ['view_item', 1700000000000, undefined],
      ['search', 1700000001000, 'red lamp'],
      ['purchase', 1700000002000, undefined],
    ])
    const u2 = ds.users.find((u) => u.id === 'u2')!
    expect(u2.events[0]!.timestamp).toBe(Date.parse('2024-01-02T03:04:05Z'))
    expect(u2.events[0]!.items[0]!.title).toBe('Mystery item')
    expect(ds.unknownItems).toBe(1)
    const [items, events] = ds.reports
    expect(items!.examples).toEqual([{ line: 3, reason: expect.stringMatching(/price/) }])
    expect(events!.examples).toEqual([{ line: 6, reason: expect.stringMatching(/teleport/) }])
  })

  it('reads JSONL and reports invalid JSON by line', () => {
    const d = dir({
      'events.jsonl': '{"user":"a","item":"x","timestamp":1700000000}\n{"user":"a","item":"y","timestamp":1700000001,"type":"add_to_cart"}\n{not json\n{"user":"a","item":"z"}\n',
    })
    const ds = loadDataset(join(d, 'events.jsonl'))
    expect(ds.users[0]!.events.map((e) => e.type)).toEqual(['view_item', 'add_to_cart'])
    expect(ds.reports[0]!.malformed).toBe(2)
    expect(ds.reports[0]!.examples.map((e) => e.line)).toEqual([3, 4])
    // Issue 11: no item file given, so no id is "missing from the item file" (it warned for every id).
    expect(ds.unknownItems).toBe(0)
  })

  it('reads item files and MovieLens ratings in pieces, keeping line numbers across piece boundaries', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${1 + (i % 7)},${1 + (i % 5)},${i % 3 === 0 ? 'x' : '4.0'},${1500000000 + i}`)
    const d = dir({
      'movies.csv': 'movieId,title,genres\n1,A (1995),Drama\n2,B (1996),Comedy\n3,C (1997),Drama|Comedy\n4,D (1998),Action\n5,E (1999),Drama\n',
      'ratings.csv': `userId,movieId,rating,timestamp\n${rows.join('\n')}\n`,
    })
    const whole = loadMovieLensCsv(d)
    const examples = whole.reports[1]!.examples.map((e) => e.line)
    // Rows i ≡ 0 (mod 3) have a bad rating: file lines 2, 5, 8, …
    expect(whole.reports[1]!.malformed).toBe(1000)
    expect(examples).toEqual([2, 5, 8, 11, 14])
    let pieces = 0
    const records = [...piecewiseRecords(join(d, 'ratings.csv'), 'ratings', (t) => (pieces++, parseCsv(t)), 1000)]
    expect(pieces).toBeGreaterThan(50)
    expect(records).toHaveLength(3001)
    expect(records.filter((r) => r.fields[2] === 'x').map((r) => r.line)).toEqual(Array.from({ length: 1000 }, (_, k) => 2 + 3 * k))
  })

  it('parses timestamps by unit', () => {
    expect(parseTimestamp(1700000000)).toBe(1700000000000)
    expect(parseTimestamp(1700000000000)).toBe(1700000000000)
    expect(parseTimestamp('5', 'ms')).toBe(5)
    expect(parseTimestamp(-1)).toMatch(/non-negative/)
    expect(parseTitle('Heat (1995)')).toEqual({ name: 'Heat', year: 1995 })
    expect(parseTitle('Untitled')).toEqual({ name: 'Untitled' })
  })
})

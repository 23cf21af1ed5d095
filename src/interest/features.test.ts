import { describe, expect, it } from 'vitest'
import { MAX_TOKEN_LENGTH, categoryKeys, priceBand, priceBandLabel, tokenize, uniqueTokens } from './features'

describe('tokenize', () => {
  it('lower-cases and splits on punctuation and spaces', () => {
    expect(tokenize('Desk LAMP, brass/oak — 40cm!')).toEqual(['desk', 'lamp', 'brass', 'oak', '40cm'])
  })
  it('drops tokens shorter than 2 characters', () => {
    expect(tokenize('a t-shirt 5 of X')).toEqual(['shirt', 'of'])
  })
  it('NFKC-normalises full-width forms and ligatures', () => {
    expect(tokenize('Ｌａｍｐ ﬁle')).toEqual(['lamp', 'file'])
  })
  it('keeps letters of every script, with their combining marks', () => {
    expect(tokenize('Café Müller Ελληνικά кофе हिन्दी')).toEqual(['café', 'müller', 'ελληνικά', 'кофе', 'हिन्दी'])
    // decomposed é (e + U+0301) normalises to the same token as the precomposed one
    expect(tokenize('Cafe\u0301')).toEqual(tokenize('Café'))
  })
  it('turns CJK runs into overlapping bigrams, a lone character into a unigram', () => {
    expect(tokenize('電気スタンド')).toEqual(['電気', '気ス', 'スタ', 'タン', 'ンド'])
    expect(tokenize('iPhone用ケース')).toEqual(['iphone', '用ケ', 'ケー', 'ース'])
    expect(tokenize('猫')).toEqual(['猫'])
  })
  it('does not bigram Hangul, which is written with spaces', () => {
    expect(tokenize('책상 램프')).toEqual(['책상', '램프'])
  })
  it('counts code points, not UTF-16 units, and cuts very long tokens', () => {
    expect(tokenize('𝔸')).toEqual([]) // one code point, two UTF-16 units: too short
    expect(tokenize('𝔸𝔹')).toEqual(['ab']) // NFKC maps math letters to ASCII
    const long = 'x'.repeat(200)
    expect(tokenize(long)).toEqual(['x'.repeat(MAX_TOKEN_LENGTH)])
  })
  it('ignores emoji and symbols, and empty or non-string input', () => {
    expect(tokenize('🔥🔥 deal 💡')).toEqual(['deal'])
    expect(tokenize('')).toEqual([])
    expect(tokenize(undefined)).toEqual([])
    expect(tokenize(42 as unknown as string)).toEqual([])
  })
  it('keeps order and duplicates; uniqueTokens removes duplicates', () => {
    expect(tokenize('lamp red lamp')).toEqual(['lamp', 'red', 'lamp'])
    expect(uniqueTokens('lamp red lamp')).toEqual(['lamp', 'red'])
  })
})

describe('categoryKeys', () => {
  it('gives one prefix key per level', () => {
    expect(categoryKeys(['home', 'lighting', 'lamps'])).toEqual(['home', 'home>lighting', 'home>lighting>lamps'])
  })
  it('keeps the same leaf under different parents apart', () => {
    const a = categoryKeys(['home', 'lamps'])
    const b = categoryKeys(['garden', 'lamps'])
    expect(a[1]).not.toBe(b[1])
  })
  it('escapes the separator so that paths never collide', () => {
    expect(categoryKeys(['a>b'])).toEqual(['a\\>b'])
    expect(categoryKeys(['a>b'])[0]).not.toBe(categoryKeys(['a', 'b'])[1])
    expect(categoryKeys(['a\\', 'b'])[1]).not.toBe(categoryKeys(['a\\>b'])[0])
  })
  it('is empty for a missing path and stops at an empty segment', () => {
    expect(categoryKeys(undefined)).toEqual([])
    expect(categoryKeys(['home', '', 'x'])).toEqual(['home'])
  })
})

describe('priceBand', () => {
  const edges = [10, 25, 50, 100]
  it('puts each price in [edges[i−1], edges[i])', () => {
    expect(priceBand(0, edges)).toBe(0)
    expect(priceBand(9.99, edges)).toBe(0)
    expect(priceBand(10, edges)).toBe(1) // lower edge included
    expect(priceBand(24.99, edges)).toBe(1)
    expect(priceBand(25, edges)).toBe(2)
    expect(priceBand(99, edges)).toBe(3)
    expect(priceBand(100, edges)).toBe(4) // the open top band
    expect(priceBand(1e9, edges)).toBe(4)
  })
  it('has edges.length + 1 bands, a single band with no edges', () => {
    expect(priceBand(5, [])).toBe(0)
    expect(priceBand(5000, [])).toBe(0)
  })
  it('returns −1 (no band) for a missing or NaN price', () => {
    expect(priceBand(undefined, edges)).toBe(-1)
    expect(priceBand(Number.NaN, edges)).toBe(-1)
    expect(priceBand('12' as unknown as number, edges)).toBe(-1)
  })
  it('agrees with a linear scan on many prices', () => {
    const e = [1, 2.5, 7, 7.5, 100, 1000]
    for (let p = 0; p < 1200; p += 0.25) {
      const scan = e.filter((x) => x <= p).length
      expect(priceBand(p, e)).toBe(scan)
    }
  })
  it('labels bands readably', () => {
    expect(priceBandLabel(0, edges)).toBe('<10')
    expect(priceBandLabel(2, edges)).toBe('25–50')
    expect(priceBandLabel(4, edges)).toBe('≥100')
    expect(priceBandLabel(0, [])).toBe('any')
  })
})

import { describe, expect, it } from 'vitest'
import { candidateFromAttributes, fromObject, itemFromAttributes } from './items'

const attrs = (a: Record<string, string>) => (n: string) => a[n] ?? null

describe('itemFromAttributes', () => {
  it('reads a LocalRank JSON item, dropping unknown fields', () => {
    expect(itemFromAttributes(attrs({ 'data-lr-item': '{"id":"sku-1","category":["home","lamps"],"price":39,"colour":"red"}' }))).toEqual({ id: 'sku-1', category: ['home', 'lamps'], price: 39 })
  })
  it('maps a GA4 ecommerce item', () => {
    const ga4 = {
      item_id: 'SKU_12345',
      item_name: 'Stan and Friends Tee',
      item_brand: 'Google',
      item_category: 'Apparel',
      item_category2: 'Adult',
      item_category3: 'Shirts',
      price: 10.01,
      quantity: 3,
    }
    expect(itemFromAttributes(attrs({ 'data-lr-item': JSON.stringify(ga4) }))).toEqual({
      id: 'SKU_12345',
      title: 'Stan and Friends Tee',
      brand: 'Google',
      category: ['Apparel', 'Adult', 'Shirts'],
      price: 10.01,
    })
  })
  it('reads a plain id with separate attributes, which override the JSON', () => {
    expect(itemFromAttributes(attrs({ 'data-lr-item': 'mug-1', 'data-lr-category': ' kitchen > mugs ', 'data-lr-price': '9', 'data-lr-brand': 'Acme', 'data-lr-title': 'Blue mug' }))).toEqual({
      id: 'mug-1',
      category: ['kitchen', 'mugs'],
      price: 9,
      brand: 'Acme',
      title: 'Blue mug',
    })
    expect(itemFromAttributes(attrs({ 'data-lr-item': '{"id":"a","price":1}', 'data-lr-price': '2' }))?.price).toBe(2)
  })
  it('returns null without a usable id, for broken JSON and ignores a non-numeric price', () => {
    expect(itemFromAttributes(attrs({}))).toBeNull()
    expect(itemFromAttributes(attrs({ 'data-lr-item': '{"id":' }))).toBeNull()
    expect(itemFromAttributes(attrs({ 'data-lr-item': '{"name":"x"}' }))).toBeNull()
    expect(itemFromAttributes(attrs({ 'data-lr-item': 'a', 'data-lr-price': 'cheap' }))).toEqual({ id: 'a' })
  })
  it('coerces numeric ids to strings', () => {
    expect(fromObject({ id: 42 })).toEqual({ id: '42' })
  })
})

describe('candidateFromAttributes', () => {
  it('uses data-item-id as the id and data-score as the server score', () => {
    expect(candidateFromAttributes(attrs({ 'data-item-id': 'x', 'data-score': '0.5', 'data-lr-item': '{"id":"other","category":["c"]}' }))).toEqual({ id: 'x', category: ['c'], score: 0.5 })
    expect(candidateFromAttributes(attrs({ 'data-item-id': 'x', 'data-lr-category': 'a > b' }))).toEqual({ id: 'x', category: ['a', 'b'] })
    expect(candidateFromAttributes(attrs({ 'data-lr-item': 'x' }))).toBeNull()
  })
})

describe('item data in markup (vector, neighbours)', () => {
  const vector = 'i8:0a1b2c3d:AAECAwQFBgcICQ'
  const neighbours: Array<[string, number]> = [
    ['sku-2', 0.61],
    ['sku-3', 0.2],
  ]
  it('reads them from a LocalRank JSON item and from a GA4 item (neighbours as an array or its JSON text)', () => {
    expect(itemFromAttributes(attrs({ 'data-lr-item': JSON.stringify({ id: 'sku-1', vector, neighbours }) }))).toEqual({ id: 'sku-1', vector, neighbours })
    expect(itemFromAttributes(attrs({ 'data-lr-item': JSON.stringify({ item_id: 'sku-1', vector, neighbours: JSON.stringify(neighbours) }) }))).toEqual({ id: 'sku-1', vector, neighbours })
  })
  it('reads them from their own attributes, which override the JSON', () => {
    expect(itemFromAttributes(attrs({ 'data-lr-item': 'sku-1', 'data-lr-vector': vector, 'data-lr-neighbours': JSON.stringify(neighbours) }))).toEqual({ id: 'sku-1', vector, neighbours })
    expect(itemFromAttributes(attrs({ 'data-lr-item': JSON.stringify({ id: 'a', neighbours }), 'data-lr-neighbours': '[["z",1]]' }))?.neighbours).toEqual([['z', 1]])
  })
  it('drops invalid ones and still returns the item', () => {
    for (const bad of [{ vector: 'f16:nothex!!:AAAA' }, { vector: 5 }, { neighbours: [['a', 'x']] }, { neighbours: '[[' }, { neighbours: Array(101).fill(['a', 1]) }]) {
      expect(itemFromAttributes(attrs({ 'data-lr-item': JSON.stringify({ id: 'sku-1', ...bad }) }))).toEqual({ id: 'sku-1' })
    }
    expect(itemFromAttributes(attrs({ 'data-lr-item': 'sku-1', 'data-lr-neighbours': 'not json', 'data-lr-vector': 'nope' }))).toEqual({ id: 'sku-1' })
  })
  it('carries them onto <localrank-list> candidates', () => {
    expect(candidateFromAttributes(attrs({ 'data-item-id': 'c1', 'data-lr-item': JSON.stringify({ id: 'c1', vector, neighbours }), 'data-score': '2' }))).toEqual({
      id: 'c1',
      vector,
      neighbours,
      score: 2,
    })
    expect(candidateFromAttributes(attrs({ 'data-item-id': 'c1', 'data-lr-neighbours': JSON.stringify(neighbours) }))).toEqual({ id: 'c1', neighbours })
  })
})

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { itemFeatureKeys } from './features'

/** Every .ts source under src/ (tests excluded). */
function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) sources(p, out)
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p)
  }
  return out
}

describe('the maths lives in one place (issue 13)', () => {
  // tokenize, priceBand and fnv1a each existed two or three times with different rules
  // (NFKC and CJK handling in the profile's tokenizer only), so profile and encoder could disagree.
  it('tokenize, priceBand and fnv1a are each defined once in src/', () => {
    const defs: Record<string, string[]> = { tokenize: [], priceBand: [], fnv1a: [] }
    for (const file of sources(join(import.meta.dirname, '..'))) {
      const text = readFileSync(file, 'utf8')
      for (const name of Object.keys(defs)) if (new RegExp(`function ${name}\\b`).test(text)) defs[name]!.push(file.slice(file.indexOf('src/')))
    }
    expect(defs).toEqual({ tokenize: ['src/interest/features.ts'], priceBand: ['src/interest/features.ts'], fnv1a: ['src/hash.ts'] })
  })

  it("the encoder's price band is still ⌊log2(1 + price)⌋, the rule the shipped model was trained with", () => {
    const prices = [0, 0.5, 0.99, 1, 2, 2.99, 3, 6.5, 7, 12.99, 15, 39, 99.99, 1e3, 123456.78, 2 ** 40, -3]
    for (let p = 0; p < 3000; p += 0.37) prices.push(p)
    for (const p of prices) {
      const key = itemFeatureKeys({ price: p }).find(([f]) => f === 'p')?.[1]
      expect(key, String(p)).toBe(`p:${Math.floor(Math.log2(1 + Math.max(0, p)))}`)
    }
  })
})

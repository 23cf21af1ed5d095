import { describe, expect, it } from 'vitest'
import { parseCsv, parseDelimited } from './csv'

describe('parseCsv', () => {
  it('reads quoted fields with separators, doubled quotes and line breaks, keeping start lines', () => {
    const text = 'id,title,genres\n11,"American President, The (1995)",Comedy|Drama\r\n12,"Say ""hi""",X\n13,"two\nlines",Y\n'
    const recs = [...parseCsv(text)]
    expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 4])
    expect(recs[1]!.fields).toEqual(['11', 'American President, The (1995)', 'Comedy|Drama'])
    expect(recs[2]!.fields).toEqual(['12', 'Say "hi"', 'X'])
    expect(recs[3]!.fields).toEqual(['13', 'two\nlines', 'Y'])
    expect(recs.every((r) => r.error === undefined)).toBe(true)
  })

  it('skips blank lines, keeps empty fields, strips a BOM', () => {
    const recs = [...parseCsv('\uFEFFa,b\n\n1,\n')]
    expect(recs.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', ''],
    ])
    expect(recs[1]!.line).toBe(3)
  })

  it('flags an unterminated quote and a stray quote instead of guessing', () => {
    const bad = [...parseCsv('1,"open\n2,x\n')]
    expect(bad).toHaveLength(1)
    expect(bad[0]!.error).toMatch(/unterminated/)
    const stray = [...parseCsv('1,a"b\n')]
    expect(stray[0]!.error).toMatch(/quote inside/)
  })
})

describe('parseDelimited', () => {
  it('splits on a multi-character separator and numbers lines', () => {
    const recs = [...parseDelimited('1::2::5::9\r\n\n3::4::1::8\n', '::')]
    expect(recs).toEqual([
      { line: 1, fields: ['1', '2', '5', '9'] },
      { line: 3, fields: ['3', '4', '1', '8'] },
    ])
  })
})

import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeWeights } from '../../encoder/weights'
import { parseVector } from '../../encoder/vector-codec'
import { tinyArtifact, tinyConfig, tinyItem } from '../../encoder/testing'
import { createSimilarityTable, serializeSimilarityTable } from '../../interest/similarity'
import { parseCsv } from '../data/csv'
import { exportModel } from '../train/export'
import { main } from './cli'
import { csvField } from './feed'

/** A whole-table tiny model with `vocab` items, exported to a fresh directory. */
async function modelDir(vocab = 30): Promise<string> {
  const cfg = tinyConfig({}, vocab)
  const { artifact, bytes } = await tinyArtifact({ cfg })
  const values = new Map([...decodeWeights(artifact.weightsManifest[0]!.weights, bytes)].map(([k, w]) => [k, { shape: w.shape, data: w.data }]))
  const dir = mkdtempSync(join(tmpdir(), 'lr-feed-src-'))
  await exportModel(dir, cfg, artifact.vocab, values, { quantization: 'float16', license: 'test licence text' })
  writeFileSync(join(dir, 'LICENSE-DATA.md'), '# Data licence\n\nsource terms\n')
  return dir
}

function itemsFile(n: number): string {
  const f = join(mkdtempSync(join(tmpdir(), 'lr-feed-items-')), 'items.jsonl')
  writeFileSync(f, Array.from({ length: n }, (_, i) => JSON.stringify({ ...tinyItem(i), price: i + 0.5 })).join('\n'))
  return f
}

const out = () => mkdtempSync(join(tmpdir(), 'lr-feed-out-'))

describe('npm run feed', () => {
  it('writes a user-side artifact whose size does not depend on the vocabulary, and one feed row per product', async () => {
    const small = await modelDir(30)
    const big = await modelDir(600)
    const o1 = out()
    const o2 = out()
    const s1 = (await main(['--model', small, '--out', o1, '--items', itemsFile(40), '--mode', 'feed']))!
    const s2 = (await main(['--model', big, '--out', o2, '--items', itemsFile(40), '--mode', 'feed']))!
    expect(statSync(join(o1, 'weights.bin')).size).toBe(statSync(join(o2, 'weights.bin')).size)
    expect(s1.artifact.weights).toBe(s2.artifact.weights)
    expect(s1.keptRows).toBe(3)
    // 40 catalogue items (m0…m39, of which m0…m29 in the vocabulary): 40 rows; the big model adds its other 560 vocabulary items.
    expect(s1.feed!.rows).toBe(40)
    expect(s2.feed!.rows).toBe(600)
    const user = JSON.parse(readFileSync(join(o1, 'model.json'), 'utf8'))
    expect(user.itemSpace).toBe(s1.itemSpace)
    expect(user.license).toBe('test licence text')
    expect(user.config.vocabSize).toBe(3)
    expect(readFileSync(join(o1, 'LICENSE-DATA.md'), 'utf8')).toMatch(/source terms[\s\S]*npm run feed/)
    const rows = readFileSync(join(o1, 'items.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; vector: string })
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`))
    for (const r of rows) expect(parseVector(r.vector, s1.modelId, 17).ok).toBe(true)
    // Different content, different vector; the 30 vocabulary items differ from content-only ones.
    expect(new Set(rows.map((r) => r.vector)).size).toBe(40)
    expect(s1.itemSpace).not.toBe(s2.itemSpace)
  })

  it('CSV holds the same rows as JSONL, with neighbours from the similarity table (RFC 4180 quoting)', async () => {
    const dir = await modelDir(30)
    const sim = createSimilarityTable(
      [
        ['m1', 'm2', 0.5],
        ['m1', 'm3,x', 0.25],
      ],
      { symmetric: true },
    )
    const simFile = join(out(), 'similarity.json')
    writeFileSync(simFile, JSON.stringify(serializeSimilarityTable(sim)))
    const o = out()
    const s = (await main(['--model', dir, '--out', o, '--items', itemsFile(5), '--similarity', simFile, '--neighbours', '1', '--encoding', 'i8', '--mode', 'feed']))!
    expect(s.feed!.withNeighbours).toBe(2)
    const jsonl = readFileSync(join(o, 'items.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; vector: string; neighbours?: unknown })
    const csv = [...parseCsv(readFileSync(join(o, 'items.csv'), 'utf8'))].map((r) => r.fields)
    expect(csv[0]).toEqual(['id', 'vector', 'neighbours'])
    expect(csv.length - 1).toBe(jsonl.length)
    jsonl.forEach((r, i) => {
      expect(csv[i + 1]![0]).toBe(r.id)
      expect(csv[i + 1]![1]).toBe(r.vector)
      expect(csv[i + 1]![2]).toBe(r.neighbours ? JSON.stringify(r.neighbours) : '')
      expect(r.vector.startsWith(`i8:${s.modelId}:`)).toBe(true)
    })
    expect(jsonl.find((r) => r.id === 'm1')!.neighbours).toEqual([['m2', 0.5]])
    expect(csvField('a"b,c')).toBe('"a""b,c"')
  })

  it('--keep-top and --budget keep the most popular rows; auto picks table mode for a small catalogue', async () => {
    const dir = await modelDir(30)
    const top = (await main(['--model', dir, '--out', out(), '--keep-top', '7', '--mode', 'feed']))!
    expect(top.keptRows).toBe(10)
    const zero = (await main(['--model', dir, '--out', out(), '--mode', 'feed']))!
    // N kept rows add 2·17 bytes of f16 each, and their ids ("m0" quoted, comma-separated) 39·N − 1 in all: room for 4, not 5.
    const budget = zero.artifact.raw + 175
    const fit = (await main(['--model', dir, '--out', out(), '--budget', String(budget), '--mode', 'feed']))!
    expect(fit.artifact.raw).toBeLessThanOrEqual(budget)
    expect(fit.keptRows).toBe(3 + 4)
    const auto = (await main(['--model', dir, '--out', out()]))!
    expect(auto.mode).toBe('table')
    expect(auto.keptRows).toBe(33)
    expect(auto.feed).toBeUndefined()
    expect(auto.modeReason).toMatch(/auto: 30 products ≤/)
  })

  it('--mode auto switches to feed mode one product above its limit (short ids make the limit larger)', async () => {
    const { autoTableLimit } = await import('./userside')
    const dir = await modelDir(30)
    const raw = (await main(['--model', dir, '--out', out(), '--mode', 'feed']))!.artifact.raw
    const vocabIdBytes = Array.from({ length: 30 }, (_, i) => `m${i}`.length).reduce((a, b) => a + b, 0)
    // n catalogue ids of 3 bytes plus the 30 vocabulary ids: the smallest n whose total exceeds the limit.
    let n = 1
    const limitFor = (k: number) => autoTableLimit(raw, 16, (3 * k + vocabIdBytes) / (k + 30))
    while (n + 30 <= limitFor(n)) n++
    const file = join(mkdtempSync(join(tmpdir(), 'lr-feed-auto-')), 'items.csv')
    const ids = (k: number) => Array.from({ length: k }, (_, i) => i.toString(36).padStart(3, '0'))
    writeFileSync(
      file,
      `id,title\n${ids(n)
        .map((id) => `${id},Thing ${id}`)
        .join('\n')}\n`,
    )
    const above = (await main(['--model', dir, '--out', out(), '--items', file]))!
    expect(above.mode).toBe('feed')
    expect(above.catalogue).toBe(n + 30)
    writeFileSync(
      file,
      `id,title\n${ids(n - 1)
        .map((id) => `${id},Thing ${id}`)
        .join('\n')}\n`,
    )
    const at = (await main(['--model', dir, '--out', out(), '--items', file]))!
    expect(at.mode).toBe('table')
    expect(at.catalogue).toBe(n + 29)
  })

  it('bad flags and paths are one-line errors', async () => {
    const dir = await modelDir(30)
    await expect(main(['--out', out()])).rejects.toThrow(/--model DIR is required/)
    await expect(main(['--model', '/nonexistent/x', '--out', out()])).rejects.toThrow(/--model \/nonexistent\/x: not a directory/)
    await expect(main(['--model', dir, '--out', out(), '--encoding', 'f8'])).rejects.toThrow(/--encoding must be f16, i8 or f32/)
    await expect(main(['--model', dir, '--out', out(), '--keep-top', '3x'])).rejects.toThrow(/--keep-top must be a whole number/)
    await expect(main(['--model', dir, '--out', out(), '--mode', 'huge'])).rejects.toThrow(/--mode must be auto, table or feed/)
    await expect(main(['--model', dir, '--out', out(), '--neighbours', '500'])).rejects.toThrow(/at most 100/)
    await expect(main(['--model', dir, '--out', out(), '--similarity', '/nope.json', '--mode', 'feed'])).rejects.toThrow(/file not found/)
    await expect(main(['--model', dir, '--out', out(), '--budget', '10', '--mode', 'feed'])).rejects.toThrow(/even the artifact without item rows/)
    await expect(main(['--model', dir, '--out', out(), '--bogus'])).rejects.toThrow(/bogus/)
    // A user-side artifact is not a source: it no longer has the item table.
    const o = out()
    await main(['--model', dir, '--out', o, '--mode', 'feed'])
    await expect(main(['--model', o, '--out', out(), '--mode', 'feed'])).rejects.toThrow(/already a user-side artifact/)
  })
})

describe('streaming the catalogue', () => {
  it('an item file read in tiny pieces gives the items and malformed-row lines of a whole read', async () => {
    const { streamItemFile, loadEventLog } = await import('../data/eventlog')
    const { RowReport } = await import('../data/read')
    const dir = mkdtempSync(join(tmpdir(), 'lr-feed-stream-'))
    const csv = join(dir, 'items.csv')
    writeFileSync(
      csv,
      '\uFEFFid,title,category,brand,price\r\n' +
        'a,"Lamp, ""desk""",Home > Lighting,Acme,39\r\n' +
        'b,"Two\nline title",Home,,12.5\r\n' +
        'c,Crème brûlée dish ☕,Kitchen > Bakeware,Émile,-1\r\n' +
        'd,Mug,Kitchen,Acme,4\r\n' +
        'a,Duplicate,Home,,1\r\n' +
        'e,"unterminated,Home,,1\r\n',
    )
    const jsonl = join(dir, 'items.jsonl')
    writeFileSync(jsonl, '{"id":"x","title":"Ünïcode ☕ mug","category":["Kitchen","Mugs"],"price":3}\n\nnot json\n{"id":"y"}\n')
    const events = join(dir, 'events.csv')
    writeFileSync(events, 'user,item,timestamp\nu1,a,1000\n')
    for (const file of [csv, jsonl]) {
      const whole = loadEventLog(events, { items: file })
      const wholeItems = [...whole.items.values()].filter((it) => it.id !== 'a' || file === csv)
      const wholeReport = whole.reports.find((r) => r.file === file)!
      for (const chunk of [1, 3, 7, 64, 1 << 20]) {
        const rep = new RowReport(file)
        const streamed = [...streamItemFile(file, rep, chunk)]
        expect(streamed).toEqual(wholeItems.filter((it) => streamed.some((s) => s.id === it.id)))
        expect(streamed.map((s) => s.id)).toEqual(file === csv ? ['a', 'b', 'd'] : ['x', 'y'])
        expect(rep.report.malformed).toBe(wholeReport.malformed)
        expect(rep.report.examples).toEqual(wholeReport.examples)
      }
    }
  })
})

/**
 * Sizes, measured in Node with node:zlib: gzip at its default level 6 (what most servers apply
 * on the fly) and Brotli at quality 11 (what static hosts precompress with). A file is counted
 * as TensorFlow.js when most of the source bytes in its source map come from
 * node_modules/@tensorflow; a file without a map is classified by its name.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

export interface Compressed {
  raw: number
  gzip: number
  brotli: number
}

export function compressed(buf: Uint8Array): Compressed {
  return {
    raw: buf.byteLength,
    gzip: gzipSync(buf, { level: 6 }).byteLength,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.byteLength } }).byteLength,
  }
}

/** Share of a bundle's source bytes (from its source map) that come from TensorFlow.js. */
export function tfjsShare(file: string): number | null {
  const map = `${file}.map`
  if (!existsSync(map)) return null
  const m = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> }
  let tf = 0
  let all = 0
  m.sources.forEach((s, i) => {
    const n = m.sourcesContent?.[i]?.length ?? 1
    all += n
    if (s.includes('node_modules/@tensorflow/')) tf += n
  })
  return all > 0 ? tf / all : null
}

/** The npm packages whose sources make up a built file (from its source map), e.g. @tensorflow/tfjs-core. */
export function packagesOf(file: string): string[] {
  const map = `${file}.map`
  if (!existsSync(map)) return []
  const m = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }
  const out = new Set<string>()
  for (const s of m.sources) {
    const hit = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(s)
    out.add(hit ? hit[1]! : 'localrank src')
  }
  return [...out].sort()
}

export type Kind = 'localrank' | 'tfjs' | 'wasm' | 'model' | 'page' | 'other'

export function classify(urlPath: string, file: string | null): Kind {
  if (urlPath.startsWith('/model/')) return 'model'
  if (urlPath.startsWith('/fixtures/') || urlPath.startsWith('/perf-gen/')) return 'page'
  if (urlPath.endsWith('.wasm')) return 'wasm'
  if (!file || !/\.m?js$/.test(file)) return 'other'
  const share = tfjsShare(file)
  if (share !== null) return share > 0.5 ? 'tfjs' : 'localrank'
  return /tfjs|dist-|_impl-/.test(file) ? 'tfjs' : 'localrank'
}

/**
 * A module and the modules it imports *statically* (what loads before it can run), following
 * relative `import … from "./x.js"` / `import "./x.js"` in built ESM; `import()` is lazy and
 * not followed.
 */
export function staticClosure(entry: string): string[] {
  const seen = new Set<string>()
  const visit = (f: string) => {
    if (seen.has(f) || !existsSync(f)) return
    seen.add(f)
    const src = readFileSync(f, 'utf8')
    const re = /(?:^|[;\n}])\s*(?:import|export)\s*(?:[^'"();]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g
    for (const m of src.matchAll(re)) visit(join(dirname(f), m[1]!))
  }
  visit(entry)
  return [...seen]
}

export function sizeOfFiles(files: string[]): Compressed {
  // Compressed separately and summed: each file is its own HTTP response.
  return files.map((f) => compressed(readFileSync(f))).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }), { raw: 0, gzip: 0, brotli: 0 })
}

/**
 * Bundle sizes, gzip (level 9, as a CDN would serve them), of what a shop's page fetches
 * up front: the classic loader, and each ESM entry with the chunks it imports statically
 * (lazy `import()` chunks — the worker, TensorFlow.js — are left out: they load later).
 *
 *   npx tsx e2e/size.ts            # after npm run build
 *   npx tsx e2e/size.ts --json
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

const lib = join(import.meta.dirname, '..', 'dist', 'lib')

/** The entry and every file it reaches through static `import … from '…'` / `export … from '…'`. */
export function staticClosure(entry: string): string[] {
  const seen = new Set<string>()
  const walk = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const code = readFileSync(file, 'utf8')
    // Static imports only: `import(` (dynamic) is not matched because `from` must follow.
    for (const m of code.matchAll(/(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']/g)) {
      const spec = m[1]!
      if (!spec.startsWith('.')) continue
      walk(join(dirname(file), spec))
    }
  }
  walk(entry)
  return [...seen]
}

const gz = (files: string[]) => files.reduce((a, f) => a + gzipSync(readFileSync(f), { level: 9 }).length, 0)

export function sizes(): Record<string, { files: number; gzip: number }> {
  const out: Record<string, { files: number; gzip: number }> = {}
  for (const [name, file] of [
    ['loader (localrank.js)', 'localrank.js'],
    ['localrank.mjs + static imports', 'localrank.mjs'],
    ['localrank-embed.mjs + static imports', 'localrank-embed.mjs'],
  ] as const) {
    const f = join(lib, file)
    if (!existsSync(f)) throw new Error(`${relative(process.cwd(), f)} is missing: run npm run build first`)
    const files = staticClosure(f)
    out[name] = { files: files.length, gzip: gz(files) }
  }
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = sizes()
  if (process.argv.includes('--json')) console.log(JSON.stringify(s))
  else for (const [k, v] of Object.entries(s)) console.log(`${k.padEnd(40)} ${(v.gzip / 1024).toFixed(2).padStart(7)} KB gzip (${v.files} file${v.files > 1 ? 's' : ''})`)
}

import { expect, test } from '@playwright/test'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * The shipped types, as a shop's TypeScript project sees them: a temporary project with
 * `localrank` in its node_modules (a link to this package, so package.json `exports` and
 * its `types` conditions are what resolve), compiled with the repo's tsc. No browser: this
 * lives with the e2e specs because it needs the built package (npm test builds before them).
 */
const root = resolve(import.meta.dirname, '..')
const fixtures = join(root, 'e2e', 'fixtures', 'consumer')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

function project(resolution: 'bundler' | 'nodenext', file: string): { dir: string; run: () => { status: number | null; out: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'lr-consumer-'))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(root, join(dir, 'node_modules', 'localrank'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop', private: true, type: 'module' }))
  copyFileSync(join(fixtures, file), join(dir, file))
  const compilerOptions = {
    target: 'ES2022',
    module: resolution === 'bundler' ? 'ESNext' : 'NodeNext',
    moduleResolution: resolution === 'bundler' ? 'Bundler' : 'NodeNext',
    // A shop's usual libs: no WebWorker, no Node types. skipLibCheck off, so our .d.ts files
    // are checked as well as the consumer.
    lib: ['ES2022', 'DOM'],
    types: [],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [file] }))
  return {
    dir,
    run: () => {
      const r = spawnSync(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], { cwd: dir, encoding: 'utf8' })
      return { status: r.status, out: `${r.stdout}${r.stderr}` }
    },
  }
}

test.beforeAll(() => {
  for (const f of ['localrank.d.ts', 'localrank-embed.d.ts']) {
    expect(existsSync(join(root, 'dist', 'lib', f)), `dist/lib/${f} is missing: run npm run build`).toBe(true)
  }
})

for (const resolution of ['bundler', 'nodenext'] as const) {
  test(`a consumer importing localrank and localrank/embed compiles (moduleResolution ${resolution})`, () => {
    const p = project(resolution, 'consumer.ts')
    try {
      const r = p.run()
      expect(r.out).toBe('')
      expect(r.status).toBe(0)
    } finally {
      rmSync(p.dir, { recursive: true, force: true })
    }
  })

  test(`misusing the package is a compile error at each marked line (moduleResolution ${resolution})`, () => {
    const p = project(resolution, 'misuse.ts')
    try {
      const r = p.run()
      const expected = readFileSync(join(fixtures, 'misuse.ts'), 'utf8')
        .split('\n')
        .flatMap((line, i) => {
          const m = /EXPECT (TS\d+)/.exec(line)
          return m ? [`misuse.ts(${i + 1},:${m[1]}`] : []
        })
      const got = [...r.out.matchAll(/^misuse\.ts\((\d+),\d+\): error (TS\d+)/gm)].map((m) => `misuse.ts(${m[1]},:${m[2]}`)
      expect(expected.length).toBe(3)
      expect(got).toEqual(expected)
      expect(r.status).not.toBe(0)
    } finally {
      rmSync(p.dir, { recursive: true, force: true })
    }
  })
}

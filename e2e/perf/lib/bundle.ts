/**
 * Bundle the benchmark's browser helpers (browser/bench-page.ts, browser/bench-worker.ts) with
 * Vite's API into a temporary folder, as e2e/webgpu.spec.ts does for its parity page. The
 * pages fetch them from /perf-gen/…, which the harness answers with `context.route`.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { build } from 'vite'

export const ROOT = join(import.meta.dirname, '..', '..', '..')

export async function bundleBrowserHelpers(): Promise<{ dir: string; files: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'localrank-bench-'))
  await build({
    configFile: false,
    logLevel: 'warn',
    root: ROOT,
    publicDir: false,
    // Asset URLs (the WASM binaries) are absolute from `base`; the harness serves /perf-gen/.
    base: '/perf-gen/',
    worker: { format: 'es' },
    build: {
      outDir: dir,
      emptyOutDir: true,
      minify: false,
      assetsInlineLimit: 0,
      lib: {
        entry: {
          'bench-page': join(ROOT, 'e2e/perf/browser/bench-page.ts'),
          'bench-worker': join(ROOT, 'e2e/perf/browser/bench-worker.ts'),
          'catalogue-page': join(ROOT, 'e2e/perf/catalogue-page.ts'),
          'threads-worker': join(ROOT, 'e2e/perf/threads-worker.ts'),
        },
        formats: ['es'],
        fileName: (_f, name) => `${name}.js`,
      },
      rollupOptions: { output: { chunkFileNames: '[name]-[hash].js', assetFileNames: '[name]-[hash][extname]' } },
    },
  })
  const files: string[] = []
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f)
      if (statSync(p).isDirectory()) walk(p)
      else files.push(relative(dir, p))
    }
  }
  walk(dir)
  return { dir, files }
}

import { defineConfig } from 'vite'

/**
 * Three builds from one config, picked by `--mode`:
 * - default: the demo shop (index.html) into dist/.
 * - `lib`:   the ESM library (src/index.ts) into dist/lib/localrank.mjs, with lazy chunks
 *            (the engine worker and TensorFlow.js backends) beside it.
 * - `embed`: the tiny classic-script loader (src/embed/loader.ts) into dist/lib/localrank.js.
 * `npm run build` runs all three.
 */
export default defineConfig(({ mode }) => {
  const common = {
    worker: { format: 'es' as const },
    test: {
      include: ['src/**/*.test.ts', 'e2e/perf/**/*.test.ts'],
      environment: 'node',
      testTimeout: 30_000,
    },
  }
  if (mode === 'lib') {
    return {
      ...common,
      // Relative asset URLs: the worker and WASM files are found next to the chunk that asks for
      // them (new URL('../assets/…', import.meta.url)), wherever a shop hosts or bundles dist/lib.
      base: './',
      publicDir: false,
      build: {
        outDir: 'dist/lib',
        emptyOutDir: false,
        sourcemap: true,
        // Two entries sharing chunks: the library, and the embed runtime the classic loader imports.
        lib: { entry: { localrank: 'src/index.ts', 'localrank-embed': 'src/embed/index.ts' }, formats: ['es'], fileName: (_format, name) => `${name}.mjs` },
        rollupOptions: { output: { chunkFileNames: 'chunks/[name]-[hash].js' } },
      },
    }
  }
  if (mode === 'embed') {
    return {
      ...common,
      publicDir: false,
      build: {
        outDir: 'dist/lib',
        emptyOutDir: false,
        lib: { entry: 'src/embed/loader.ts', formats: ['iife'], name: 'LocalRankLoader', fileName: () => 'localrank.js' },
      },
    }
  }
  return {
    ...common,
    build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  }
})

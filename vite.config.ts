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
    worker: {
      format: 'es' as const,
      rollupOptions: {
        output: {
          // WebGPU's own modules in a chunk of their own. Left to the bundler, the one module of
          // tfjs-backend-cpu that WebGPU shares (dist/shared.js) landed inside WebGPU's chunk, so
          // choosing the CPU backend also fetched all of WebGPU (68 KB gzip) for it. Only the
          // matched modules are captured (not their dependencies: tfjs-core must stay shared).
          codeSplitting: {
            includeDependenciesRecursively: false,
            groups: [
              { name: 'tfjs-backend-webgpu', test: /[\\/]@tensorflow[\\/]tfjs-backend-webgpu[\\/]/ },
              { name: 'tfjs-backend-cpu-shared', test: /[\\/]@tensorflow[\\/]tfjs-backend-cpu[\\/]dist[\\/]shared\.js$/ },
            ],
          },
        },
      },
    },
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
